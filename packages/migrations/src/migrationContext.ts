import type { CredentialCipher } from "@cspm/crypto";
import type { ConsolidateCloudAccountsOptions } from "./built-in/consolidateCloudAccountsOptions";
import type { EmbeddingsBackfillOptions } from "./built-in/embeddingsBackfillOptions";
import type { MigrationDatabaseManager } from "./migrationDatabaseManager";

/** Where the runner and migrations write their lines. Fields are JSON-safe and never hold secrets. */
export interface MigrationLogger {
  info(message: string, fields?: Readonly<Record<string, unknown>>): void;
  warn(message: string, fields?: Readonly<Record<string, unknown>>): void;
  error(message: string, fields?: Readonly<Record<string, unknown>>): void;
}

/**
 * Services and settings the host hands to migrations through the runner (`new MigrationRunner({ config })`).
 * Built-in migrations read theirs from here; your own migrations may read anything you add by extending it.
 */
export interface MigrationConfig {
  /** Encrypts credentials moved by `0001-consolidate-cloud-accounts` (required when legacy accounts carry credentials). */
  readonly cipher?: CredentialCipher;
  /** Settings of `0001-consolidate-cloud-accounts`. */
  readonly cloudAccounts?: ConsolidateCloudAccountsOptions;
  /** The embedder of `0003-embeddings-backfill`; without it that migration is skipped (stays pending). */
  readonly embeddings?: EmbeddingsBackfillOptions;
}

/** What a migration's `up`, `dryRun` and `applicable` receive. */
export interface MigrationContext {
  /** Id of the running migration. */
  readonly migrationId: string;
  /** The database manager: registry-checked collections, the legacy escape hatch, `ensureIndexes`. */
  readonly manager: MigrationDatabaseManager;
  readonly config: MigrationConfig;
  readonly logger: MigrationLogger;
  /** True inside `dryRun`: nothing may be written. */
  readonly dryRun: boolean;
  /** Aborted when the runner lost its lock (another runner took over): stop writing as soon as possible. */
  readonly signal: AbortSignal;
  /**
   * Reports `done` of `total` (documents, batches) as `[id] 5,000/12,000 (41%)` at a bounded rate.
   * Throws `CONFLICT` when the lock was lost, so a long loop stops at its next progress call.
   */
  progress(done: number, total: number): void;
  /** Throws `CONFLICT` when the lock was lost. */
  throwIfAborted(): void;
  /** True when the ledger records the migration `id` as applied (for migrations that depend on another). */
  hasApplied(id: string): Promise<boolean>;
}
