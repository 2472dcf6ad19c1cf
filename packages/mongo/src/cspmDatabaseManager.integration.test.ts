import { testDatabasePrefix } from "@cspm/testkit";
import { randomUUID } from "node:crypto";
import { ConflictError } from "@cspm/errors";
import { type DatabaseKey, DatabaseRegistry } from "@cspm/registry";
import type { Db } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CommandMonitor } from "./commandMonitor";
import { CSPMDatabaseManager } from "./cspmDatabaseManager";
import { DatabaseFactory } from "./databaseFactory";
import { closeAsyncClients, MongoClientPool } from "./getAsyncClient";

function testUri(): string {
  const uri = process.env.CSPM_TEST_MONGODB_URI;
  if (!uri) throw new Error("CSPM_TEST_MONGODB_URI is not set: run through the root vitest config (testkit globalSetup).");
  return uri;
}

const prefix = testDatabasePrefix("manager");
const monitor = new CommandMonitor();
let manager: CSPMDatabaseManager;

beforeAll(async () => {
  manager = new CSPMDatabaseManager({ uri: testUri(), prefix, commandMonitor: monitor });
  await manager.connect();
});

afterAll(async () => {
  if (manager && !manager.closed) {
    await Promise.all(DatabaseRegistry.keys().map((key) => manager.client.db(DatabaseRegistry.databaseName(key, prefix)).dropDatabase()));
    await manager.close();
  }
  await closeAsyncClients();
});

const GETTERS: ReadonlyArray<[DatabaseKey, (m: CSPMDatabaseManager) => Db]> = [
  ["PLATFORM", (m) => m.getPlatformDb()],
  ["CLOUD_SECURITY", (m) => m.getCloudSecurityDb()],
  ["SECURITY_SCANS", (m) => m.getSecurityScansDb()],
  ["ORCHESTRATION", (m) => m.getOrchestrationDb()],
  ["VULNERABILITIES", (m) => m.getVulnerabilitiesDb()],
  ["AI_GOVERNANCE", (m) => m.getAiGovernanceDb()],
  ["ASSESSMENTS", (m) => m.getAssessmentsDb()],
  ["RISK_MANAGEMENT", (m) => m.getRiskManagementDb()],
  ["COMPLIANCE", (m) => m.getComplianceDb()],
  ["INVENTORY", (m) => m.getInventoryDb()],
  ["REMEDIATION", (m) => m.getRemediationDb()],
  ["REPORTING", (m) => m.getReportingDb()],
  ["NOTIFICATIONS", (m) => m.getNotificationsDb()],
  ["INTEGRATIONS", (m) => m.getIntegrationsDb()],
];

const ALL_INDEXES = DatabaseRegistry.all().flatMap((d) => d.collections.flatMap((c) => c.indexes));
const ALL_COLLECTIONS = DatabaseRegistry.all().flatMap((d) => d.collections);

