import { type CacheService, tenantCacheKey, tenantCacheTag } from "@cspm/cache";
import { FindingRollupRepository, ProwlerFindingRepository, ScanRunRepository } from "@cspm/domain";
import { ValidationError } from "@cspm/errors";
import { parseInput, parseTeamId, type RepositoryFactory, type TeamId, stringInput } from "@cspm/repository";
import type { Document } from "mongodb";
import { z } from "zod";
import { cacheKeyDigest } from "./cacheKeyDigest";
import { CentralAccountService, type AccountSummary } from "./centralAccountService";
import {
  buildDashboardSummaryPipeline,
  buildRollupDashboardPipeline,
  rollupsCover,
  shapeDashboardSummary,
  type DashboardScope,
  type DashboardSummary,
} from "./dashboardSummaryPipeline";
import type { Clock } from "./clock";

const DAY_MS = 86_400_000;
/** Days a dashboard covers when no `since` is given (today included). */
export const DEFAULT_WINDOW_DAYS = 30;
/** The longest window a summary may cover. */
export const MAX_WINDOW_DAYS = 366;

/** Options of `getDashboardSummary`. */
export interface DashboardSummaryOptions {
  /** Only these accounts (provider account ids, 1–1,000); all of the team's when absent. */
  readonly accountIds?: readonly string[];
  /** Findings last seen at or after this instant; default: start of the UTC day 29 days ago (a 30-day window). */
  readonly since?: Date | string;
}

/** Options of `getScanActivity`. */
export interface ScanActivityOptions {
  /** Scan runs created at or after this instant; default: a 30-day window like the dashboard. */
  readonly since?: Date | string;
  /** How many recent runs to list, 1–200 (default 20). */
  readonly limit?: number;
}

/** Run counts per lifecycle state. */
export interface RunCounts {
  readonly runs: number;
  readonly pending: number;
  readonly running: number;
  readonly completed: number;
  readonly failed: number;
  readonly cancelled: number;
}

/** Activity of one account, labelled via `CentralAccountService.resolveAccounts`. */
export interface AccountActivityRow extends RunCounts {
  readonly account_id: string;
  /** `null` when the id is no account of the team. */
  readonly name: string | null;
  readonly provider: string | null;
  readonly last_run_at: Date | null;
  /** Findings reported by the account's runs (`stats.findings`). */
  readonly findings: number;
}

/** One recent scan run. */
export interface RecentScanRun {
  readonly id: string;
  readonly account_id: string;
  readonly account_name: string | null;
  readonly provider: string | null;
  readonly scanner: string;
  readonly status: string;
  readonly created_at: Date;
  readonly started_at: Date | null;
  readonly finished_at: Date | null;
  readonly error: string | null;
  readonly findings: number | null;
}

/** What `getScanActivity` returns; well-formed and zero-filled when there are no runs. */
export interface ScanActivity {
  readonly team_id: string;
  readonly generated_at: Date;
  readonly window: { readonly since: Date; readonly until: Date };
  readonly totals: RunCounts;
  readonly by_scanner: readonly (RunCounts & { readonly scanner: string })[];
  readonly by_account: readonly AccountActivityRow[];
  readonly recent_runs: readonly RecentScanRun[];
}

/** Dependencies of `AggregationService` (built by `createServices`). */
export interface AggregationServiceDependencies {
  readonly repositories: RepositoryFactory;
  readonly cache: CacheService;
  readonly clock: Clock;
  /** Resolves account names for data of other databases (one batched query). */
  readonly accounts: CentralAccountService;
  /** TTL of cached summaries; default 60 s. */
  readonly cacheTtlSeconds?: number;
}

const SinceSchema = z
  .union([z.date(), z.iso.datetime({ offset: true }).transform((text) => new Date(text))], {
    error: "must be an ISO-8601 date-time with offset, e.g. 2024-06-01T00:00:00Z",
  })
  .optional();
const AccountIdsSchema = z.array(stringInput().min(1).max(253)).min(1).max(1000).optional();
const DashboardOptionsSchema = z.strictObject({ accountIds: AccountIdsSchema, since: SinceSchema });
const ActivityOptionsSchema = z.strictObject({ since: SinceSchema, limit: z.number().int().min(1).max(200).optional() });

const LIFECYCLE = ["pending", "running", "completed", "failed", "cancelled"] as const;
const ACTIVITY_ACCOUNT_LIMIT = 100;

function startOfUtcDay(date: Date): Date {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
}

const num = (value: unknown): number => (typeof value === "number" && Number.isFinite(value) ? value : 0);
const dateOrNull = (value: unknown): Date | null => (value instanceof Date ? value : null);

function runCountStages(): Document {
  const counts: Document = { runs: { $sum: 1 } };
  for (const status of LIFECYCLE) counts[status] = { $sum: { $cond: [{ $eq: ["$status", status] }, 1, 0] } };
  return counts;
}

