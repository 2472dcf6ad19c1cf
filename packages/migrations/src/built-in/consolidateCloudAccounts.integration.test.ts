import { CredentialCipher, type EncryptedEnvelope, formatEnvelope, generateKey, isEncryptedEnvelope } from "@cspm/crypto";
import { isCspmError } from "@cspm/errors";
import { BSON, type Document, ObjectId } from "mongodb";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { MigrationConfig } from "../migrationContext";
import type { LedgerEntry } from "../migrationLedger";
import { MigrationRunner } from "../migrationRunner";
import { captureLogger, openTestManager, snapshotDatabases, type TestManager } from "../testing/openTestManager";
import { CONSOLIDATE_CLOUD_ACCOUNTS_MIGRATION } from "./consolidateCloudAccounts";
import type { ConsolidateCloudAccountsOptions } from "./consolidateCloudAccountsOptions";
import { SYNC_INDEXES_MIGRATION } from "./syncIndexes";

let t: TestManager;
const cipher = new CredentialCipher([{ id: "k1", key: generateKey() }]);
const MIGRATIONS = [SYNC_INDEXES_MIGRATION, CONSOLIDATE_CLOUD_ACCOUNTS_MIGRATION];

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
  await t.manager.getCollection("PLATFORM", "migration_locks").deleteMany({});
});

/** A fixed ObjectId whose embedded time is 2021-01-14 (the fallback creation time of a legacy document). */
function oid(n: number): ObjectId {
  return new ObjectId(`60000000${n.toString(16).padStart(16, "0")}`);
}

const GUID = "0F8FAD5B-D9CB-469F-A165-70867728950E";

/** 57 legacy documents in every shape the old service wrote, with duplicates; fixed ids so two seeds are identical. */
function legacyDocuments(): Document[] {
  const docs: Document[] = [
    {
      _id: oid(1),
      team_id: "team-a",
      cloud_provider: "aws",
      account_number: 111111111111,
      account_name: "Prod old",
      is_active: true,
      regions: ["us-east-1"],
      tags: { env: "prod" },
      credentials: { aws_access_key_id: "AKIA-ONE", aws_secret_access_key: "SECRET-OLD" },
      created_at: new Date("2021-01-01T00:00:00Z"),
      updated_at: new Date("2021-06-01T00:00:00Z"),
    },
    {
      _id: oid(2),
      team_id: "team-a",
      provider: "aws",
      account_id: "111111111111",
      name: "Prod",
      regions: ["eu-west-1"],
      tags: [{ key: "owner", value: "sec" }],
      credentials: JSON.stringify({ access_key_id: "AKIA-TWO", secret_access_key: "SECRET-NEW" }),
      created_at: new Date("2021-03-01T00:00:00Z"),
      updated_at: new Date("2023-01-01T00:00:00Z"),
    },
    {
      _id: oid(3),
      team_id: "team-a",
      provider: "amazon",
      account_id: "1111-1111-1111",
      is_active: false,
      updated_at: new Date("2022-01-01T00:00:00Z"),
    },
    {
      _id: oid(4),
      team_id: "team-a",
      provider: "azure",
      subscription_id: GUID,
      name: "Azure sub",
      credentials: { clientId: "cid", clientSecret: "SECRET-AZURE", tenantId: "tid" },
      created_at: new Date("2022-05-05T00:00:00Z"),
    },
    {
      _id: oid(5),
      team_id: "team-b",
      provider: "aws",
      account_id: "111111111111",
      name: "Team B prod",
      created_at: new Date("2022-01-01T00:00:00Z"),
    },
    {
      _id: oid(6),
      team_id: "team-b",
      provider: "gcp",
      project_id: "team-b-project",
      regions: ["europe-west1"],
      created_at: new Date("2020-01-01T00:00:00Z"),
    },
    {
      _id: oid(7),
      team_id: "team-a",
      provider: "kubernetes",
      cluster_name: "prod-cluster",
      credentials: formatEnvelope(cipher.encryptJson({ token: "SECRET-K8S" })),
      created_at: new Date("2023-03-03T00:00:00Z"),
    },
  ];
  for (let i = 0; i < 40; i += 1) {
    const accountId = String(200000000000 + i);
    docs.push({
      _id: oid(100 + i),
      team_id: "team-c",
      cloud_provider: "aws",
      account_id: accountId,
      account_name: `Account ${i}`,
      regions: [i % 2 === 0 ? "us-east-1" : "us-west-2"],
      credentials: { role_arn: `arn:aws:iam::${accountId}:role/SECRET-C-${i}` },
      created_at: new Date(Date.UTC(2022, 0, 1 + i)),
    });
    if (i % 4 === 0) {
      docs.push({
        _id: oid(500 + i),
        team_id: "team-c",
        provider: "aws",
        account_number: accountId,
        name: `Account ${i} renamed`,
        region: "ap-south-1",
        tags: [`dup=${i}`],
        updated_at: new Date(Date.UTC(2024, 0, 1 + i)),
      });
    }
  }
  return docs;
}

