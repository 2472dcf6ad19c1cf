/**
 * Fault: the connection to MongoDB drops in the middle of a bulk findings import. The client talks to
 * the test MongoDB through a loopback TCP proxy this test controls; when the import's second bulk batch
 * is on the wire the proxy cuts every connection (and, for an outage, refuses new ones). Afterwards the
 * import is run again: it must complete with every finding stored exactly once.
 */
import { ProwlerFindingRepository, type ScannedFinding } from "@cspm/domain";
import { isCspmError } from "@cspm/errors";
import { CSPMDatabaseManager } from "@cspm/mongo";
import { RepositoryFactory } from "@cspm/repository";
import { testMongoUri } from "@cspm/testkit";
import type { CommandStartedEvent, Document } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openReliabilityTestbed, type ReliabilityTestbed } from "./reliabilityTestbed";
import { scannedFindings } from "./reliabilityFixtures";
import { startTcpProxy, type TcpProxy } from "@cspm/testkit";

const FINDINGS = 2_200;

let bed: ReliabilityTestbed;
let proxy: TcpProxy;
let viaProxy: CSPMDatabaseManager;
let findings: ProwlerFindingRepository;

/** Cuts the proxy's connections shortly after the `nth` bulk `update` command starts; resolves with how many were cut. */
function dropDuring(nth: number, options: { refuseAfterwards: boolean }): Promise<number> {
  return new Promise((resolve) => {
    let updates = 0;
    const listener = (event: CommandStartedEvent): void => {
      if (event.commandName !== "update") return;
      updates += 1;
      if (updates !== nth) return;
      viaProxy.client.off("commandStarted", listener);
      // Let the batch reach the server, then cut the wire while it is being applied.
      setTimeout(() => {
        if (options.refuseAfterwards) proxy.refuse(true);
        resolve(proxy.dropAll());
      }, 20);
    };
    viaProxy.client.on("commandStarted", listener);
  });
}

async function stored(team: string): Promise<{ count: number; duplicates: number; uids: Set<string> }> {
  const coll = bed.manager.getCollection("CLOUD_SECURITY", "prowler_findings");
  const docs = await coll.find({ team_id: team }, { projection: { resource_uid: 1 } }).toArray();
  const groups = await coll
    .aggregate<Document>([
      { $match: { team_id: team } },
      { $group: { _id: { a: "$account_id", c: "$check_id", r: "$resource_uid", g: "$region" }, n: { $sum: 1 } } },
      { $match: { n: { $gt: 1 } } },
    ])
    .toArray();
  return { count: docs.length, duplicates: groups.length, uids: new Set(docs.map((d) => String(d.resource_uid))) };
}

/** `stored` once the server has finished whatever batch was in flight when the wire was cut (bounded). */
async function settled(team: string): Promise<Awaited<ReturnType<typeof stored>>> {
  let last = await stored(team);
  for (let i = 0; i < 50; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const next = await stored(team);
    if (next.count === last.count) return next;
    last = next;
  }
  return last;
}

function expectAllPresent(input: readonly ScannedFinding[], uids: Set<string>): void {
  const missing = input.filter((f) => !uids.has(f.resource_uid)).map((f) => f.resource_uid);
  expect(missing).toEqual([]);
}

beforeAll(async () => {
  bed = await openReliabilityTestbed({ label: "drop" });
  await bed.manager.ensureIndexes({ databases: ["CLOUD_SECURITY"] });
  const target = new URL(testMongoUri());
  proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) });
  viaProxy = new CSPMDatabaseManager({
    uri: `mongodb://127.0.0.1:${proxy.port}/?directConnection=true`,
    prefix: bed.prefix,
    serverSelectionTimeoutMS: 1500,
    appName: "reliability-drop-proxy",
    clientOptions: { monitorCommands: true, heartbeatFrequencyMS: 500 },
  });
  await viaProxy.connect();
  findings = new RepositoryFactory({ provider: viaProxy }).get(ProwlerFindingRepository);
});

afterAll(async () => {
  await viaProxy?.close();
  await proxy?.stop();
  await bed?.close();
});

describe("connection dropped during a bulk import", () => {
  it("a blip (connections cut, server still reachable): the import completes, every finding once", async () => {
    const team = "team_blip";
    const input = scannedFindings(FINDINGS, { scanId: "scan-blip" });
    const cut = dropDuring(2, { refuseAfterwards: false });
    const outcome = await findings.upsertFromScan(team, input).then(
      (result) => ({ ok: true as const, result }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    expect(await cut).toBeGreaterThan(0);
    // Either the driver's retry carried it through, or it failed cleanly; a re-run must finish the job.
    if (!outcome.ok) expect(isCspmError(outcome.error) ? outcome.error.code : String(outcome.error)).toBe("UNAVAILABLE");
    const rerun = await findings.upsertFromScan(team, input);
    expect(rerun.errors).toEqual([]);
    expect(rerun.inserted + rerun.updated + rerun.unchanged).toBe(FINDINGS);
    const after = await stored(team);
    expect(after.count).toBe(FINDINGS);
    expect(after.duplicates).toBe(0);
    expectAllPresent(input, after.uids);
  }, 60_000);

  it("an outage (connections cut and refused): the import fails cleanly, the re-run stores the rest exactly once", async () => {
    const team = "team_outage";
    const input = scannedFindings(FINDINGS, { scanId: "scan-outage", offset: 100_000 });
    const cut = dropDuring(2, { refuseAfterwards: true });
    const failed = await findings.upsertFromScan(team, input).then(
      () => "resolved",
      (error: unknown) => (isCspmError(error) ? error.code : `raw ${String(error)}`),
    );
    expect(await cut).toBeGreaterThan(0);
    // A taxonomy error, never a raw driver error: the outage answers UNAVAILABLE.
    expect(failed).toBe("UNAVAILABLE");
    const partial = await settled(team);
    expect(partial.count).toBeLessThan(FINDINGS);
    expect(partial.duplicates).toBe(0);

    proxy.refuse(false);
    const rerun = await findings.upsertFromScan(team, input);
    expect(rerun.errors).toEqual([]);
    // What landed before the cut is updated (new sighting time), the rest inserted: nothing lost, nothing twice.
    expect(rerun.inserted).toBe(FINDINGS - partial.count);
    expect(rerun.inserted + rerun.updated + rerun.unchanged).toBe(FINDINGS);
    const after = await stored(team);
    expect(after.count).toBe(FINDINGS);
    expect(after.duplicates).toBe(0);
    expectAllPresent(input, after.uids);
    // A third run of the same scan changes nothing.
    const again = await findings.upsertFromScan(team, input, { seenAt: new Date("2030-01-01T00:00:00Z") });
    expect(again.inserted).toBe(0);
    expect((await stored(team)).count).toBe(FINDINGS);
  }, 60_000);
});
