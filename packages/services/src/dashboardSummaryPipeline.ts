import { SEVERITIES, TEAM_ROLLUP_ACCOUNT } from "@cspm/domain";
import type { Document } from "mongodb";

/** The severities of a dashboard, most severe first. */
export const DASHBOARD_SEVERITIES = SEVERITIES;

/** A dashboard severity. */
export type DashboardSeverity = (typeof DASHBOARD_SEVERITIES)[number];

/** How many rows the breakdowns keep (most failing first). */
export const DASHBOARD_LIMITS = Object.freeze({ breakdown: 25, accounts: 100, topChecks: 10, frameworks: 100 });

/** The findings a dashboard covers: one team, optionally some accounts, seen since a time, not muted. */
export interface DashboardScope {
  readonly teamId: string;
  readonly accountIds: readonly string[] | null;
  readonly since: Date;
}

/** Passed/failed/total counts of one slice of the findings. */
export interface StatusCounts {
  readonly total: number;
  readonly passed: number;
  readonly failed: number;
}

/** One row of a breakdown (provider, service, region). */
export interface BreakdownRow extends StatusCounts {
  readonly key: string;
}

/** One account of the dashboard, labelled from `enhanced_cloud_accounts` (same database). */
export interface AccountBreakdownRow extends StatusCounts {
  readonly account_id: string;
  readonly provider: string;
  /** `null` when no account of the team has this id (findings of an unregistered account). */
  readonly name: string | null;
  readonly pass_rate: number;
}

/** A check that fails most often. */
export interface FailingCheckRow {
  readonly check_id: string;
  readonly title: string;
  readonly severity: string;
  /** Failing findings (resources) of the check. */
  readonly failed: number;
  /** Accounts where it fails. */
  readonly accounts: number;
}

/** The pass rate of one compliance framework over the findings mapped to it. */
export interface FrameworkComplianceRow {
  readonly framework: string;
  readonly passed: number;
  readonly failed: number;
  readonly pass_rate: number;
}

/** Findings last seen on one UTC day. */
export interface DailyTrendPoint extends StatusCounts {
  /** `YYYY-MM-DD` (UTC). */
  readonly date: string;
}

/** What `AggregationService.getDashboardSummary` returns; every field is present, zero when there is no data. */
export interface DashboardSummary {
  readonly team_id: string;
  readonly generated_at: Date;
  readonly window: { readonly since: Date; readonly until: Date };
  /** The accounts asked for, or `null` for all of the team's accounts. */
  readonly account_ids: readonly string[] | null;
  readonly totals: {
    readonly findings: number;
    readonly passed: number;
    readonly failed: number;
    readonly manual: number;
    readonly accounts: number;
    readonly checks: number;
  };
  /** `passed / (passed + failed) * 100`, two decimals; 0 when nothing passed or failed. */
  readonly pass_rate: number;
  readonly by_severity: Readonly<Record<DashboardSeverity, StatusCounts>>;
  readonly by_status: { readonly PASS: number; readonly FAIL: number; readonly MANUAL: number };
  readonly by_provider: readonly BreakdownRow[];
  readonly by_service: readonly BreakdownRow[];
  readonly by_region: readonly BreakdownRow[];
  readonly by_account: readonly AccountBreakdownRow[];
  readonly top_failing_checks: readonly FailingCheckRow[];
  readonly compliance: readonly FrameworkComplianceRow[];
  /** One point per UTC day of the window, oldest first, zero-filled. */
  readonly daily_trend: readonly DailyTrendPoint[];
}

const isStatus = (status: string): Document => ({ $eq: ["$status", status] });
const countIf = (condition: Document): Document => ({ $sum: { $cond: [condition, 1, 0] } });
// $dateToString formats in UTC when no timezone is given.
const statusCounts = (): Document => ({ total: { $sum: 1 }, passed: countIf(isStatus("PASS")), failed: countIf(isStatus("FAIL")) });

function breakdown(field: string, limit: number): Document[] {
  return [{ $group: { _id: `$${field}`, ...statusCounts() } }, { $sort: { failed: -1, total: -1, _id: 1 } }, { $limit: limit }];
}

/** The finding fields the dashboard figures read. */
const DASHBOARD_FIELDS: Document = {
  _id: 0,
  account_id: 1,
  provider: 1,
  check_id: 1,
  check_title: 1,
  status: 1,
  severity: 1,
  service_name: 1,
  region: 1,
  "compliance.framework": 1,
  last_seen_at: 1,
};

/**
 * The indexed first stage of every findings aggregation: equality on `muted`, range on `last_seen_at`, then
 * the account filter. The repository merges the scope's `team_id` into it (index `team_muted_last_seen`).
 */
