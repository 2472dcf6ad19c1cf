import {
  BaseRepository,
  defineRepository,
  parseInput,
  type RepositoryContext,
  type RepositoryDocument,
  type RepositoryInput,
  trustedFilter,
} from "@cspm/repository";
import type { ObjectId } from "mongodb";
import { z } from "zod";
import { AuditOutboxSchema } from "./auditLogSchema";

const definition = defineRepository({ database: "PLATFORM", collection: "audit_outbox", schema: AuditOutboxSchema });

/** A stored outbox entry as read back. */
export type AuditOutboxDocument = RepositoryDocument<typeof AuditOutboxSchema>;

/**
 * The audit outbox (`cspm_platform.audit_outbox`, shared: platform bookkeeping the relay reads across
 * teams, never a tenant's query). Each document holds one audit entry whose outcome is not known yet.
 */
export class AuditOutboxRepository extends BaseRepository<typeof AuditOutboxSchema> {
  /** The registry binding: PLATFORM / audit_outbox. */
  static readonly definition = definition;

  constructor(context: RepositoryContext) {
    super(context, definition);
  }

  /** Stores a pending entry under the `_id` its audit entry will get. Throws `VALIDATION_FAILED`, `CONFLICT`. */
  async add(input: RepositoryInput<typeof AuditOutboxSchema> & { _id: ObjectId }): Promise<AuditOutboxDocument> {
    return this.shared().insertOne(input);
  }

  /** Removes an entry once its audit entry is stored; `true` when it was there. */
  async remove(id: ObjectId): Promise<boolean> {
    return this.shared().deleteById(id);
  }

  /** Entries written before `cutoff`, oldest first, at most `limit` (1–1,000). Throws `VALIDATION_FAILED`. */
  async listOlderThan(cutoff: Date, limit = 500): Promise<AuditOutboxDocument[]> {
    return this.shared().findMany(trustedFilter({ created_at: { $lt: parseInput(z.date(), cutoff, "cutoff") } }), {
      sort: { created_at: 1 },
      limit: parseInput(z.number().int().min(1).max(1000), limit, "limit"),
    });
  }
}
