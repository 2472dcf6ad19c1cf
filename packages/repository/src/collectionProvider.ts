import { DatabaseRegistry, type DatabaseRef } from "@cspm/registry";
import type { Collection, Document, MongoClient } from "mongodb";

/**
 * What a repository needs from the database layer: the driver collection for a registry database and
 * collection. `CSPMDatabaseManager` from `@cspm/mongo` satisfies it; `createCollectionProvider` builds one
 * from a plain `MongoClient`. Implementations must refuse collections the registry does not place in
 * that database (`VALIDATION_FAILED`) and legacy names (`CONTRACT_VIOLATION`).
 */
export interface CollectionProvider {
  getCollection<T extends Document = Document>(database: DatabaseRef, collection: string): Collection<T>;
  /** The deadline of every repository operation in ms (`UNAVAILABLE` past it); undefined for none. */
  readonly operationTimeoutMS?: number | undefined;
}

/** Options of `createCollectionProvider`. */
export interface CollectionProviderOptions {
  /** Environment prefix for database names (`"test_42"` -> `test_42_cspm_platform`). */
  readonly prefix?: string;
  /** The deadline of every repository operation in ms; default none. */
  readonly operationTimeoutMS?: number;
}

/**
 * A `CollectionProvider` over a plain `MongoClient`, resolving names through `DatabaseRegistry`
 * (for tests, benchmarks and scripts that do not use `@cspm/mongo`). `getCollection` throws
 * `VALIDATION_FAILED` for an unknown or foreign collection and `CONTRACT_VIOLATION` for a legacy one.
 */
export function createCollectionProvider(client: MongoClient, options: CollectionProviderOptions = {}): CollectionProvider {
  const prefix = options.prefix ?? "";
  return {
    operationTimeoutMS: options.operationTimeoutMS,
    getCollection<T extends Document = Document>(database: DatabaseRef, collection: string): Collection<T> {
      DatabaseRegistry.getCollection(database, collection);
      return client.db(DatabaseRegistry.databaseName(database, prefix)).collection<T>(collection);
    },
  };
}
