import {
  ASSESSMENT_STATUSES,
  FrameworkRepository,
  GlobalAssessmentRepository,
  type AssessmentStatus,
  type GlobalAssessmentDocument,
} from "@cspm/domain";
import { ConflictError, NotFoundError, ValidationError } from "@cspm/errors";
import type { CSPMDatabaseManager } from "@cspm/mongo";
import {
  ObjectIdHexSchema,
  parseInput,
  parseTeamId,
  type RepositoryFactory,
  type TeamId,
  trustedFilter,
  stringInput,
} from "@cspm/repository";
import type { ClientSession } from "mongodb";
import { z } from "zod";
import type { AssessmentIntegrationService, ControlEvaluation } from "./assessmentIntegrationService";
import { type AssessmentFrequency, calculateAssessmentDates } from "./calculateAssessmentDates";
import type { Clock } from "./clock";
import type { ComprehensiveEvidence, EvidenceIntegrationService } from "./evidenceIntegrationService";

/** Input of `createAssessment`. */
export interface CreateAssessmentInput {
  readonly name: string;
  readonly description?: string;
  /** Frameworks assessed (`frameworks.framework_id`), 1–50, all of which must exist. */
  readonly frameworkIds: readonly string[];
  /** Limit the evidence to these provider account ids; all of the team's accounts when absent. */
  readonly accountIds?: readonly string[];
  readonly frequency: AssessmentFrequency;
  /** First day of the period (`Date` or ISO-8601 text); see `calculateAssessmentDates`. */
  readonly startDate: Date | string;
  /** Days from the end of the period to the due date (default 14). */
  readonly graceDays?: number;
  readonly owner?: string;
}

/** An assessment as the service returns it: the stored fields with `id` (24 hex) instead of `_id`. */
export type AssessmentView = Omit<GlobalAssessmentDocument, "_id" | "deleted_at"> & { readonly id: string };

/** Runs a write inside the caller's transaction instead of one of its own (the audit trail's `transaction` mode). */
export interface InTransactionOptions {
  readonly session?: ClientSession;
}

/** Filters and paging of `listAssessments`. */
export interface ListAssessmentsOptions {
  readonly status?: AssessmentStatus;
  /** Page size 1–1000, default 50. */
  readonly limit?: number;
  readonly cursor?: string | null;
}

/** One page of assessments (keyset pagination, newest first). */
export interface AssessmentPage {
  readonly items: AssessmentView[];
  readonly nextCursor: string | null;
}

/** Dependencies of `GlobalAssessmentService` (built by `createServices`). */
export interface GlobalAssessmentServiceDependencies {
  /** Runs create/refresh as one transaction. */
  readonly manager: CSPMDatabaseManager;
  readonly repositories: RepositoryFactory;
  readonly evidence: EvidenceIntegrationService;
  readonly integration: AssessmentIntegrationService;
  readonly clock: Clock;
}

/** The input `createAssessment` validates (`CreateAssessmentInput`). */
export const CreateAssessmentInputSchema = z.strictObject({
  name: stringInput().trim().min(1).max(200),
  description: z.string().max(4000).optional(),
  frameworkIds: z
    .array(stringInput().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, "must be a framework id"))
    .min(1)
    .max(50)
    .refine((ids) => new Set(ids).size === ids.length, "must not repeat a framework"),
  accountIds: z.array(stringInput().min(1).max(253)).max(1000).optional(),
  frequency: z.enum(["monthly", "quarterly", "annual"]),
  startDate: z.union([z.date(), z.string()]),
  graceDays: z.number().int().min(0).max(365).optional(),
  owner: z.string().trim().min(1).max(254).optional(),
});

const ListSchema = z.strictObject({
  status: z.enum(ASSESSMENT_STATUSES).optional(),
  limit: z.number().int().min(1).max(1000).optional(),
  cursor: z.string().max(4096).nullable().optional(),
});

function toView(doc: GlobalAssessmentDocument): AssessmentView {
  const { _id, deleted_at: _deleted, ...rest } = doc;
  return { ...rest, id: _id.toHexString() } as AssessmentView;
}

/** The period and due date of the input; issues of `calculateAssessmentDates` keep their field paths. */
function datesOf(input: z.output<typeof CreateAssessmentInputSchema>): ReturnType<typeof calculateAssessmentDates> {
  try {
    return calculateAssessmentDates({
      frequency: input.frequency,
      startDate: input.startDate,
      ...(input.graceDays === undefined ? {} : { graceDays: input.graceDays }),
    });
  } catch (error) {
    // Its issues already name the input's fields (startDate, graceDays); only the empty root path is relabelled.
    if (error instanceof ValidationError)
      throw new ValidationError(
        error.message,
        error.issues.map((i) => ({ ...i, path: i.path === "" ? "startDate" : i.path })),
      );
    throw error;
  }
}

