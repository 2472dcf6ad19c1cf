import { createHash } from "node:crypto";
import type { EnsureIndexesReport } from "@cspm/mongo";
import { DatabaseRegistry } from "@cspm/registry";
import { defineMigration, type MigrationReport } from "../defineMigration";
import type { MigrationContext } from "../migrationContext";

const MAX_LISTED = 50;

/**
 * A fingerprint of every declared collection and index in the registry. It is this migration's `version`,
 * so (being `repeatable`) it runs again whenever a release declares a new or changed index.
 */
export const INDEX_CATALOG_FINGERPRINT = createHash("sha256")
  .update(
    JSON.stringify(
      DatabaseRegistry.all().map((database) => [
        database.key,
        database.collections.map((collection) => [collection.name, collection.indexes]),
      ]),
    ),
  )
  .digest("hex")
  .slice(0, 16);

function where(location: { databaseName: string; collection: string; index: string }): string {
  return `${location.databaseName}.${location.collection}.${location.index}`;
}

/** The ledger-sized summary of an `ensureIndexes` report: counts plus the drifted indexes by name. */
function summarize(report: EnsureIndexesReport): MigrationReport {
  return {
    databases: DatabaseRegistry.keys().length,
    collections_created: report.collectionsCreated.length,
    indexes_created: report.created.length,
    indexes_unchanged: report.unchanged.length,
    drift_undeclared: report.undeclared.slice(0, MAX_LISTED).map(where),
    drift_mismatched: report.mismatched.slice(0, MAX_LISTED).map((m) => `${where(m)} (${m.differences.join(", ")})`),
    drift_count: report.undeclared.length + report.mismatched.length,
  };
}

/**
 * Creates every collection and index the registry declares on all 14 databases through
 * `manager.ensureIndexes()`; idempotent by construction, drops nothing, and reports drift (undeclared or
 * mismatched indexes) in its result. Repeatable: re-runs when the declared catalog changes.
 */
export const SYNC_INDEXES_MIGRATION = defineMigration({
  id: "0001-sync-indexes",
  description: "Create the declared collections and indexes on all 14 databases; report drift, drop nothing.",
  version: INDEX_CATALOG_FINGERPRINT,
  repeatable: true,
  up: async (ctx: MigrationContext) => summarize(await ctx.manager.ensureIndexes()),
  dryRun: async (ctx: MigrationContext) => summarize(await ctx.manager.ensureIndexes({ dryRun: true })),
});
