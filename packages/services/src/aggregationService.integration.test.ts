import { parseTeamId, type TeamId } from "@cspm/repository";
import { FindingRollupRepository } from "@cspm/domain";
import { isCspmError } from "@cspm/errors";
import type { Document } from "mongodb";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { findingDoc, scanRunDoc } from "@cspm/test-fixtures";
import { openServicesTestbed, type ServicesTestbed } from "./testing/servicesTestbed";

const NOW = new Date("2024-06-15T12:00:00.000Z");
const DAY = 86_400_000;
const daysAgo = (n: number): Date => new Date(NOW.getTime() - n * DAY);

let bed: ServicesTestbed;
let prodId: string;

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return isCspmError(error) ? error.code : `raw:${String(error)}`;
  }
  return "resolved";
}

// Team A, account 111111111111 ("Prod"): 2 critical IAM failures, 1 high S3 failure, 2 S3 passes, 1 manual.
// Team A, account 222222222222 ("Staging", eu-west-1): 2 medium EC2 passes, 1 high EC2 failure.
// Excluded: a muted failure, a finding last seen 60 days ago, and everything of team B.
const teamAFindings: Document[] = [
  findingDoc("team_a", { check_id: "iam_root_mfa_enabled", status: "FAIL", severity: "critical", last_seen_at: daysAgo(0) }),
  findingDoc("team_a", { check_id: "iam_root_mfa_enabled", status: "FAIL", severity: "critical", last_seen_at: daysAgo(1) }),
  findingDoc("team_a", {
    check_id: "s3_bucket_public_access",
    check_title: "S3 bucket is not public",
    service_name: "s3",
    status: "FAIL",
    severity: "high",
    compliance: [
      { framework: "CIS-2.0", controls: ["2.1.5"] },
      { framework: "SOC2", controls: ["CC6.1"] },
    ],
    last_seen_at: daysAgo(1),
  }),
  ...[0, 3].map((d) =>
    findingDoc("team_a", {
      check_id: "s3_bucket_public_access",
      check_title: "S3 bucket is not public",
      service_name: "s3",
      status: "PASS",
      severity: "high",
      compliance: [
        { framework: "CIS-2.0", controls: ["2.1.5"] },
        { framework: "SOC2", controls: ["CC6.1"] },
      ],
      last_seen_at: daysAgo(d),
    }),
  ),
  findingDoc("team_a", {
    check_id: "ec2_manual_review",
    service_name: "ec2",
    status: "MANUAL",
    severity: "low",
    compliance: [],
    last_seen_at: daysAgo(3),
  }),
  ...[0, 1].map((d) =>
    findingDoc("team_a", {
      account_id: "222222222222",
      check_id: "ec2_ebs_encryption",
      check_title: "EBS volumes are encrypted",
      service_name: "ec2",
      region: "eu-west-1",
      status: "PASS",
      severity: "medium",
      compliance: [{ framework: "SOC2", controls: ["CC6.7"] }],
      last_seen_at: daysAgo(d),
    }),
  ),
  findingDoc("team_a", {
    account_id: "222222222222",
    check_id: "ec2_imdsv2",
    check_title: "IMDSv2 is required",
    service_name: "ec2",
    region: "eu-west-1",
    status: "FAIL",
    severity: "high",
    compliance: [],
    last_seen_at: daysAgo(0),
  }),
];
const excludedFindings: Document[] = [
  findingDoc("team_a", { check_id: "muted_check", status: "FAIL", severity: "critical", muted: true, last_seen_at: daysAgo(0) }),
  findingDoc("team_a", { check_id: "old_check", status: "FAIL", severity: "critical", last_seen_at: daysAgo(60) }),
  ...Array.from({ length: 4 }, () => findingDoc("team_b", { status: "FAIL", severity: "critical", last_seen_at: daysAgo(0) })),
];

