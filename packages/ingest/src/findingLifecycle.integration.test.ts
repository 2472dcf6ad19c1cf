import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importScan } from "./importScan";
import { bufferSource } from "./read/byteSource";
import { type IngestTestContext, openIngestTestContext } from "./testing/ingestTestContext";
import { realScan } from "./testing/realScans";

let ctx: IngestTestContext;
beforeAll(async () => {
  ctx = await openIngestTestContext();
});
afterAll(async () => {
  await ctx?.dispose();
});

/** The 25 real Prowler ASFF findings, as a base for scans that differ from each other. */
const BASE = JSON.parse(readFileSync(realScan("prowler/prowler-3-aws-25.asff.json"), "utf8")) as Record<string, unknown>[];
const file = (findings: readonly Record<string, unknown>[]) => bufferSource(JSON.stringify(findings), "scan.asff.json");
const region = (f: Record<string, unknown>) => (f["Resources"] as { Region: string }[])[0]?.Region;

describe("finding lifecycle across four scan runs", () => {
  it("new -> unchanged -> changed + resolved -> reopened, with exact counts and stored fields", async () => {
    const teamId = "team-lifecycle";
    const raw = ctx.raw("CLOUD_SECURITY", "prowler_findings");
    const options = { teamId, full: true };
    const target = { check_id: "accessanalyzer_enabled", region: "us-east-1" };
    const gone = { check_id: "accessanalyzer_enabled", region: "us-west-2" };

    // Scan 1: everything is new.
    const s1 = await importScan(ctx.repositories, file(BASE), options);
    expect(s1).toMatchObject({ status: "completed", inserted: 25, changed: 0, unchanged: 0, resolved: 0, reopened: 0 });
    const afterS1 = await raw.findOne({ team_id: teamId, ...target });
    expect(afterS1).toMatchObject({ delta: "new", scan_id: s1.scan_run_id });
    expect(afterS1?.["first_seen_at"]).toEqual(afterS1?.["last_seen_at"]);

    // Scan 2: the same file: all unchanged, first_seen_at kept, last_seen_at moved.
    const s2 = await importScan(ctx.repositories, file(BASE), options);
    expect(s2).toMatchObject({ inserted: 0, changed: 0, unchanged: 25, resolved: 0, reopened: 0 });
    const afterS2 = await raw.findOne({ team_id: teamId, ...target });
    expect(afterS2).toMatchObject({
      delta: "unchanged",
      scan_id: s2.scan_run_id,
      first_seen_at: afterS1?.["first_seen_at"],
      previous: { scan_id: s1.scan_run_id, status: "FAIL" },
    });
    expect((afterS2?.["last_seen_at"] as Date).getTime()).toBeGreaterThanOrEqual((afterS1?.["last_seen_at"] as Date).getTime());

    // Scan 3: one finding now passes (changed), one is no longer reported (resolved by the full scan).
    const s3Findings = BASE.filter((f) => !(f["GeneratorId"] === "prowler-accessanalyzer_enabled" && region(f) === "us-west-2")).map((f) =>
      f["GeneratorId"] === "prowler-accessanalyzer_enabled" && region(f) === "us-east-1"
        ? {
            ...f,
            Compliance: { ...(f["Compliance"] as object), Status: "PASSED" },
            Description: "IAM Access Analyzer in account 123456789012 is enabled",
          }
        : f,
    );
    const s3 = await importScan(ctx.repositories, file(s3Findings), options);
    expect(s3).toMatchObject({ inserted: 0, changed: 1, unchanged: 23, resolved: 1, reopened: 0 });
    expect(await raw.findOne({ team_id: teamId, ...target })).toMatchObject({
      delta: "changed",
      status: "PASS",
      previous: { status: "FAIL" },
    });
    expect(await raw.findOne({ team_id: teamId, ...gone })).toMatchObject({
      resolved_by_scan: s3.scan_run_id,
      scan_id: s2.scan_run_id,
      status: "FAIL",
    });
    expect((await raw.findOne({ team_id: teamId, ...gone }))?.["resolved_at"]).toBeInstanceOf(Date);

    // Scan 4: the original file again: the resolved one is reopened, the changed one changes back.
    const s4 = await importScan(ctx.repositories, file(BASE), options);
    expect(s4).toMatchObject({ inserted: 0, changed: 1, unchanged: 24, resolved: 0, reopened: 1 });
    const reopened = await raw.findOne({ team_id: teamId, ...gone });
    expect(reopened).toMatchObject({ reopened_by_scan: s4.scan_run_id, scan_id: s4.scan_run_id, delta: "unchanged" });
    expect(reopened?.["resolved_at"]).toBeUndefined();
    expect(reopened?.["resolved_by_scan"]).toBeUndefined();
    expect(await raw.findOne({ team_id: teamId, ...target })).toMatchObject({
      delta: "changed",
      status: "FAIL",
      previous: { status: "PASS" },
    });

    // The scan runs carry the same counts.
    const runs = await ctx.raw("ORCHESTRATION", "scan_runs").find({ team_id: teamId }).sort({ created_at: 1 }).toArray();
    expect(runs.map((r) => r["stats"]?.lifecycle)).toEqual([
      { inserted: 25, changed: 0, unchanged: 0, resolved: 0, reopened: 0 },
      { inserted: 0, changed: 0, unchanged: 25, resolved: 0, reopened: 0 },
      { inserted: 0, changed: 1, unchanged: 23, resolved: 1, reopened: 0 },
      { inserted: 0, changed: 1, unchanged: 24, resolved: 0, reopened: 1 },
    ]);
  });

  it("a partial scan (not --full) resolves nothing; a full scan of one account leaves other accounts alone", async () => {
    const teamId = "team-partial";
    const raw = ctx.raw("CLOUD_SECURITY", "prowler_findings");
    await importScan(ctx.repositories, file(BASE), { teamId, full: true });
    const other = BASE.map((f) => ({ ...f, AwsAccountId: "210987654321", Id: `${String(f["Id"])}-b` }));
    await importScan(ctx.repositories, file(other), { teamId, full: true });
    const partial = await importScan(ctx.repositories, file(BASE.slice(0, 5)), { teamId });
    expect(partial).toMatchObject({ unchanged: 5, resolved: 0 });
    const full = await importScan(ctx.repositories, file(BASE.slice(0, 5)), { teamId, full: true });
    expect(full).toMatchObject({ unchanged: 5, resolved: 20 });
    expect(await raw.countDocuments({ team_id: teamId, account_id: "210987654321", resolved_at: { $exists: true } })).toBe(0);
  });

  it("importing the same file twice into the same scan run ends in the same stored state", async () => {
    const teamId = "team-same-run";
    const raw = ctx.raw("CLOUD_SECURITY", "prowler_findings");
    await importScan(ctx.repositories, file(BASE), { teamId, full: true });
    const created = await ctx.repositories.scanRuns.create(teamId, { account_id: "123456789012", scanner: "asff" });
    const id = created._id.toHexString();
    const once = await importScan(ctx.repositories, file(BASE.slice(1)), { teamId, scanRunId: id, full: true, complete: false });
    expect(once.status).toBe("running");
    const snapshot = await raw
      .find({ team_id: teamId }, { projection: { updated_at: 0 } })
      .sort({ _id: 1 })
      .toArray();
    const twice = await importScan(ctx.repositories, file(BASE.slice(1)), { teamId, scanRunId: id, full: true });
    expect(twice).toMatchObject({ status: "completed", unchanged: 24, resolved: 1 });
    const again = await raw
      .find({ team_id: teamId }, { projection: { updated_at: 0, resolved_at: 0, resolved_by_scan: 0, state: 0 } })
      .sort({ _id: 1 })
      .toArray();
    // The resolve sweep runs when the run completes: its fields (and the lifecycle `state`) are the only difference.
    expect(again).toEqual(snapshot.map(({ resolved_at: _a, resolved_by_scan: _b, state: _s, ...rest }) => rest));
  });
});