const SECRETS = ["SECRET-", "AKIA-"];

async function seed(): Promise<void> {
  await legacy().insertMany(legacyDocuments());
  // Written by the new system after the legacy one stopped: newer than every legacy document.
  await target().insertOne({
    _id: oid(9_000),
    team_id: "team-b",
    provider: "gcp",
    account_id: "team-b-project",
    name: "Managed by the new system",
    status: "active",
    regions: ["us-central1"],
    tags: [],
    created_at: new Date("2024-06-01T00:00:00Z"),
    updated_at: new Date("2030-01-01T00:00:00Z"),
  });
}

function runner(config: MigrationConfig = { cipher }, logger = captureLogger().logger): MigrationRunner {
  return new MigrationRunner({ manager: t.manager, migrations: MIGRATIONS, logger, config, lockTtlMs: 10_000 });
}

function withAccounts(options: ConsolidateCloudAccountsOptions): MigrationConfig {
  return { cipher, cloudAccounts: { batchSize: 7, ...options } };
}

function decrypt(doc: Document): unknown {
  return cipher.decryptJson(doc.encrypted_credentials as EncryptedEnvelope, {
    aad: { team_id: doc.team_id, provider: doc.provider, account_id: doc.account_id },
  });
}

/** Targets with credentials decrypted and `_id` dropped, plus which identity each legacy document points to. */
async function comparableState(): Promise<{ accounts: Document[]; sources: Document[] }> {
  const accounts = await target().find({}).sort({ team_id: 1, provider: 1, account_id: 1 }).toArray();
  const identityById = new Map(accounts.map((a) => [String(a._id), `${a.team_id}|${a.provider}|${a.account_id}`]));
  const sources = await legacy().find({}).sort({ _id: 1 }).toArray();
  return {
    accounts: accounts.map(({ _id, encrypted_credentials, ...rest }) => ({
      ...rest,
      credentials: encrypted_credentials === undefined ? undefined : decrypt({ ...rest, encrypted_credentials }),
    })),
    sources: sources.map((s) => ({
      _id: String(s._id),
      migration_key: s.migration_key,
      migrated: s.migrated_at instanceof Date,
      migrated_to: s.migrated_to === undefined ? undefined : identityById.get(String(s.migrated_to)),
    })),
  };
}