beforeAll(async () => {
  bed = await openServicesTestbed({ now: NOW, label: "agg" });
  prodId = (await bed.accounts.registerAccount(parseTeamId("team_a"), { provider: "aws", accountId: "111111111111", name: "Prod" })).id;
  await bed.accounts.registerAccount(parseTeamId("team_a"), { provider: "aws", accountId: "222222222222", name: "Staging" });
  // Team B owns the same AWS account id under another name: names must never cross tenants.
  await bed.accounts.registerAccount(parseTeamId("team_b"), { provider: "aws", accountId: "111111111111", name: "B-Prod" });
  await bed.seed("CLOUD_SECURITY", "prowler_findings", [...teamAFindings, ...excludedFindings]);
  await bed.seed("ORCHESTRATION", "scan_runs", [
    scanRunDoc("team_a", { account_id: "111111111111", status: "completed", created_at: daysAgo(5) }),
    scanRunDoc("team_a", { account_id: "111111111111", status: "completed", created_at: daysAgo(2) }),
    scanRunDoc("team_a", { account_id: "111111111111", status: "failed", error: "AccessDenied", stats: undefined, created_at: daysAgo(1) }),
    scanRunDoc("team_a", {
      account_id: "222222222222",
      scanner: "nuclei",
      status: "running",
      stats: undefined,
      finished_at: undefined,
      created_at: daysAgo(0),
    }),
    scanRunDoc("team_a", { account_id: "222222222222", status: "completed", created_at: daysAgo(3) }),
    scanRunDoc("team_a", {
      account_id: "333333333333",
      status: "pending",
      stats: undefined,
      started_at: undefined,
      finished_at: undefined,
      created_at: daysAgo(4),
    }),
    scanRunDoc("team_a", { account_id: "111111111111", status: "completed", created_at: daysAgo(90) }),
    scanRunDoc("team_b", { account_id: "111111111111", status: "failed", created_at: daysAgo(1) }),
  ]);
  // The seed went around the finding repository; rebuild the rollups it marked stale.
  for (const team of ["team_a", "team_b"]) await bed.repositories.get(FindingRollupRepository).refresh(team);
});

afterAll(async () => {
  await bed?.close();
});

beforeEach(async () => {
  await bed.aggregation.invalidate(parseTeamId("team_a"));
  await bed.accounts.invalidate(parseTeamId("team_a"));
  bed.monitor.reset();
});

