import { CredentialCipher, generateKey } from "@cspm/crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUILT_IN_MIGRATIONS } from "./builtInMigrations";
import type { EmbedFunction } from "./built-in/embeddingsBackfillOptions";
import type { LedgerEntry } from "./migrationLedger";
import { MigrationRunner } from "./migrationRunner";
import { captureLogger, openTestManager, snapshotDatabases, type TestManager } from "./testing/openTestManager";

let t: TestManager;

beforeAll(async () => {
  t = await openTestManager();
});

afterAll(async () => {
  await t?.drop();
});

describe("BUILT_IN_MIGRATIONS", () => {
  it("is ordered indexes, consolidation, embeddings, credential purge, finding query fields, finding rollups, trend rollups, check-week rollups, facet cells, with unique ids", () => {
    expect(BUILT_IN_MIGRATIONS.map((m) => m.id)).toEqual([
      "0001-sync-indexes",
      "0002-consolidate-cloud-accounts",
      "0003-embeddings-backfill",
      "0004-purge-legacy-credentials",
      "0005-finding-query-fields",
      "0006-finding-rollups",
      "0007-finding-trend-rollups",
      "0008-finding-check-week-rollups",
      "0009-finding-facet-cells",
    ]);
  });

  it("the whole set run twice: the second run changes nothing and embeds nothing", async () => {
    const cipher = new CredentialCipher([{ id: "k1", key: generateKey() }]);
    await t.manager.getLegacyCollectionForMigration("cloud_accounts").insertMany([
      {
        team_id: "team-1",
        provider: "aws",
        account_id: "123456789012",
        name: "One",
        credentials: { role_arn: "arn:aws:iam::123456789012:role/x" },
      },
      {
        team_id: "team-1",
        cloud_provider: "aws",
        account_number: 123456789012,
        regions: ["us-east-1"],
        updated_at: new Date("2020-01-01T00:00:00Z"),
      },
      { team_id: "team-2", provider: "gcp", project_id: "proj-two-2", name: "Two" },
    ]);
    await t.manager.getCollection("VULNERABILITIES", "vulnerability_catalog").insertMany([
      { cve_id: "CVE-1", description: "one" },
      { cve_id: "CVE-2", description: "two" },
    ]);
    let calls = 0;
    const embed: EmbedFunction = async (texts) => {
      calls += 1;
      return texts.map(() => [0.5]);
    };
    const make = () =>
      new MigrationRunner({
        manager: t.manager,
        migrations: BUILT_IN_MIGRATIONS,
        logger: captureLogger().logger,
        config: { cipher, embeddings: { model: "m1", embed } },
      });

    const first = await make().up();
    expect(first.outcome).toBe("applied");
    expect(first.applied.map((a) => a.id)).toEqual(BUILT_IN_MIGRATIONS.map((m) => m.id));
    expect(calls).toBe(1);
    const before = await snapshotDatabases(t.manager, { exclude: ["migration_ledger", "migration_locks"] });

    expect((await make().up()).outcome).toBe("up_to_date");
    await t.manager.getCollection<LedgerEntry>("PLATFORM", "migration_ledger").deleteMany({});
    const second = await make().up();
    expect(second.applied.map((a) => a.id)).toEqual(BUILT_IN_MIGRATIONS.map((m) => m.id));
    expect(calls).toBe(1);
    expect(await snapshotDatabases(t.manager, { exclude: ["migration_ledger", "migration_locks"] })).toEqual(before);
    expect(await t.manager.getCollection("CLOUD_SECURITY", "enhanced_cloud_accounts").countDocuments({})).toBe(2);
  });
});
