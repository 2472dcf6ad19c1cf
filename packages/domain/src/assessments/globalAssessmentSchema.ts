import { z } from "zod";
import { tenantDocumentSchema } from "../common/documentSchema";
import { FreeFormObjectSchema } from "../common/freeFormObjectSchema";

/** How often an assessment recurs. */
export const ASSESSMENT_FREQUENCIES = ["monthly", "quarterly", "annual"] as const;
/** Statuses of an assessment. */
export const ASSESSMENT_STATUSES = ["draft", "in_progress", "completed"] as const;

/** What was collected from one evidence source. */
export const EvidenceSourceSummarySchema = z.strictObject({
  source: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, "must be a snake_case source name"),
  item_count: z.number().int().nonnegative(),
  collected_at: z.date(),
  error: z.string().max(2000).optional(),
});

/** The evidence collected for an assessment, per source, as stored on the assessment. */
export const EvidenceSummarySchema = z.strictObject({
  collected_at: z.date(),
  total_items: z.number().int().nonnegative(),
  sources: z.array(EvidenceSourceSummarySchema).max(100),
  details: FreeFormObjectSchema.optional(),
});

/** The fields of an assessment without the date checks; use `GlobalAssessmentSchema` to validate. */
export const GlobalAssessmentObjectSchema = tenantDocumentSchema({
  name: z.string().trim().min(1).max(200),
  description: z.string().max(4000).optional(),
  framework_ids: z.array(z.string().min(1).max(128)).min(1).max(50),
  account_ids: z.array(z.string().min(1).max(253)).max(1000).optional(),
  frequency: z.enum(ASSESSMENT_FREQUENCIES),
  period_start: z.date(),
  period_end: z.date(),
  due_date: z.date(),
  status: z.enum(ASSESSMENT_STATUSES),
  evidence_summary: EvidenceSummarySchema.optional(),
  score: z.number().min(0).max(100).optional(),
  completed_at: z.date().optional(),
  owner: z.string().min(1).max(254).optional(),
});

/**
 * A periodic compliance/risk assessment (`cspm_assessments.global_assessments`): frameworks, period, due
 * date, status, evidence summary and score. `period_start <= period_end <= due_date`.
 */
export const GlobalAssessmentSchema = GlobalAssessmentObjectSchema.superRefine((assessment, ctx) => {
  if (assessment.period_end < assessment.period_start) {
    ctx.addIssue({ code: "custom", path: ["period_end"], message: "must not be before period_start" });
  }
  if (assessment.due_date < assessment.period_end) {
    ctx.addIssue({ code: "custom", path: ["due_date"], message: "must not be before period_end" });
  }
});

/** A stored assessment. */
export type GlobalAssessment = z.infer<typeof GlobalAssessmentSchema>;
/** The evidence summary of an assessment. */
export type EvidenceSummary = z.infer<typeof EvidenceSummarySchema>;