export function findingsMatchStage(scope: DashboardScope): Document {
  const match: Document = { muted: false, last_seen_at: { $gte: scope.since } };
  if (scope.accountIds !== null) match["account_id"] = { $in: [...scope.accountIds] };
  return { $match: match };
}

/**
 * The ONE aggregation behind the dashboard: the indexed `$match`, a `$project` of the fields the figures
 * read, then a `$facet` with every figure. The
 * account names come from `enhanced_cloud_accounts` by a `$lookup` inside the pipeline — allowed, because
 * it is in the same database as `prowler_findings` — which the repository scopes to the team. Run it
 * through `ProwlerFindingRepository.forTeam(teamId).aggregate`.
 */
export function buildDashboardSummaryPipeline(scope: DashboardScope): Document[] {
  return [
    findingsMatchStage(scope),
    // Only what the figures need flows into $facet (long texts such as status_extended stay behind).
    { $project: DASHBOARD_FIELDS },
    {
      $facet: {
        totals: [
          {
            $group: {
              _id: null,
              findings: { $sum: 1 },
              passed: countIf(isStatus("PASS")),
              failed: countIf(isStatus("FAIL")),
              manual: countIf(isStatus("MANUAL")),
            },
          },
        ],
        account_count: [{ $group: { _id: "$account_id" } }, { $count: "n" }],
        check_count: [{ $group: { _id: "$check_id" } }, { $count: "n" }],
        by_severity: [{ $group: { _id: "$severity", ...statusCounts() } }],
        by_provider: breakdown("provider", DASHBOARD_LIMITS.breakdown),
        by_service: breakdown("service_name", DASHBOARD_LIMITS.breakdown),
        by_region: breakdown("region", DASHBOARD_LIMITS.breakdown),
        by_account: [
          { $group: { _id: { account_id: "$account_id", provider: "$provider" }, ...statusCounts() } },
          { $sort: { failed: -1, total: -1, "_id.account_id": 1 } },
          { $limit: DASHBOARD_LIMITS.accounts },
          ACCOUNT_NAME_LOOKUP,
        ],
        top_failing_checks: [
          { $match: { status: "FAIL" } },
          {
            $group: {
              _id: "$check_id",
              title: { $first: "$check_title" },
              severity: { $first: "$severity" },
              failed: { $sum: 1 },
              accounts: { $addToSet: "$account_id" },
            },
          },
          { $sort: { failed: -1, _id: 1 } },
          { $limit: DASHBOARD_LIMITS.topChecks },
          { $project: { title: 1, severity: 1, failed: 1, accounts: { $size: "$accounts" } } },
        ],
        compliance: [
          { $match: { status: { $in: ["PASS", "FAIL"] } } },
          { $unwind: "$compliance" },
          { $group: { _id: "$compliance.framework", passed: countIf(isStatus("PASS")), failed: countIf(isStatus("FAIL")) } },
          { $sort: { _id: 1 } },
          { $limit: DASHBOARD_LIMITS.frameworks },
        ],
        daily_trend: [
          { $group: { _id: { $dateToString: { format: "%Y-%m-%d", date: "$last_seen_at" } }, ...statusCounts() } },
          { $sort: { _id: 1 } },
        ],
      },
    },
  ];
}

/** The accounts' name lookup of `by_account` (same database as findings and rollups). */
const ACCOUNT_NAME_LOOKUP: Document = {
  $lookup: {
    from: "enhanced_cloud_accounts",
    let: { account_id: "$_id.account_id", provider: "$_id.provider" },
    pipeline: [
      { $match: { $expr: { $and: [{ $eq: ["$account_id", "$$account_id"] }, { $eq: ["$provider", "$$provider"] }] } } },
      { $sort: { deleted_at: 1 } },
      { $limit: 1 },
      { $project: { _id: 0, name: 1 } },
    ],
    as: "account",
  },
};

/** True when the dashboard of `scope` can be answered from rollups: its window starts at a UTC midnight. */
export function rollupsCover(scope: DashboardScope): boolean {
  return scope.since.getTime() % 86_400_000 === 0;
}

/** `YYYY-MM-DD` of the first Monday (UTC) on or after the UTC day of `since`. */
export function firstMondayOnOrAfter(since: Date): string {
  const day = new Date(Date.UTC(since.getUTCFullYear(), since.getUTCMonth(), since.getUTCDate()));
  day.setUTCDate(day.getUTCDate() + ((8 - day.getUTCDay()) % 7));
  return day.toISOString().slice(0, 10);
}

