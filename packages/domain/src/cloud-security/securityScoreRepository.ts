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
import { DEFAULT_LIST_LIMIT, ListLimitSchema } from "../common/listLimit";
import { SecurityScoreSchema } from "./securityScoreSchema";

const definition = defineRepository({ database: "CLOUD_SECURITY", collection: "security_scores", schema: SecurityScoreSchema });

/** A stored security score as read back. */
export type SecurityScoreDocument = RepositoryDocument<typeof SecurityScoreSchema>;

const AccountIdArgument = z.string().min(1).max(253);

/** Posture scores per account over time (`cspm_cloud_security.security_scores`); append-only history. */
export class SecurityScoreRepository extends BaseRepository<typeof SecurityScoreSchema> {
  /** The registry binding: CLOUD_SECURITY / security_scores. */
  static readonly definition = definition;

  constructor(context: RepositoryContext) {
    super(context, definition);
  }

  /** Appends a computed score. Throws `VALIDATION_FAILED`. */
  async record(teamId: string, score: RepositoryInput<typeof SecurityScoreSchema>): Promise<SecurityScoreDocument> {
    return this.forTeam(teamId).insertOne(score);
  }

  /** The most recent score of an account, or `null`. Throws `VALIDATION_FAILED`. */
  async latestForAccount(teamId: string, accountId: string): Promise<SecurityScoreDocument | null> {
    return this.forTeam(teamId).findOne(
      { account_id: parseInput(AccountIdArgument, accountId, "accountId") },
      { sort: { computed_at: -1 } },
    );
  }

  /** An account's scores since `since` (all when absent), newest first. Throws `VALIDATION_FAILED`. */
  async history(teamId: string, accountId: string, options: { since?: Date; limit?: number } = {}): Promise<SecurityScoreDocument[]> {
    const filter: Record<string, unknown> = { account_id: parseInput(AccountIdArgument, accountId, "accountId") };
    if (options.since !== undefined) filter["computed_at"] = { $gte: parseInput(z.date(), options.since, "since") };
    return this.forTeam(teamId).findMany(trustedFilter(filter), {
      sort: { computed_at: -1 },
      limit: parseInput(ListLimitSchema, options.limit ?? DEFAULT_LIST_LIMIT, "limit"),
    });
  }

  /** The latest score of every account of the team, by account id. */
  async latestPerAccount(teamId: string): Promise<SecurityScoreDocument[]> {
    return this.forTeam(teamId).aggregate<SecurityScoreDocument>([
      { $sort: { account_id: 1, computed_at: -1 } },
      { $group: { _id: "$account_id", latest: { $first: "$$ROOT" } } },
      { $replaceRoot: { newRoot: "$latest" } },
      { $sort: { account_id: 1 } },
    ]);
  }
}
