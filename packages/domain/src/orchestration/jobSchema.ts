import { z } from "zod";
import { RefIdSchema, tenantDocumentSchema } from "../common/documentSchema";
import { FreeFormObjectSchema } from "../common/freeFormObjectSchema";
import { LIFECYCLE_SHAPE } from "./lifecycle";

/** Highest job priority; claimers take the highest priority first, then the oldest. */
export const MAX_JOB_PRIORITY = 100;

/** A unit of work claimed by a worker (`cspm_orchestration.jobs`), with a guarded lifecycle (`LIFECYCLE_TRANSITIONS`). */
export const JobSchema = tenantDocumentSchema({
  scan_run_id: RefIdSchema.optional(),
  type: z.string().regex(/^[a-z][a-z0-9_.]{0,63}$/, "must be a job type such as prowler.scan"),
  priority: z.number().int().min(0).max(MAX_JOB_PRIORITY),
  ...LIFECYCLE_SHAPE,
  payload: FreeFormObjectSchema,
  claimed_by: z.string().min(1).max(256).optional(),
  attempts: z.number().int().nonnegative(),
  result: FreeFormObjectSchema.optional(),
});

/** A stored job. */
export type Job = z.infer<typeof JobSchema>;
