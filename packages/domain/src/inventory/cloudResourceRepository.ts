import {
  BaseRepository,
  defineRepository,
  trustedFilter,
  type BulkUpsertResult,
  type RepositoryContext,
  type RepositoryDocument,
  type RepositoryInput,
  parseInput,
} from "@cspm/repository";
import { z } from "zod";
import { DEFAULT_LIST_LIMIT, ListLimitSchema } from "../common/listLimit";
import { ResourceTagSchema, type ResourceTag } from "../common/resourceTagSchema";
import { CloudResourceSchema, RESOURCE_IDENTITY_FIELDS } from "./cloudResourceSchema";

const definition = defineRepository({
  database: "INVENTORY",
  collection: "cloud_resources",
  schema: CloudResourceSchema,
  keyFields: RESOURCE_IDENTITY_FIELDS,
});

/** A stored cloud resource as read back. */
export type CloudResourceDocument = RepositoryDocument<typeof CloudResourceSchema>;

/** A resource as discovery reports it; sighting times are set by `upsertDiscovered`. */
export type DiscoveredResource = Omit<RepositoryInput<typeof CloudResourceSchema>, "first_seen_at" | "last_seen_at">;

const AccountIdArgument = z.string().min(1).max(253);

/** The cloud resource inventory (`cspm_inventory.cloud_resources`), unique per account and `resource_uid`. */
export class CloudResourceRepository extends BaseRepository<typeof CloudResourceSchema> {
  /** The registry binding: INVENTORY / cloud_resources. */
  static readonly definition = definition;

  constructor(context: RepositoryContext) {
    super(context, definition);
  }

  /**
   * Imports discovered resources idempotently by `(account_id, resource_uid)`: `last_seen_at = seenAt`,
   * `first_seen_at` kept for known ones (by the server, in the same write: one `bulkWrite` per 1,000 resources,
   * no read). Per-resource problems in `errors`. Throws `VALIDATION_FAILED` (`seenAt`).
   */
  async upsertDiscovered(
    teamId: string,
    resources: readonly DiscoveredResource[],
    options: { seenAt?: Date } = {},
  ): Promise<BulkUpsertResult> {
    const scope = this.forTeam(teamId);
    const seenAt = parseInput(z.date(), options.seenAt ?? new Date(), "seenAt");
    const docs = resources.map((resource) => ({ ...resource, first_seen_at: seenAt, last_seen_at: seenAt }));
    return scope.bulkUpsert(docs, { keyFields: RESOURCE_IDENTITY_FIELDS, insertOnlyFields: ["first_seen_at"] });
  }

  /** Resources of one type, optionally in one account. Throws `VALIDATION_FAILED`. */
  async findByType(
    teamId: string,
    resourceType: string,
    options: { accountId?: string; limit?: number } = {},
  ): Promise<CloudResourceDocument[]> {
    const filter: Record<string, unknown> = { resource_type: parseInput(z.string().min(1).max(256), resourceType, "resourceType") };
    if (options.accountId !== undefined) filter["account_id"] = parseInput(AccountIdArgument, options.accountId, "accountId");
    return this.forTeam(teamId).findMany(filter, {
      sort: { resource_uid: 1 },
      limit: parseInput(ListLimitSchema, options.limit ?? DEFAULT_LIST_LIMIT, "limit"),
    });
  }

  /** Resources carrying the tag `{ key, value }`. Throws `VALIDATION_FAILED`. */
  async findByTag(teamId: string, tag: ResourceTag, limit = DEFAULT_LIST_LIMIT): Promise<CloudResourceDocument[]> {
    const { key, value } = parseInput(ResourceTagSchema, tag, "tag");
    return this.forTeam(teamId).findMany(trustedFilter({ tags: { $elemMatch: { key, value } } }), {
      sort: { resource_uid: 1 },
      limit: parseInput(ListLimitSchema, limit, "limit"),
    });
  }

  /** How many resources per type, optionally in one account, most common first. Throws `VALIDATION_FAILED`. */
  async countByType(teamId: string, accountId?: string): Promise<{ resource_type: string; count: number }[]> {
    const match = accountId === undefined ? {} : { account_id: parseInput(AccountIdArgument, accountId, "accountId") };
    const rows = await this.forTeam(teamId).aggregate<{ _id: string; count: number }>([
      { $match: match },
      { $group: { _id: "$resource_type", count: { $sum: 1 } } },
      { $sort: { count: -1, _id: 1 } },
    ]);
    return rows.map((row) => ({ resource_type: row._id, count: row.count }));
  }

  /** Resources of an account not seen since `before` (gone from the cloud). Throws `VALIDATION_FAILED`. */
  async findStale(teamId: string, accountId: string, before: Date, limit = DEFAULT_LIST_LIMIT): Promise<CloudResourceDocument[]> {
    return this.forTeam(teamId).findMany(
      trustedFilter({
        account_id: parseInput(AccountIdArgument, accountId, "accountId"),
        last_seen_at: { $lt: parseInput(z.date(), before, "before") },
      }),
      { sort: { last_seen_at: 1, _id: 1 }, limit: parseInput(ListLimitSchema, limit, "limit") },
    );
  }
}
