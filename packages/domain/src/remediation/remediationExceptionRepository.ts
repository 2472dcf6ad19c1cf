import {
  BaseRepository,
  defineRepository,
  trustedFilter,
  type RepositoryContext,
  type RepositoryDocument,
  type RepositoryInput,
  parseInput,
  toObjectId,
} from "@cspm/repository";
import type { ObjectId } from "mongodb";
import { z } from "zod";
import { DEFAULT_LIST_LIMIT, ListLimitSchema } from "../common/listLimit";
import { ANY_RESOURCE, RemediationExceptionSchema } from "./remediationExceptionSchema";

const definition = defineRepository({ database: "REMEDIATION", collection: "exceptions", schema: RemediationExceptionSchema });

/** A stored exception as read back. */
export type RemediationExceptionDocument = RepositoryDocument<typeof RemediationExceptionSchema>;

/** Accepted risks (`cspm_remediation.exceptions`) that mute a check on a resource until they expire. */
export class RemediationExceptionRepository extends BaseRepository<typeof RemediationExceptionSchema> {
  /** The registry binding: REMEDIATION / exceptions. */
  static readonly definition = definition;

  constructor(context: RepositoryContext) {
    super(context, definition);
  }

  /** Grants an exception. Throws `VALIDATION_FAILED`. */
  async grant(
    teamId: string,
    input: Omit<RepositoryInput<typeof RemediationExceptionSchema>, "revoked_at">,
  ): Promise<RemediationExceptionDocument> {
    return this.forTeam(teamId).insertOne(input);
  }

  /**
   * The live exception (not revoked, not expired at `now`) covering `checkId` on `resourceUid`, either for
   * that resource or for every resource (`"*"`); the latest-expiring one, or `null`. Throws `VALIDATION_FAILED`.
   */
  async findActive(
    teamId: string,
    checkId: string,
    resourceUid: string,
    now: Date = new Date(),
  ): Promise<RemediationExceptionDocument | null> {
    return this.forTeam(teamId).findOne(
      trustedFilter({
        check_id: parseInput(RemediationExceptionSchema.shape.check_id, checkId, "checkId"),
        resource_uid: { $in: [parseInput(z.string().min(1).max(2048), resourceUid, "resourceUid"), ANY_RESOURCE] },
        revoked_at: { $exists: false },
        expires_at: { $gt: parseInput(z.date(), now, "now") },
      }),
      { sort: { expires_at: -1 } },
    );
  }

  /** Live exceptions that expire before `before`, soonest first (for renewal reminders). Throws `VALIDATION_FAILED`. */
  async listExpiringBefore(
    teamId: string,
    before: Date,
    now: Date = new Date(),
    limit = DEFAULT_LIST_LIMIT,
  ): Promise<RemediationExceptionDocument[]> {
    return this.forTeam(teamId).findMany(
      trustedFilter({
        revoked_at: { $exists: false },
        expires_at: { $gt: parseInput(z.date(), now, "now"), $lt: parseInput(z.date(), before, "before") },
      }),
      { sort: { expires_at: 1, _id: 1 }, limit: parseInput(ListLimitSchema, limit, "limit") },
    );
  }

  /** Revokes an exception before it expires. Throws `VALIDATION_FAILED`, `NOT_FOUND`. */
  async revoke(teamId: string, id: ObjectId | string, at: Date = new Date()): Promise<RemediationExceptionDocument> {
    return this.forTeam(teamId).update(toObjectId(id), { revoked_at: parseInput(z.date(), at, "at") });
  }
}
