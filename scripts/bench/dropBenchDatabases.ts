import type { CSPMDatabaseManager } from "@cspm/mongo";
import { DatabaseRegistry } from "@cspm/registry";

/** Drops every registered database of a benchmark's prefixed manager, ignoring failures (cleanup after a run). */
export async function dropBenchDatabases(manager: CSPMDatabaseManager): Promise<void> {
  for (const key of DatabaseRegistry.keys())
    await manager
      .getDatabase(key)
      .dropDatabase()
      .catch(() => undefined);
}
