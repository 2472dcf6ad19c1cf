import { isCspmError } from "@cspm/errors";
import { parseTeamId } from "@cspm/repository";
import { findingDoc } from "@cspm/test-fixtures";
import type { Document } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectIndexed, readPlansOf } from "./testing/indexUse";
import { openServicesTestbed, type ServicesTestbed } from "./testing/servicesTestbed";

const NOW = new Date("2024-06-15T12:00:00.000Z");
const DAY = 86_400_000;
const daysAgo = (n: number): Date => new Date(NOW.getTime() - n * DAY);
const A = parseTeamId("team_a");
const B = parseTeamId("team_b");
const C = parseTeamId("team_c");
const AZURE = "00000000-0000-0000-0000-000000000001";

let bed: ServicesTestbed;

async function failure(promise: Promise<unknown>): Promise<{ code: string; paths: string[] }> {
  try {
    await promise;
  } catch (error) {
    if (!isCspmError(error)) return { code: `raw:${String(error)}`, paths: [] };
    const issues = ((error as { issues?: { path: string }[] }).issues ?? []).map((i) => i.path);
    return { code: error.code, paths: issues };
  }
  return { code: "resolved", paths: [] };
}

const f = (team: string, first: Date, overrides: Document): Document =>
  findingDoc(team, { first_seen_at: first, last_seen_at: NOW, created_at: first, ...overrides });

// Team A (current, unmuted): AWS 111111111111 us-east-1: F1 iam FAIL critical (new today), F2 iam FAIL
// critical (3 days), F3 s3 PASS high (40 days), F4 s3 FAIL high (5 days), F5 ec2 MANUAL low (1 day);
// AWS 222222222222 eu-west-1: F6 ec2 FAIL medium (50 days), F7 ec2 PASS medium (2 days); Azure: F8 storage
// FAIL high eastus (1 day). Not current: M1 muted, R1 FAIL critical resolved 2 days ago, R2 PASS resolved today.
const teamA: Document[] = [
  f("team_a", new Date(NOW.getTime() - 4 * 3_600_000), { check_id: "iam_a", status: "FAIL", severity: "critical" }),
  f("team_a", daysAgo(3), { check_id: "iam_b", status: "FAIL", severity: "critical" }),
  f("team_a", daysAgo(40), { check_id: "s3_a", service_name: "s3", status: "PASS", severity: "high" }),
  f("team_a", daysAgo(5), { check_id: "s3_b", service_name: "s3", status: "FAIL", severity: "high" }),
  f("team_a", daysAgo(1), { check_id: "ec2_a", service_name: "ec2", status: "MANUAL", severity: "low" }),
  f("team_a", daysAgo(50), {
    account_id: "222222222222",
    check_id: "ec2_b",
    service_name: "ec2",
    region: "eu-west-1",
    status: "FAIL",
    severity: "medium",
  }),
  f("team_a", daysAgo(2), {
    account_id: "222222222222",
    check_id: "ec2_c",
    service_name: "ec2",
    region: "eu-west-1",
    status: "PASS",
    severity: "medium",
  }),
  f("team_a", daysAgo(1), {
    provider: "azure",
    account_id: AZURE,
    check_id: "storage_a",
    service_name: "storage",
    region: "eastus",
    status: "FAIL",
    severity: "high",
  }),
  f("team_a", daysAgo(1), { check_id: "muted_a", status: "FAIL", severity: "critical", muted: true }),
  f("team_a", daysAgo(10), {
    check_id: "gone_a",
    status: "FAIL",
    severity: "critical",
    last_seen_at: daysAgo(3),
    resolved_at: daysAgo(2),
    resolved_by_scan: "scan-2",
  }),
  f("team_a", daysAgo(60), {
    check_id: "gone_b",
    status: "PASS",
    severity: "low",
    last_seen_at: daysAgo(3),
    resolved_at: new Date(NOW.getTime() - 3_600_000),
    resolved_by_scan: "scan-3",
  }),
];
// Team B: figures that must never reach team A.
const teamB: Document[] = [
  ...Array.from({ length: 4 }, (_, i) => f("team_b", daysAgo(1), { check_id: `b_${i}`, status: "FAIL", severity: "critical" })),
  f("team_b", daysAgo(20), { check_id: "b_gone", status: "FAIL", severity: "high", resolved_at: daysAgo(1), resolved_by_scan: "b-scan" }),
];
// Team C: window boundaries of a 7-day trend (2024-06-09 .. 2024-06-15).
const START = new Date("2024-06-09T00:00:00.000Z");
const teamC: Document[] = [
  f("team_c", new Date(START.getTime() - 1), { check_id: "c_before", status: "FAIL", severity: "low" }),
  f("team_c", START, { check_id: "c_start", status: "FAIL", severity: "medium" }),
  f("team_c", new Date(NOW.getTime() + DAY), {
    check_id: "c_future",
    status: "FAIL",
    severity: "high",
    last_seen_at: new Date(NOW.getTime() + DAY),
  }),
  f("team_c", daysAgo(100), { check_id: "c_res_start", status: "FAIL", severity: "critical", resolved_at: START, resolved_by_scan: "c1" }),
  f("team_c", daysAgo(100), {
    check_id: "c_res_before",
    status: "FAIL",
    severity: "critical",
    resolved_at: new Date(START.getTime() - 1),
    resolved_by_scan: "c0",
  }),
  f("team_c", daysAgo(100), { check_id: "c_res_now", status: "PASS", severity: "low", resolved_at: NOW, resolved_by_scan: "c2" }),
];

