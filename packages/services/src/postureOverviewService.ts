import {
  FINDING_PROVIDERS,
  FindingRollupRepository,
  TEAM_ROLLUP_ACCOUNT,
  SEVERITIES,
  type Severity,
  type SeverityCounts,
  emptySeverityCounts,
} from "@cspm/domain";
import { parseInput, parseTeamId, type RepositoryFactory, stringInput, type TeamId } from "@cspm/repository";
import type { Document } from "mongodb";
import { z } from "zod";
import type { Clock } from "./clock";

const DAY_MS = 86_400_000;
/** Days a trend covers when `days` is not given (today included). */
export const DEFAULT_TREND_DAYS = 30;
/** The longest trend, in days. */
export const MAX_TREND_DAYS = 365;

/** Dependencies of `PostureOverviewService` (built by `createServices`). */
export interface PostureOverviewServiceDependencies {
  readonly repositories: RepositoryFactory;
  readonly clock: Clock;
}

/** Which findings a service or region overview covers; every field optional. */
export interface PostureFilter {
  /** Only findings of this provider (`aws`, `azure` …). */
  readonly provider?: string;
  /** Only findings of these provider account ids (1–1,000). */
  readonly accountIds?: readonly string[];
}

/** Options of the trends. */
export interface TrendOptions {
  /** Days covered, today included: 1–365, default 30. */
  readonly days?: number;
}

/** Pass/fail/manual counts of a slice of the team's current findings, with the failing ones by severity. */
export interface PostureCounts {
  readonly total: number;
  readonly pass: number;
  readonly fail: number;
  readonly manual: number;
  /** `pass / (pass + fail) * 100`, two decimals; 0 when nothing passed or failed. */
  readonly pass_rate: number;
  readonly failing_by_severity: SeverityCounts;
}

/** One account of a provider. */
export interface AccountPostureRow extends PostureCounts {
  readonly account_id: string;
}

/** One provider with its accounts (most failing first). */
export interface ProviderPostureRow extends PostureCounts {
  readonly provider: string;
  readonly accounts: readonly AccountPostureRow[];
}

/** What `getProviderOverview` returns. */
export interface ProviderOverview {
  readonly team_id: string;
  readonly generated_at: Date;
  readonly totals: PostureCounts;
  readonly providers: readonly ProviderPostureRow[];
}

/** One service (or region) of one provider. */
export interface GroupPostureRow extends PostureCounts {
  readonly provider: string;
  readonly key: string;
}

/** What `getServiceOverview` / `getRegionOverview` return: rows most failing first. */
export interface GroupOverview {
  readonly team_id: string;
  readonly generated_at: Date;
  readonly filter: { readonly provider: string | null; readonly account_ids: readonly string[] | null };
  readonly totals: PostureCounts;
  readonly rows: readonly GroupPostureRow[];
}

/** Open failing findings of one UTC day, by severity. */
export interface SeverityTrendPoint extends SeverityCounts {
  /** `YYYY-MM-DD` (UTC). */
  readonly date: string;
  readonly total: number;
}

/** What `getSeverityTrend` returns: one point per day, oldest first, zero-filled. */
export interface SeverityTrend {
  readonly team_id: string;
  readonly generated_at: Date;
  readonly days: number;
  readonly since: Date;
  readonly points: readonly SeverityTrendPoint[];
}

/** New and resolved findings of one UTC day. */
export interface FindingsTrendPoint {
  readonly date: string;
  /** Findings first seen that day (any status). */
  readonly new: number;
  /** Of those, the ones failing now. */
  readonly new_failing: number;
  /** Findings resolved that day (a complete, full scan no longer saw them). */
  readonly resolved: number;
}

/** What `getFindingsTrend` returns: one point per day, oldest first, zero-filled. */
export interface FindingsTrend {
  readonly team_id: string;
  readonly generated_at: Date;
  readonly days: number;
  readonly since: Date;
  readonly totals: { readonly new: number; readonly new_failing: number; readonly resolved: number };
  readonly points: readonly FindingsTrendPoint[];
}

