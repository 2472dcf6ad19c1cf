/**
 * Test-only (not exported): one test file's private databases on the test MongoDB (`CSPM_TEST_MONGODB_URI`,
 * set by the testkit's global setup), with the ingest databases' indexes, a repository factory and cleanup.
 */
import { CSPMDatabaseManager } from "@cspm/mongo";
import { DatabaseRegistry } from "@cspm/registry";
import { RepositoryFactory } from "@cspm/repository";
import { testDatabasePrefix } from "@cspm/testkit";
import { type Collection, type Document, MongoClient } from "mongodb";
import { type ImportRepositories, importRepositories } from "../importScan";

/** A connected manager with its own prefix, the import repositories over it, and raw collections to check. */
export interface IngestTestContext {
  readonly uri: string;
  readonly prefix: string;
  readonly client: MongoClient;
  readonly factory: RepositoryFactory;
  readonly repositories: ImportRepositories;
  raw(database: "CLOUD_SECURITY" | "SECURITY_SCANS" | "ORCHESTRATION" | "COMPLIANCE", collection: string): Collection<Document>;
  dispose(): Promise<void>;
}

/** Opens the test MongoDB (or `uri`, e.g. through a proxy) with a fresh prefix (or `prefix`). */
export async function openIngestTestContext(options: { uri?: string; prefix?: string } = {}): Promise<IngestTestContext> {
  const base = process.env["CSPM_TEST_MONGODB_URI"];
  if (!base) throw new Error("CSPM_TEST_MONGODB_URI is not set: run through the root vitest config (testkit globalSetup).");
  const uri = options.uri ?? base;
  const prefix = options.prefix ?? testDatabasePrefix("ingest");
  const client = new MongoClient(uri);
  await client.connect();
  const manager = new CSPMDatabaseManager(client, { prefix });
  await manager.connect();
  await manager.ensureIndexes({ databases: ["CLOUD_SECURITY", "SECURITY_SCANS", "ORCHESTRATION", "COMPLIANCE"] });
  const factory = new RepositoryFactory({ provider: manager });
  return {
    uri,
    prefix,
    client,
    factory,
    repositories: importRepositories(factory),
    raw: (database, collection) => manager.getCollection(database, collection),
    async dispose() {
      for (const database of DatabaseRegistry.all())
        await client
          .db(DatabaseRegistry.databaseName(database.key, prefix))
          .dropDatabase()
          .catch(() => undefined);
      await manager.close().catch(() => undefined);
      await client.close().catch(() => undefined);
    },
  };
}
