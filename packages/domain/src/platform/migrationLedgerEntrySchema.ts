import { z } from "zod";
import { sharedDocumentSchema } from "../common/documentSchema";

/** Outcomes the migration runner records. */
export const MIGRATION_OUTCOMES = ["applied", "failed", "skipped"] as const;

/** One migration run as recorded in `cspm_platform.migration_ledger` (shared): id, checksum, outcome. */
export const MigrationLedgerEntrySchema = sharedDocumentSchema({
  id: z.string().regex(/^[0-9A-Za-z][0-9A-Za-z_.-]{0,127}$/, "must be a migration id"),
  checksum: z.string().regex(/^[0-9a-f]{64}$/, "must be a lowercase hex SHA-256"),
  outcome: z.enum(MIGRATION_OUTCOMES),
  applied_at: z.date(),
  duration_ms: z.number().int().nonnegative(),
  dry_run: z.boolean().optional(),
  error: z.string().max(4000).optional(),
});

/** A stored migration ledger entry. */
export type MigrationLedgerEntry = z.infer<typeof MigrationLedgerEntrySchema>;
