import { ConflictError, ValidationError } from "@cspm/errors";
import { mapMongoError } from "@cspm/mongo";
import type { Collection } from "mongodb";

/** `_id` of the one lock document in `migration_locks`. */
export const MIGRATION_LOCK_ID = "migrations";

/** The lock document as stored: who holds it and until when (server time). */
export interface MigrationLockDocument {
  _id: string;
  owner: string;
  acquired_at: Date;
  expires_at: Date;
  renewed_at?: Date;
}

/** Who holds the migration lock and until when, by the server's clock. */
export interface MigrationLockHolder {
  readonly owner: string;
  readonly acquiredAt: Date;
  readonly expiresAt: Date;
}

/** The answer of `MigrationLock.tryAcquire`. */
export type MigrationLockAttempt = { readonly acquired: true } | { readonly acquired: false; readonly holder: MigrationLockHolder };

/** Options of a `MigrationLock`. */
export interface MigrationLockOptions {
  /** The `migration_locks` collection of the platform database. */
  readonly collection: Collection<MigrationLockDocument>;
  /** Unique name of this holder, shown to whoever finds the lock taken. */
  readonly owner: string;
  /** Lease length in milliseconds; a holder that stops renewing loses the lock this long after its last renewal. */
  readonly ttlMs: number;
}

const DUPLICATE_KEY = 11000;

function isDuplicateKey(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === DUPLICATE_KEY;
}

/** Formats the holder for messages: `"host:123:ab12cd34" until 2025-01-01T00:00:00.000Z`. */
export function describeLockHolder(holder: MigrationLockHolder): string {
  return `"${holder.owner}" until ${holder.expiresAt.toISOString()}`;
}

/** The `CONFLICT` error for a lock held by someone else; `details` name the holder and the expiry. */
export function lockHeldError(holder: MigrationLockHolder): ConflictError {
  return new ConflictError(`Migrations are locked by ${describeLockHolder(holder)} (server time); try again later.`, {
    reason: "MIGRATION_LOCK_HELD",
    details: {
      owner: holder.owner,
      acquired_at: holder.acquiredAt.toISOString(),
      expires_at: holder.expiresAt.toISOString(),
    },
  });
}

/**
 * A lease lock held in a single document `{ _id: "migrations", owner, acquired_at, expires_at }`.
 * Taking it is one atomic `findOneAndUpdate` (upsert, update pipeline) that succeeds only when the document
 * is absent, expired or already ours — expiry judged by the server's `$$NOW`, never by this process's clock.
 * Driver failures are thrown as mapped `@cspm/errors` (`UNAVAILABLE`, `INTERNAL`).
 */
export class MigrationLock {
  readonly owner: string;
  readonly ttlMs: number;
  private readonly collection: Collection<MigrationLockDocument>;

  /** Throws `VALIDATION_FAILED` for an empty owner or a TTL under 100 ms. */
  constructor(options: MigrationLockOptions) {
    if (typeof options.owner !== "string" || options.owner.trim() === "") {
      throw new ValidationError("Migration lock owner must be a non-empty string.", [{ path: "owner", message: "must be non-empty" }]);
    }
    if (!Number.isInteger(options.ttlMs) || options.ttlMs < 100) {
      throw new ValidationError("Migration lock TTL must be an integer of at least 100 ms.", [
        { path: "lockTtlMs", message: "must be >= 100" },
      ]);
    }
    this.collection = options.collection;
    this.owner = options.owner;
    this.ttlMs = options.ttlMs;
  }

  /** Takes the lock if it is free, expired (server time) or already ours; otherwise reports the holder. */
  async tryAcquire(): Promise<MigrationLockAttempt> {
    const owner = { $literal: this.owner };
    const pipeline = [
      {
        $set: {
          _take_lock: {
            $or: [{ $eq: [{ $type: "$expires_at" }, "missing"] }, { $lte: ["$expires_at", "$$NOW"] }, { $eq: ["$owner", owner] }],
          },
        },
      },
      {
        $set: {
          owner: { $cond: ["$_take_lock", owner, "$owner"] },
          acquired_at: { $cond: ["$_take_lock", "$$NOW", "$acquired_at"] },
          renewed_at: { $cond: ["$_take_lock", "$$NOW", "$renewed_at"] },
          expires_at: { $cond: ["$_take_lock", { $add: ["$$NOW", this.ttlMs] }, "$expires_at"] },
        },
      },
      { $unset: "_take_lock" },
    ];
    // Two first-ever upserts can race on `_id`; the loser sees a duplicate key and simply looks again.
    for (let attempt = 0; ; attempt += 1) {
      try {
        const after = await this.collection.findOneAndUpdate({ _id: MIGRATION_LOCK_ID }, pipeline, {
          upsert: true,
          returnDocument: "after",
          includeResultMetadata: false,
        });
        if (after === null) continue;
        if (after.owner === this.owner) return { acquired: true };
        return { acquired: false, holder: toHolder(after) };
      } catch (error) {
        if (isDuplicateKey(error) && attempt < 3) continue;
        throw mapMongoError(error, { operation: "acquire migration lock", collection: this.collection.collectionName });
      }
    }
  }

  /** Extends the lease by `ttlMs` from the server's now; `false` when the lock is no longer ours. */
  async renew(): Promise<boolean> {
    try {
      const result = await this.collection.updateOne({ _id: MIGRATION_LOCK_ID, owner: this.owner }, [
        { $set: { renewed_at: "$$NOW", expires_at: { $add: ["$$NOW", this.ttlMs] } } },
      ]);
      return result.matchedCount === 1;
    } catch (error) {
      throw mapMongoError(error, { operation: "renew migration lock", collection: this.collection.collectionName });
    }
  }

  /** Gives the lock up if it is still ours; a no-op otherwise. */
  async release(): Promise<void> {
    try {
      await this.collection.deleteOne({ _id: MIGRATION_LOCK_ID, owner: this.owner });
    } catch (error) {
      throw mapMongoError(error, { operation: "release migration lock", collection: this.collection.collectionName });
    }
  }

  /** The current holder (possibly expired), or `undefined` when nobody holds the lock. */
  async holder(): Promise<MigrationLockHolder | undefined> {
    try {
      const doc = await this.collection.findOne({ _id: MIGRATION_LOCK_ID });
      return doc === null ? undefined : toHolder(doc);
    } catch (error) {
      throw mapMongoError(error, { operation: "read migration lock", collection: this.collection.collectionName });
    }
  }
}

function toHolder(doc: MigrationLockDocument): MigrationLockHolder {
  return { owner: String(doc.owner), acquiredAt: new Date(doc.acquired_at), expiresAt: new Date(doc.expires_at) };
}