describe("AggregationService.getDashboardSummary", () => {
  it("answers from the rollups with two MongoDB commands when the cache is cold, and none when warm", async () => {
    const cold = await bed.monitor.measure(() => bed.aggregation.getDashboardSummary(parseTeamId("team_a")));
    expect(cold.commands.map((c) => [c.name, c.database, c.collection])).toEqual([
      ["find", bed.manager.databaseName("CLOUD_SECURITY"), "finding_rollup_marks"],
      ["aggregate", bed.manager.databaseName("CLOUD_SECURITY"), "finding_rollups"],
    ]);
    const warm = await bed.monitor.measure(() => bed.aggregation.getDashboardSummary(parseTeamId("team_a")));
    expect(warm.commands).toHaveLength(0);
    expect(warm.result).toEqual(cold.result);
  });

  it("answers a window that does not start at a UTC midnight with one aggregation over the findings", async () => {
    const since = new Date(daysAgo(3).getTime() + 3_600_000);
    const cold = await bed.monitor.measure(() => bed.aggregation.getDashboardSummary(parseTeamId("team_a"), { since }));
    expect(cold.commands.map((c) => [c.name, c.collection])).toEqual([["aggregate", "prowler_findings"]]);
    expect(cold.result.window.since).toEqual(since);
  });

  it("computes every figure of the team's unmuted findings in the window", async () => {
    const summary = await bed.aggregation.getDashboardSummary(parseTeamId("team_a"));
    expect(summary.team_id).toBe("team_a");
    expect(summary.window.since.toISOString()).toBe("2024-05-17T00:00:00.000Z");
    expect(summary.totals).toEqual({ findings: 9, passed: 4, failed: 4, manual: 1, accounts: 2, checks: 5 });
    expect(summary.by_status).toEqual({ PASS: 4, FAIL: 4, MANUAL: 1 });
    expect(summary.pass_rate).toBe(50);
    expect(summary.by_severity).toEqual({
      critical: { total: 2, passed: 0, failed: 2 },
      high: { total: 4, passed: 2, failed: 2 },
      medium: { total: 2, passed: 2, failed: 0 },
      low: { total: 1, passed: 0, failed: 0 },
      informational: { total: 0, passed: 0, failed: 0 },
    });
    expect(summary.by_provider).toEqual([{ key: "aws", total: 9, passed: 4, failed: 4 }]);
    expect(summary.by_service).toEqual([
      { key: "iam", total: 2, passed: 0, failed: 2 },
      { key: "ec2", total: 4, passed: 2, failed: 1 },
      { key: "s3", total: 3, passed: 2, failed: 1 },
    ]);
    expect(summary.by_region).toEqual([
      { key: "us-east-1", total: 6, passed: 2, failed: 3 },
      { key: "eu-west-1", total: 3, passed: 2, failed: 1 },
    ]);
    expect(summary.by_account).toEqual([
      { account_id: "111111111111", provider: "aws", name: "Prod", total: 6, passed: 2, failed: 3, pass_rate: 40 },
      { account_id: "222222222222", provider: "aws", name: "Staging", total: 3, passed: 2, failed: 1, pass_rate: 66.67 },
    ]);
    expect(summary.top_failing_checks).toEqual([
      {
        check_id: "iam_root_mfa_enabled",
        title: "Ensure MFA is enabled for the root account",
        severity: "critical",
        failed: 2,
        accounts: 1,
      },
      { check_id: "ec2_imdsv2", title: "IMDSv2 is required", severity: "high", failed: 1, accounts: 1 },
      { check_id: "s3_bucket_public_access", title: "S3 bucket is not public", severity: "high", failed: 1, accounts: 1 },
    ]);
    expect(summary.compliance).toEqual([
      { framework: "CIS-2.0", passed: 2, failed: 3, pass_rate: 40 },
      { framework: "SOC2", passed: 4, failed: 1, pass_rate: 80 },
    ]);
    expect(summary.daily_trend).toHaveLength(30);
    expect(summary.daily_trend[0]?.date).toBe("2024-05-17");
    expect(summary.daily_trend.at(-1)).toEqual({ date: "2024-06-15", total: 4, passed: 2, failed: 2 });
    expect(summary.daily_trend.find((p) => p.date === "2024-06-14")).toEqual({ date: "2024-06-14", total: 3, passed: 1, failed: 2 });
    expect(summary.daily_trend.find((p) => p.date === "2024-06-12")).toEqual({ date: "2024-06-12", total: 2, passed: 1, failed: 0 });
    expect(summary.daily_trend.reduce((sum, p) => sum + p.total, 0)).toBe(9);
  });

  it("filters by accounts and by time window", async () => {
    const staging = await bed.aggregation.getDashboardSummary(parseTeamId("team_a"), { accountIds: ["222222222222"] });
    expect(staging.account_ids).toEqual(["222222222222"]);
    expect(staging.totals).toMatchObject({ findings: 3, passed: 2, failed: 1, accounts: 1 });
    expect(staging.by_account.map((a) => a.name)).toEqual(["Staging"]);

    const lastTwoDays = await bed.aggregation.getDashboardSummary(parseTeamId("team_a"), { since: daysAgo(1).toISOString() });
    expect(lastTwoDays.totals.findings).toBe(7);
    expect(lastTwoDays.daily_trend.map((p) => p.date)).toEqual(["2024-06-14", "2024-06-15"]);

    const withOld = await bed.aggregation.getDashboardSummary(parseTeamId("team_a"), { since: daysAgo(61) });
    expect(withOld.totals.findings).toBe(10);
    expect(withOld.top_failing_checks.map((c) => c.check_id)).toContain("old_check");
  });

  it("returns a well-formed zero summary when there is no data", async () => {
    const measured = await bed.monitor.measure(() => bed.aggregation.getDashboardSummary(parseTeamId("team_empty")));
    expect(measured.commands).toHaveLength(2);
    const summary = measured.result;
    expect(summary.totals).toEqual({ findings: 0, passed: 0, failed: 0, manual: 0, accounts: 0, checks: 0 });
    expect(summary.pass_rate).toBe(0);
    expect(summary.by_status).toEqual({ PASS: 0, FAIL: 0, MANUAL: 0 });
    expect(Object.values(summary.by_severity)).toEqual(Array.from({ length: 5 }, () => ({ total: 0, passed: 0, failed: 0 })));
    expect([
      summary.by_provider,
      summary.by_service,
      summary.by_region,
      summary.by_account,
      summary.top_failing_checks,
      summary.compliance,
    ]).toEqual([[], [], [], [], [], []]);
    expect(summary.daily_trend).toHaveLength(30);
    expect(summary.daily_trend.every((p) => p.total === 0 && p.passed === 0 && p.failed === 0)).toBe(true);
  });

  it("keeps account names of another tenant out", async () => {
    const b = await bed.aggregation.getDashboardSummary(parseTeamId("team_b"));
    expect(b.totals.findings).toBe(4);
    expect(b.by_account).toEqual([
      { account_id: "111111111111", provider: "aws", name: "B-Prod", total: 4, passed: 0, failed: 4, pass_rate: 0 },
    ]);
    const a = await bed.aggregation.getDashboardSummary(parseTeamId("team_a"));
    expect(a.by_account[0]?.name).toBe("Prod");
  });

  it("drops the cached summary when an account changes", async () => {
    await bed.aggregation.getDashboardSummary(parseTeamId("team_a"));
    await bed.accounts.updateAccount(parseTeamId("team_a"), prodId, { name: "Production" });
    bed.monitor.reset();
    const after = await bed.monitor.measure(() => bed.aggregation.getDashboardSummary(parseTeamId("team_a")));
    expect(after.commands).toHaveLength(2);
    expect(after.result.by_account[0]?.name).toBe("Production");
    await bed.accounts.updateAccount(parseTeamId("team_a"), prodId, { name: "Prod" });
  });

  it.each([
    ["a team id that is an operator", () => bed.aggregation.getDashboardSummary({ $ne: "" } as never)],
    ["an empty team id", () => bed.aggregation.getDashboardSummary("" as TeamId)],
    ["since in the future", () => bed.aggregation.getDashboardSummary(parseTeamId("team_a"), { since: new Date(NOW.getTime() + DAY) })],
    ["since more than 366 days back", () => bed.aggregation.getDashboardSummary(parseTeamId("team_a"), { since: daysAgo(400) })],
    ["since that is not a date", () => bed.aggregation.getDashboardSummary(parseTeamId("team_a"), { since: "yesterday" })],
    ["an empty account list", () => bed.aggregation.getDashboardSummary(parseTeamId("team_a"), { accountIds: [] })],
    ["an operator as account id", () => bed.aggregation.getDashboardSummary(parseTeamId("team_a"), { accountIds: [{ $gt: "" }] as never })],
    ["an unknown option", () => bed.aggregation.getDashboardSummary(parseTeamId("team_a"), { muted: true } as never)],
  ])("rejects %s with VALIDATION_FAILED before any command", async (_name, call) => {
    expect(await codeOf(call())).toBe("VALIDATION_FAILED");
    expect(bed.monitor.count()).toBe(0);
  });
});

