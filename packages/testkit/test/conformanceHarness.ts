import type { Collection, Db, Document, MongoClient } from "mongodb";
import { afterAll, beforeAll } from "vitest";
import { connectTestClient, dropDatabasesWithPrefix, testDatabasePrefix } from "../src/index";

/** Per-file harness: a client, a database prefix owned by the file, and cleanup. */
export interface Harness {
  readonly prefix: string;
  client(): MongoClient;
  db(name?: string): Db;
  coll<T extends Document = Document>(name: string, dbName?: string): Collection<T>;
}

/** Wires a connected client and a per-file database prefix into the current test file. */
export function useHarness(label: string): Harness {
  const prefix = testDatabasePrefix(label);
  let client: MongoClient | undefined;
  beforeAll(async () => {
    client = await connectTestClient();
  });
  afterAll(async () => {
    if (!client) return;
    await dropDatabasesWithPrefix(client, prefix);
    await client.close();
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
