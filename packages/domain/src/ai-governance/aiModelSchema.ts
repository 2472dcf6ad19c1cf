import { z } from "zod";
import { tenantDocumentSchema } from "../common/documentSchema";

/** EU AI Act risk tiers. */
export const AI_RISK_TIERS = ["unacceptable", "high", "limited", "minimal"] as const;
/** One of `AI_RISK_TIERS`. */
export const AiRiskTierSchema = z.enum(AI_RISK_TIERS);
/** An EU AI Act risk tier. */
export type AiRiskTier = z.infer<typeof AiRiskTierSchema>;

/** Lifecycle of a model in the inventory. */
export const AI_MODEL_STATUSES = ["proposed", "in_review", "approved", "deployed", "retired", "prohibited"] as const;

/**
 * A model in the team's AI inventory (`cspm_ai_governance.ai_models`), unique by name and `model_version`.
 * The model's version is `model_version` because `version` is the repository's optimistic-concurrency field.
 */
export const AiModelSchema = tenantDocumentSchema({
  name: z.string().trim().min(1).max(200),
  model_version: z.string().trim().min(1).max(64),
  /** Who supplies the model (`openai`, `anthropic`, `internal` …). */
  provider: z.string().trim().min(1).max(128),
  intended_purpose: z.string().trim().min(1).max(4000),
  risk_tier: AiRiskTierSchema,
  status: z.enum(AI_MODEL_STATUSES),
  /** The accountable owner (user id or email). */
  owner: z.string().trim().min(1).max(254),
  description: z.string().max(4000).optional(),
});

/** A stored AI model. */
export type AiModel = z.infer<typeof AiModelSchema>;
