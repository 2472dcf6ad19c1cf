import {
  BaseRepository,
  defineRepository,
  trustedFilter,
  type RepositoryContext,
  type RepositoryDocument,
  type RepositoryInput,
  parseInput,
  toObjectId,
} from "@cspm/repository";
import type { ObjectId } from "mongodb";
import { z } from "zod";
import { DEFAULT_LIST_LIMIT, ListLimitSchema } from "../common/listLimit";
import { ASSESSMENT_STATUSES, EvidenceSummarySchema, GlobalAssessmentSchema, type EvidenceSummary } from "./globalAssessmentSchema";

const definition = defineRepository({
  database: "ASSESSMENTS",
  collection: "global_assessments",
  schema: GlobalAssessmentSchema,
  versioned: true,
});

/** A stored assessment as read back. */
export type GlobalAssessmentDocument = RepositoryDocument<typeof GlobalAssessmentSchema>;

/** What `GlobalAssessmentRepository.create` takes: a new assessment is a `draft` without score or evidence. */
export type NewGlobalAssessment = Omit<
  RepositoryInput<typeof GlobalAssessmentSchema>,
  "status" | "score" | "completed_at" | "evidence_summary"
>;

/** An assessment status. */
export type AssessmentStatus = (typeof ASSESSMENT_STATUSES)[number];

/** The legal status moves of an assessment: `draft -> in_progress -> completed`. */
export const ASSESSMENT_TRANSITIONS: Readonly<Record<AssessmentStatus, readonly AssessmentStatus[]>> = Object.freeze({
  draft: Object.freeze(["in_progress"] as const),
  in_progress: Object.freeze(["completed"] as const),
  completed: Object.freeze([] as const),
});

/** Periodic assessments (`cspm_assessments.global_assessments`); versioned, with a guarded status. */
export class GlobalAssessmentRepository extends BaseRepository<typeof GlobalAssessmentSchema> {
  /** The registry binding: ASSESSMENTS / global_assessments. */
  static readonly definition = definition;

  constructor(context: RepositoryContext) {
    super(context, definition);
  }

  /** Creates a `draft` assessment. Throws `VALIDATION_FAILED` (including period/due date order). */
  async create(teamId: string, input: NewGlobalAssessment): Promise<GlobalAssessmentDocument> {
    return this.forTeam(teamId).insertOne({ ...input, status: "draft" });
  }

  /** Assessments in one status, newest first. Throws `VALIDATION_FAILED`. */
  async listByStatus(teamId: string, status: AssessmentStatus, limit = DEFAULT_LIST_LIMIT): Promise<GlobalAssessmentDocument[]> {
    return this.forTeam(teamId).findMany(
      { status: parseInput(z.enum(ASSESSMENT_STATUSES), status, "status") },
      { sort: { created_at: -1 }, limit: parseInput(ListLimitSchema, limit, "limit") },
    );
  }

  /** Assessments not yet completed that are due before `date`, soonest first. Throws `VALIDATION_FAILED`. */
  async findDueBefore(teamId: string, date: Date, limit = DEFAULT_LIST_LIMIT): Promise<GlobalAssessmentDocument[]> {
    return this.forTeam(teamId).findMany(
      trustedFilter({ status: { $ne: "completed" }, due_date: { $lt: parseInput(z.date(), date, "date") } }),
      { sort: { due_date: 1, _id: 1 }, limit: parseInput(ListLimitSchema, limit, "limit") },
    );
  }

  /** Stores the evidence summary on the assessment. Throws `VALIDATION_FAILED`, `NOT_FOUND`. */
  async setEvidenceSummary(teamId: string, id: ObjectId | string, summary: EvidenceSummary): Promise<GlobalAssessmentDocument> {
    return this.forTeam(teamId).update(toObjectId(id), { evidence_summary: parseInput(EvidenceSummarySchema, summary, "summary") });
  }

  /** `draft -> in_progress`. Throws `VALIDATION_FAILED`, `NOT_FOUND`, `CONFLICT` (`ILLEGAL_TRANSITION`, details `{ from, to }`). */
  async start(teamId: string, id: ObjectId | string): Promise<GlobalAssessmentDocument> {
    return this.transition(teamId, id, "in_progress");
  }

  /**
   * `in_progress -> completed`, stamping `completed_at` (default now) and, when given, the final 0–100
   * score (otherwise the stored score stays). Throws `VALIDATION_FAILED`, `NOT_FOUND`, `CONFLICT` (`ILLEGAL_TRANSITION`).
   */
  async complete(teamId: string, id: ObjectId | string, options: { score?: number; at?: Date } = {}): Promise<GlobalAssessmentDocument> {
    return this.transition(teamId, id, "completed", {
      ...(options.score === undefined ? {} : { score: parseInput(z.number().min(0).max(100), options.score, "score") }),
      completed_at: parseInput(z.date(), options.at ?? new Date(), "at"),
    });
  }

  /**
   * Moves an assessment to `to` from any state `ASSESSMENT_TRANSITIONS` allows, writing `set` with it, in one
   * conditional update. Throws `VALIDATION_FAILED`, `NOT_FOUND`, `CONFLICT` (`ILLEGAL_TRANSITION`, details `{ from, to }`).
   */
  async transition(
    teamId: string,
    id: ObjectId | string,
    to: AssessmentStatus,
    set: Record<string, unknown> = {},
  ): Promise<GlobalAssessmentDocument> {
    const target = parseInput(z.enum(ASSESSMENT_STATUSES), to, "to");
    const from = ASSESSMENT_STATUSES.filter((status) => ASSESSMENT_TRANSITIONS[status].includes(target));
    return this.forTeam(teamId).moveStatus(id, { from, to: target, set, entity: "assessment" });
  }
}