beforeAll(async () => {
  bed = await openServicesTestbed({ now: NOW, label: "overview" });
  await bed.seed("CLOUD_SECURITY", "prowler_findings", [...teamA, ...teamB, ...teamC]);
});

afterAll(async () => {
  await bed?.close();
});

const sev = (critical = 0, high = 0, medium = 0, low = 0, informational = 0) => ({ critical, high, medium, low, informational });

describe("PostureOverviewService.getProviderOverview", () => {
  it("counts the team's current, unmuted findings per provider and account, most failing first", async () => {
    const overview = await bed.overview.getProviderOverview(A);
    expect(overview.team_id).toBe("team_a");
    expect(overview.generated_at).toEqual(NOW);
    expect(overview.totals).toEqual({ total: 8, pass: 2, fail: 5, manual: 1, pass_rate: 28.57, failing_by_severity: sev(2, 2, 1) });
    expect(overview.providers).toEqual([
      {
        provider: "aws",
        total: 7,
        pass: 2,
        fail: 4,
        manual: 1,
        pass_rate: 33.33,
        failing_by_severity: sev(2, 1, 1),
        accounts: [
          { account_id: "111111111111", total: 5, pass: 1, fail: 3, manual: 1, pass_rate: 25, failing_by_severity: sev(2, 1) },
          { account_id: "222222222222", total: 2, pass: 1, fail: 1, manual: 0, pass_rate: 50, failing_by_severity: sev(0, 0, 1) },
        ],
      },
      {
        provider: "azure",
        total: 1,
        pass: 0,
        fail: 1,
        manual: 0,
        pass_rate: 0,
        failing_by_severity: sev(0, 1),
        accounts: [{ account_id: AZURE, total: 1, pass: 0, fail: 1, manual: 0, pass_rate: 0, failing_by_severity: sev(0, 1) }],
      },
    ]);
  });

  it("shows another team only its own findings, and an empty team zeros", async () => {
    const b = await bed.overview.getProviderOverview(B);
    expect(b.totals).toMatchObject({ total: 4, fail: 4, failing_by_severity: sev(4) });
    expect(b.providers.map((p) => p.accounts.map((a) => a.total))).toEqual([[4]]);
    const empty = await bed.overview.getProviderOverview(parseTeamId("team_nobody"));
    expect(empty.providers).toEqual([]);
    expect(empty.totals).toEqual({ total: 0, pass: 0, fail: 0, manual: 0, pass_rate: 0, failing_by_severity: sev() });
  });

  it("reads the rollup marks and the rollups, each through an index", async () => {
    const { plans } = await readPlansOf(bed.manager, () => bed.overview.getProviderOverview(A));
    expect(plans).toHaveLength(2);
    expectIndexed(plans);
  });
});

