import { DatabaseRegistry } from "@cspm/registry";
import { mapMongoError } from "@cspm/mongo";
import type { Collection, IndexSpecification } from "mongodb";
import type { MigrationReport } from "./defineMigration";

/** Outcome recorded for one migration. */
export type LedgerOutcome = "applied" | "failed";

/** One document of `migration_ledger` (one per migration id; the registry declares a unique index on `id`). */
export interface LedgerEntry {
  id: string;
  checksum: string;
  description: string;
  outcome: LedgerOutcome;
  /** When the last attempt finished (server time). */
  applied_at: Date;
  duration_ms: number;
  /** Runner that made the last attempt. */
  owner: string;
  /** Attempts so far (a failed attempt is retried by the next `up`). */
  attempts: number;
  /** What `up` returned (counts), for applied migrations. */
  result?: MigrationReport;
  /** Code and message of the failure, for failed migrations. Never secrets. */
  error?: { code: string; message: string; cause?: string };
  /** Earlier checksums accepted with `allowChecksumChange`. */
  previous_checksums?: string[];
}

/** What to record after one attempt. */
export interface LedgerRecord {
  readonly id: string;
  readonly checksum: string;
  readonly description: string;
  readonly durationMs: number;
  readonly owner: string;
  readonly result?: MigrationReport;
  readonly error?: { readonly code: string; readonly message: string; readonly cause?: string };
}

/**
 * Reads and writes `migration_ledger`. Writes are upserts keyed by `id`, so there is one entry per migration
 * whatever happens. Driver failures are thrown as mapped `@cspm/errors` (`UNAVAILABLE`, `CONFLICT`, `INTERNAL`).
 */
export class MigrationLedger {
  constructor(private readonly collection: Collection<LedgerEntry>) {}

  /** Creates the registry-declared unique index on `id` (a no-op when it exists). */
  async ensureIndex(): Promise<void> {
    const definitions = DatabaseRegistry.getCollection("PLATFORM", this.collection.collectionName).indexes;
    try {
      for (const definition of definitions) {
        await this.collection.createIndex(definition.key as IndexSpecification, {
          name: definition.name,
          ...(definition.unique === undefined ? {} : { unique: definition.unique }),
        });
      }
    } catch (error) {
      throw mapMongoError(error, { operation: "create ledger index", collection: this.collection.collectionName });
    }
  }

  /** Every entry, by id. */
  async list(): Promise<LedgerEntry[]> {
    try {
      return await this.collection
        .find({}, { projection: { _id: 0 } })
        .sort({ id: 1 })
        .toArray();
    } catch (error) {
      throw mapMongoError(error, { operation: "read ledger", collection: this.collection.collectionName });
    }
  }

  /** True when the ledger records `id` as applied. */
  async isApplied(id: string): Promise<boolean> {
    try {
      return (await this.collection.countDocuments({ id, outcome: "applied" }, { limit: 1 })) > 0;
    } catch (error) {
      throw mapMongoError(error, { operation: "read ledger", collection: this.collection.collectionName });
    }
  }

  /** Records a successful run of a migration. */
  async recordApplied(record: LedgerRecord): Promise<void> {
    await this.record("applied", record);
  }

  /** Records a failed run of a migration (it stays pending and is retried by the next `up`). */
  async recordFailed(record: LedgerRecord): Promise<void> {
    await this.record("failed", record);
  }

  /** Accepts a changed checksum of an applied migration without re-running it; the old one is kept in `previous_checksums`. */
  async acceptChecksum(id: string, previous: string, checksum: string): Promise<void> {
    try {
      await this.collection.updateOne({ id, checksum: previous }, { $set: { checksum }, $push: { previous_checksums: previous } });
    } catch (error) {
      throw mapMongoError(error, { operation: "accept checksum", collection: this.collection.collectionName });
    }
  }

  private async record(outcome: LedgerOutcome, record: LedgerRecord): Promise<void> {
    const set: Partial<LedgerEntry> = {
      checksum: record.checksum,
      description: record.description,
      outcome,
      duration_ms: Math.max(0, Math.round(record.durationMs)),
      owner: record.owner,
    };
    if (record.result !== undefined) set.result = record.result;
    if (record.error !== undefined) set.error = { ...record.error };
    const unset: Record<string, ""> = {};
    if (record.result === undefined) unset.result = "";
    if (record.error === undefined) unset.error = "";
    try {
      await this.collection.updateOne(
        { id: record.id },
        {
          $set: set,
          ...(Object.keys(unset).length > 0 ? { $unset: unset } : {}),
          $currentDate: { applied_at: true },
          $inc: { attempts: 1 },
        },
        { upsert: true },
      );
    } catch (error) {
      throw mapMongoError(error, { operation: `record migration ${record.id}`, collection: this.collection.collectionName });
    }
  }
}