describe("ensureIndexes", () => {
  it("creates every registered collection and declared index, then nothing the second time", async () => {
    const first = await manager.ensureIndexes();
    expect(first.collectionsCreated).toHaveLength(ALL_COLLECTIONS.length);
    expect(first.created).toHaveLength(ALL_INDEXES.length);
    expect(first.undeclared).toEqual([]);
    expect(first.mismatched).toEqual([]);

    const teams = manager.getCollection("PLATFORM", "teams");
    const names = (await teams.listIndexes().toArray()).map((index) => index.name);
    expect(names).toEqual(expect.arrayContaining(["_id_", "slug_unique"]));
    // The declared unique index really is unique on the server.
    await teams.insertOne({ slug: "acme" });
    await expect(teams.insertOne({ slug: "acme" })).rejects.toMatchObject({ code: 11000 });

    const second = await manager.ensureIndexes();
    expect(second.collectionsCreated).toEqual([]);
    expect(second.created).toEqual([]);
    expect(second.dropped).toEqual([]);
    expect(second.unchanged).toHaveLength(ALL_INDEXES.length);
    expect(monitor.count({ name: "createIndexes", database: manager.databaseName("PLATFORM") })).toBeGreaterThan(0);
  });

  it("reports an undeclared and a changed index without dropping them, and repairs only when asked", async () => {
    const users = manager.getCollection("PLATFORM", "users");
    const audit = manager.getCollection("PLATFORM", "audit_logs");
    const teams = manager.getCollection("PLATFORM", "teams");
    await users.createIndex({ last_login_at: 1 }, { name: "hand_made" });
    await audit.dropIndex("team_created");
    await audit.createIndex({ team_id: 1, created_at: 1 }, { name: "team_created" }); // declared as created_at: -1
    await teams.deleteMany({});
    await teams.dropIndex("slug_unique");
    await teams.createIndex({ slug: 1 }, { name: "slug_unique" }); // declared unique

    const drift = await manager.ensureIndexes({ databases: ["core"] });
    expect(drift.created).toEqual([]);
    expect(drift.undeclared.map((i) => `${i.collection}.${i.index}`)).toEqual(["users.hand_made"]);
    expect(drift.mismatched.map((i) => [`${i.collection}.${i.index}`, i.differences])).toEqual([
      ["audit_logs.team_created", ["key"]],
      ["teams.slug_unique", ["unique"]],
    ]);
    expect(drift.dropped).toEqual([]);
    expect((await users.listIndexes().toArray()).map((i) => i.name)).toContain("hand_made");

    const dry = await manager.ensureIndexes({ databases: ["PLATFORM"], dropUndeclared: true, replaceMismatched: true, dryRun: true });
    expect(dry.dropped).toHaveLength(3);
    expect((await users.listIndexes().toArray()).map((i) => i.name)).toContain("hand_made");

    const repaired = await manager.ensureIndexes({ databases: ["PLATFORM"], dropUndeclared: true, replaceMismatched: true });
    expect(repaired.dropped.map((i) => i.index).sort()).toEqual(["hand_made", "slug_unique", "team_created"]);
    expect(repaired.created.map((i) => i.index).sort()).toEqual(["slug_unique", "team_created"]);
    expect((await users.listIndexes().toArray()).map((i) => i.name)).not.toContain("hand_made");

    const clean = await manager.ensureIndexes({ databases: [DatabaseRegistry.PLATFORM] });
    expect(clean.undeclared).toEqual([]);
    expect(clean.mismatched).toEqual([]);
    expect(clean.created).toEqual([]);
  });

  it("reports a declared index that exists under another name as mismatched instead of failing", async () => {
    const sessions = manager.getCollection("PLATFORM", "sessions");
    await sessions.dropIndex("team_user");
    await sessions.createIndex({ team_id: 1, user_id: 1 }, { name: "team_id_1_user_id_1" });
    const report = await manager.ensureIndexes({ databases: ["PLATFORM"] });
    expect(report.mismatched).toEqual([
      expect.objectContaining({ collection: "sessions", index: "team_user", actualName: "team_id_1_user_id_1", differences: ["name"] }),
    ]);
    expect(report.undeclared).toEqual([]);
    const repaired = await manager.ensureIndexes({ databases: ["PLATFORM"], replaceMismatched: true });
    expect(repaired.created.map((i) => i.index)).toEqual(["team_user"]);
  });

  it("refuses an unknown database", async () => {
    await expect(manager.ensureIndexes({ databases: ["nope" as never] })).rejects.toMatchObject({ code: "VALIDATION_FAILED" });
  });
});

