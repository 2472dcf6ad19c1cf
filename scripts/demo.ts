/**
 * `pnpm demo`: connects to MONGODB_URI or the embedded test MongoDB, ensures the declared indexes on all
 * 14 databases, and prints each database with its purpose and collections.
 */
import { CSPMDatabaseManager } from "@cspm/mongo";
import { DatabaseRegistry } from "@cspm/registry";
import { startTestMongo } from "@cspm/testkit";

const mongo = await startTestMongo();
const manager = new CSPMDatabaseManager({ uri: mongo.uri, prefix: process.env.CSPM_DB_PREFIX ?? "demo" });
try {
  await manager.connect();
  const report = await manager.ensureIndexes();
  const rows = DatabaseRegistry.all().map((database) => ({
    constant: database.key,
    alias: database.alias,
    database: manager.databaseName(database.key),
    collections: database.collections.map((c) => c.name).join(", "),
    purpose: database.purpose,
  }));
  console.table(rows);
  console.log(
    `engine: ${mongo.engine}; indexes created: ${report.created.length}, already present: ${report.unchanged.length}, ` +
      `undeclared: ${report.undeclared.length}, mismatched: ${report.mismatched.length}`,
  );
} finally {
  await manager.close();
  await mongo.stop();
}
