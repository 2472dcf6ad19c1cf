import { randomBytes } from "node:crypto";
import { type Collection, type Db, type Document, MongoClient } from "mongodb";
import { afterAll, beforeAll } from "vitest";
import { type CompatServer, startCompatServer } from "../src/index";

/** Per-file harness: a client, a database prefix owned by the file, and cleanup. */
export interface Harness {
  readonly prefix: string;
  client(): MongoClient;
  db(name?: string): Db;
  coll<T extends Document = Document>(name: string, dbName?: string): Collection<T>;
}

/**
 * The server the conformance files run against: `MONGODB_URI` (a real mongod, to check the files
 * themselves), else the run's shared test MongoDB (`CSPM_TEST_MONGODB_URI`), else an engine started
 * for this file. The files use only the driver, so they run unchanged against any of them.
 */
function targetUri(): string | undefined {
  return process.env.MONGODB_URI ?? process.env.CSPM_TEST_MONGODB_URI;
}

/** Wires a connected client and a per-file database prefix into the current test file. */
export function useHarness(label: string): Harness {
  const prefix = `t_${label}_${randomBytes(4).toString("hex")}_`;
  let client: MongoClient | undefined;
  let own: CompatServer | undefined;
  beforeAll(async () => {
    let uri = targetUri();
    if (uri === undefined) {
      own = await startCompatServer();
      uri = own.uri;
    }
    client = await MongoClient.connect(uri);
  });
  afterAll(async () => {
    if (client) {
      const { databases } = await client.db("admin").admin().listDatabases({ nameOnly: true });
      for (const { name } of databases) if (name.startsWith(prefix)) await client.db(name).dropDatabase();
      await client.close();
    }
    await own?.stop();
  });
  const get = (): MongoClient => {
    if (!client) throw new Error("client not connected yet");
    return client;
  };
  return {
    prefix,
    client: get,
    db: (name = "main") => get().db(`${prefix}${name}`),
    coll: <T extends Document = Document>(name: string, dbName = "main") => get().db(`${prefix}${dbName}`).collection<T>(name),
  };
}