describe("0002-consolidate-cloud-accounts", () => {
  it("maps fields, merges duplicates (newest wins, regions and tags united) and marks sources", async () => {
    await seed();
    const report = await runner(withAccounts({})).up();
    expect(report.outcome).toBe("applied");

    const accounts = await target().find({}).toArray();
    // 5 + 40 distinct identities, one of which (team-b gcp) already existed.
    expect(accounts).toHaveLength(45);
    const prod = accounts.find((a) => a.team_id === "team-a" && a.provider === "aws");
    expect(prod).toMatchObject({
      account_id: "111111111111",
      name: "Prod",
      status: "inactive",
      regions: ["eu-west-1", "us-east-1"],
      tags: [
        { key: "env", value: "prod" },
        { key: "owner", value: "sec" },
      ],
      created_at: new Date("2021-01-01T00:00:00Z"),
      updated_at: new Date("2023-01-01T00:00:00Z"),
      credentials_updated_at: new Date("2023-01-01T00:00:00Z"),
    });
    expect(decrypt(prod as Document)).toEqual({ access_key_id: "AKIA-TWO", secret_access_key: "SECRET-NEW" });

    const azure = accounts.find((a) => a.provider === "azure");
    expect(azure?.account_id).toBe(GUID.toLowerCase());
    expect(decrypt(azure as Document)).toEqual({ client_id: "cid", client_secret: "SECRET-AZURE", tenant_id: "tid" });
    const k8s = accounts.find((a) => a.provider === "kubernetes");
    expect(decrypt(k8s as Document)).toEqual({ token: "SECRET-K8S" });

    const managed = accounts.find((a) => a.team_id === "team-b" && a.provider === "gcp");
    expect(managed).toMatchObject({ _id: oid(9_000), name: "Managed by the new system", regions: ["europe-west1", "us-central1"] });
    expect(managed?.encrypted_credentials).toBeUndefined();

    const renamed = accounts.find((a) => a.team_id === "team-c" && a.account_id === "200000000004");
    expect(renamed).toMatchObject({ name: "Account 4 renamed", regions: ["ap-south-1", "us-east-1"], tags: [{ key: "dup", value: "4" }] });
    expect(decrypt(renamed as Document)).toEqual({ role_arn: "arn:aws:iam::200000000004:role/SECRET-C-4" });

    const sources = await legacy().find({}).toArray();
    expect(sources).toHaveLength(57);
    const idsByIdentity = new Map(accounts.map((a) => [`${a.team_id}|${a.provider}|${a.account_id}`, String(a._id)]));
    for (const source of sources) {
      expect(source.migrated_at).toBeInstanceOf(Date);
      expect(String(source.migrated_to)).toBe(idsByIdentity.get(source.migration_key as string));
    }
    const entry = await ledger().findOne({ id: CONSOLIDATE_CLOUD_ACCOUNTS_MIGRATION.id });
    expect(entry?.result).toMatchObject({ accounts_inserted: 44, accounts_updated: 1, sources_marked: 57, sources_deleted: 0, invalid: 0 });
  });

  it("stores credentials only encrypted: no plaintext secret in accounts, ledger or logs", async () => {
    await seed();
    const { lines, logger } = captureLogger();
    await runner(withAccounts({}), logger).up();
    const accounts = await target().find({}).toArray();
    for (const account of accounts.filter((a) => a.encrypted_credentials !== undefined)) {
      expect(isEncryptedEnvelope(account.encrypted_credentials)).toBe(true);
    }
    expect(accounts.filter((a) => a.encrypted_credentials !== undefined)).toHaveLength(43);
    const stored = BSON.EJSON.stringify({ accounts, ledger: await ledger().find({}).toArray() });
    const logged = lines.join("\n");
    for (const secret of SECRETS) {
      expect(stored).not.toContain(secret);
      expect(logged).not.toContain(secret);
    }
    expect(accounts.some((a) => "credentials" in a)).toBe(false);
  });

  it("binds each envelope to its account: moved to another account it does not decrypt", async () => {
    await seed();
    await runner(withAccounts({})).up();
    const prod = await target().findOne({ team_id: "team-a", provider: "aws" });
    expect(() =>
      cipher.decryptJson(prod?.encrypted_credentials as EncryptedEnvelope, {
        aad: { team_id: "team-b", provider: "aws", account_id: "111111111111" },
      }),
    ).toThrow();
  });

  it("run twice: the second run changes nothing", async () => {
    await seed();
    await runner(withAccounts({})).up();
    const before = await snapshotDatabases(t.manager, { exclude: ["migration_ledger", "migration_locks"] });
    await ledger().deleteMany({});
    const second = await runner(withAccounts({})).up();
    expect(second.applied.map((a) => a.id)).toEqual(MIGRATIONS.map((m) => m.id));
    expect(second.applied[1]?.result).toMatchObject({ accounts_inserted: 0, accounts_updated: 0, sources_marked: 0 });
    expect(await snapshotDatabases(t.manager, { exclude: ["migration_ledger", "migration_locks"] })).toEqual(before);
  });

  it("re-merging sources whose accounts are already written changes no byte of the accounts", async () => {
    await seed();
    await runner(withAccounts({})).up();
    const accountsBefore = (await snapshotDatabases(t.manager))["CLOUD_SECURITY.enhanced_cloud_accounts"];
    // The worst crash: every account written, no source marked yet.
    await legacy().updateMany({}, { $unset: { migrated_at: "", migrated_to: "" } });
    await ledger().deleteMany({});
    const again = await runner(withAccounts({})).up();
    expect(again.applied[1]?.result).toMatchObject({
      accounts_inserted: 0,
      accounts_updated: 0,
      accounts_unchanged: 45,
      sources_marked: 57,
    });
    expect((await snapshotDatabases(t.manager))["CLOUD_SECURITY.enhanced_cloud_accounts"]).toEqual(accountsBefore);
  });

  it("resumes after a crash half-way with no duplicates and no loss, ending where an uninterrupted run ends", async () => {
    await seed();
    await runner(withAccounts({})).up();
    const uninterrupted = await comparableState();

    await legacy().deleteMany({});
    await target().deleteMany({});
    await ledger().deleteMany({});
    await seed();
    let crashes = 0;
    const crashing = withAccounts({
      onBatchWritten: ({ index }) => {
        if (index === 2 && crashes === 0) {
          crashes += 1;
          throw new Error("simulated crash after the accounts were written, before the sources were marked");
        }
      },
    });
    const crashed = await runner(crashing).up();
    expect(crashed.outcome).toBe("failed");
    expect(crashed.failed?.id).toBe(CONSOLIDATE_CLOUD_ACCOUNTS_MIGRATION.id);
    expect(await ledger().findOne({ id: CONSOLIDATE_CLOUD_ACCOUNTS_MIGRATION.id })).toMatchObject({ outcome: "failed" });
    const marked = await legacy().countDocuments({ migrated_at: { $exists: true } });
    const written = await target().countDocuments({});
    expect(marked).toBeGreaterThan(0);
    expect(marked).toBeLessThan(57);
    expect(written).toBeGreaterThan(
      await legacy()
        .distinct("migration_key", { migrated_at: { $exists: true } })
        .then((k) => k.length),
    );

    const resumed = await runner(crashing).up();
    expect(resumed.outcome).toBe("applied");
    expect(crashes).toBe(1);
    expect(await target().countDocuments({})).toBe(45);
    expect(await comparableState()).toEqual(uninterrupted);
  });

  it("dry run counts what would change and writes nothing", async () => {
    await seed();
    await runner(withAccounts({})).status(); // no writes either
    const before = await snapshotDatabases(t.manager);
    const report = await runner(withAccounts({ deleteSources: true })).dryRun();
    const entry = report.migrations.find((m) => m.id === CONSOLIDATE_CLOUD_ACCOUNTS_MIGRATION.id);
    expect(entry).toMatchObject({
      wouldRun: true,
      counts: {
        legacy_pending: 57,
        legacy_already_migrated: 0,
        invalid: 0,
        accounts_to_insert: 44,
        accounts_to_merge: 1,
        duplicates_merged: 12,
        sources_to_delete: 57,
      },
    });
    expect(await snapshotDatabases(t.manager)).toEqual(before);
  });

  it("fails before writing any account when a legacy document cannot be mapped; skips it when asked", async () => {
    await seed();
    await legacy().insertMany([
      { _id: oid(7_001), provider: "aws", account_id: "123456789012", credentials: { password: "SECRET-INVALID" } },
      { _id: oid(7_002), team_id: "team-z", provider: "oracle", account_id: "x" },
    ]);
    const { lines, logger } = captureLogger();
    const failed = await runner(withAccounts({}), logger).up();
    expect(failed.outcome).toBe("failed");
    expect(failed.failed?.error.code).toBe("VALIDATION_FAILED");
    expect(failed.failed?.error.details?.ids).toEqual([oid(7_001).toHexString(), oid(7_002).toHexString()]);
    expect(await target().countDocuments({})).toBe(1); // only the pre-existing one
    expect(lines.join("\n")).not.toContain("SECRET-INVALID");

    const skipped = await runner(withAccounts({ onInvalid: "skip" })).up();
    expect(skipped.outcome).toBe("applied");
    expect(skipped.applied.at(-1)?.result).toMatchObject({ invalid: 2, invalid_ids: [oid(7_001).toHexString(), oid(7_002).toHexString()] });
    expect(await target().countDocuments({})).toBe(45);
    expect(await legacy().countDocuments({ migrated_at: { $exists: false } })).toBe(2);
  });

  it("refuses to run without a cipher when legacy accounts carry credentials", async () => {
    await seed();
    const report = await runner({}).up();
    expect(report.outcome).toBe("failed");
    expect(report.failed?.error.code).toBe("VALIDATION_FAILED");
    expect(report.failed?.error.message).toContain("config.cipher");
    expect(await target().countDocuments({})).toBe(1);
  });

  it("deletes the sources after marking only when deleteSources is set", async () => {
    await seed();
    const report = await runner(withAccounts({ deleteSources: true })).up();
    expect(report.applied.at(-1)?.result).toMatchObject({ sources_deleted: 57 });
    expect(await legacy().countDocuments({})).toBe(0);
    expect(await target().countDocuments({})).toBe(45);
  });

  it("reports VALIDATION_FAILED through isCspmError for a bad batch size", async () => {
    await seed();
    const report = await runner(withAccounts({ batchSize: 0 })).up();
    expect(isCspmError(report.failed?.error) && report.failed?.error.code).toBe("VALIDATION_FAILED");
  });
});