describe("PostureOverviewService.getServiceOverview / getRegionOverview", () => {
  it("groups by provider and service, most failing first", async () => {
    const services = await bed.overview.getServiceOverview(A);
    expect(services.filter).toEqual({ provider: null, account_ids: null });
    expect(services.rows.map((r) => [r.provider, r.key, r.total, r.pass, r.fail, r.manual])).toEqual([
      ["aws", "iam", 2, 0, 2, 0],
      ["aws", "ec2", 3, 1, 1, 1],
      ["aws", "s3", 2, 1, 1, 0],
      ["azure", "storage", 1, 0, 1, 0],
    ]);
    expect(services.rows[0]?.failing_by_severity).toEqual(sev(2));
    expect(services.totals.total).toBe(8);
  });

  it("filters by provider and accounts", async () => {
    const aws = await bed.overview.getServiceOverview(A, { provider: "aws" });
    expect(aws.rows.map((r) => r.key)).toEqual(["iam", "ec2", "s3"]);
    const staging = await bed.overview.getServiceOverview(A, { accountIds: ["222222222222", "222222222222"] });
    expect(staging.filter).toEqual({ provider: null, account_ids: ["222222222222"] });
    expect(staging.rows).toEqual([
      { provider: "aws", key: "ec2", total: 2, pass: 1, fail: 1, manual: 0, pass_rate: 50, failing_by_severity: sev(0, 0, 1) },
    ]);
  });

  it("groups by provider and region", async () => {
    const regions = await bed.overview.getRegionOverview(A);
    expect(regions.rows.map((r) => [r.provider, r.key, r.total, r.fail])).toEqual([
      ["aws", "us-east-1", 5, 3],
      ["aws", "eu-west-1", 2, 1],
      ["azure", "eastus", 1, 1],
    ]);
    const azure = await bed.overview.getRegionOverview(A, { provider: "azure" });
    expect(azure.rows.map((r) => r.key)).toEqual(["eastus"]);
    expect((await bed.overview.getRegionOverview(B)).rows.map((r) => [r.key, r.total])).toEqual([["us-east-1", 4]]);
  });

  it("refuses bad filters with field paths", async () => {
    expect(await failure(bed.overview.getServiceOverview(A, { provider: "nope" }))).toEqual({
      code: "VALIDATION_FAILED",
      paths: ["provider"],
    });
    expect(await failure(bed.overview.getRegionOverview(A, { accountIds: [] }))).toEqual({
      code: "VALIDATION_FAILED",
      paths: ["accountIds"],
    });
    expect(await failure(bed.overview.getRegionOverview(A, { accountIds: [{ $ne: null } as unknown as string] }))).toMatchObject({
      code: "VALIDATION_FAILED",
      paths: ["accountIds.0"],
    });
    expect(await failure(bed.overview.getServiceOverview(A, { team_id: "team_b" } as never))).toMatchObject({ code: "VALIDATION_FAILED" });
    expect(await failure(bed.overview.getServiceOverview("bad team" as never))).toEqual({ code: "VALIDATION_FAILED", paths: ["teamId"] });
  });
});

