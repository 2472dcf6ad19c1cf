import { ConflictError } from "@cspm/errors";
import { defineMigration, type MigrationReport } from "../defineMigration";
import { driverCall } from "../driverCall";
import type { MigrationContext } from "../migrationContext";
import { CONSOLIDATE_CLOUD_ACCOUNTS_MIGRATION } from "./consolidateCloudAccounts";

// cspm-contracts-disable-next-line no-legacy-collection -- this migration exists to clean the legacy collection
const LEGACY_COLLECTION = "cloud_accounts";
/** Where legacy accounts kept credentials (plaintext objects, JSON text, or old envelopes). */
const CREDENTIAL_FIELDS = ["credentials", "encrypted_credentials"] as const;

/** Consolidated sources that still hold credential material. */
const PURGEABLE = { migrated_at: { $exists: true }, $or: CREDENTIAL_FIELDS.map((field) => ({ [field]: { $exists: true } })) };
/** Sources not yet consolidated that hold credential material: left alone (their credentials exist nowhere else) and reported. */
const WAITING = { migrated_at: { $exists: false }, $or: CREDENTIAL_FIELDS.map((field) => ({ [field]: { $exists: true } })) };

async function requireConsolidation(ctx: MigrationContext): Promise<void> {
  if (await ctx.hasApplied(CONSOLIDATE_CLOUD_ACCOUNTS_MIGRATION.id)) return;
  throw new ConflictError(
    `Legacy credentials can only be purged after ${CONSOLIDATE_CLOUD_ACCOUNTS_MIGRATION.id} has been applied: until then they exist nowhere else.`,
    { reason: "MIGRATION_PREREQUISITE", details: { requires: CONSOLIDATE_CLOUD_ACCOUNTS_MIGRATION.id } },
  );
}

async function counts(ctx: MigrationContext): Promise<{ purgeable: number; waiting: number }> {
  const legacy = ctx.manager.getLegacyCollectionForMigration(LEGACY_COLLECTION);
  const purgeable = await driverCall("count purgeable legacy credentials", LEGACY_COLLECTION, () => legacy.countDocuments(PURGEABLE));
  const waiting = await driverCall("count unconsolidated legacy credentials", LEGACY_COLLECTION, () => legacy.countDocuments(WAITING));
  return { purgeable, waiting };
}

/** Removes the credential fields of every consolidated legacy account; idempotent (a second run finds nothing). */
async function purge(ctx: MigrationContext): Promise<MigrationReport> {
  await requireConsolidation(ctx);
  const legacy = ctx.manager.getLegacyCollectionForMigration(LEGACY_COLLECTION);
  const unset = Object.fromEntries(CREDENTIAL_FIELDS.map((field) => [field, ""]));
  const result = await driverCall("purge legacy credentials", LEGACY_COLLECTION, () =>
    legacy.updateMany(PURGEABLE, { $unset: unset, $currentDate: { credentials_purged_at: true } }),
  );
  const { waiting } = await counts(ctx);
  if (waiting > 0)
    ctx.logger.warn(
      `[${ctx.migrationId}] ${waiting} legacy account(s) not yet consolidated still hold credentials; re-run after consolidating them.`,
      {},
    );
  return { credentials_purged: result.modifiedCount, not_consolidated_with_credentials: waiting };
}

/** Counts what `purge` would remove; before consolidation is applied it says so instead of refusing (consolidation runs first in `up`). */
async function purgeDryRun(ctx: MigrationContext): Promise<MigrationReport> {
  const { purgeable, waiting } = await counts(ctx);
  if (!(await ctx.hasApplied(CONSOLIDATE_CLOUD_ACCOUNTS_MIGRATION.id))) {
    return { after: CONSOLIDATE_CLOUD_ACCOUNTS_MIGRATION.id, credentials_to_purge_after_consolidation: purgeable + waiting };
  }
  return { credentials_to_purge: purgeable, not_consolidated_with_credentials: waiting };
}

/**
 * Removes the plaintext (and legacy-envelope) credentials that consolidated `cloud_accounts` documents still
 * carry when `0002-consolidate-cloud-accounts` ran with the default "keep sources": their credentials are
 * already encrypted in `enhanced_cloud_accounts`. Refuses with `CONFLICT` (reason `MIGRATION_PREREQUISITE`)
 * before consolidation has been applied, never touches unconsolidated documents (reported instead), stamps
 * `credentials_purged_at`, and reports how many it purged. Idempotent.
 */
export const PURGE_LEGACY_CREDENTIALS_MIGRATION = defineMigration({
  id: "0004-purge-legacy-credentials",
  description: "Remove plaintext credentials from consolidated legacy cloud_accounts (their encrypted copy is in enhanced_cloud_accounts).",
  version: 1,
  up: purge,
  dryRun: purgeDryRun,
});
