import { CredentialCipher, generateKey } from "@cspm/crypto";
import { isCspmError } from "@cspm/errors";
import { ObjectId } from "mongodb";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { LedgerEntry } from "../migrationLedger";
import { MigrationRunner } from "../migrationRunner";
import type { Migration } from "../defineMigration";
import { captureLogger, openTestManager, type TestManager } from "../testing/openTestManager";
import { CONSOLIDATE_CLOUD_ACCOUNTS_MIGRATION } from "./consolidateCloudAccounts";
import { PURGE_LEGACY_CREDENTIALS_MIGRATION } from "./purgeLegacyCredentials";
import { SYNC_INDEXES_MIGRATION } from "./syncIndexes";

let t: TestManager;
const cipher = new CredentialCipher([{ id: "k1", key: generateKey() }]);
const SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYPURGEKEY";

beforeAll(async () => {
  t = await openTestManager();
});

afterAll(async () => {
  await t?.drop();
});

const legacy = () => t.manager.getLegacyCollectionForMigration("cloud_accounts");
const target = () => t.manager.getCollection("CLOUD_SECURITY", "enhanced_cloud_accounts");
const ledger = () => t.manager.getCollection<LedgerEntry>("PLATFORM", "migration_ledger");

beforeEach(async () => {
  await legacy().deleteMany({});
  await target().deleteMany({});
  await ledger().deleteMany({});
  await legacy().insertMany([
    {
      _id: new ObjectId(),
      team_id: "team-a",
      provider: "aws",
      account_id: "111111111111",
      name: "Prod",
      credentials: { access_key_id: "AKIAPURGE", secret_access_key: SECRET },
    },
    {
      _id: new ObjectId(),
      team_id: "team-b",
      provider: "aws",
      account_id: "222222222222",
      name: "Dev",
      encrypted_credentials: JSON.stringify({ access_key_id: "AKIAPURGE2", secret_access_key: SECRET }),
    },
    { _id: new ObjectId(), team_id: "team-c", provider: "aws", account_id: "333333333333", name: "No keys" },
  ]);
});

function runner(migrations: readonly Migration[]): MigrationRunner {
  return new MigrationRunner({ manager: t.manager, migrations, logger: captureLogger().logger, config: { cipher }, lockTtlMs: 10_000 });
}

describe("0004-purge-legacy-credentials", () => {
  it("refuses to run before the consolidation migration has been applied, and touches nothing", async () => {
    const report = await runner([PURGE_LEGACY_CREDENTIALS_MIGRATION]).up();
    const caught = report.failed?.error;
    expect(report.failed?.id).toBe(PURGE_LEGACY_CREDENTIALS_MIGRATION.id);
    expect(isCspmError(caught) && caught.code).toBe("CONFLICT");
    expect(isCspmError(caught) && caught.reason).toBe("MIGRATION_PREREQUISITE");
    expect(await legacy().countDocuments({ credentials: { $exists: true } })).toBe(1);
    expect(await legacy().countDocuments({ encrypted_credentials: { $exists: true } })).toBe(1);
  });

  it("after consolidation (sources kept) removes the plaintext, reports it, and a second run is a no-op", async () => {
    const migrations = [SYNC_INDEXES_MIGRATION, CONSOLIDATE_CLOUD_ACCOUNTS_MIGRATION, PURGE_LEGACY_CREDENTIALS_MIGRATION];
    // The state the issue describes: consolidation applied earlier with the default (keep sources).
    await runner([SYNC_INDEXES_MIGRATION, CONSOLIDATE_CLOUD_ACCOUNTS_MIGRATION]).up();
    expect(JSON.stringify(await legacy().find({}).toArray())).toContain(SECRET);
    const dry = await runner(migrations).dryRun();
    expect(JSON.stringify(dry)).toContain('"credentials_to_purge":2');

    await runner(migrations).up();
    const entry = await ledger().findOne({ id: PURGE_LEGACY_CREDENTIALS_MIGRATION.id });
    expect(entry?.result).toEqual({ credentials_purged: 2, not_consolidated_with_credentials: 0 });
    const after = await legacy().find({}).toArray();
    expect(JSON.stringify(after)).not.toContain(SECRET);
    expect(after.filter((doc) => doc.credentials_purged_at instanceof Date)).toHaveLength(2);
    // The encrypted copies are still there.
    expect(await target().countDocuments({ encrypted_credentials: { $exists: true } })).toBe(2);

    const before = await legacy().find({}).sort({ _id: 1 }).toArray();
    await runner(migrations).up();
    expect(await legacy().find({}).sort({ _id: 1 }).toArray()).toEqual(before);
    const runs = await ledger().find({ id: PURGE_LEGACY_CREDENTIALS_MIGRATION.id }).toArray();
    expect(runs).toHaveLength(1);
  });
});