const PostureFilterSchema = z.strictObject({
  provider: z.enum(FINDING_PROVIDERS, { error: `must be one of ${FINDING_PROVIDERS.join(", ")}` }).optional(),
  accountIds: z.array(stringInput().min(1).max(253)).min(1, "must name at least one account").max(1000).optional(),
});
const TrendOptionsSchema = z.strictObject({
  days: z
    .number({ error: `must be an integer from 1 to ${MAX_TREND_DAYS}` })
    .int(`must be an integer from 1 to ${MAX_TREND_DAYS}`)
    .min(1, `must be an integer from 1 to ${MAX_TREND_DAYS}`)
    .max(MAX_TREND_DAYS, `must be an integer from 1 to ${MAX_TREND_DAYS}`)
    .optional(),
});

const num = (value: unknown): number => (typeof value === "number" && Number.isFinite(value) ? value : 0);

/** Percentage with two decimals; 0 when the denominator is 0. */
function passRate(pass: number, fail: number): number {
  return pass + fail === 0 ? 0 : Math.round((pass / (pass + fail)) * 10_000) / 100;
}

function startOfUtcDay(date: Date): Date {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
}

/** `YYYY-MM-DD` of the `days` UTC days ending today. */
function trendDays(now: Date, days: number): string[] {
  const start = startOfUtcDay(now).getTime() - (days - 1) * DAY_MS;
  return Array.from({ length: days }, (_, i) => new Date(start + i * DAY_MS).toISOString().slice(0, 10));
}

/** The `$group` accumulators of `PostureCounts`. */
/** Pass/fail/manual counts and failing by severity, summed over finding rollup rows (the names `toCounts` reads). */
function rollupSums(): Document {
  const sums: Document = { total: { $sum: "$total" }, pass: { $sum: "$passed" }, fail: { $sum: "$failed" }, manual: { $sum: "$manual" } };
  for (const severity of SEVERITIES) sums[`fail_${severity}`] = { $sum: `$failed_${severity}` };
  return sums;
}

function toCounts(row: Document | undefined): PostureCounts {
  const failing = emptySeverityCounts();
  for (const severity of SEVERITIES) failing[severity] = num(row?.[`fail_${severity}`]);
  const pass = num(row?.["pass"]);
  const fail = num(row?.["fail"]);
  return {
    total: num(row?.["total"]),
    pass,
    fail,
    manual: num(row?.["manual"]),
    pass_rate: passRate(pass, fail),
    failing_by_severity: failing,
  };
}

const byFailing = (a: PostureCounts & { sortKey: string }, b: PostureCounts & { sortKey: string }): number =>
  b.fail - a.fail || b.total - a.total || a.sortKey.localeCompare(b.sortKey);

/**
 * The team's current posture through team-scoped repositories. "Current" means unmuted (`muted: false`) and
 * not resolved (`resolved_at` absent). The provider, service and region overviews read the open rows of
 * `finding_rollups` (after `FindingRollupRepository.refresh`), so they cost O(accounts × days × values)
 * whatever the number of findings; the trends read its team-wide `first_seen` and `resolved` rows (O(days)).
 * Methods throw `VALIDATION_FAILED` (bad team id or options, with field paths), `UNAVAILABLE`, `INTERNAL`.
 */
export class PostureOverviewService {
  readonly #rollups: FindingRollupRepository;
  readonly #now: Clock;

  constructor(deps: PostureOverviewServiceDependencies) {
    this.#rollups = deps.repositories.get(FindingRollupRepository);
    this.#now = deps.clock;
  }

  /**
   * Per provider, and per account within it: pass/fail/manual counts and failing findings by severity, most
   * failing first, with team totals. Muted and resolved findings are left out. Throws `VALIDATION_FAILED`,
   * `UNAVAILABLE`, `INTERNAL`.
   */
  async getProviderOverview(teamId: TeamId): Promise<ProviderOverview> {
    const team = parseTeamId(teamId);
    const now = this.#now();
    await this.#rollups.refresh(team);
    const rows = await this.#rollups
      .forTeam(team)
      .aggregate<Document>([
        { $match: { open: true, dimension: "all" } },
        { $group: { _id: { provider: "$provider", account_id: "$account_id" }, ...rollupSums() } },
      ]);
    const providers = new Map<string, Document[]>();
    for (const row of rows) {
      const provider = String((row["_id"] as Document)?.["provider"] ?? "unknown");
      providers.set(provider, [...(providers.get(provider) ?? []), row]);
    }
    const providerRows = [...providers].map(([provider, accountRows]) => {
      const accounts = accountRows
        .map((row) => ({ account_id: String((row["_id"] as Document)?.["account_id"] ?? ""), ...toCounts(row) }))
        .map((row) => ({ ...row, sortKey: row.account_id }))
        .sort(byFailing)
        .map(({ sortKey: _, ...row }) => row);
      return { provider, ...sumCounts(accounts), accounts, sortKey: provider };
    });
    providerRows.sort(byFailing);
    return {
      team_id: team,
      generated_at: now,
      totals: sumCounts(providerRows),
      providers: providerRows.map(({ sortKey: _, ...row }) => row),
    };
  }