describe("AggregationService.getScanActivity", () => {
  it("uses one aggregation on orchestration plus one batched account query on cloud security (cold), none warm", async () => {
    const cold = await bed.monitor.measure(() => bed.aggregation.getScanActivity(parseTeamId("team_a")));
    expect(cold.commands.map((c) => [c.name, c.database, c.collection])).toEqual([
      ["aggregate", bed.manager.databaseName("ORCHESTRATION"), "scan_runs"],
      ["find", bed.manager.databaseName("CLOUD_SECURITY"), "enhanced_cloud_accounts"],
    ]);
    const warm = await bed.monitor.measure(() => bed.aggregation.getScanActivity(parseTeamId("team_a")));
    expect(warm.commands).toHaveLength(0);
    expect(warm.result).toEqual(cold.result);
  });

  it("counts runs and labels accounts with the team's names", async () => {
    const activity = await bed.aggregation.getScanActivity(parseTeamId("team_a"), { limit: 3 });
    expect(activity.totals).toEqual({ runs: 6, pending: 1, running: 1, completed: 3, failed: 1, cancelled: 0 });
    expect(activity.by_scanner).toEqual([
      { scanner: "prowler", runs: 5, pending: 1, running: 0, completed: 3, failed: 1, cancelled: 0 },
      { scanner: "nuclei", runs: 1, pending: 0, running: 1, completed: 0, failed: 0, cancelled: 0 },
    ]);
    expect(activity.by_account.map((a) => [a.account_id, a.name, a.runs, a.failed, a.findings])).toEqual([
      ["222222222222", "Staging", 2, 0, 10],
      ["111111111111", "Prod", 3, 1, 20],
      ["333333333333", null, 1, 0, 0],
    ]);
    expect(activity.by_account[0]?.last_run_at?.toISOString()).toBe(daysAgo(0).toISOString());
    expect(activity.recent_runs.map((r) => [r.account_name, r.status, r.scanner])).toEqual([
      ["Staging", "running", "nuclei"],
      ["Prod", "failed", "prowler"],
      ["Prod", "completed", "prowler"],
    ]);
    expect(activity.recent_runs[1]?.error).toBe("AccessDenied");
  });

  it("sends a single command and returns zeros when the team has no runs", async () => {
    const measured = await bed.monitor.measure(() => bed.aggregation.getScanActivity(parseTeamId("team_empty")));
    expect(measured.commands.map((c) => c.name)).toEqual(["aggregate"]);
    expect(measured.result.totals).toEqual({ runs: 0, pending: 0, running: 0, completed: 0, failed: 0, cancelled: 0 });
    expect(measured.result.by_scanner).toEqual([]);
    expect(measured.result.by_account).toEqual([]);
    expect(measured.result.recent_runs).toEqual([]);
  });

  it("never shows another team's runs or names", async () => {
    const b = await bed.aggregation.getScanActivity(parseTeamId("team_b"));
    expect(b.totals.runs).toBe(1);
    expect(b.by_account.map((a) => a.name)).toEqual(["B-Prod"]);
  });

  it("validates its options", async () => {
    expect(await codeOf(bed.aggregation.getScanActivity(parseTeamId("team_a"), { limit: 0 }))).toBe("VALIDATION_FAILED");
    expect(await codeOf(bed.aggregation.getScanActivity(parseTeamId("team_a"), { limit: 201 }))).toBe("VALIDATION_FAILED");
    expect(await codeOf(bed.aggregation.getScanActivity(parseTeamId("team_a"), { since: new Date("nope") }))).toBe("VALIDATION_FAILED");
    expect(bed.monitor.count()).toBe(0);
  });
});
