import type { DatabaseRef } from "@cspm/registry";
import type { Collection, Db, Document } from "mongodb";
import { CSPMDatabaseManager, type CSPMDatabaseManagerOptions } from "./cspmDatabaseManager";

/**
 * The thin entry point services use to get a database by registry key or alias, on top of a
 * `CSPMDatabaseManager` (which owns the client). Keeps services free of connection concerns.
 * @example
 * const factory = await DatabaseFactory.connect({ uri: process.env.MONGODB_URI! });
 * const findings = factory.getCollection("cloud_security", "prowler_findings");
 */
export class DatabaseFactory {
  /** The manager this factory reads from. */
  readonly manager: CSPMDatabaseManager;

  constructor(manager: CSPMDatabaseManager) {
    this.manager = manager;
  }

  /** Creates a manager, connects it and wraps it. Throws `UNAVAILABLE` (with host and hint) or `VALIDATION_FAILED` (bad prefix). */
  static async connect(options: CSPMDatabaseManagerOptions): Promise<DatabaseFactory> {
    const manager = new CSPMDatabaseManager(options);
    await manager.connect();
    return new DatabaseFactory(manager);
  }

  /** The database for a registry key, alias or name (default `PLATFORM`). Throws `VALIDATION_FAILED` or `UNAVAILABLE`. */
  getDatabase(ref: DatabaseRef = "PLATFORM"): Db {
    return this.manager.getDatabase(ref);
  }

  /** A registered collection of that database. Throws `VALIDATION_FAILED`, `CONTRACT_VIOLATION` (legacy name) or `UNAVAILABLE`. */
  getCollection<T extends Document = Document>(ref: DatabaseRef, collection: string): Collection<T> {
    return this.manager.getCollection<T>(ref, collection);
  }
}
