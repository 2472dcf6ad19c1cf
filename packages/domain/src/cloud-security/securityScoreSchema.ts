import { z } from "zod";
import { RefIdSchema, tenantDocumentSchema } from "../common/documentSchema";
import { CloudProviderSchema } from "../common/cloudProvider";

const count = z.number().int().nonnegative();

/** Failed findings per severity at the time a score was computed. */
export const SeverityCountsSchema = z.strictObject({
  critical: count,
  high: count,
  medium: count,
  low: count,
  informational: count,
});

/** A posture score of one account at one time (`cspm_cloud_security.security_scores`): 0–100 with its inputs. */
export const SecurityScoreSchema = tenantDocumentSchema({
  account_id: z.string().min(1).max(253),
  provider: CloudProviderSchema,
  scan_id: RefIdSchema.optional(),
  score: z.number().min(0).max(100),
  passed: count,
  failed: count,
  muted: count,
  failed_by_severity: SeverityCountsSchema,
  computed_at: z.date(),
});

/** A stored security score. */
export type SecurityScore = z.infer<typeof SecurityScoreSchema>;
