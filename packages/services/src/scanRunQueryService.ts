import {
  ProwlerFindingRepository,
  SEVERITIES,
  type ScanRunDocument,
  ScanRunRepository,
  type SeverityCounts,
  emptySeverityCounts,
} from "@cspm/domain";
import { NotFoundError } from "@cspm/errors";
import { parseInput, parseTeamId, type RepositoryFactory, type TeamId, toObjectId } from "@cspm/repository";
import type { Document } from "mongodb";
import { PageRequestSchema } from "./pageRequestSchema";

/** Dependencies of `ScanRunQueryService` (built by `createServices`). */
export interface ScanRunQueryServiceDependencies {
  readonly repositories: RepositoryFactory;
}

/** A keyset page request. */
export interface PageRequest {
  /** Items per page, 1–200 (default 50). */
  readonly limit?: number;
  /** `next_cursor` of the page before; absent or null for the first page. */
  readonly cursor?: string | null;
}

/** The lifecycle counts a finished run recorded (`stats.lifecycle`). */
export interface ScanRunLifecycle {
  readonly inserted: number;
  readonly changed: number;
  readonly unchanged: number;
  readonly resolved: number;
  readonly reopened: number;
}

/** One scan run as listed. */
export interface ScanRunView {
  readonly id: string;
  readonly account_id: string;
  readonly provider: string | null;
  readonly scanner: string;
  readonly status: string;
  readonly created_at: Date;
  readonly started_at: Date | null;
  readonly finished_at: Date | null;
  readonly error: string | null;
  /** Findings written, passed and failed (`stats`), `null` until the run finished. */
  readonly findings: number | null;
  readonly passed: number | null;
  readonly failed: number | null;
  /** Whether the run was complete and full (its sweep resolved what it did not see). */
  readonly full: boolean;
  /** `null` for runs without lifecycle counts (not finished, or not a findings scanner). */
  readonly lifecycle: ScanRunLifecycle | null;
}

/** One page of runs, newest first. */
export interface ScanRunPage {
  readonly items: readonly ScanRunView[];
  readonly next_cursor: string | null;
}

/** One run with what its findings look like now. */
export interface ScanRunDetail extends ScanRunView {
  /**
   * The findings this run was the last to see (their `scan_id` is the run), by severity: `failing` only
   * FAIL ones, `total` all statuses; muted findings left out. Zero for runs later runs have superseded.
   */
  readonly current_findings: { readonly total: SeverityCounts; readonly failing: SeverityCounts };
  /** Findings this run's sweep resolved that are still resolved, by severity (unmuted). */
  readonly resolved_by_severity: SeverityCounts;
}

const num = (value: unknown): number | null => (typeof value === "number" && Number.isFinite(value) ? value : null);
const dateOrNull = (value: unknown): Date | null => (value instanceof Date ? value : null);

function toView(run: ScanRunDocument): ScanRunView {
  const stats = run.stats;
  return {
    id: run._id.toHexString(),
    account_id: run.account_id,
    provider: run.provider ?? null,
    scanner: run.scanner,
    status: run.status,
    created_at: run.created_at,
    started_at: dateOrNull(run.started_at),
    finished_at: dateOrNull(run.finished_at),
    error: typeof run.error === "string" ? run.error : null,
    findings: num(stats?.findings),
    passed: num(stats?.passed),
    failed: num(stats?.failed),
    full: stats?.full === true,
    lifecycle: stats?.lifecycle === undefined ? null : { ...stats.lifecycle },
  };
}

/**
 * Read model of scan runs (`cspm_orchestration.scan_runs`): keyset pages newest first (index `team_created`)
 * and one run with its lifecycle counts, plus — from `cspm_cloud_security.prowler_findings`, one aggregation
 * on index `team_scan` / `team_resolved_by_scan` — its findings by severity. Everything through team-scoped
 * repositories. Methods throw `VALIDATION_FAILED`, `NOT_FOUND`, `UNAVAILABLE`, `INTERNAL`.
 */
export class ScanRunQueryService {
  readonly #runs: ScanRunRepository;
  readonly #findings: ProwlerFindingRepository;

  constructor(deps: ScanRunQueryServiceDependencies) {
    this.#runs = deps.repositories.get(ScanRunRepository);
    this.#findings = deps.repositories.get(ProwlerFindingRepository);
  }

  /**
   * One keyset page of the team's runs, newest first (`created_at`, then id), stable under concurrent inserts.
   * Throws `VALIDATION_FAILED` (bad limit or cursor), `UNAVAILABLE`, `INTERNAL`.
   */
  async listScanRuns(teamId: TeamId, page: PageRequest = {}): Promise<ScanRunPage> {
    const team = parseTeamId(teamId);
    const input = parseInput(PageRequestSchema, page, "");
    const result = await this.#runs.forTeam(team).paginate({
      sort: { field: "created_at", direction: "desc" },
      limit: input.limit ?? 50,
      cursor: input.cursor ?? null,
    });
    return { items: result.items.map(toView), next_cursor: result.nextCursor };
  }

  /**
   * One run of the team with its counts: the lifecycle counts it recorded (inserted, changed, unchanged,
   * resolved, reopened) and its findings by severity now. `NOT_FOUND` for an id of no run of this team.
   * Throws `VALIDATION_FAILED` (not a 24-hex id), `NOT_FOUND`, `UNAVAILABLE`, `INTERNAL`.
   */
  async getScanRun(teamId: TeamId, id: string): Promise<ScanRunDetail> {
    const team = parseTeamId(teamId);
    const _id = toObjectId(id, "id");
    const run = await this.#runs.forTeam(team).findById(_id);
    if (run === null) throw new NotFoundError(`No scan run ${_id.toHexString()} in this team.`, { details: { id: _id.toHexString() } });
    const runId = _id.toHexString();
    const rows = await this.#findings.forTeam(team).aggregate<Document>([
      { $match: { $or: [{ scan_id: runId }, { resolved_by_scan: runId }], muted: false } },
      {
        $group: {
          _id: {
            severity: "$severity",
            resolved: { $eq: ["$resolved_by_scan", runId] },
            // A finding resolved later still names the run that last saw it: not current.
            current: { $and: [{ $eq: ["$scan_id", runId] }, { $ne: [{ $type: "$resolved_at" }, "date"] }] },
          },
          total: { $sum: 1 },
          failing: { $sum: { $cond: [{ $eq: ["$status", "FAIL"] }, 1, 0] } },
        },
      },
    ]);
    const total = emptySeverityCounts();
    const failing = emptySeverityCounts();
    const resolved = emptySeverityCounts();
    for (const row of rows) {
      const key = (row["_id"] ?? {}) as Document;
      const severity = key["severity"] as (typeof SEVERITIES)[number];
      if (!SEVERITIES.includes(severity)) continue;
      if (key["resolved"] === true) resolved[severity] += num(row["total"]) ?? 0;
      else if (key["current"] === true) {
        total[severity] += num(row["total"]) ?? 0;
        failing[severity] += num(row["failing"]) ?? 0;
      }
    }
    return { ...toView(run), current_findings: { total, failing }, resolved_by_severity: resolved };
  }
}
