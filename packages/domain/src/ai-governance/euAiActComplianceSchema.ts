import { z } from "zod";
import { RefIdSchema, tenantDocumentSchema } from "../common/documentSchema";
import { AiRiskTierSchema } from "./aiModelSchema";

/** Status of one EU AI Act obligation. */
export const OBLIGATION_STATUSES = ["not_started", "in_progress", "met", "not_applicable"] as const;
/** Overall EU AI Act status of a model. */
export const EU_AI_ACT_STATUSES = ["not_assessed", "non_compliant", "partially_compliant", "compliant"] as const;

/** One obligation (e.g. `art_9` risk management system) and where it stands. */
export const AiActObligationSchema = z.strictObject({
  obligation_id: z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, "must be an obligation id such as art_9"),
  title: z.string().min(1).max(500),
  status: z.enum(OBLIGATION_STATUSES),
  evidence: z.string().max(4000).optional(),
  due_at: z.date().optional(),
});

/** A model's EU AI Act record (`cspm_ai_governance.eu_ai_act_compliance`), one per model: obligations and overall status. */
export const EuAiActComplianceSchema = tenantDocumentSchema({
  model_id: RefIdSchema,
  risk_tier: AiRiskTierSchema,
  obligations: z
    .array(AiActObligationSchema)
    .max(200)
    .refine((list) => new Set(list.map((o) => o.obligation_id)).size === list.length, "obligation ids must be unique"),
  status: z.enum(EU_AI_ACT_STATUSES),
  reviewed_at: z.date().optional(),
});

/** A stored EU AI Act record. */
export type EuAiActCompliance = z.infer<typeof EuAiActComplianceSchema>;
/** One obligation of an EU AI Act record. */
export type AiActObligation = z.infer<typeof AiActObligationSchema>;