/**
 * Periodic compliance/risk assessments (`cspm_assessments.global_assessments`). `createAssessment` follows
 * the brief's request flow — validate, compute the period, create, collect evidence from the other
 * databases, evaluate controls, store the evidence summary and score — with the assessment and evidence
 * writes in ONE transaction, so a failure anywhere leaves nothing behind. Status moves are guarded
 * (`draft -> in_progress -> completed`). Methods throw `VALIDATION_FAILED`, `NOT_FOUND`, `CONFLICT`,
 * `UNAVAILABLE` (e.g. a deployment without transactions) or `INTERNAL`.
 */
export class GlobalAssessmentService {
  readonly #manager: CSPMDatabaseManager;
  readonly #assessments: GlobalAssessmentRepository;
  readonly #frameworks: FrameworkRepository;
  readonly #evidence: EvidenceIntegrationService;
  readonly #integration: AssessmentIntegrationService;
  readonly #now: Clock;

  constructor(deps: GlobalAssessmentServiceDependencies) {
    this.#manager = deps.manager;
    this.#assessments = deps.repositories.get(GlobalAssessmentRepository);
    this.#frameworks = deps.repositories.get(FrameworkRepository);
    this.#evidence = deps.evidence;
    this.#integration = deps.integration;
    this.#now = deps.clock;
  }

