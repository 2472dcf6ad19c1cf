import { isCspmError } from "@cspm/errors";
import { type CSPMDatabaseManager, mapMongoError } from "@cspm/mongo";
import { type DatabaseRef, DatabaseRegistry } from "@cspm/registry";
import type { ClientSession, Document } from "mongodb";
import { assertPipelineWithinDatabase } from "./assertPipelineWithinDatabase";

/** One aggregation to run through `runAggregation`. */
export interface AggregationRequest {
  /** The database the pipeline runs in: registry key, alias or name. */
  readonly database: DatabaseRef;
  /** A collection that database owns (the registry is checked). */
  readonly collection: string;
  readonly pipeline: readonly Document[];
  /** Run inside this session / transaction. */
  readonly session?: ClientSession;
  /**
   * Size of the first batch. Set it to at least the expected number of result documents so the whole
   * answer arrives in the one `aggregate` round trip (no `getMore`).
   */
  readonly batchSize?: number;
  readonly allowDiskUse?: boolean;
}

/**
 * The one way the services send an aggregation: checks the collection against the registry, runs
 * `assertPipelineWithinDatabase` (so a cross-database stage never reaches the server), sends one
 * `aggregate` and maps driver errors. Throws `CONTRACT_VIOLATION` (cross-database or legacy target),
 * `VALIDATION_FAILED` (unknown database/collection, malformed pipeline), `UNAVAILABLE`, `INTERNAL`.
 */
export async function runAggregation<T extends Document = Document>(
  manager: CSPMDatabaseManager,
  request: AggregationRequest,
): Promise<T[]> {
  const { database, collection, pipeline, session, batchSize, allowDiskUse } = request;
  DatabaseRegistry.getCollection(database, collection);
  assertPipelineWithinDatabase(database, pipeline, { databaseName: manager.databaseName(database) });
  try {
    const cursor = manager.getCollection(database, collection).aggregate<T>([...pipeline], {
      ...(session === undefined ? {} : { session }),
      ...(batchSize === undefined ? {} : { batchSize }),
      ...(allowDiskUse === undefined ? {} : { allowDiskUse }),
    });
    return await cursor.toArray();
  } catch (error) {
    if (isCspmError(error)) throw error;
    throw mapMongoError(error, { operation: "aggregate", database: manager.databaseName(database), collection });
  }
}
