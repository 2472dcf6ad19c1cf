import { z } from "zod";
import { RefIdSchema, tenantDocumentSchema } from "../common/documentSchema";

/** ISO 31000 treatment strategies. */
export const TREATMENT_STRATEGIES = ["mitigate", "accept", "transfer", "avoid"] as const;
/** Statuses of a treatment plan. */
export const TREATMENT_STATUSES = ["planned", "in_progress", "completed", "cancelled"] as const;

/** A treatment plan for a risk (`cspm_risk_management.risk_treatments`). */
export const RiskTreatmentSchema = tenantDocumentSchema({
  risk_id: RefIdSchema,
  strategy: z.enum(TREATMENT_STRATEGIES),
  description: z.string().trim().min(1).max(8000),
  status: z.enum(TREATMENT_STATUSES),
  owner: z.string().trim().min(1).max(254).optional(),
  due_at: z.date().optional(),
  completed_at: z.date().optional(),
});

/** A stored risk treatment. */
export type RiskTreatment = z.infer<typeof RiskTreatmentSchema>;
