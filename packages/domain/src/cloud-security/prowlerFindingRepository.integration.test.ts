import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { expectCspmError } from "../testing/expectCspmError";
import { type DomainTestContext, openDomainTestContext } from "../testing/openDomainTestContext";
import { ProwlerFindingRepository, type ScannedFinding } from "./prowlerFindingRepository";

const A = "team-a";
const B = "team-b";
const ACCOUNT = "123456789012";
const SCAN_1 = new Date("2025-01-01T00:00:00Z");
const SCAN_2 = new Date("2025-01-08T00:00:00Z");

let ctx: DomainTestContext;
let repo: ProwlerFindingRepository;

function finding(i: number, overrides: Partial<ScannedFinding> = {}): ScannedFinding {
  const severities = ["critical", "high", "medium", "low", "informational"] as const;
  return {
    provider: "aws",
    account_id: ACCOUNT,
    scan_id: "scan-1",
    check_id: `check_${i % 4}`,
    check_title: `Check ${i % 4}`,
    status: i % 3 === 0 ? "PASS" : "FAIL",
    status_extended: `resource ${i}`,
    severity: severities[i % 5] as (typeof severities)[number],
    service_name: "s3",
    region: i % 2 === 0 ? "us-east-1" : "eu-west-1",
    resource_uid: `arn:aws:s3:::bucket-${i}`,
    resource_type: "AwsS3Bucket",
    compliance: [{ framework: "CIS-2.0", controls: ["2.1.1"] }],
    ...overrides,
  };
}

const BATCH = Array.from({ length: 30 }, (_, i) => finding(i));

beforeAll(async () => {
  ctx = await openDomainTestContext(["CLOUD_SECURITY"]);
  repo = ctx.factory.get(ProwlerFindingRepository);
});

afterAll(async () => {
  await ctx?.dispose();
});

beforeEach(async () => {
  await ctx.raw("CLOUD_SECURITY", "prowler_findings").deleteMany({});
});

