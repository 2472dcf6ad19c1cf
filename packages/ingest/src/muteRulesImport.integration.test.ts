import { readFileSync } from "node:fs";
import { MuteRuleRepository } from "@cspm/domain";
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

/** The 25 real Prowler ASFF findings. */
const BASE = JSON.parse(readFileSync(realScan("prowler/prowler-3-aws-25.asff.json"), "utf8")) as Record<string, unknown>[];
const file = (findings: readonly Record<string, unknown>[]) => bufferSource(JSON.stringify(findings), "scan.asff.json");

describe("an import applies the team's enabled mute rules in its own write", () => {
  it("mutes exactly the matching findings of the importing team, ignores disabled rules and other teams' rules", async () => {
    const rules = ctx.factory.get(MuteRuleRepository);
    const raw = ctx.raw("CLOUD_SECURITY", "prowler_findings");
    const enabled = await rules
      .forTeam("team-mute")
      .insertOne({ name: "analyzer", reason: "Not used in this org", check_ids: ["accessanalyzer_enabled"], enabled: true });
    const glob = await rules
      .forTeam("team-mute")
      .insertOne({ name: "us-west-2", reason: "Sandbox region", regions: ["us-west-2"], resource_uid_pattern: "arn:aws:*", enabled: true });
    await rules.forTeam("team-mute").insertOne({ name: "off", reason: "disabled", regions: ["eu-west-1"], enabled: false });
    await rules.forTeam("team-other").insertOne({ name: "theirs", reason: "other team", regions: ["us-east-1"], enabled: true });

    const summary = await importScan(ctx.repositories, file(BASE), { teamId: "team-mute", full: true, batchSize: 7 });
    expect(summary).toMatchObject({ status: "completed", inserted: 25 });
    const stored = await raw.find({ team_id: "team-mute" }).toArray();
    expect(stored).toHaveLength(25);
    let mutedCount = 0;
    for (const doc of stored) {
      const ids = [
        ...(doc.check_id === "accessanalyzer_enabled" ? [enabled._id.toHexString()] : []),
        ...(doc.region === "us-west-2" && String(doc.resource_uid).startsWith("arn:aws:") ? [glob._id.toHexString()] : []),
      ];
      expect(doc.muted, `${doc.check_id} ${doc.region}`).toBe(ids.length > 0);
      expect(doc.muted_by_rule ?? []).toEqual(ids);
      if (ids.length > 0) mutedCount += 1;
      // The write path's derived fields.
      expect(doc).toMatchObject({ state: "open", history: [{ scan_id: summary.scan_run_id, status: doc.status, severity: doc.severity }] });
      expect(doc.severity_rank).toBeGreaterThan(0);
      expect(doc.search_terms.length).toBeGreaterThan(0);
    }
    expect(mutedCount).toBeGreaterThan(0);
    expect(mutedCount).toBeLessThan(25);

    // The same file again (a new run): mutes kept, history not repeated (unchanged), no other team touched.
    await importScan(ctx.repositories, file(BASE), { teamId: "team-mute", full: true });
    const again = await raw.find({ team_id: "team-mute" }).toArray();
    expect(again.filter((d) => d.muted).length).toBe(mutedCount);
    expect(again.every((d) => d.history.length === 1 && d.delta === "unchanged")).toBe(true);
    await importScan(ctx.repositories, file(BASE), { teamId: "team-clean", full: true });
    expect(await raw.countDocuments({ team_id: "team-clean", muted: true })).toBe(0);
  });
});
