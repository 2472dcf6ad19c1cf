import { testDatabasePrefix } from "@cspm/testkit";
import { randomUUID } from "node:crypto";
import { DatabaseRegistry } from "@cspm/registry";
import type { MongoClient } from "mongodb";
import { afterAll, describe, expect, it } from "vitest";
import { CommandMonitor } from "./commandMonitor";
import { CSPMDatabaseManager } from "./cspmDatabaseManager";
import { asyncClientStats, closeAsyncClients, DEFAULT_APP_NAME, getAsyncClient } from "./getAsyncClient";

function testUri(): string {
  const uri = process.env.CSPM_TEST_MONGODB_URI;
  if (!uri) throw new Error("CSPM_TEST_MONGODB_URI is not set: run through the root vitest config (testkit globalSetup).");
  return uri;
}

/** The test URI with extra query options appended. */
function withQuery(uri: string, query: string): string {
  if (uri.includes("?")) return `${uri}&${query}`;
  const [scheme, rest = ""] = uri.split("://");
  return rest.includes("/") ? `${uri}?${query}` : `${scheme}://${rest}/?${query}`;
}

const prefix = testDatabasePrefix("client");
const run = randomUUID().slice(0, 8);
const platform = DatabaseRegistry.databaseName("PLATFORM", prefix);

afterAll(async () => {
  const client = await getAsyncClient(testUri(), { appName: `cleanup-${run}` });
  await Promise.all(DatabaseRegistry.keys().map((key) => client.db(DatabaseRegistry.databaseName(key, prefix)).dropDatabase()));
  await closeAsyncClients();
});

describe("getAsyncClient sharing", () => {
  it("gives 50 concurrent first callers one client, connected once", async () => {
    const before = asyncClientStats();
    const clients = await Promise.all(Array.from({ length: 50 }, () => getAsyncClient(testUri(), { appName: `share-${run}` })));
    expect(new Set(clients).size).toBe(1);
    const after = asyncClientStats();
    expect(after.connects - before.connects).toBe(1);
    expect(after.clients - before.clients).toBe(1);
    // Later callers reuse it without connecting again; the client works.
    expect(await getAsyncClient(testUri(), { appName: `share-${run}` })).toBe(clients[0]);
    expect(asyncClientStats().connects).toBe(after.connects);
    await clients[0]!.db(platform).command({ ping: 1 });
  });

  it("keys clients by options, treating equal settings as equal", async () => {
    const a = await getAsyncClient(testUri(), { appName: `key-${run}`, readPreference: "primaryPreferred" });
    const b = await getAsyncClient(testUri(), { readPreference: "primaryPreferred", appName: `key-${run}` });
    const c = await getAsyncClient(testUri(), { appName: `key-${run}`, readPreference: "nearest" });
    expect(a).toBe(b);
    expect(c).not.toBe(a);
  });

  it("applies the defaults only where neither the options nor the connection string decide", async () => {
    const defaults = await getAsyncClient(testUri(), { maxPoolSize: 7 });
    expect(defaults.options.retryReads).toBe(true);
    expect(defaults.options.retryWrites).toBe(true);
    expect(defaults.options.writeConcern?.w).toBe("majority");
    expect(defaults.options.serverSelectionTimeoutMS).toBe(5000);
    expect(defaults.options.appName).toBe(DEFAULT_APP_NAME);

    const fromUri = await getAsyncClient(
      withQuery(testUri(), `w=1&appName=uri-${run}&retryWrites=false&readPreference=secondaryPreferred`),
    );
    expect(fromUri.options.writeConcern?.w).toBe(1);
    expect(fromUri.options.appName).toBe(`uri-${run}`);
    expect(fromUri.options.retryWrites).toBe(false);
    expect(fromUri.readPreference.mode).toBe("secondaryPreferred");

    const fromOptions = await getAsyncClient(testUri(), {
      writeConcern: { w: 1 },
      readConcern: { level: "local" },
      serverSelectionTimeoutMS: 1234,
      appName: `opts-${run}`,
    });
    expect(fromOptions.options.writeConcern?.w).toBe(1);
    expect(fromOptions.readConcern?.level).toBe("local");
    expect(fromOptions.options.serverSelectionTimeoutMS).toBe(1234);
    // The pass-through settings are really used for operations.
    await fromOptions
      .db(platform)
      .collection("settings")
      .insertOne({ key: `k-${run}`, team_id: "t" });
    expect(
      await fromOptions
        .db(platform)
        .collection("settings")
        .countDocuments({ key: `k-${run}` }),
    ).toBe(1);
  });

  it("closeAsyncClients closes every shared client; the next call makes a new one", async () => {
    const first = await getAsyncClient(testUri(), { appName: `reopen-${run}` });
    await closeAsyncClients();
    expect(asyncClientStats().clients).toBe(0);
    const second = await getAsyncClient(testUri(), { appName: `reopen-${run}` });
    expect(second).not.toBe(first);
    await second.db(platform).command({ ping: 1 });
  });
});