describe("PostureOverviewService.getSeverityTrend", () => {
  it("counts open failing findings by severity at the end of each day, zero-filled over 30 days by default", async () => {
    const trend = await bed.overview.getSeverityTrend(A);
    expect(trend.days).toBe(30);
    expect(trend.since).toEqual(new Date("2024-05-17T00:00:00.000Z"));
    expect(trend.points).toHaveLength(30);
    const at = (date: string) => trend.points.find((p) => p.date === date);
    expect(trend.points[0]).toEqual({ date: "2024-05-17", ...sev(0, 0, 1), total: 1 });
    expect(at("2024-06-04")).toEqual({ date: "2024-06-04", ...sev(0, 0, 1), total: 1 });
    expect(at("2024-06-05")).toEqual({ date: "2024-06-05", ...sev(1, 0, 1), total: 2 });
    expect(at("2024-06-10")).toEqual({ date: "2024-06-10", ...sev(1, 1, 1), total: 3 });
    expect(at("2024-06-12")).toEqual({ date: "2024-06-12", ...sev(2, 1, 1), total: 4 });
    // gone_a was resolved on 06-13: no longer open at the end of that day.
    expect(at("2024-06-13")).toEqual({ date: "2024-06-13", ...sev(1, 1, 1), total: 3 });
    expect(at("2024-06-14")).toEqual({ date: "2024-06-14", ...sev(1, 2, 1), total: 4 });
    expect(trend.points.at(-1)).toEqual({ date: "2024-06-15", ...sev(2, 2, 1), total: 5 });
  });

  it("keeps the window's boundaries: 1 and 365 days, first sightings before the window, resolution on its first day", async () => {
    expect((await bed.overview.getSeverityTrend(A, { days: 1 })).points).toEqual([{ date: "2024-06-15", ...sev(2, 2, 1), total: 5 }]);
    const year = await bed.overview.getSeverityTrend(A, { days: 365 });
    expect(year.points).toHaveLength(365);
    expect(year.points[0]?.date).toBe("2023-06-17");
    const c = await bed.overview.getSeverityTrend(C, { days: 7 });
    expect(c.points.map((p) => p.date)).toEqual([
      "2024-06-09",
      "2024-06-10",
      "2024-06-11",
      "2024-06-12",
      "2024-06-13",
      "2024-06-14",
      "2024-06-15",
    ]);
    // c_before (low) and c_start (medium) are open every day; c_res_start resolved at 06-09 00:00 is never open; tomorrow's not yet.
    for (const point of c.points) expect(point).toEqual({ date: point.date, ...sev(0, 0, 1, 1), total: 2 });
  });

  it("never counts another team's or muted findings", async () => {
    const b = await bed.overview.getSeverityTrend(B, { days: 3 });
    expect(b.points.map((p) => [p.critical, p.high])).toEqual([
      [0, 1],
      [4, 0],
      [4, 0],
    ]);
  });

  it("refuses days outside 1–365 with the field path", async () => {
    for (const days of [0, 366, 1.5, -1, Number.NaN, "7" as unknown as number]) {
      expect(await failure(bed.overview.getSeverityTrend(A, { days }))).toEqual({ code: "VALIDATION_FAILED", paths: ["days"] });
    }
    expect(await failure(bed.overview.getSeverityTrend(A, { weeks: 2 } as never))).toMatchObject({ code: "VALIDATION_FAILED" });
  });

  it("reads the rollup marks and the team-wide trend rows, each through an index", async () => {
    const { plans } = await readPlansOf(bed.manager, () => bed.overview.getSeverityTrend(A));
    expect(plans).toHaveLength(2);
    expect(plans[1]?.indexes).toEqual(["team_account_dimension_day"]);
    expectIndexed(plans);
  });
});

describe("PostureOverviewService.getFindingsTrend", () => {
  it("counts new and resolved findings per day, zero-filled", async () => {
    const trend = await bed.overview.getFindingsTrend(A);
    expect(trend.points).toHaveLength(30);
    expect(trend.totals).toEqual({ new: 7, new_failing: 5, resolved: 2 });
    const nonZero = trend.points.filter((p) => p.new + p.resolved > 0);
    expect(nonZero).toEqual([
      { date: "2024-06-05", new: 1, new_failing: 1, resolved: 0 },
      { date: "2024-06-10", new: 1, new_failing: 1, resolved: 0 },
      { date: "2024-06-12", new: 1, new_failing: 1, resolved: 0 },
      { date: "2024-06-13", new: 1, new_failing: 0, resolved: 1 },
      { date: "2024-06-14", new: 2, new_failing: 1, resolved: 0 },
      { date: "2024-06-15", new: 1, new_failing: 1, resolved: 1 },
    ]);
    expect(trend.points[0]).toEqual({ date: "2024-05-17", new: 0, new_failing: 0, resolved: 0 });
  });

  it("includes the window's first instant and today, excludes the instant before and tomorrow", async () => {
    const c = await bed.overview.getFindingsTrend(C, { days: 7 });
    expect(c.totals).toEqual({ new: 1, new_failing: 1, resolved: 2 });
    expect(c.points[0]).toEqual({ date: "2024-06-09", new: 1, new_failing: 1, resolved: 1 });
    expect(c.points.at(-1)).toEqual({ date: "2024-06-15", new: 0, new_failing: 0, resolved: 1 });
    const b = await bed.overview.getFindingsTrend(B, { days: 30 });
    expect(b.totals).toEqual({ new: 5, new_failing: 5, resolved: 1 });
  });

  it("reads through indexes and refuses bad days", async () => {
    const { plans } = await readPlansOf(bed.manager, () => bed.overview.getFindingsTrend(A, { days: 7 }));
    expect(plans).toHaveLength(2);
    expectIndexed(plans);
    expect(await failure(bed.overview.getFindingsTrend(A, { days: 400 }))).toEqual({ code: "VALIDATION_FAILED", paths: ["days"] });
  });
});
