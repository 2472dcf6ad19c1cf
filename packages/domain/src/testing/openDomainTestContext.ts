import { testDatabasePrefix } from "@cspm/testkit";
/**
 * Test-only (not exported): one test file's private databases on the test MongoDB
 * (`CSPM_TEST_MONGODB_URI`, set by the testkit's global setup), with the registry's indexes and a
 * `RepositoryFactory` over a `CSPMDatabaseManager`.
 */
import { CommandMonitor, CSPMDatabaseManager } from "@cspm/mongo";
import { DatabaseRegistry, type DatabaseRef } from "@cspm/registry";
import { RepositoryFactory } from "@cspm/repository";
import { type Collection, type Document, MongoClient } from "mongodb";

/** A connected manager with a fresh `t_<random>_` prefix, a factory over it, and cleanup. */
export interface DomainTestContext {
  readonly client: MongoClient;
  readonly manager: CSPMDatabaseManager;
  readonly factory: RepositoryFactory;
  readonly prefix: string;
  /** Counts the client's commands: `monitor.measure(() => repo.method())` proves what an operation costs. */
  readonly monitor: CommandMonitor;
  /** The raw driver collection, to check what a repository wrote. */
  raw(database: DatabaseRef, collection: string): Collection<Document>;
  /** Drops this file's databases and closes the client. */
  dispose(): Promise<void>;
}

/** Opens the test MongoDB with a per-file prefix and creates the registry's indexes of `databases`. */
export async function openDomainTestContext(databases: readonly DatabaseRef[]): Promise<DomainTestContext> {
  const uri = process.env["CSPM_TEST_MONGODB_URI"];
  if (!uri) throw new Error("CSPM_TEST_MONGODB_URI is not set: run through the root vitest config (testkit globalSetup).");
  const client = new MongoClient(uri, { monitorCommands: true });
  await client.connect();
  const monitor = new CommandMonitor().attach(client);
  const prefix = testDatabasePrefix("domain");
  const manager = new CSPMDatabaseManager(client, { prefix });
  await manager.connect();
  await manager.ensureIndexes({ databases });
  return {
    client,
    manager,
    prefix,
    monitor,
    factory: new RepositoryFactory({ provider: manager }),
    raw: (database, collection) => manager.getCollection(database, collection),
    async dispose() {
      for (const database of DatabaseRegistry.all()) {
        await client.db(DatabaseRegistry.databaseName(database.key, prefix)).dropDatabase();
      }
      monitor.detach();
      await manager.close();
      await client.close();
    },
  };
}
