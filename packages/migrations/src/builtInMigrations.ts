import { CONSOLIDATE_CLOUD_ACCOUNTS_MIGRATION } from "./built-in/consolidateCloudAccounts";
import { EMBEDDINGS_BACKFILL_MIGRATION } from "./built-in/embeddingsBackfill";
import { FINDING_QUERY_FIELDS_MIGRATION } from "./built-in/findingQueryFields";
import {
  FINDING_CHECK_WEEK_ROLLUPS_MIGRATION,
  FINDING_FACET_CELLS_MIGRATION,
  FINDING_ROLLUPS_MIGRATION,
  FINDING_TREND_ROLLUPS_MIGRATION,
} from "./built-in/findingRollups";
import { PURGE_LEGACY_CREDENTIALS_MIGRATION } from "./built-in/purgeLegacyCredentials";
import { SYNC_INDEXES_MIGRATION } from "./built-in/syncIndexes";
import type { Migration } from "./defineMigration";

/**
 * The platform's migrations, in the order they apply: indexes first (the consolidation relies on the unique
 * `(team_id, provider, account_id)` index of `enhanced_cloud_accounts`), then the cloud account consolidation,
 * then the embeddings backfill (not applicable until `config.embeddings` is given).
 */
export const BUILT_IN_MIGRATIONS: readonly Migration[] = [
  SYNC_INDEXES_MIGRATION,
  CONSOLIDATE_CLOUD_ACCOUNTS_MIGRATION,
  EMBEDDINGS_BACKFILL_MIGRATION,
  PURGE_LEGACY_CREDENTIALS_MIGRATION,
  FINDING_QUERY_FIELDS_MIGRATION,
  FINDING_ROLLUPS_MIGRATION,
  FINDING_TREND_ROLLUPS_MIGRATION,
  FINDING_CHECK_WEEK_ROLLUPS_MIGRATION,
  FINDING_FACET_CELLS_MIGRATION,
];