/**
 * The dashboard from `finding_rollups` instead of the findings: the same `$facet` figures, summed over the
 * rollup rows of the window's days (`scope.since` must be a UTC midnight, see `rollupsCover`), so it reads
 * O(accounts × days × dimension values) rows whatever the number of findings. Checks, the dimension with the
 * most values, are read per whole week (`check_week` rows) from the window's first Monday on and per day only
 * before it. Run it through `FindingRollupRepository.forTeam(teamId).aggregate` after `refresh`;
 * `shapeDashboardSummary` shapes it.
 */
export function buildRollupDashboardPipeline(scope: DashboardScope): Document[] {
  const sinceDay = scope.since.toISOString().slice(0, 10);
  const firstWeek = firstMondayOnOrAfter(scope.since);
  // All accounts: the team-wide rows and the accounts' `all` rows (`team_view`), whatever the number of
  // accounts; some accounts: their own rows. Check rows by day are left out of either (team-wide ones are not
  // in the team view) and added by `$unionWith` for the days before the first Monday only: the `check_week`
  // rows dated from `since` on are exactly the whole weeks from that Monday.
  const teamWide = scope.accountIds === null;
  const accounts = teamWide ? TEAM_ROLLUP_ACCOUNT : { $in: [...(scope.accountIds as readonly string[])] };
  const match: Document = teamWide
    ? { team_view: true, day: { $gte: sinceDay } }
    : { account_id: accounts, day: { $gte: sinceDay }, dimension: { $ne: "check" } };
  const checkDays: Document[] =
    firstWeek > sinceDay
      ? [
          {
            $unionWith: {
              coll: "finding_rollups",
              pipeline: [{ $match: { account_id: accounts, dimension: "check", day: { $gte: sinceDay, $lt: firstWeek } } }],
            },
          },
        ]
      : [];
  const dimension = (name: string): Document => ({ $match: { dimension: name } });
  const sums: Document = { total: { $sum: "$total" }, passed: { $sum: "$passed" }, failed: { $sum: "$failed" } };
  const rollupBreakdown = (name: string): Document[] => [
    dimension(name),
    { $group: { _id: "$key", ...sums } },
    { $sort: { failed: -1, total: -1, _id: 1 } },
    { $limit: DASHBOARD_LIMITS.breakdown },
  ];
  const checks: Document = { dimension: { $in: ["check", "check_week"] } };
  return [
    { $match: match },
    ...checkDays,
    {
      $facet: {
        totals: [
          dimension("all"),
          {
            $group: {
              _id: null,
              findings: { $sum: "$total" },
              passed: { $sum: "$passed" },
              failed: { $sum: "$failed" },
              manual: { $sum: "$manual" },
            },
          },
        ],
        account_count: [dimension("all"), { $group: { _id: "$account_id" } }, { $count: "n" }],
        check_count: [{ $match: checks }, { $group: { _id: "$key" } }, { $count: "n" }],
        by_severity: [dimension("severity"), { $group: { _id: "$key", ...sums } }],
        by_provider: [
          dimension("all"),
          { $group: { _id: "$provider", ...sums } },
          { $sort: { failed: -1, total: -1, _id: 1 } },
          { $limit: DASHBOARD_LIMITS.breakdown },
        ],
        by_service: rollupBreakdown("service"),
        by_region: rollupBreakdown("region"),
        by_account: [
          dimension("all"),
          { $group: { _id: { account_id: "$account_id", provider: "$provider" }, ...sums } },
          { $sort: { failed: -1, total: -1, "_id.account_id": 1 } },
          { $limit: DASHBOARD_LIMITS.accounts },
          ACCOUNT_NAME_LOOKUP,
        ],
        top_failing_checks: [
          { $match: { ...checks, failed: { $gt: 0 } } },
          {
            $group: {
              _id: "$key",
              title: { $first: "$title" },
              severity: { $first: "$severity" },
              failed: { $sum: "$failed" },
              accounts: teamWide ? { $push: "$failing_accounts" } : { $addToSet: "$account_id" },
            },
          },
          { $sort: { failed: -1, _id: 1 } },
          { $limit: DASHBOARD_LIMITS.topChecks },
          {
            $project: {
              title: 1,
              severity: 1,
              failed: 1,
              accounts: {
                $size: teamWide
                  ? { $reduce: { input: "$accounts", initialValue: [], in: { $setUnion: ["$$value", "$$this"] } } }
                  : "$accounts",
              },
            },
          },
        ],
        compliance: [
          dimension("framework"),
          { $group: { _id: "$key", passed: { $sum: "$passed" }, failed: { $sum: "$failed" } } },
          { $sort: { _id: 1 } },
          { $limit: DASHBOARD_LIMITS.frameworks },
        ],
        daily_trend: [dimension("all"), { $group: { _id: "$day", ...sums } }, { $sort: { _id: 1 } }],
      },
    },
  ];
}

