export { defineMigration, migrationChecksum } from "./defineMigration";
export type { Migration, MigrationDefinition, MigrationReport, MigrationReportValue } from "./defineMigration";
export type { MigrationConfig, MigrationContext, MigrationLogger } from "./migrationContext";
export type { MigrationDatabaseManager } from "./migrationDatabaseManager";
export { MigrationRunner } from "./migrationRunner";
export type {
  AppliedMigration,
  DryRunEntry,
  DryRunReport,
  MigrationRunnerOptions,
  MigrationState,
  MigrationStatusEntry,
  MigrationStatusReport,
  UpReport,
} from "./migrationRunner";
export { MigrationLedger } from "./migrationLedger";
export type { LedgerEntry, LedgerOutcome, LedgerRecord } from "./migrationLedger";
export { MIGRATION_LOCK_ID, MigrationLock, describeLockHolder, lockHeldError } from "./migrationLock";
export type { MigrationLockAttempt, MigrationLockDocument, MigrationLockHolder, MigrationLockOptions } from "./migrationLock";
export { ProgressReporter, formatProgress } from "./progressReporter";
export type { ProgressReporterOptions } from "./progressReporter";
export { consoleMigrationLogger, silentMigrationLogger } from "./consoleMigrationLogger";
export { BUILT_IN_MIGRATIONS } from "./builtInMigrations";
export { SYNC_INDEXES_MIGRATION, INDEX_CATALOG_FINGERPRINT } from "./built-in/syncIndexes";
export { CONSOLIDATE_CLOUD_ACCOUNTS_MIGRATION } from "./built-in/consolidateCloudAccounts";
export type { CloudAccountIdentity, ConsolidateCloudAccountsOptions } from "./built-in/consolidateCloudAccountsOptions";
export { cloudAccountKey, legacyCredentialKeys, normalizeLegacyCloudAccount } from "./built-in/legacyCloudAccount";
export type { LegacyCloudAccountDocument, LegacyNormalization, NormalizedLegacyAccount } from "./built-in/legacyCloudAccount";
export { mergeCloudAccountSources } from "./built-in/cloudAccountMerge";
export type { CloudAccountMerge, CredentialsChoice, ExistingCloudAccount, MergedCloudAccountFields } from "./built-in/cloudAccountMerge";
export { EMBEDDINGS_BACKFILL_MIGRATION, EMBEDDING_MODEL_FIELD } from "./built-in/embeddingsBackfill";
export { PURGE_LEGACY_CREDENTIALS_MIGRATION } from "./built-in/purgeLegacyCredentials";
export { FINDING_QUERY_FIELDS_MIGRATION } from "./built-in/findingQueryFields";
export {
  FINDING_CHECK_WEEK_ROLLUPS_MIGRATION,
  FINDING_FACET_CELLS_MIGRATION,
  FINDING_ROLLUPS_MIGRATION,
  FINDING_TREND_ROLLUPS_MIGRATION,
} from "./built-in/findingRollups";
export type { EmbedFunction, EmbeddingsBackfillOptions } from "./built-in/embeddingsBackfillOptions";
export { MIGRATE_EXIT_CODES, MIGRATE_USAGE, runMigrateCli } from "./migrateCli";
export type { MigrateCliIo } from "./migrateCli";