function toRunCounts(row: Document | undefined): RunCounts {
  return {
    runs: num(row?.["runs"]),
    pending: num(row?.["pending"]),
    running: num(row?.["running"]),
    completed: num(row?.["completed"]),
    failed: num(row?.["failed"]),
    cancelled: num(row?.["cancelled"]),
  };
}

/**
 * Cross-module read models. `getDashboardSummary` answers the posture dashboard with ONE aggregation on
 * `prowler_findings` (an indexed `$match`, then `$facet`; account names by a same-database `$lookup`), where
 * a naive version needs about ten queries. `getScanActivity` spans databases the allowed way: one
 * aggregation on `cspm_orchestration.scan_runs` plus one batched `resolveAccounts` query on cloud security —
 * never N+1, never a cross-database `$lookup`. Every pipeline runs through a team-scoped repository
 * (`forTeam(teamId).aggregate`), which scopes it to the team and checks it against the registry first. Results are cached per tenant and options. Methods throw `VALIDATION_FAILED`, `CONTRACT_VIOLATION`,
 * `UNAVAILABLE` or `INTERNAL`.
 */
export class AggregationService {
  readonly #findings: ProwlerFindingRepository;
  readonly #rollups: FindingRollupRepository;
  readonly #scanRuns: ScanRunRepository;
  readonly #cache: CacheService;
  readonly #accounts: CentralAccountService;
  readonly #ttlSeconds: number;
  readonly #now: Clock;

  constructor(deps: AggregationServiceDependencies) {
    this.#findings = deps.repositories.get(ProwlerFindingRepository);
    this.#rollups = deps.repositories.get(FindingRollupRepository);
    this.#scanRuns = deps.repositories.get(ScanRunRepository);
    this.#cache = deps.cache;
    this.#accounts = deps.accounts;
    this.#ttlSeconds = deps.cacheTtlSeconds ?? 60;
    this.#now = deps.clock;
  }

  /** The cache tag of a team's cached summaries; `invalidate(teamId)` drops them (e.g. after a findings import). */
  static cacheTag(teamId: string): string {
    return tenantCacheTag(teamId, "aggregations");
  }