describe("managers share the client for the same connection", () => {
  it("hands one client to several managers and closes it after the last one lets go", async () => {
    const options = { uri: testUri(), prefix, appName: `lease-${run}` };
    const one = new CSPMDatabaseManager(options);
    const two = new CSPMDatabaseManager(options);
    const before = asyncClientStats();
    await Promise.all([one.connect(), two.connect()]);
    expect(one.client).toBe(two.client);
    expect(asyncClientStats().clients - before.clients).toBe(1);
    await one.close();
    expect((await two.ping()).ok).toBe(true);
    await two.close();
    expect(asyncClientStats().clients).toBe(before.clients);
  });
});

describe("CommandMonitor", () => {
  let client: MongoClient;
  const monitor = new CommandMonitor();

  it("counts commands by name, database and collection, and measures one operation", async () => {
    client = await getAsyncClient(testUri(), { appName: `monitor-${run}`, commandMonitor: monitor });
    expect(client.options.monitorCommands).toBe(true);
    const findings = client.db(DatabaseRegistry.databaseName("CLOUD_SECURITY", prefix)).collection("prowler_findings");
    monitor.reset();
    await findings.insertMany([
      { team_id: "t1", severity: "high" },
      { team_id: "t1", severity: "low" },
      { team_id: "t2", severity: "high" },
    ]);
    await findings.find({ team_id: "t1" }).toArray();
    expect(monitor.count()).toBe(2);
    expect(monitor.count({ name: "insert", collection: "prowler_findings" })).toBe(1);
    expect(monitor.count({ name: ["insert", "find"], database: DatabaseRegistry.databaseName("CLOUD_SECURITY", prefix) })).toBe(2);
    expect(monitor.count({ name: "insert", database: platform })).toBe(0);

    const { result, commands } = await monitor.measure(() =>
      findings.aggregate([{ $match: { team_id: "t1" } }, { $group: { _id: "$severity", n: { $sum: 1 } } }]).toArray(),
    );
    expect(result).toHaveLength(2);
    expect(commands).toEqual([expect.objectContaining({ name: "aggregate", collection: "prowler_findings", outcome: "succeeded" })]);
    expect(monitor.commands({ name: "aggregate" })).toHaveLength(1);
  });

  it("records failed commands and forgets everything on reset", async () => {
    monitor.reset();
    await expect(client.db(platform).command({ noSuchCommandForCspmTests: 1 })).rejects.toThrow();
    expect(monitor.count({ name: "noSuchCommandForCspmTests", outcome: "failed" })).toBe(1);
    expect(monitor.count({ outcome: "succeeded" })).toBe(0);
    monitor.reset();
    expect(monitor.count()).toBe(0);
    expect(monitor.commands()).toEqual([]);
  });

  it("keeps the most recent maxRecords commands, oldest first, while counting every one", async () => {
    const small = new CommandMonitor({ maxRecords: 3 }).attach(client);
    try {
      const db = client.db(platform);
      for (let i = 0; i < 7; i++) await db.collection(`ring_${i}`).findOne({});
      expect(small.count({ name: "find" })).toBe(7);
      expect(small.commands().map((c) => c.collection)).toEqual(["ring_4", "ring_5", "ring_6"]);
      expect(small.commands({ collection: "ring_5" })).toEqual([expect.objectContaining({ name: "find", outcome: "succeeded" })]);
      small.reset();
      await db.collection("ring_after").findOne({});
      expect(small.commands().map((c) => c.collection)).toEqual(["ring_after"]);
    } finally {
      small.detach();
      monitor.reset(); // the suite's monitor saw these commands too
    }
  });

  it("stops counting after detach", async () => {
    monitor.detach(client);
    await client.db(platform).command({ ping: 1 });
    expect(monitor.count()).toBe(0);
  });
});