  /**
   * Per provider and service (`service_name`): pass/fail/manual counts and failing by severity, most failing
   * first, optionally for one provider and some accounts. Throws `VALIDATION_FAILED`, `UNAVAILABLE`, `INTERNAL`.
   */
  async getServiceOverview(teamId: TeamId, filter: PostureFilter = {}): Promise<GroupOverview> {
    return this.#groupOverview(teamId, filter, "service");
  }

  /**
   * Per provider and region: pass/fail/manual counts and failing by severity, most failing first, optionally
   * for one provider and some accounts. Throws `VALIDATION_FAILED`, `UNAVAILABLE`, `INTERNAL`.
   */
  async getRegionOverview(teamId: TeamId, filter: PostureFilter = {}): Promise<GroupOverview> {
    return this.#groupOverview(teamId, filter, "region");
  }

  /**
   * Open failing findings by severity at the end of each UTC day of the last `days` days (default 30, at most
   * 365; today is counted as of now), zero-filled, oldest first. A finding counts on a day when it was first
   * seen by then, fails now, is unmuted and was not resolved by the end of that day. Read from the team-wide
   * `first_seen` and `resolved` rollup rows up to today (O(days of history), whatever the number of findings).
   * Throws `VALIDATION_FAILED` (`days`), `UNAVAILABLE`, `INTERNAL`.
   */
  async getSeverityTrend(teamId: TeamId, options: TrendOptions = {}): Promise<SeverityTrend> {
    const team = parseTeamId(teamId);
    const input = parseInput(TrendOptionsSchema, options, "");
    const days = input.days ?? DEFAULT_TREND_DAYS;
    const now = this.#now();
    const labels = trendDays(now, days);
    const first = labels[0] as string;
    const since = new Date(`${first}T00:00:00.000Z`);
    // Open failing on day D = failing first seen by D - failing resolved by D (a resolution is never dated
    // before its finding's first sighting); everything before the window is summed into one bucket.
    const sums: Document = {};
    for (const severity of SEVERITIES) sums[severity] = { $sum: `$failed_${severity}` };
    const buckets = await this.#trendRows(team, labels, { $cond: [{ $lt: ["$day", first] }, "", "$day"] }, sums, "");
    const open = emptySeverityCounts();
    const step = (day: string): void => {
      const added = buckets.get(`first_seen\u0000${day}`);
      const removed = buckets.get(`resolved\u0000${day}`);
      for (const severity of SEVERITIES) open[severity] += num(added?.[severity]) - num(removed?.[severity]);
    };
    step("");
    const points = labels.map((date) => {
      step(date);
      const counts = { ...open };
      return { date, ...counts, total: SEVERITIES.reduce((sum, s) => sum + counts[s], 0) };
    });
    return { team_id: team, generated_at: now, days, since, points };
  }

