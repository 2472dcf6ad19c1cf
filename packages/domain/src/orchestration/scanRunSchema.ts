import { z } from "zod";
import { FindingProviderSchema } from "../cloud-security/prowlerFindingSchema";
import { RefIdSchema, tenantDocumentSchema } from "../common/documentSchema";
import { LIFECYCLE_SHAPE } from "./lifecycle";

/** The scanners a scan run can drive. */
export const SCANNERS = ["prowler", "asff", "nuclei", "ssl", "headers", "inventory"] as const;

/** The lifecycle counts of a finished scan run (see `ScanLifecycleCounts`). */
export const ScanRunLifecycleSchema = z.strictObject({
  inserted: z.number().int().nonnegative(),
  changed: z.number().int().nonnegative(),
  unchanged: z.number().int().nonnegative(),
  resolved: z.number().int().nonnegative(),
  reopened: z.number().int().nonnegative(),
});

/** One scan of one account (`cspm_orchestration.scan_runs`) with a guarded lifecycle (`LIFECYCLE_TRANSITIONS`). */
export const ScanRunSchema = tenantDocumentSchema({
  account_id: z.string().min(1).max(253),
  provider: FindingProviderSchema.optional(),
  scanner: z.enum(SCANNERS),
  ...LIFECYCLE_SHAPE,
  requested_by: RefIdSchema.optional(),
  stats: z
    .strictObject({
      findings: z.number().int().nonnegative(),
      passed: z.number().int().nonnegative(),
      failed: z.number().int().nonnegative(),
      /** Records the run's files held, and how many of them were rejected. */
      records: z.number().int().nonnegative().optional(),
      rejected: z.number().int().nonnegative().optional(),
      lifecycle: ScanRunLifecycleSchema.optional(),
      /** True when the run was complete and full, so findings it did not see were resolved. */
      full: z.boolean().optional(),
    })
    .optional(),
});

/** A stored scan run. */
export type ScanRun = z.infer<typeof ScanRunSchema>;