describe("databases and collections", () => {
  it("has one getter per registered database, each hitting its prefixed database", async () => {
    expect(GETTERS.map(([key]) => key).sort()).toEqual([...DatabaseRegistry.keys()].sort());
    for (const [key, getter] of GETTERS) {
      const db = getter(manager);
      const expected = DatabaseRegistry.databaseName(key, prefix);
      expect(db.databaseName).toBe(expected);
      expect(manager.databaseName(key)).toBe(expected);
      const collection = DatabaseRegistry.resolve(key).collections[0]!.name;
      const marker = randomUUID();
      const { commands } = await monitor.measure(() => db.collection(collection).insertOne({ marker }));
      expect(commands).toEqual([expect.objectContaining({ name: "insert", database: expected, collection, outcome: "succeeded" })]);
      // Read back through the raw client by the registry's name: the write landed in that database.
      const found = await manager.client.db(expected).collection(collection).findOne({ marker });
      expect(found?.marker).toBe(marker);
    }
  });

  it("accepts registry keys, aliases and names (only those)", () => {
    expect(manager.getDatabase().databaseName).toBe(DatabaseRegistry.databaseName("PLATFORM", prefix));
    for (const database of DatabaseRegistry.all()) {
      const expected = DatabaseRegistry.databaseName(database.key, prefix);
      expect(manager.getDatabase(database.key).databaseName).toBe(expected);
      expect(manager.getDatabase(database.alias as never).databaseName).toBe(expected);
      expect(manager.getDatabase(database.name as never).databaseName).toBe(expected);
    }
    expect(() => manager.getDatabase(manager.databaseName("PLATFORM") as never)).toThrow(
      expect.objectContaining({ code: "VALIDATION_FAILED" }),
    );
    expect(() => manager.getDatabase("admin" as never)).toThrow(expect.objectContaining({ code: "VALIDATION_FAILED" }));
  });

  it("refuses legacy, misplaced and unknown collections", () => {
    const legacy = DatabaseRegistry.legacyCollections()[0]!;
    expect(() => manager.getCollection("CLOUD_SECURITY", legacy.name)).toThrow(expect.objectContaining({ code: "CONTRACT_VIOLATION" }));
    expect(() => manager.getCollection("PLATFORM", "prowler_findings")).toThrow(expect.objectContaining({ code: "VALIDATION_FAILED" }));
    expect(() => manager.getCollection("PLATFORM", "no_such_collection")).toThrow(expect.objectContaining({ code: "VALIDATION_FAILED" }));
    expect(manager.getCollection("cloud_security", "prowler_findings").dbName).toBe(manager.databaseName("CLOUD_SECURITY"));
  });

  it("opens a legacy collection only through the migration escape hatch", () => {
    const legacy = DatabaseRegistry.legacyCollections()[0]!;
    const collection = manager.getLegacyCollectionForMigration(legacy.name);
    expect(collection.collectionName).toBe(legacy.name);
    expect(collection.dbName).toBe(DatabaseRegistry.databaseName(DatabaseRegistry.resolve(legacy.database).key, prefix));
    expect(() => manager.getLegacyCollectionForMigration("users")).toThrow(expect.objectContaining({ code: "VALIDATION_FAILED" }));
  });

  it("is reachable through DatabaseFactory and around an existing client", async () => {
    const factory = new DatabaseFactory(manager);
    expect(factory.getDatabase("cloud_security").databaseName).toBe(manager.databaseName("CLOUD_SECURITY"));
    expect(factory.getCollection("ASSESSMENTS", "global_assessments").dbName).toBe(manager.databaseName("ASSESSMENTS"));

    const wrapper = new CSPMDatabaseManager(manager.client, { prefix });
    await wrapper.connect();
    expect(wrapper.getCloudSecurityDb().databaseName).toBe(manager.getCloudSecurityDb().databaseName);
    await wrapper.close();
    // The wrapper did not own the client: the manager still works.
    expect((await manager.ping()).ok).toBe(true);
  });

  it("pings", async () => {
    const health = await manager.ping();
    expect(health.ok).toBe(true);
    expect(health.error).toBeUndefined();
    expect(Number.isFinite(health.latencyMs)).toBe(true);
  });
});

