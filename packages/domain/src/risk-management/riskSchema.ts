import { z } from "zod";
import { tenantDocumentSchema } from "../common/documentSchema";

/** Statuses of a risk in the register. */
export const RISK_STATUSES = ["identified", "assessed", "treating", "accepted", "closed"] as const;

const rating = z.number().int().min(1).max(5);

/** The fields of a risk without the score check; use `RiskSchema` to validate. */
export const RiskObjectSchema = tenantDocumentSchema({
  title: z.string().trim().min(1).max(500),
  description: z.string().max(8000).optional(),
  category: z.string().max(128).optional(),
  likelihood: rating,
  impact: rating,
  /** `likelihood * impact`, 1–25. */
  score: z.number().int().min(1).max(25),
  status: z.enum(RISK_STATUSES),
  owner: z.string().trim().min(1).max(254),
  review_at: z.date().optional(),
});

/** A risk in the register (`cspm_risk_management.risks`): likelihood and impact 1–5, `score = likelihood * impact`. */
export const RiskSchema = RiskObjectSchema.superRefine((risk, ctx) => {
  if (risk.score !== risk.likelihood * risk.impact) {
    ctx.addIssue({ code: "custom", path: ["score"], message: "must equal likelihood * impact" });
  }
});

/** A stored risk. */
export type Risk = z.infer<typeof RiskSchema>;

/** The score of a risk: `likelihood * impact`. */
export function riskScore(likelihood: number, impact: number): number {
  return likelihood * impact;
}
