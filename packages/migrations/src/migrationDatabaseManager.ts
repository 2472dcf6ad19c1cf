import type { CSPMDatabaseManager } from "@cspm/mongo";

/**
 * The part of `CSPMDatabaseManager` (from `@cspm/mongo`) the runner and the built-in migrations use:
 * registry-checked `getCollection`, the legacy escape hatch `getLegacyCollectionForMigration`, and
 * `ensureIndexes`. Pass the real, connected manager.
 */
export type MigrationDatabaseManager = Pick<CSPMDatabaseManager, "getCollection" | "getLegacyCollectionForMigration" | "ensureIndexes">;