  /**
   * Creates a `draft` assessment with its period and due date, collects its evidence, evaluates its
   * controls and stores the evidence summary and score on it — all writes in one transaction. Returns the
   * stored assessment. Throws `VALIDATION_FAILED` (field paths such as `frameworkIds.0`, `startDate`; unknown frameworks),
   * `UNAVAILABLE` (transactions unsupported or MongoDB unreachable), `CONFLICT` (transient conflict).
   * With `options.session` every write joins that (caller's) transaction instead.
   */
  async createAssessment(teamId: TeamId, data: CreateAssessmentInput, options: InTransactionOptions = {}): Promise<AssessmentView> {
    const team = parseTeamId(teamId);
    const input = parseInput(CreateAssessmentInputSchema, data, "");
    const dates = datesOf(input);
    await this.#assertFrameworksExist(input.frameworkIds);
    return this.#inTransaction(options, async (session) => {
      const scope = this.#assessments.forTeam(team);
      const created = await scope.insertOne(
        {
          name: input.name,
          ...(input.description === undefined ? {} : { description: input.description }),
          framework_ids: input.frameworkIds,
          ...(input.accountIds === undefined ? {} : { account_ids: input.accountIds }),
          frequency: input.frequency,
          ...dates,
          status: "draft",
          ...(input.owner === undefined ? {} : { owner: input.owner }),
        },
        { session },
      );
      return toView(await this.#attachEvidence(team, created._id.toHexString(), input.frameworkIds, session));
    });
  }

  /**
   * Collects the evidence of an existing assessment again (replacing the earlier evidence — no duplicates),
   * re-evaluates its controls and stores summary and score, in one transaction. Throws `VALIDATION_FAILED`,
   * `NOT_FOUND`, `CONFLICT` (the assessment is completed). With `options.session`, runs in that transaction.
   */
  async refreshEvidence(teamId: TeamId, assessmentId: string, options: InTransactionOptions = {}): Promise<AssessmentView> {
    const team = parseTeamId(teamId);
    const id = parseInput(ObjectIdHexSchema, assessmentId, "assessmentId").toLowerCase();
    return this.#inTransaction(options, async (session) => {
      const current = await this.#assessments.forTeam(team).findById(id, { session });
      if (current === null) throw new NotFoundError(`No assessment ${id} in this team.`, { details: { id } });
      if (current.status === "completed") {
        throw new ConflictError("A completed assessment's evidence cannot change.", {
          reason: "ASSESSMENT_COMPLETED",
          details: { id, status: current.status },
        });
      }
      return toView(await this.#attachEvidence(team, id, current.framework_ids, session));
    });
  }

  /** One assessment of the team. Throws `VALIDATION_FAILED`, `NOT_FOUND`. */
  async getAssessment(teamId: TeamId, assessmentId: string): Promise<AssessmentView> {
    const team = parseTeamId(teamId);
    const id = parseInput(ObjectIdHexSchema, assessmentId, "assessmentId");
    const doc = await this.#assessments.forTeam(team).findById(id);
    if (doc === null) throw new NotFoundError(`No assessment ${id} in this team.`, { details: { id } });
    return toView(doc);
  }

  /** A page of the team's assessments, newest first, optionally in one status. Throws `VALIDATION_FAILED` (bad filter, limit or cursor). */
  async listAssessments(teamId: TeamId, options: ListAssessmentsOptions = {}): Promise<AssessmentPage> {
    const team = parseTeamId(teamId);
    const query = parseInput(ListSchema, options, "");
    const page = await this.#assessments.forTeam(team).paginate({
      filter: query.status === undefined ? {} : { status: query.status },
      sort: { field: "_id", direction: "desc" },
      ...(query.limit === undefined ? {} : { limit: query.limit }),
      ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
    });
    return { items: page.items.map(toView), nextCursor: page.nextCursor };
  }

  /** `draft -> in_progress`. Throws `VALIDATION_FAILED`, `NOT_FOUND`, `CONFLICT` (`ILLEGAL_TRANSITION`). */
  startAssessment(teamId: TeamId, assessmentId: string): Promise<AssessmentView> {
    return this.transitionStatus(teamId, assessmentId, "in_progress");
  }

  /** `in_progress -> completed`, stamping `completed_at`. Throws `VALIDATION_FAILED`, `NOT_FOUND`, `CONFLICT` (`ILLEGAL_TRANSITION`). */
  completeAssessment(teamId: TeamId, assessmentId: string): Promise<AssessmentView> {
    return this.transitionStatus(teamId, assessmentId, "completed");
  }

  /**
   * Moves an assessment to `to` through `GlobalAssessmentRepository.transition` (one conditional update, so
   * two concurrent moves cannot both win); `completed` stamps `completed_at`. Throws `VALIDATION_FAILED`,
   * `NOT_FOUND`, `CONFLICT` (reason `ILLEGAL_TRANSITION`, details `{ from, to }`).
   */
  async transitionStatus(teamId: TeamId, assessmentId: string, to: AssessmentStatus): Promise<AssessmentView> {
    const team = parseTeamId(teamId);
    const id = parseInput(ObjectIdHexSchema, assessmentId, "assessmentId");
    const target = parseInput(z.enum(ASSESSMENT_STATUSES), to, "to");
    const moved =
      target === "completed"
        ? await this.#assessments.complete(team, id, { at: this.#now() })
        : await this.#assessments.transition(team, id, target);
    return toView(moved);
  }

  /** `fn` in the caller's transaction when one is given, else in a transaction of its own. */
  #inTransaction<T>(options: InTransactionOptions, fn: (session: ClientSession) => Promise<T>): Promise<T> {
    return options.session === undefined ? this.#manager.withTransaction(fn) : fn(options.session);
  }

  /** Collect, evaluate, store summary + score on the assessment: the part of create/refresh that runs in the transaction. */
  async #attachEvidence(
    team: TeamId,
    id: string,
    frameworkIds: readonly string[],
    session: ClientSession,
  ): Promise<GlobalAssessmentDocument> {
    const evidence: ComprehensiveEvidence = await this.#evidence.collectComprehensiveEvidence(team, id, { session });
    const evaluation: ControlEvaluation = await this.#integration.evaluateControls(team, id, {
      frameworkIds,
      evidence: evidence.sources,
      session,
    });
    const summary = {
      ...evidence.summary,
      details: {
        ...evidence.summary.details,
        control_evaluation: {
          evaluated_at: evaluation.evaluated_at,
          score: evaluation.score,
          totals: { ...evaluation.totals },
          frameworks: evaluation.frameworks.map((f) => ({ ...f })),
        },
      },
    };
    return this.#assessments.forTeam(team).update(id, { evidence_summary: summary, score: evaluation.score }, { session });
  }

  async #assertFrameworksExist(frameworkIds: readonly string[]): Promise<void> {
    const found = await this.#frameworks.shared().distinct("framework_id", trustedFilter({ framework_id: { $in: [...frameworkIds] } }));
    const known = new Set(found.map(String));
    const issues = frameworkIds.flatMap((fid, index) =>
      known.has(fid) ? [] : [{ path: `frameworkIds.${index}`, message: `unknown framework "${fid}"` }],
    );
    if (issues.length > 0) throw new ValidationError(`Unknown frameworks: ${issues.map((i) => i.message).join("; ")}.`, issues);
  }
}
