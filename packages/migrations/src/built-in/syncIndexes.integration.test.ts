import { DatabaseRegistry } from "@cspm/registry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LedgerEntry } from "../migrationLedger";
import { MigrationRunner } from "../migrationRunner";
import { captureLogger, openTestManager, snapshotDatabases, type TestManager } from "../testing/openTestManager";
import { INDEX_CATALOG_FINGERPRINT, SYNC_INDEXES_MIGRATION } from "./syncIndexes";

let t: TestManager;

beforeAll(async () => {
  t = await openTestManager();
});

afterAll(async () => {
  await t?.drop();
});

const ledger = () => t.manager.getCollection<LedgerEntry>("PLATFORM", "migration_ledger");
const run = () => new MigrationRunner({ manager: t.manager, migrations: [SYNC_INDEXES_MIGRATION], logger: captureLogger().logger }).up();

describe("0001-sync-indexes", () => {
  it("creates every declared index on all 14 databases, then changes nothing on a second run", async () => {
    const first = await run();
    expect(first.outcome).toBe("applied");
    const declared = DatabaseRegistry.all().reduce((n, d) => n + d.collections.reduce((m, c) => m + c.indexes.length, 0), 0);
    // The ledger's own unique index is created by the runner before the migration runs.
    expect(first.applied[0]?.result).toMatchObject({ databases: 14, indexes_created: declared - 1, drift_count: 0 });

    for (const database of DatabaseRegistry.all()) {
      for (const collection of database.collections) {
        const names = (await t.manager.getCollection(database.key, collection.name).listIndexes().toArray()).map((i) => i.name);
        for (const index of collection.indexes) expect(names).toContain(index.name);
      }
    }

    const before = await snapshotDatabases(t.manager, { exclude: ["migration_ledger"] });
    await ledger().deleteMany({});
    const second = await run();
    expect(second.applied[0]?.result).toMatchObject({ indexes_created: 0, collections_created: 0, indexes_unchanged: declared });
    expect(await snapshotDatabases(t.manager, { exclude: ["migration_ledger"] })).toEqual(before);
  });

  it("reports drift without dropping anything", async () => {
    const findings = t.manager.getCollection("CLOUD_SECURITY", "prowler_findings");
    await findings.createIndex({ check_title: 1 }, { name: "ad_hoc_title" });
    await ledger().deleteMany({});
    const report = await run();
    expect(report.applied[0]?.result).toMatchObject({ drift_count: 1 });
    expect(report.applied[0]?.result?.drift_undeclared).toEqual([
      `${DatabaseRegistry.databaseName("CLOUD_SECURITY", t.prefix)}.prowler_findings.ad_hoc_title`,
    ]);
    expect((await findings.listIndexes().toArray()).map((i) => i.name)).toContain("ad_hoc_title");
  });

  it("is repeatable: its checksum follows the declared catalog", () => {
    expect(SYNC_INDEXES_MIGRATION.repeatable).toBe(true);
    expect(SYNC_INDEXES_MIGRATION.version).toBe(INDEX_CATALOG_FINGERPRINT);
  });
});
