import { z } from "zod";
import { sharedDocumentSchema } from "../common/documentSchema";

/** The migration runner's lease lock (`cspm_platform.migration_locks`, shared): who holds it and until when. */
export const MigrationLockSchema = sharedDocumentSchema({
  name: z.string().min(1).max(128),
  holder: z.string().min(1).max(256),
  acquired_at: z.date(),
  expires_at: z.date(),
});

/** A stored migration lock. */
export type MigrationLock = z.infer<typeof MigrationLockSchema>;
