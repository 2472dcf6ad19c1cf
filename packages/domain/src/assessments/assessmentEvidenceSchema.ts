import { z } from "zod";
import { RefIdSchema, tenantDocumentSchema } from "../common/documentSchema";
import { FreeFormObjectSchema } from "../common/freeFormObjectSchema";

/** Most evidence items one source may store for one assessment (keeps the document far below 16 MB). */
export const MAX_EVIDENCE_ITEMS = 5_000;

/**
 * The evidence one source (`cloud_security`, `vulnerabilities` …) produced for one assessment
 * (`cspm_assessments.assessment_evidence`), unique per assessment and source: re-collection replaces it.
 */
export const AssessmentEvidenceSchema = tenantDocumentSchema({
  assessment_id: RefIdSchema,
  source: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, "must be a snake_case source name"),
  collected_at: z.date(),
  item_count: z.number().int().nonnegative(),
  items: z.array(FreeFormObjectSchema).max(MAX_EVIDENCE_ITEMS),
  summary: FreeFormObjectSchema,
});

/** Stored evidence of one source for one assessment. */
export type AssessmentEvidence = z.infer<typeof AssessmentEvidenceSchema>;
