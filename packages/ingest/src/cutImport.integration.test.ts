import type { Document } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importScan } from "./importScan";
import { bufferSource } from "./read/byteSource";
import { type IngestTestContext, openIngestTestContext } from "./testing/ingestTestContext";
import { realScan } from "./testing/realScans";
import { distinctAsffResource, repeatWithDistinctResources } from "./testing/scaledFindings";
import { type LoopbackProxy, startLoopbackProxy } from "./testing/tcpProxy";

let ctx: IngestTestContext;
let proxy: LoopbackProxy;
let proxied: IngestTestContext;
beforeAll(async () => {
  ctx = await openIngestTestContext();
  proxy = await startLoopbackProxy(ctx.uri);
  proxied = await openIngestTestContext({ uri: proxy.uri, prefix: ctx.prefix });
});
afterAll(async () => {
  await proxy?.stop();
  await proxied?.client.close().catch(() => undefined);
  await ctx?.dispose();
});

const FINDINGS = repeatWithDistinctResources(realScan("prowler/prowler-3-aws-25.asff.json"), 3000, distinctAsffResource);
const TEXT = JSON.stringify(FINDINGS);

/** A team's findings without what differs between two runs by construction (ids, run ids, times). */
async function state(teamId: string): Promise<Document[]> {
  const docs = await ctx
    .raw("CLOUD_SECURITY", "prowler_findings")
    .find(
      { team_id: teamId },
      // The history names the run and its time, which differ between the two teams' runs like scan_id does.
      {
        projection: {
          _id: 0,
          team_id: 0,
          scan_id: 0,
          first_seen_at: 0,
          last_seen_at: 0,
          created_at: 0,
          updated_at: 0,
          "history.scan_id": 0,
          "history.at": 0,
        },
      },
    )
    .sort({ region: 1, check_id: 1, resource_uid: 1 })
    .toArray();
  return docs;
}

describe("an import cut half-way by the network", () => {
  it("re-run into the same scan run ends identical to an uncut import", async () => {
    const uncut = await importScan(ctx.repositories, bufferSource(TEXT, "big.asff.json"), {
      teamId: "team-uncut",
      full: true,
      batchSize: 500,
    });
    expect(uncut).toMatchObject({ status: "completed", inserted: 3000, written: 3000 });

    const teamId = "team-cut";
    const run = await ctx.repositories.scanRuns.create(teamId, { account_id: "123456789012", scanner: "asff" });
    const scanRunId = run._id.toHexString();
    let cutAt = -1;
    const cut = importScan(proxied.repositories, bufferSource(TEXT, "big.asff.json"), {
      teamId,
      scanRunId,
      full: true,
      batchSize: 500,
      onProgress: ({ written }) => {
        if (written >= 1000 && cutAt < 0) {
          cutAt = written;
          proxy.cut();
        }
      },
    });
    await expect(cut).rejects.toMatchObject({ code: "UNAVAILABLE" });
    expect(cutAt).toBe(1000);
    const written = await ctx.raw("CLOUD_SECURITY", "prowler_findings").countDocuments({ team_id: teamId });
    expect(written).toBeGreaterThanOrEqual(1000);
    expect(written).toBeLessThan(3000);
    // The run could not be marked failed (MongoDB was unreachable): it is still running, ready for the re-run.
    expect(await ctx.raw("ORCHESTRATION", "scan_runs").findOne({ _id: run._id })).toMatchObject({ status: "running" });

    const rerun = await importScan(ctx.repositories, bufferSource(TEXT, "big.asff.json"), {
      teamId,
      scanRunId,
      full: true,
      batchSize: 500,
    });
    expect(rerun).toMatchObject({
      status: "completed",
      written: 3000,
      inserted: uncut.inserted,
      changed: uncut.changed,
      unchanged: uncut.unchanged,
      resolved: 0,
    });
    expect(await state(teamId)).toEqual(await state("team-uncut"));
    expect(await ctx.raw("ORCHESTRATION", "scan_runs").findOne({ _id: run._id })).toMatchObject({
      status: "completed",
      stats: { findings: 3000 },
    });
  }, 90_000);
});
