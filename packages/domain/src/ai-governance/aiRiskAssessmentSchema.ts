import { z } from "zod";
import { RefIdSchema, tenantDocumentSchema } from "../common/documentSchema";
import { SeveritySchema } from "../common/severity";
import { AiRiskTierSchema } from "./aiModelSchema";

/** One finding of an AI risk assessment (bias, robustness, transparency …). */
export const AiRiskFindingSchema = z.strictObject({
  category: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, "must be a snake_case category"),
  title: z.string().min(1).max(500),
  severity: SeveritySchema,
  description: z.string().max(4000).optional(),
});

/** A risk assessment of one model (`cspm_ai_governance.ai_risk_assessments`): tier, 0–100 score, findings, when. */
export const AiRiskAssessmentSchema = tenantDocumentSchema({
  model_id: RefIdSchema,
  risk_tier: AiRiskTierSchema,
  score: z.number().min(0).max(100),
  findings: z.array(AiRiskFindingSchema).max(500),
  assessed_at: z.date(),
  assessor: z.string().min(1).max(254),
  notes: z.string().max(8000).optional(),
});

/** A stored AI risk assessment. */
export type AiRiskAssessment = z.infer<typeof AiRiskAssessmentSchema>;
