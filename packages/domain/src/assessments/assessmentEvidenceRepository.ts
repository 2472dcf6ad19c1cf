import { BaseRepository, defineRepository, type RepositoryContext, type RepositoryDocument, parseInput } from "@cspm/repository";
import { z } from "zod";
import { RefIdSchema } from "../common/documentSchema";
import { FreeFormObjectSchema } from "../common/freeFormObjectSchema";
import { AssessmentEvidenceSchema, MAX_EVIDENCE_ITEMS } from "./assessmentEvidenceSchema";
import type { EvidenceSummary } from "./globalAssessmentSchema";

const definition = defineRepository({
  database: "ASSESSMENTS",
  collection: "assessment_evidence",
  schema: AssessmentEvidenceSchema,
  keyFields: ["assessment_id", "source"],
});

/** Stored evidence as read back. */
export type AssessmentEvidenceDocument = RepositoryDocument<typeof AssessmentEvidenceSchema>;

/** What one source collected: its items and a summary; `collected_at` defaults to now. */
export interface CollectedEvidence {
  readonly items: readonly Record<string, unknown>[];
  readonly summary: Record<string, unknown>;
  readonly collectedAt?: Date;
}

/** Evidence per assessment and source (`cspm_assessments.assessment_evidence`); re-collection replaces a source's evidence. */
export class AssessmentEvidenceRepository extends BaseRepository<typeof AssessmentEvidenceSchema> {
  /** The registry binding: ASSESSMENTS / assessment_evidence. */
  static readonly definition = definition;

  constructor(context: RepositoryContext) {
    super(context, definition);
  }

  /**
   * Stores what `source` collected for an assessment, replacing anything it collected before (items,
   * summary, count and time), in one upsert on `(assessment_id, source)`. Throws `VALIDATION_FAILED`
   * (including more than `MAX_EVIDENCE_ITEMS` items).
   */
  async replaceForSource(
    teamId: string,
    assessmentId: string,
    source: string,
    evidence: CollectedEvidence,
  ): Promise<AssessmentEvidenceDocument> {
    const items = parseInput(z.array(FreeFormObjectSchema).max(MAX_EVIDENCE_ITEMS), evidence.items, "items");
    const result = await this.forTeam(teamId).upsert({
      assessment_id: parseInput(RefIdSchema, assessmentId, "assessmentId"),
      source: parseInput(AssessmentEvidenceSchema.shape.source, source, "source"),
      collected_at: parseInput(z.date(), evidence.collectedAt ?? new Date(), "collectedAt"),
      item_count: items.length,
      items,
      summary: parseInput(FreeFormObjectSchema, evidence.summary, "summary"),
    });
    return result.document;
  }

  /** Every source's evidence for an assessment, by source. Throws `VALIDATION_FAILED`. */
  async listForAssessment(teamId: string, assessmentId: string): Promise<AssessmentEvidenceDocument[]> {
    return this.forTeam(teamId).findMany(
      { assessment_id: parseInput(RefIdSchema, assessmentId, "assessmentId") },
      { sort: { source: 1 }, limit: 1000 },
    );
  }

  /** The evidence of one source for an assessment, or `null`. Throws `VALIDATION_FAILED`. */
  async findForSource(teamId: string, assessmentId: string, source: string): Promise<AssessmentEvidenceDocument | null> {
    return this.forTeam(teamId).findOne({
      assessment_id: parseInput(RefIdSchema, assessmentId, "assessmentId"),
      source: parseInput(AssessmentEvidenceSchema.shape.source, source, "source"),
    });
  }

  /**
   * The evidence summary for an assessment (per source: item count and time), without loading items;
   * `null` when nothing was collected. Throws `VALIDATION_FAILED`.
   */
  async summarize(teamId: string, assessmentId: string): Promise<EvidenceSummary | null> {
    const rows = await this.forTeam(teamId).findMany(
      { assessment_id: parseInput(RefIdSchema, assessmentId, "assessmentId") },
      { sort: { source: 1 }, limit: 1000, projection: { source: 1, item_count: 1, collected_at: 1 } },
    );
    if (rows.length === 0) return null;
    const sources = rows.map((row) => ({ source: row.source, item_count: row.item_count, collected_at: row.collected_at }));
    return {
      collected_at: new Date(Math.max(...sources.map((s) => s.collected_at.getTime()))),
      total_items: sources.reduce((sum, s) => sum + s.item_count, 0),
      sources,
    };
  }

  /** Deletes all evidence of an assessment; returns how many sources were removed. Throws `VALIDATION_FAILED`. */
  async deleteForAssessment(teamId: string, assessmentId: string): Promise<number> {
    return this.forTeam(teamId).deleteMany({ assessment_id: parseInput(RefIdSchema, assessmentId, "assessmentId") });
  }
}