describe("withTransaction", () => {
  const marker = () => ({ marker: randomUUID(), team_id: "team-tx" });

  it("commits writes to two databases together", async () => {
    const a = marker();
    const b = marker();
    const before = monitor.count({ name: "commitTransaction" });
    const result = await manager.withTransaction(async (session) => {
      await manager.getCollection("PLATFORM", "audit_logs").insertOne({ ...a }, { session });
      await manager.getCollection("CLOUD_SECURITY", "security_scores").insertOne({ ...b }, { session });
      return "done";
    });
    expect(result).toBe("done");
    expect(monitor.count({ name: "commitTransaction" })).toBe(before + 1);
    expect(await manager.getCollection("PLATFORM", "audit_logs").countDocuments({ marker: a.marker })).toBe(1);
    expect(await manager.getCollection("CLOUD_SECURITY", "security_scores").countDocuments({ marker: b.marker })).toBe(1);
  });

  it("writes nothing in either database when fn throws, and rethrows the CSPM error unchanged", async () => {
    const a = marker();
    const b = marker();
    const failure = new ConflictError("stop here");
    await expect(
      manager.withTransaction(async (session) => {
        await manager.getCollection("PLATFORM", "audit_logs").insertOne({ ...a }, { session });
        await manager.getCollection("CLOUD_SECURITY", "security_scores").insertOne({ ...b }, { session });
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(await manager.getCollection("PLATFORM", "audit_logs").countDocuments({ marker: a.marker })).toBe(0);
    expect(await manager.getCollection("CLOUD_SECURITY", "security_scores").countDocuments({ marker: b.marker })).toBe(0);
  });

  it("maps a driver error inside the transaction and rolls back", async () => {
    const a = marker();
    const teams = manager.getCollection("PLATFORM", "teams");
    await teams.insertOne({ slug: `dup-${a.marker}` });
    await expect(
      manager.withTransaction(async (session) => {
        await manager.getCollection("CLOUD_SECURITY", "security_scores").insertOne({ ...a }, { session });
        await teams.insertOne({ slug: `dup-${a.marker}` }, { session });
      }),
    ).rejects.toMatchObject({ code: "CONFLICT", details: { reason: "DUPLICATE_KEY", fields: ["slug"] } });
    expect(await manager.getCollection("CLOUD_SECURITY", "security_scores").countDocuments({ marker: a.marker })).toBe(0);
  });
});

describe("close", () => {
  it("is idempotent and leaves the manager unusable", async () => {
    const other = new CSPMDatabaseManager({ uri: testUri(), prefix, appName: `close-${prefix}` });
    await other.connect();
    expect((await other.ping()).ok).toBe(true);
    await other.close();
    await other.close();
    expect(other.closed).toBe(true);
    expect(() => other.getPlatformDb()).toThrow(expect.objectContaining({ code: "UNAVAILABLE" }));
    const health = await other.ping();
    expect(health.ok).toBe(false);
    expect(health.error?.code).toBe("UNAVAILABLE");
  });
});

describe("client ownership", () => {
  it("a manager's monitor stops counting when that manager is closed, even while another manager keeps the shared client", async () => {
    const appName = `own-${prefix}`;
    const monitorA = new CommandMonitor();
    const monitorB = new CommandMonitor();
    const a = new CSPMDatabaseManager({ uri: testUri(), prefix, appName, commandMonitor: monitorA });
    const b = new CSPMDatabaseManager({ uri: testUri(), prefix, appName, commandMonitor: monitorB });
    await a.connect();
    await b.connect();
    try {
      expect(a.client).toBe(b.client);
      await a.close();
      monitorA.reset();
      monitorB.reset();
      await b.getPlatformDb().command({ ping: 1 });
      await b.getPlatformDb().collection("settings").findOne({});
      expect(monitorB.count()).toBeGreaterThan(0);
      expect(monitorA.count()).toBe(0);
    } finally {
      await b.close();
    }
  });

  it("managers of different pools share no client; closing a pool closes its clients only", async () => {
    const appName = `pool-${prefix}`;
    const poolA = new MongoClientPool();
    const poolB = new MongoClientPool();
    const a = new CSPMDatabaseManager({ uri: testUri(), prefix, appName, clientPool: poolA });
    const b = new CSPMDatabaseManager({ uri: testUri(), prefix, appName, clientPool: poolB });
    await a.connect();
    await b.connect();
    try {
      expect(a.client).not.toBe(b.client);
      expect(poolA.stats()).toEqual({ clients: 1, connects: 1 });
      await a.close();
      await poolA.close();
      expect(poolA.stats().clients).toBe(0);
      expect((await b.ping()).ok).toBe(true);
    } finally {
      await b.close();
      await poolB.close();
    }
  });
});
