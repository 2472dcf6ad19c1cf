import { MongoClient, type MongoClientOptions } from "mongodb";

/** Options for {@link connectTestClient}. */
export interface ConnectTestClientOptions {
  /** Connection string; defaults to `CSPM_TEST_MONGODB_URI` (set by the testkit's vitest global setup). */
  readonly uri?: string;
  /** Extra driver options. */
  readonly clientOptions?: MongoClientOptions;
}

/** The test MongoDB URI the global setup published, or an error saying how to get one. */
export function testMongoUri(): string {
  const uri = process.env.CSPM_TEST_MONGODB_URI;
  if (!uri) {
    throw new Error(
      "CSPM_TEST_MONGODB_URI is not set: add '@cspm/testkit/vitest-global-setup' to the vitest project's globalSetup, or call startTestMongo() yourself",
    );
  }
  return uri;
}

/**
 * Connects a `MongoClient` to the test MongoDB.
 *
 * @example
 * const client = await connectTestClient();
 * afterAll(() => client.close());
 */
export async function connectTestClient(options: ConnectTestClientOptions = {}): Promise<MongoClient> {
  const client = new MongoClient(options.uri ?? testMongoUri(), { serverSelectionTimeoutMS: 10_000, ...options.clientOptions });
  await client.connect();
  return client;
}
