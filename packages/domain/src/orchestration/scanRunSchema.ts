import { z } from "zod";
import { CloudProviderSchema } from "../common/cloudProvider";
import { RefIdSchema, tenantDocumentSchema } from "../common/documentSchema";
import { LIFECYCLE_SHAPE } from "./lifecycle";

/** The scanners a scan run can drive. */
export const SCANNERS = ["prowler", "nuclei", "ssl", "headers", "inventory"] as const;

/** One scan of one account (`cspm_orchestration.scan_runs`) with a guarded lifecycle (`LIFECYCLE_TRANSITIONS`). */
export const ScanRunSchema = tenantDocumentSchema({
  account_id: z.string().min(1).max(253),
  provider: CloudProviderSchema.optional(),
  scanner: z.enum(SCANNERS),
  ...LIFECYCLE_SHAPE,
  requested_by: RefIdSchema.optional(),
  stats: z
    .strictObject({
      findings: z.number().int().nonnegative(),
      passed: z.number().int().nonnegative(),
      failed: z.number().int().nonnegative(),
    })
    .optional(),
});

/** A stored scan run. */
export type ScanRun = z.infer<typeof ScanRunSchema>;
