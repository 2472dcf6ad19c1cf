import { testDatabasePrefix } from "@cspm/testkit";
/**
 * Test-only: one file's private databases on the test MongoDB (`CSPM_TEST_MONGODB_URI`, set by the
 * testkit's global setup). Not exported from the package.
 */
import { DatabaseRegistry, type DatabaseRef } from "@cspm/registry";
import { type Collection, type Document, MongoClient, type MongoClientOptions } from "mongodb";
import { type CollectionProvider, createCollectionProvider } from "./collectionProvider";

/** A connected client, a per-file database prefix and a provider over it. */
export interface IntegrationDatabase {
  readonly client: MongoClient;
  readonly prefix: string;
  readonly provider: CollectionProvider;
  /** The raw driver collection (for seeding and for checking what repositories wrote). */
  raw(database: DatabaseRef, collection: string): Collection<Document>;
  /** Creates the registry's indexes of a collection. */
  createIndexes(database: DatabaseRef, collection: string): Promise<void>;
  /** Drops this file's databases and closes the client. */
  dispose(): Promise<void>;
}

/** The test server's URI; throws when the global setup did not provide one. */
export function testMongoUri(): string {
  const uri = process.env.CSPM_TEST_MONGODB_URI;
  if (!uri) throw new Error("CSPM_TEST_MONGODB_URI is not set: run through vitest with the testkit's global setup.");
  return uri;
}

/** Opens a client with a fresh `t_<random>_` prefix. */
export async function openIntegrationDatabase(options: MongoClientOptions = {}): Promise<IntegrationDatabase> {
  const client = new MongoClient(testMongoUri(), options);
  await client.connect();
  const prefix = testDatabasePrefix("repo");
  const used = new Set<string>();
  const databaseName = (ref: DatabaseRef) => {
    const name = DatabaseRegistry.databaseName(ref, prefix);
    used.add(name);
    return name;
  };
  const inner = createCollectionProvider(client, { prefix });
  const provider: CollectionProvider = {
    getCollection(database, collection) {
      databaseName(database);
      return inner.getCollection(database, collection);
    },
  };
  return {
    client,
    prefix,
    provider,
    raw: (database, collection) => client.db(databaseName(database)).collection(collection),
    async createIndexes(database, collection) {
      const definition = DatabaseRegistry.getCollection(database, collection);
      const target = client.db(databaseName(database)).collection(collection);
      for (const index of definition.indexes) {
        await target.createIndex(index.key as Document, {
          name: index.name,
          ...(index.unique === undefined ? {} : { unique: index.unique }),
          ...(index.sparse === undefined ? {} : { sparse: index.sparse }),
        });
      }
    },
    async dispose() {
      for (const name of used) await client.db(name).dropDatabase();
      await client.close();
    },
  };
}
