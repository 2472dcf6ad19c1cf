import { ControlRepository, GlobalAssessmentRepository } from "@cspm/domain";
import { NotFoundError } from "@cspm/errors";
import { ObjectIdHexSchema, parseInput, parseTeamId, type RepositoryFactory, type TeamId } from "@cspm/repository";
import type { ClientSession, Document } from "mongodb";
import { z } from "zod";
import type { Clock } from "./clock";
import type { EvidenceIntegrationService } from "./evidenceIntegrationService";
import type { SourceEvidence } from "./evidencePipelines";

/**
 * Status of one control: `passing` (mapped checks have evidence, none fails), `failing` (a mapped check
 * fails), `no_evidence` (checks are mapped but none was evaluated), `not_assessed` (no check is mapped:
 * needs manual review).
 */
export type ControlStatus = "passing" | "failing" | "no_evidence" | "not_assessed";

/** Evidence of one check as counted for a control. */
export interface CheckEvidence {
  readonly check_id: string;
  readonly passed: number;
  readonly failed: number;
}

/** One evaluated control. */
export interface ControlResult {
  readonly framework_id: string;
  readonly control_id: string;
  readonly title: string;
  readonly status: ControlStatus;
  readonly checks: readonly CheckEvidence[];
}

/** Control counts per status. */
export interface ControlTotals {
  readonly controls: number;
  readonly passing: number;
  readonly failing: number;
  readonly no_evidence: number;
  readonly not_assessed: number;
}

/** What `evaluateControls` returns. */
export interface ControlEvaluation {
  readonly assessment_id: string;
  readonly team_id: string;
  readonly evaluated_at: Date;
  /** `passing / (passing + failing) * 100`, two decimals; 0 when no control could be evaluated. */
  readonly score: number;
  readonly totals: ControlTotals;
  readonly frameworks: readonly (ControlTotals & { readonly framework_id: string; readonly score: number })[];
  readonly controls: readonly ControlResult[];
}

/** Options of `evaluateControls`. */
export interface EvaluateControlsOptions {
  /** Frameworks to evaluate; default: the assessment's `framework_ids`. */
  readonly frameworkIds?: readonly string[];
  /** Evidence already in hand (from `collectComprehensiveEvidence`); default: read the stored evidence. */
  readonly evidence?: readonly SourceEvidence[];
  readonly session?: ClientSession;
}

/** Dependencies of `AssessmentIntegrationService` (built by `createServices`). */
export interface AssessmentIntegrationServiceDependencies {
  readonly repositories: RepositoryFactory;
  /** Reads stored evidence when none is passed in. */
  readonly evidence: EvidenceIntegrationService;
  readonly clock: Clock;
}

const FrameworkIdsSchema = z
  .array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, "must be a framework id"))
  .min(1)
  .max(50)
  .optional();
const MAX_CONTROLS = 10_000;

const num = (value: unknown): number => (typeof value === "number" && Number.isFinite(value) ? value : 0);

/** Passed/failed counts per check id from the evidence: Prowler checks, and Nuclei templates (each match fails). */
export function checkResultsFromEvidence(evidence: readonly SourceEvidence[]): Map<string, CheckEvidence> {
  const results = new Map<string, { passed: number; failed: number }>();
  const add = (checkId: unknown, passed: number, failed: number): void => {
    if (typeof checkId !== "string") return;
    const current = results.get(checkId) ?? { passed: 0, failed: 0 };
    results.set(checkId, { passed: current.passed + passed, failed: current.failed + failed });
  };
  for (const source of evidence) {
    for (const item of source.items) {
      if (source.source === "cloud_security" && item["kind"] === "check") add(item["check_id"], num(item["passed"]), num(item["failed"]));
      if (source.source === "native_scans" && item["kind"] === "nuclei") add(item["template_id"], 0, num(item["matches"]));
    }
  }
  return new Map([...results].map(([checkId, counts]) => [checkId, { check_id: checkId, ...counts }]));
}

function statusOf(
  checkIds: readonly string[],
  results: ReadonlyMap<string, CheckEvidence>,
): { status: ControlStatus; checks: CheckEvidence[] } {
  if (checkIds.length === 0) return { status: "not_assessed", checks: [] };
  const checks = checkIds.flatMap((id) => {
    const result = results.get(id);
    return result === undefined ? [] : [result];
  });
  if (checks.length === 0) return { status: "no_evidence", checks };
  if (checks.some((c) => c.failed > 0)) return { status: "failing", checks };
  if (checks.some((c) => c.passed > 0)) return { status: "passing", checks };
  return { status: "no_evidence", checks };
}

