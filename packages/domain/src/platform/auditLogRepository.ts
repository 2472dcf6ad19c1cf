import {
  BaseRepository,
  defineRepository,
  type Page,
  parseInput,
  type RepositoryContext,
  type RepositoryDocument,
  type RepositoryInput,
  trustedFilter,
  type WriteOptions,
} from "@cspm/repository";
import { z } from "zod";
import { RefIdSchema } from "../common/documentSchema";
import { DEFAULT_LIST_LIMIT, ListLimitSchema } from "../common/listLimit";
import { AUDIT_OUTCOMES, AuditLogSchema } from "./auditLogSchema";

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

/** Filters and keyset paging of `AuditLogRepository.page` (newest first). */
export interface AuditLogPageQuery {
  readonly action?: string;
  readonly actorId?: string;
  readonly outcome?: (typeof AUDIT_OUTCOMES)[number];
  readonly targetType?: string;
  readonly targetId?: string;
  /** `occurred_at >= since`. */
  readonly since?: Date;
  /** `occurred_at < until`. */
  readonly until?: Date;
  /** 1–1,000, default 50. */
  readonly limit?: number;
  readonly cursor?: string | null;
}

const PageQuerySchema = z.strictObject({
  action: z.string().min(1).max(200).optional(),
  actorId: RefIdSchema.optional(),
  outcome: z.enum(AUDIT_OUTCOMES).optional(),
  targetType: z.string().min(1).max(64).optional(),
  targetId: RefIdSchema.optional(),
  since: z.date().optional(),
  until: z.date().optional(),
  limit: z.number().int().min(1).max(1000).optional(),
  cursor: z.string().max(4096).nullable().optional(),
});

/** The audit trail (`cspm_platform.audit_logs`): append-only; `occurred_at` is when it happened. */
export class AuditLogRepository extends BaseRepository<typeof AuditLogSchema> {
  /** The registry binding: PLATFORM / audit_logs. */
  static readonly definition = definition;

  constructor(context: RepositoryContext) {
    super(context, definition);
  }

  /** Appends one entry (in the caller's transaction when `options.session` is given). Throws `VALIDATION_FAILED`, `CONFLICT` (same `_id`). */
  async record(teamId: string, entry: RepositoryInput<typeof AuditLogSchema>, options: WriteOptions = {}): Promise<AuditLogDocument> {
    return this.forTeam(teamId).insertOne(entry, options);
  }

  /** The newest entries first, optionally by action, actor and start time. Throws `VALIDATION_FAILED`. */
  async listRecent(teamId: string, query: AuditLogQuery = {}): Promise<AuditLogDocument[]> {
    const filter: Record<string, unknown> = {};
    if (query.action !== undefined) filter["action"] = parseInput(z.string().min(1).max(200), query.action, "action");
    if (query.actorId !== undefined) filter["actor.id"] = parseInput(RefIdSchema, query.actorId, "actorId");
    if (query.since !== undefined) filter["occurred_at"] = { $gte: parseInput(z.date(), query.since, "since") };
    return this.forTeam(teamId).findMany(trustedFilter(filter), {
      sort: { _id: -1 },
      limit: parseInput(ListLimitSchema, query.limit ?? DEFAULT_LIST_LIMIT, "limit"),
    });
  }

  /**
   * A keyset page of the team's entries, newest first (`_id` descending, so entries of one instant keep a
   * stable order), filtered by action, actor id, outcome, target and time. Throws `VALIDATION_FAILED`
   * (bad filter, limit or cursor).
   */
  async page(teamId: string, query: AuditLogPageQuery = {}): Promise<Page<AuditLogDocument>> {
    const q = parseInput(PageQuerySchema, query, "");
    const filter: Record<string, unknown> = {};
    if (q.action !== undefined) filter["action"] = q.action;
    if (q.actorId !== undefined) filter["actor.id"] = q.actorId;
    if (q.outcome !== undefined) filter["outcome"] = q.outcome;
    if (q.targetType !== undefined) filter["target.type"] = q.targetType;
    if (q.targetId !== undefined) filter["target.id"] = q.targetId;
    if (q.since !== undefined || q.until !== undefined) {
      filter["occurred_at"] = { ...(q.since === undefined ? {} : { $gte: q.since }), ...(q.until === undefined ? {} : { $lt: q.until }) };
    }
    return this.forTeam(teamId).paginate({
      filter: trustedFilter(filter),
      sort: { field: "_id", direction: "desc" },
      ...(q.limit === undefined ? {} : { limit: q.limit }),
      ...(q.cursor === undefined ? {} : { cursor: q.cursor }),
    });
  }

  /** Entries about one target (`cloud_account`, id), newest first. Throws `VALIDATION_FAILED`. */
  async listForTarget(teamId: string, targetType: string, targetId: string, limit = DEFAULT_LIST_LIMIT): Promise<AuditLogDocument[]> {
    return this.forTeam(teamId).findMany(
      trustedFilter({
        "target.type": parseInput(z.string().min(1).max(64), targetType, "targetType"),
        "target.id": parseInput(RefIdSchema, targetId, "targetId"),
      }),
      { sort: { _id: -1 }, limit: parseInput(ListLimitSchema, limit, "limit") },
    );
  }
}
