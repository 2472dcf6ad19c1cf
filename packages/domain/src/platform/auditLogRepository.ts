import {
  BaseRepository,
  defineRepository,
  trustedFilter,
  type RepositoryContext,
  type RepositoryDocument,
  type RepositoryInput,
  parseInput,
} from "@cspm/repository";
import { z } from "zod";
import { RefIdSchema } from "../common/documentSchema";
import { DEFAULT_LIST_LIMIT, ListLimitSchema } from "../common/listLimit";
import { AuditLogSchema } from "./auditLogSchema";

const definition = defineRepository({ database: "PLATFORM", collection: "audit_logs", schema: AuditLogSchema });

/** A stored audit entry as read back. */
export type AuditLogDocument = RepositoryDocument<typeof AuditLogSchema>;

/** Filters of `AuditLogRepository.listRecent`. */
export interface AuditLogQuery {
  readonly action?: string;
  readonly actorId?: string;
  readonly since?: Date;
  readonly limit?: number;
}

/** The audit trail (`cspm_platform.audit_logs`): append-only; `created_at` is when it happened. */
export class AuditLogRepository extends BaseRepository<typeof AuditLogSchema> {
  /** The registry binding: PLATFORM / audit_logs. */
  static readonly definition = definition;

  constructor(context: RepositoryContext) {
    super(context, definition);
  }

  /** Appends one entry. Throws `VALIDATION_FAILED`. */
  async record(teamId: string, entry: RepositoryInput<typeof AuditLogSchema>): Promise<AuditLogDocument> {
    return this.forTeam(teamId).insertOne(entry);
  }

  /** The newest entries first, optionally by action, actor and start time. Throws `VALIDATION_FAILED`. */
  async listRecent(teamId: string, query: AuditLogQuery = {}): Promise<AuditLogDocument[]> {
    const filter: Record<string, unknown> = {};
    if (query.action !== undefined) filter["action"] = parseInput(z.string().min(1).max(200), query.action, "action");
    if (query.actorId !== undefined) filter["actor.id"] = parseInput(RefIdSchema, query.actorId, "actorId");
    if (query.since !== undefined) filter["created_at"] = { $gte: parseInput(z.date(), query.since, "since") };
    return this.forTeam(teamId).findMany(trustedFilter(filter), {
      sort: { created_at: -1 },
      limit: parseInput(ListLimitSchema, query.limit ?? DEFAULT_LIST_LIMIT, "limit"),
    });
  }

  /** Entries about one target (`cloud_account`, id), newest first. Throws `VALIDATION_FAILED`. */
  async listForTarget(teamId: string, targetType: string, targetId: string, limit = DEFAULT_LIST_LIMIT): Promise<AuditLogDocument[]> {
    return this.forTeam(teamId).findMany(
      trustedFilter({
        "target.type": parseInput(z.string().min(1).max(64), targetType, "targetType"),
        "target.id": parseInput(RefIdSchema, targetId, "targetId"),
      }),
      { sort: { created_at: -1 }, limit: parseInput(ListLimitSchema, limit, "limit") },
    );
  }
}