describe("ProwlerFindingRepository.upsertFromScan", () => {
  it("is idempotent by identity key: re-importing inserts nothing", async () => {
    const first = await repo.upsertFromScan(A, BATCH, { seenAt: SCAN_1 });
    expect(first).toEqual({ inserted: 30, updated: 0, unchanged: 0, errors: [] });

    const again = await repo.upsertFromScan(A, BATCH, { seenAt: SCAN_1 });
    expect(again).toEqual({ inserted: 0, updated: 0, unchanged: 30, errors: [] });

    const nextScan = await repo.upsertFromScan(
      A,
      BATCH.map((f) => ({ ...f, scan_id: "scan-2" })),
      { seenAt: SCAN_2 },
    );
    expect(nextScan.inserted).toBe(0);
    expect(nextScan.updated).toBe(30);
    expect(await ctx.raw("CLOUD_SECURITY", "prowler_findings").countDocuments({})).toBe(30);
  });

  it("keeps first_seen_at and a user's mute across scans, moves last_seen_at", async () => {
    await repo.upsertFromScan(A, BATCH, { seenAt: SCAN_1 });
    expect(await repo.setMuted(A, { checkId: "check_1", resourceUid: "arn:aws:s3:::bucket-1" }, true, "accepted risk")).toBe(1);

    await repo.upsertFromScan(A, BATCH, { seenAt: SCAN_2 });
    const stored = await ctx.raw("CLOUD_SECURITY", "prowler_findings").findOne({ resource_uid: "arn:aws:s3:::bucket-1" });
    expect(stored?.["first_seen_at"]).toEqual(SCAN_1);
    expect(stored?.["last_seen_at"]).toEqual(SCAN_2);
    expect(stored?.["muted"]).toBe(true);
    expect(stored?.["muted_reason"]).toBe("accepted risk");
  });

  it("mutes a finding when the scan says so, and otherwise starts new findings unmuted", async () => {
    await repo.upsertFromScan(A, BATCH, { seenAt: SCAN_1 });
    const muted = await repo.upsertFromScan(A, [finding(2, { muted: true })], { seenAt: SCAN_2 });
    expect(muted).toMatchObject({ updated: 1, errors: [] });
    const raw = ctx.raw("CLOUD_SECURITY", "prowler_findings");
    expect(await raw.findOne({ resource_uid: "arn:aws:s3:::bucket-2" })).toMatchObject({
      muted: true,
      first_seen_at: SCAN_1,
      last_seen_at: SCAN_2,
    });
    // The next scan does not mention muting: the mute is kept; the other findings stay unmuted.
    await repo.upsertFromScan(A, BATCH, { seenAt: SCAN_2 });
    expect(await raw.countDocuments({ muted: true })).toBe(1);
    expect(await raw.countDocuments({ muted: false })).toBe(BATCH.length - 1);
  });

  it("costs one command per batch plus the rollup marks before and after it, with no read before the write", async () => {
    const batchCommands = ["finding_rollup_marks", "prowler_findings", "finding_rollup_marks"];
    const first = await ctx.monitor.measure(() => repo.upsertFromScan(A, BATCH, { seenAt: SCAN_1 }));
    expect(first.result.inserted).toBe(BATCH.length);
    expect(first.commands.map((c) => c.name)).toEqual(["update", "update", "update"]);
    expect(first.commands.map((c) => c.collection)).toEqual(batchCommands);
    await repo.setMuted(A, { checkId: "check_1" }, true);
    const rescan = await ctx.monitor.measure(() => repo.upsertFromScan(A, BATCH, { seenAt: SCAN_2 }));
    expect(rescan.result).toMatchObject({ inserted: 0, updated: BATCH.length, errors: [] });
    expect(rescan.commands.map((c) => c.collection)).toEqual(batchCommands);
    expect(
      await ctx.raw("CLOUD_SECURITY", "prowler_findings").countDocuments({ muted: true, first_seen_at: SCAN_1, last_seen_at: SCAN_2 }),
    ).toBe(BATCH.filter((f) => f.check_id === "check_1").length);
  });

  it("keeps the earliest sighting as first_seen_at when two imports run at once, in either order", async () => {
    const raw = ctx.raw("CLOUD_SECURITY", "prowler_findings");
    const [one, two] = await Promise.all([
      repo.upsertFromScan(A, BATCH, { seenAt: SCAN_1 }),
      repo.upsertFromScan(A, BATCH, { seenAt: SCAN_2 }),
    ]);
    expect([...one.errors, ...two.errors]).toEqual([]);
    expect(one.inserted + two.inserted).toBe(BATCH.length);
    const stored = await raw.find({}).toArray();
    expect(stored).toHaveLength(BATCH.length);
    // Whichever import wrote a finding first, first_seen_at is the earlier sighting and never after last_seen_at.
    for (const doc of stored) expect(doc["first_seen_at"]).toEqual(SCAN_1);

    await raw.updateMany({}, { $set: { first_seen_at: new Date("2024-12-01T00:00:00Z") } });
    await Promise.all([repo.upsertFromScan(A, BATCH, { seenAt: SCAN_2 }), repo.upsertFromScan(A, BATCH, { seenAt: SCAN_1 })]);
    expect(await raw.countDocuments({ first_seen_at: new Date("2024-12-01T00:00:00Z") })).toBe(BATCH.length);
  });

  it("moves first_seen_at back when an earlier scan is imported after a later one", async () => {
    await repo.upsertFromScan(A, BATCH, { seenAt: SCAN_2 });
    await repo.upsertFromScan(
      A,
      BATCH.map((f) => ({ ...f, scan_id: "scan-0" })),
      { seenAt: SCAN_1 },
    );
    const raw = ctx.raw("CLOUD_SECURITY", "prowler_findings");
    expect(await raw.countDocuments({ first_seen_at: SCAN_1 })).toBe(BATCH.length);
    expect(await raw.countDocuments({ $expr: { $gt: ["$first_seen_at", "$last_seen_at"] } })).toBe(0);
  });

  it("reports a bad finding in errors and writes the rest", async () => {
    const bad = { ...finding(99), account_id: "not-an-aws-id" };
    const result = await repo.upsertFromScan(A, [finding(1), bad, finding(2)], { seenAt: SCAN_1 });
    expect(result.inserted).toBe(2);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatchObject({ index: 1, code: "VALIDATION_FAILED" });
  });

  it("keeps teams apart: the same identity in two teams is two findings, each team sees its own", async () => {
    await repo.upsertFromScan(A, BATCH, { seenAt: SCAN_1 });
    const forB = await repo.upsertFromScan(B, BATCH.slice(0, 5), { seenAt: SCAN_2 });
    expect(forB.inserted).toBe(5);

    const failingA = await repo.findFailing(A, { limit: 1000 });
    const failingB = await repo.findFailing(B, { limit: 1000 });
    expect(failingA.every((f) => f.team_id === A)).toBe(true);
    expect(failingB.every((f) => f.team_id === B)).toBe(true);
    expect(failingB).toHaveLength(BATCH.slice(0, 5).filter((f) => f.status === "FAIL").length);
    const countsB = await repo.countBySeverity(B);
    expect(Object.values(countsB).reduce((a, b) => a + b, 0)).toBe(failingB.length);
    // Team B's scan did not move team A's sighting times.
    const a0 = await ctx.raw("CLOUD_SECURITY", "prowler_findings").findOne({ team_id: A, resource_uid: "arn:aws:s3:::bucket-0" });
    expect(a0?.["last_seen_at"]).toEqual(SCAN_1);
  });
});

describe("ProwlerFindingRepository queries", () => {
  it("findFailing: failing, unmuted, most severe first; countBySeverity agrees", async () => {
    await repo.upsertFromScan(A, BATCH, { seenAt: SCAN_1 });
    await repo.setMuted(A, { checkId: "check_1" }, true);

    const failing = await repo.findFailing(A, { limit: 1000 });
    const expected = BATCH.filter((f) => f.status === "FAIL" && f.check_id !== "check_1");
    expect(failing).toHaveLength(expected.length);
    expect(failing.every((f) => f.status === "FAIL" && !f.muted)).toBe(true);
    const rank = { critical: 0, high: 1, medium: 2, low: 3, informational: 4 };
    const ranks = failing.map((f) => rank[f.severity]);
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));

    const counts = await repo.countBySeverity(A);
    for (const severity of Object.keys(rank) as (keyof typeof rank)[]) {
      expect(counts[severity]).toBe(expected.filter((f) => f.severity === severity).length);
    }
    expect((await repo.findFailing(A, { includeMuted: true, limit: 1000 })).length).toBe(BATCH.filter((f) => f.status === "FAIL").length);
    expect((await repo.findFailing(A, { severities: ["critical"], limit: 1000 })).every((f) => f.severity === "critical")).toBe(true);
  });

  it("refuses operator objects smuggled into string arguments", async () => {
    await repo.upsertFromScan(A, BATCH, { seenAt: SCAN_1 });
    await expectCspmError(repo.findFailing(A, { accountId: { $ne: null } as unknown as string }), "VALIDATION_FAILED");
    await expectCspmError(repo.findByScan(A, { $gt: "" } as unknown as string), "VALIDATION_FAILED");
    await expectCspmError(() => repo.countBySeverity("team-a' || true", {}), "VALIDATION_FAILED");
  });
});
