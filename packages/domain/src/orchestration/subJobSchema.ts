import { z } from "zod";
import { RefIdSchema, tenantDocumentSchema } from "../common/documentSchema";
import { FreeFormObjectSchema } from "../common/freeFormObjectSchema";
import { LIFECYCLE_SHAPE } from "./lifecycle";

/** One step of a job (`cspm_orchestration.sub_jobs`), e.g. one region or one service, with a guarded lifecycle. */
export const SubJobSchema = tenantDocumentSchema({
  job_id: RefIdSchema,
  name: z.string().min(1).max(200),
  sequence: z.number().int().nonnegative(),
  ...LIFECYCLE_SHAPE,
  claimed_by: z.string().min(1).max(256).optional(),
  result: FreeFormObjectSchema.optional(),
});

/** A stored sub-job. */
export type SubJob = z.infer<typeof SubJobSchema>;
