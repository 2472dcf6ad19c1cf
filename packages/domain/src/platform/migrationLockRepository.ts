import { createHash } from "node:crypto";
import { isCspmError } from "@cspm/errors";
import { BaseRepository, defineRepository, trustedFilter, type RepositoryContext, type RepositoryDocument } from "@cspm/repository";
import { ObjectId } from "mongodb";
import { z } from "zod";
import { parseArgument } from "../common/parseArgument";
import { MigrationLockSchema } from "./migrationLockSchema";

const definition = defineRepository({ database: "PLATFORM", collection: "migration_locks", schema: MigrationLockSchema });

/** A stored lock as read back. */
export type MigrationLockDocument = RepositoryDocument<typeof MigrationLockSchema>;

const NameArgument = MigrationLockSchema.shape.name;
const HolderArgument = MigrationLockSchema.shape.holder;

/**
 * The `_id` of lock `name`: the first 12 bytes of its SHA-256. Deriving `_id` from the name makes the
 * always-unique `_id` index the lock's mutual exclusion, so no extra index is needed.
 */
function lockId(name: string): ObjectId {
  return new ObjectId(createHash("sha256").update(`migration_lock:${name}`).digest().subarray(0, 12));
}

/** Lease locks (`cspm_platform.migration_locks`, shared): at most one holder per name until the lease expires. */
export class MigrationLockRepository extends BaseRepository<typeof MigrationLockSchema> {
  /** The registry binding: PLATFORM / migration_locks. */
  static readonly definition = definition;

  constructor(context: RepositoryContext) {
    super(context, definition);
  }

  /**
   * Takes lock `name` for `holder` for `ttlMs`, or takes over an expired lease; `true` when `holder` now
   * holds it (re-acquiring one's own lock extends it). Atomic. Throws `VALIDATION_FAILED`.
   */
  async acquire(name: string, holder: string, ttlMs: number, now: Date = new Date()): Promise<boolean> {
    const lockName = parseArgument(NameArgument, name, "name");
    const lockHolder = parseArgument(HolderArgument, holder, "holder");
    const ttl = parseArgument(z.number().int().min(1).max(86_400_000), ttlMs, "ttlMs");
    const at = parseArgument(z.date(), now, "now");
    const _id = lockId(lockName);
    const lease = { holder: lockHolder, acquired_at: at, expires_at: new Date(at.getTime() + ttl) };
    const taken = await this.shared().findOneAndUpdate(
      trustedFilter({ _id, $or: [{ expires_at: { $lte: at } }, { holder: lockHolder }] }),
      { $set: lease },
      { returnDocument: "after" },
    );
    if (taken) return true;
    try {
      await this.shared().insertOne({ _id, name: lockName, ...lease });
      return true;
    } catch (error) {
      if (isCspmError(error) && error.code === "CONFLICT") return false;
      throw error;
    }
  }

  /** Releases lock `name` if `holder` holds it; `true` when released. Throws `VALIDATION_FAILED`. */
  async release(name: string, holder: string): Promise<boolean> {
    return this.shared().deleteOne(
      trustedFilter({ _id: lockId(parseArgument(NameArgument, name, "name")), holder: parseArgument(HolderArgument, holder, "holder") }),
      { hard: true },
    );
  }

  /** The current lease of lock `name` (possibly expired), or `null`. Throws `VALIDATION_FAILED`. */
  async findLock(name: string): Promise<MigrationLockDocument | null> {
    return this.shared().findById(lockId(parseArgument(NameArgument, name, "name")));
  }
}
