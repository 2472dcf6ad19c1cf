import {
  BaseRepository,
  defineRepository,
  parseInput,
  trustedFilter,
  type Page,
  type RepositoryContext,
  type RepositoryDocument,
  type RepositoryInput,
  type WriteOptions,
  toObjectId,
} from "@cspm/repository";
import { z } from "zod";
import { ApiKeySchema } from "./apiKeySchema";
import { RoleNameSchema, Sha256HexSchema } from "./permissionSchema";

const definition = defineRepository({ database: "PLATFORM", collection: "api_keys", schema: ApiKeySchema, keyFields: ["key_hash"] });

/** A stored API key as read back. */
export type ApiKeyDocument = RepositoryDocument<typeof ApiKeySchema>;

/** API keys (`cspm_platform.api_keys`): looked up by the hash of the whole token only, never by prefix. */
export class ApiKeyRepository extends BaseRepository<typeof ApiKeySchema> {
  /** The registry binding: PLATFORM / api_keys. */
  static readonly definition = definition;

  constructor(context: RepositoryContext) {
    super(context, definition);
  }

  /** Stores a key. Throws `VALIDATION_FAILED`, `CONFLICT` (hash already stored). */
  async create(teamId: string, input: RepositoryInput<typeof ApiKeySchema>, options: WriteOptions = {}): Promise<ApiKeyDocument> {
    return this.forTeam(teamId).insertOne(input, options);
  }

  /** The team's key whose token hashes to `keyHash` (revoked and expired ones included), or `null`. Throws `VALIDATION_FAILED`. */
  async findByHash(teamId: string, keyHash: string): Promise<ApiKeyDocument | null> {
    return this.forTeam(teamId).findOne({ key_hash: parseInput(Sha256HexSchema, keyHash, "keyHash") });
  }

  /** A page of the team's keys, newest first. Throws `VALIDATION_FAILED` (bad limit or cursor). */
  async page(
    teamId: string,
    options: { limit?: number | undefined; cursor?: string | null | undefined } = {},
  ): Promise<Page<ApiKeyDocument>> {
    return this.forTeam(teamId).paginate({
      sort: { field: "_id", direction: "desc" },
      ...(options.limit === undefined ? {} : { limit: options.limit }),
      ...(options.cursor === undefined ? {} : { cursor: options.cursor }),
    });
  }

  /** Sets `revoked_at` on an unrevoked key; the key after the change, or `null` when none was live. Throws `VALIDATION_FAILED`. */
  async revoke(teamId: string, id: string, at: Date, options: WriteOptions = {}): Promise<ApiKeyDocument | null> {
    return this.forTeam(teamId).findOneAndUpdate(
      trustedFilter({ _id: toObjectId(id, "id"), revoked_at: { $exists: false } }),
      { $set: { revoked_at: parseInput(z.date(), at, "at") } },
      options,
    );
  }

  /** Moves `last_used_at` forward to `at` on these keys (never back); one command. Throws `VALIDATION_FAILED`. */
  async touchLastUsed(teamId: string, ids: readonly string[], at: Date): Promise<number> {
    if (ids.length === 0) return 0;
    const result = await this.forTeam(teamId).updateMany(trustedFilter({ _id: { $in: ids.map((id) => toObjectId(id, "ids")) } }), {
      $max: { last_used_at: parseInput(z.date(), at, "at") },
    });
    return result.modifiedCount;
  }

  /** How many unrevoked keys hold `role`. Throws `VALIDATION_FAILED`. */
  async countWithRole(teamId: string, role: string): Promise<number> {
    return this.forTeam(teamId).count(trustedFilter({ role: parseInput(RoleNameSchema, role, "role"), revoked_at: { $exists: false } }));
  }
}
