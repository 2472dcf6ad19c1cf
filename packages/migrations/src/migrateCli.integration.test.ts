import { CredentialCipher, generateKey } from "@cspm/crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUILT_IN_MIGRATIONS } from "./builtInMigrations";
import { defineMigration } from "./defineMigration";
import { MIGRATE_EXIT_CODES, runMigrateCli } from "./migrateCli";
import { MigrationLock } from "./migrationLock";
import { openTestManager, type TestManager } from "./testing/openTestManager";

let t: TestManager;
const keys = `k1:${generateKey()}`;

beforeAll(async () => {
  t = await openTestManager();
});

afterAll(async () => {
  await t?.drop();
});

async function cli(argv: string[], extra: Parameters<typeof runMigrateCli>[1] = {}): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await runMigrateCli(argv, {
    env: { MONGODB_URI: t.uri, CSPM_DB_PREFIX: t.prefix, CSPM_ENCRYPTION_KEYS: keys },
    stdout: (text) => void (out += text),
    stderr: (text) => void (err += text),
    ...extra,
  });
  return { code, out, err };
}

describe("cspm-migrate", () => {
  it("status prints a table, up applies, status then shows applied", async () => {
    await t.manager.getLegacyCollectionForMigration("cloud_accounts").insertOne({
      team_id: "team-1",
      provider: "aws",
      account_id: "123456789012",
      credentials: { secret_access_key: "SECRET-CLI" },
    });
    const before = await cli(["status"]);
    expect(before.code).toBe(0);
    expect(before.out).toMatch(/^ID\s+STATE\s+APPLIED AT\s+DURATION\s+NOTE/);
    expect(before.out).toMatch(/0002-consolidate-cloud-accounts\s+pending/);
    expect(before.out).toMatch(/0003-embeddings-backfill\s+not_applicable.*no embedder configured/);

    const dry = await cli(["dry-run"]);
    expect(dry.code).toBe(0);
    expect(dry.out).toMatch(/0002-consolidate-cloud-accounts\s+pending\s+yes\s+legacy_pending=1/);
    expect(dry.out).toContain("Dry run: nothing was written.");

    const up = await cli(["up"]);
    expect(up.code).toBe(0);
    expect(up.out).toMatch(/applied\s+0001-sync-indexes/);
    expect(up.out).toMatch(/applied\s+0002-consolidate-cloud-accounts.*accounts_inserted=1/);
    expect(up.out).toMatch(/skipped\s+0003-embeddings-backfill/);
    expect(up.out).toMatch(/applied\s+0004-purge-legacy-credentials.*credentials_purged=1/);
    expect(up.out + up.err).not.toContain("SECRET-CLI");
    const account = await t.manager.getCollection("CLOUD_SECURITY", "enhanced_cloud_accounts").findOne({ team_id: "team-1" });
    expect(
      new CredentialCipher(keys).decryptJson(account?.encrypted_credentials, {
        aad: { team_id: "team-1", provider: "aws", account_id: "123456789012" },
      }),
    ).toEqual({
      secret_access_key: "SECRET-CLI",
    });

    const after = await cli(["status", "--json"]);
    const report = JSON.parse(after.out) as { migrations: { id: string; state: string }[] };
    expect(report.migrations.map((m) => m.state)).toEqual([
      "applied",
      "applied",
      "not_applicable",
      "applied",
      "applied",
      "applied",
      "applied",
      "applied",
      "applied",
    ]);
    // The legacy source kept by default no longer holds the plaintext (0004-purge-legacy-credentials).
    const source = await t.manager.getLegacyCollectionForMigration("cloud_accounts").findOne({});
    expect(JSON.stringify(source)).not.toContain("SECRET-CLI");
    expect((await cli(["up"])).out).toContain("Nothing to apply: up to date.");
  });

  it("exits 1 when a migration fails and 2 when the lock is held", async () => {
    const failing = defineMigration({ id: "t-cli-fails", description: "fails", up: async () => Promise.reject(new Error("nope")) });
    const failed = await cli(["up"], { migrations: [...BUILT_IN_MIGRATIONS, failing] });
    expect(failed.code).toBe(MIGRATE_EXIT_CODES.FAILED);
    expect(failed.out).toMatch(/FAILED\s+t-cli-fails\s+INTERNAL/);

    const holder = new MigrationLock({
      collection: t.manager.getCollection("PLATFORM", "migration_locks"),
      owner: "someone-else",
      ttlMs: 60_000,
    });
    await holder.tryAcquire();
    const blocked = await cli(["up"]);
    expect(blocked.code).toBe(MIGRATE_EXIT_CODES.BLOCKED);
    expect(blocked.err).toContain('CONFLICT: Migrations are locked by "someone-else" until ');
    await holder.release();
  });

  it("prints help, and exits 64 on usage errors without echoing key material", async () => {
    const help = await cli(["--help"]);
    expect(help.code).toBe(0);
    expect(help.out).toContain("Usage: cspm-migrate <command>");
    expect((await cli([])).code).toBe(MIGRATE_EXIT_CODES.USAGE);
    expect((await cli(["sideways"])).code).toBe(MIGRATE_EXIT_CODES.USAGE);
    expect((await cli(["up", "--wait", "soon"])).code).toBe(MIGRATE_EXIT_CODES.USAGE);
    const noUri = await runMigrateCli(["status"], { env: {}, stdout: () => undefined, stderr: () => undefined });
    expect(noUri).toBe(MIGRATE_EXIT_CODES.USAGE);
    let err = "";
    const badKeys = await runMigrateCli(["status"], {
      env: { MONGODB_URI: t.uri, CSPM_ENCRYPTION_KEYS: "k1:not-really-a-key-but-secret-looking" },
      stdout: () => undefined,
      stderr: (text) => void (err += text),
    });
    expect(badKeys).toBe(MIGRATE_EXIT_CODES.USAGE);
    expect(err).toContain("VALIDATION_FAILED");
    expect(err).not.toContain("not-really-a-key-but-secret-looking");
  });
});