  /**
   * The posture dashboard of a team: totals, counts by severity, status, provider, service, region and
   * account (with names), top failing checks, pass rate, per-framework compliance pass rates and a
   * zero-filled daily trend. A window that starts at a UTC midnight (the default) is read from the finding
   * rollups — one indexed read of the team's rollup marks (rebuilding any stale account first) and one
   * aggregation over O(accounts × days) rollup rows, whatever the number of findings; any other `since` is
   * answered by one aggregation over the findings themselves. None when the cache is warm. Unmuted findings
   * only. Empty data gives a zero summary. Throws `VALIDATION_FAILED` (bad team id,
   * account ids, `since` in the future or more than 366 days back), `UNAVAILABLE`, `INTERNAL`.
   */
  async getDashboardSummary(teamId: TeamId, options: DashboardSummaryOptions = {}): Promise<DashboardSummary> {
    const team = parseTeamId(teamId);
    const input = parseInput(DashboardOptionsSchema, options, "");
    const now = this.#now();
    const since = this.#window(input.since, now);
    const accountIds = input.accountIds === undefined ? null : [...new Set(input.accountIds)].sort();
    const scope: DashboardScope = { teamId: team, accountIds, since };
    const key = () => tenantCacheKey(team, "dashboard", cacheKeyDigest({ accountIds, since: since.toISOString() }));
    return this.#cache.wrap(key, this.#cacheOptions(team), async () => {
      if (!rollupsCover(scope)) {
        const [facet] = await this.#findings.forTeam(team).aggregate(buildDashboardSummaryPipeline(scope));
        return shapeDashboardSummary(facet, scope, now);
      }
      await this.#rollups.refresh(team);
      const [facet] = await this.#rollups.forTeam(team).aggregate(buildRollupDashboardPipeline(scope));
      return shapeDashboardSummary(facet, scope, now);
    });
  }

  /**
   * Scan activity of a team: run counts by state, scanner and account, and the most recent runs, with
   * account names. One aggregation on `cspm_orchestration.scan_runs`, then ONE batched query on
   * `cspm_cloud_security.enhanced_cloud_accounts` for every account id it mentions (none if there are no
   * runs). Cached. Throws `VALIDATION_FAILED`, `UNAVAILABLE`, `INTERNAL`.
   */
  async getScanActivity(teamId: TeamId, options: ScanActivityOptions = {}): Promise<ScanActivity> {
    const team = parseTeamId(teamId);
    const input = parseInput(ActivityOptionsSchema, options, "");
    const now = this.#now();
    const since = this.#window(input.since, now);
    const limit = input.limit ?? 20;
    const key = () => tenantCacheKey(team, "scan_activity", cacheKeyDigest({ since: since.toISOString(), limit }));
    return this.#cache.wrap(key, this.#cacheOptions(team), async () => {
      const [facet = {}] = await this.#scanRuns.forTeam(team).aggregate<Document>([
        { $match: { created_at: { $gte: since } } },
        {
          $facet: {
            totals: [{ $group: { _id: null, ...runCountStages() } }],
            by_scanner: [{ $group: { _id: "$scanner", ...runCountStages() } }, { $sort: { runs: -1, _id: 1 } }],
            by_account: [
              {
                $group: {
                  _id: "$account_id",
                  ...runCountStages(),
                  last_run_at: { $max: "$created_at" },
                  findings: { $sum: { $ifNull: ["$stats.findings", 0] } },
                },
              },
              { $sort: { last_run_at: -1, _id: 1 } },
              { $limit: ACTIVITY_ACCOUNT_LIMIT },
            ],
            recent_runs: [
              { $sort: { created_at: -1, _id: -1 } },
              { $limit: limit },
              {
                $project: {
                  account_id: 1,
                  provider: 1,
                  scanner: 1,
                  status: 1,
                  created_at: 1,
                  started_at: 1,
                  finished_at: 1,
                  error: 1,
                  findings: "$stats.findings",
                },
              },
            ],
          },
        },
      ]);
      const byAccount = (facet["by_account"] ?? []) as Document[];
      const recent = (facet["recent_runs"] ?? []) as Document[];
      const ids = [...new Set([...byAccount.map((row) => String(row["_id"])), ...recent.map((run) => String(run["account_id"]))])];
      const accounts: ReadonlyMap<string, AccountSummary> = ids.length === 0 ? new Map() : await this.#accounts.resolveAccounts(team, ids);
      return {
        team_id: team,
        generated_at: now,
        window: { since, until: now },
        totals: toRunCounts(((facet["totals"] ?? []) as Document[])[0]),
        by_scanner: ((facet["by_scanner"] ?? []) as Document[]).map((row) => ({ scanner: String(row["_id"]), ...toRunCounts(row) })),
        by_account: byAccount.map((row) => {
          const account = accounts.get(String(row["_id"]));
          return {
            account_id: String(row["_id"]),
            name: account?.name ?? null,
            provider: account?.provider ?? null,
            ...toRunCounts(row),
            last_run_at: dateOrNull(row["last_run_at"]),
            findings: num(row["findings"]),
          };
        }),
        recent_runs: recent.map((run) => {
          const account = accounts.get(String(run["account_id"]));
          return {
            id: String((run["_id"] as { toHexString?: () => string })?.toHexString?.() ?? run["_id"]),
            account_id: String(run["account_id"]),
            account_name: account?.name ?? null,
            provider: typeof run["provider"] === "string" ? (run["provider"] as string) : (account?.provider ?? null),
            scanner: String(run["scanner"]),
            status: String(run["status"]),
            created_at: run["created_at"] as Date,
            started_at: dateOrNull(run["started_at"]),
            finished_at: dateOrNull(run["finished_at"]),
            error: typeof run["error"] === "string" ? (run["error"] as string) : null,
            findings: typeof run["findings"] === "number" ? (run["findings"] as number) : null,
          };
        }),
      };
    });
  }

  /** Drops the team's cached summaries (call after importing findings or scan runs). Never throws for cache outages. */
  async invalidate(teamId: TeamId): Promise<void> {
    await this.#cache.invalidateTags([AggregationService.cacheTag(parseTeamId(teamId))]);
  }

  #window(since: Date | undefined, now: Date): Date {
    if (since === undefined) return new Date(startOfUtcDay(now).getTime() - (DEFAULT_WINDOW_DAYS - 1) * DAY_MS);
    const issues: string[] = [];
    if (Number.isNaN(since.getTime())) issues.push("must be a valid date");
    else if (since.getTime() > now.getTime()) issues.push("must not be in the future");
    else if (since.getTime() < startOfUtcDay(now).getTime() - (MAX_WINDOW_DAYS - 1) * DAY_MS)
      issues.push(`must be within the last ${MAX_WINDOW_DAYS} days`);
    const problem = issues[0];
    if (problem !== undefined) throw new ValidationError(`Invalid since: ${problem}.`, [{ path: "since", message: problem }]);
    return since;
  }

  #cacheOptions(teamId: string): { ttlSeconds: number; tags: string[] } {
    // Summaries show account names, so account writes (which invalidate the accounts tag) drop them too.
    return { ttlSeconds: this.#ttlSeconds, tags: [AggregationService.cacheTag(teamId), CentralAccountService.cacheTag(teamId)] };
  }
}