/** Percentage with two decimals; 0 when the denominator is 0. */
export function passRate(passed: number, failed: number): number {
  const evaluated = passed + failed;
  return evaluated === 0 ? 0 : Math.round((passed / evaluated) * 10_000) / 100;
}

const num = (value: unknown): number => (typeof value === "number" && Number.isFinite(value) ? value : 0);
const rows = (value: unknown): Document[] => (Array.isArray(value) ? (value as Document[]) : []);

/** `YYYY-MM-DD` of every UTC day from `since` to `until`, inclusive. */
export function utcDays(since: Date, until: Date): string[] {
  const days: string[] = [];
  const cursor = new Date(Date.UTC(since.getUTCFullYear(), since.getUTCMonth(), since.getUTCDate()));
  while (cursor.getTime() <= until.getTime()) {
    days.push(cursor.toISOString().slice(0, 10));
    cursor.setUTCDate(cursor.getUTCDate() + 1);
  }
  return days;
}

/** Turns the single `$facet` result document (or none) into a complete `DashboardSummary`. */
export function shapeDashboardSummary(facet: Document | undefined, scope: DashboardScope, generatedAt: Date): DashboardSummary {
  const result = facet ?? {};
  const totals = rows(result["totals"])[0] ?? {};
  const passed = num(totals["passed"]);
  const failed = num(totals["failed"]);
  const manual = num(totals["manual"]);

  const bySeverity = Object.fromEntries(DASHBOARD_SEVERITIES.map((s) => [s, { total: 0, passed: 0, failed: 0 }])) as Record<
    DashboardSeverity,
    StatusCounts
  >;
  for (const row of rows(result["by_severity"])) {
    const severity = row["_id"] as DashboardSeverity;
    if (severity in bySeverity) bySeverity[severity] = { total: num(row["total"]), passed: num(row["passed"]), failed: num(row["failed"]) };
  }
  const toBreakdown = (value: unknown): BreakdownRow[] =>
    rows(value).map((row) => ({
      key: String(row["_id"] ?? "unknown"),
      total: num(row["total"]),
      passed: num(row["passed"]),
      failed: num(row["failed"]),
    }));

  const trendByDay = new Map(rows(result["daily_trend"]).map((row) => [String(row["_id"]), row]));
  const dailyTrend = utcDays(scope.since, generatedAt).map((date) => {
    const row = trendByDay.get(date);
    return { date, total: num(row?.["total"]), passed: num(row?.["passed"]), failed: num(row?.["failed"]) };
  });

  return {
    team_id: scope.teamId,
    generated_at: generatedAt,
    window: { since: scope.since, until: generatedAt },
    account_ids: scope.accountIds === null ? null : [...scope.accountIds],
    totals: {
      findings: num(totals["findings"]),
      passed,
      failed,
      manual,
      accounts: num(rows(result["account_count"])[0]?.["n"]),
      checks: num(rows(result["check_count"])[0]?.["n"]),
    },
    pass_rate: passRate(passed, failed),
    by_severity: bySeverity,
    by_status: { PASS: passed, FAIL: failed, MANUAL: manual },
    by_provider: toBreakdown(result["by_provider"]),
    by_service: toBreakdown(result["by_service"]),
    by_region: toBreakdown(result["by_region"]),
    by_account: rows(result["by_account"]).map((row) => {
      const id = (row["_id"] ?? {}) as Document;
      const account = rows(row["account"])[0];
      const p = num(row["passed"]);
      const f = num(row["failed"]);
      return {
        account_id: String(id["account_id"] ?? ""),
        provider: String(id["provider"] ?? ""),
        name: typeof account?.["name"] === "string" ? (account["name"] as string) : null,
        total: num(row["total"]),
        passed: p,
        failed: f,
        pass_rate: passRate(p, f),
      };
    }),
    top_failing_checks: rows(result["top_failing_checks"]).map((row) => ({
      check_id: String(row["_id"]),
      title: String(row["title"] ?? ""),
      severity: String(row["severity"] ?? ""),
      failed: num(row["failed"]),
      accounts: num(row["accounts"]),
    })),
    compliance: rows(result["compliance"]).map((row) => ({
      framework: String(row["_id"]),
      passed: num(row["passed"]),
      failed: num(row["failed"]),
      pass_rate: passRate(num(row["passed"]), num(row["failed"])),
    })),
    daily_trend: dailyTrend,
  };
}