function totalsOf(controls: readonly ControlResult[]): ControlTotals {
  const count = (status: ControlStatus): number => controls.filter((c) => c.status === status).length;
  return {
    controls: controls.length,
    passing: count("passing"),
    failing: count("failing"),
    no_evidence: count("no_evidence"),
    not_assessed: count("not_assessed"),
  };
}

/** The assessment score from control totals: share of evaluated controls that pass, two decimals. */
export function assessmentScore(totals: Pick<ControlTotals, "passing" | "failing">): number {
  const evaluated = totals.passing + totals.failing;
  return evaluated === 0 ? 0 : Math.round((totals.passing / evaluated) * 10_000) / 100;
}

/**
 * Maps collected evidence to the controls of compliance frameworks (`cspm_compliance.controls` with their
 * `control_mappings`, read in one same-database aggregation) and computes each control's status and the
 * assessment score. Throws `VALIDATION_FAILED`, `NOT_FOUND`, `UNAVAILABLE` or `INTERNAL`.
 */
export class AssessmentIntegrationService {
  readonly #assessments: GlobalAssessmentRepository;
  readonly #controls: ControlRepository;
  readonly #evidence: EvidenceIntegrationService;
  readonly #clock: Clock;

  constructor(deps: AssessmentIntegrationServiceDependencies) {
    this.#assessments = deps.repositories.get(GlobalAssessmentRepository);
    this.#controls = deps.repositories.get(ControlRepository);
    this.#evidence = deps.evidence;
    this.#clock = deps.clock;
  }

  /**
   * Evaluates the controls of the assessment's frameworks (or `frameworkIds`) against its evidence (or
   * `evidence`). Reads: the assessment (only when frameworks are not given), the stored evidence (only
   * when not given) and one aggregation for controls + mappings. Throws `VALIDATION_FAILED`, `NOT_FOUND`.
   */
  async evaluateControls(teamId: TeamId, assessmentId: string, options: EvaluateControlsOptions = {}): Promise<ControlEvaluation> {
    const team = parseTeamId(teamId);
    const id = parseInput(ObjectIdHexSchema, assessmentId, "assessmentId").toLowerCase();
    const session = options.session;
    const sessionOption = session === undefined ? {} : { session };
    let frameworkIds = parseInput(FrameworkIdsSchema, options.frameworkIds, "frameworkIds");
    if (frameworkIds === undefined) {
      const assessment = await this.#assessments.forTeam(team).findById(id, sessionOption);
      if (assessment === null) throw new NotFoundError(`No assessment ${id} in this team.`, { details: { id } });
      frameworkIds = assessment.framework_ids;
    }
    const evidence = options.evidence ?? (await this.#evidence.getEvidence(team, id, sessionOption));
    const results = checkResultsFromEvidence(evidence);
    // The catalogue is shared by all teams: the shared scope of the repository runs it (and its join).
    const controls = await this.#controls.shared().aggregate(
      [
        { $match: { framework_id: { $in: [...frameworkIds] } } },
        { $sort: { framework_id: 1, control_id: 1 } },
        { $limit: MAX_CONTROLS },
        {
          $lookup: {
            from: "control_mappings",
            let: { framework_id: "$framework_id", control_id: "$control_id" },
            pipeline: [
              { $match: { $expr: { $and: [{ $eq: ["$framework_id", "$$framework_id"] }, { $eq: ["$control_id", "$$control_id"] }] } } },
              { $project: { _id: 0, check_id: 1 } },
            ],
            as: "mappings",
          },
        },
        { $project: { _id: 0, framework_id: 1, control_id: 1, title: 1, checks: "$mappings.check_id" } },
      ],
      { batchSize: MAX_CONTROLS, ...sessionOption },
    );
    const evaluated: ControlResult[] = controls.map((control: Document) => {
      const checkIds = Array.isArray(control["checks"]) ? [...new Set(control["checks"] as string[])].sort() : [];
      return {
        framework_id: String(control["framework_id"]),
        control_id: String(control["control_id"]),
        title: String(control["title"] ?? ""),
        ...statusOf(checkIds, results),
      };
    });
    const totals = totalsOf(evaluated);
    return {
      assessment_id: id,
      team_id: team,
      evaluated_at: this.#clock(),
      score: assessmentScore(totals),
      totals,
      frameworks: frameworkIds.map((frameworkId) => {
        const frameworkTotals = totalsOf(evaluated.filter((c) => c.framework_id === frameworkId));
        return { framework_id: frameworkId, ...frameworkTotals, score: assessmentScore(frameworkTotals) };
      }),
      controls: evaluated,
    };
  }
}