  /**
   * New findings (first seen) and resolved findings per UTC day of the last `days` days (default 30, at most
   * 365), zero-filled, oldest first; unmuted only. A resolution dated before the finding's first sighting (a
   * scan imported out of order) counts on the day of the first sighting. Read from the team-wide `first_seen`
   * and `resolved` rows of the finding rollups (O(days) rows). Throws `VALIDATION_FAILED` (`days`),
   * `UNAVAILABLE`, `INTERNAL`.
   */
  async getFindingsTrend(teamId: TeamId, options: TrendOptions = {}): Promise<FindingsTrend> {
    const team = parseTeamId(teamId);
    const input = parseInput(TrendOptionsSchema, options, "");
    const days = input.days ?? DEFAULT_TREND_DAYS;
    const now = this.#now();
    const labels = trendDays(now, days);
    const since = new Date(`${labels[0]}T00:00:00.000Z`);
    const buckets = await this.#trendRows(
      team,
      labels,
      "$day",
      { total: { $sum: "$total" }, failed: { $sum: "$failed" } },
      labels[0] as string,
    );
    const points = labels.map((date) => {
      const sighted = buckets.get(`first_seen\u0000${date}`);
      return {
        date,
        new: num(sighted?.["total"]),
        new_failing: num(sighted?.["failed"]),
        resolved: num(buckets.get(`resolved\u0000${date}`)?.["total"]),
      };
    });
    const totals = {
      new: points.reduce((sum, p) => sum + p.new, 0),
      new_failing: points.reduce((sum, p) => sum + p.new_failing, 0),
      resolved: points.reduce((sum, p) => sum + p.resolved, 0),
    };
    return { team_id: team, generated_at: now, days, since, totals, points };
  }

  /**
   * The team-wide `first_seen` and `resolved` rollup rows from `from` to the last of `labels`, summed by
   * dimension and `bucket` (an expression of `$day`), keyed `dimension\0bucket`. Refreshes stale rollups first.
   */
  async #trendRows(team: string, labels: readonly string[], bucket: unknown, sums: Document, from: string): Promise<Map<string, Document>> {
    await this.#rollups.refresh(team);
    const rows = await this.#rollups.forTeam(team).aggregate<Document>([
      {
        $match: {
          account_id: TEAM_ROLLUP_ACCOUNT,
          dimension: { $in: ["first_seen", "resolved"] },
          day: { $gte: from, $lte: labels.at(-1) ?? from },
        },
      },
      { $group: { _id: { dimension: "$dimension", bucket }, ...sums } },
    ]);
    const out = new Map<string, Document>();
    for (const row of rows) {
      const id = (row["_id"] ?? {}) as Document;
      out.set(`${String(id["dimension"])}\u0000${String(id["bucket"])}`, row);
    }
    return out;
  }

  async #groupOverview(teamId: TeamId, filter: PostureFilter, dimension: "service" | "region"): Promise<GroupOverview> {
    const team = parseTeamId(teamId);
    const input = parseInput(PostureFilterSchema, filter, "");
    const now = this.#now();
    const accountIds = input.accountIds === undefined ? null : [...new Set(input.accountIds)].sort();
    // All accounts: the team-wide rows; some accounts: theirs.
    const match: Document = { account_id: accountIds === null ? TEAM_ROLLUP_ACCOUNT : { $in: accountIds }, open: true, dimension };
    if (input.provider !== undefined) match["provider"] = input.provider;
    await this.#rollups.refresh(team);
    const rows = await this.#rollups
      .forTeam(team)
      .aggregate<Document>([{ $match: match }, { $group: { _id: { provider: "$provider", key: "$key" }, ...rollupSums() } }]);
    const shaped = rows
      .map((row) => {
        const id = (row["_id"] ?? {}) as Document;
        const provider = String(id["provider"] ?? "unknown");
        const key = String(id["key"] ?? "unknown");
        return { provider, key, ...toCounts(row), sortKey: `${provider}\u0000${key}` };
      })
      .sort(byFailing);
    return {
      team_id: team,
      generated_at: now,
      filter: { provider: input.provider ?? null, account_ids: accountIds },
      totals: sumCounts(shaped),
      rows: shaped.map(({ sortKey: _, ...row }) => row),
    };
  }
}

function sumCounts(rows: readonly PostureCounts[]): PostureCounts {
  const failing = emptySeverityCounts();
  let total = 0;
  let pass = 0;
  let fail = 0;
  let manual = 0;
  for (const row of rows) {
    total += row.total;
    pass += row.pass;
    fail += row.fail;
    manual += row.manual;
    for (const severity of SEVERITIES) failing[severity] += row.failing_by_severity[severity];
  }
  return { total, pass, fail, manual, pass_rate: passRate(pass, fail), failing_by_severity: failing };
}
