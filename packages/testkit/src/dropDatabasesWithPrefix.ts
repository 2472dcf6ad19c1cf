import type { MongoClient } from "mongodb";

/**
 * Drops every database whose name starts with `prefix` (a {@link testDatabasePrefix} value) and
 * returns their names. Refuses prefixes shorter than 3 characters so it cannot wipe a server.
 */
export async function dropDatabasesWithPrefix(client: MongoClient, prefix: string): Promise<string[]> {
  if (prefix.length < 3) throw new Error(`refusing to drop databases with the short prefix '${prefix}'`);
  const { databases } = await client.db("admin").admin().listDatabases({ nameOnly: true });
  const names = databases.map((d) => d.name).filter((name) => name.startsWith(prefix));
  for (const name of names) await client.db(name).dropDatabase();
  return names;
}
