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
import { RISK_STATUSES, RiskSchema, riskScore } from "./riskSchema";

const definition = defineRepository({ database: "RISK_MANAGEMENT", collection: "risks", schema: RiskSchema, versioned: true });

/** A stored risk as read back. */
export type RiskDocument = RepositoryDocument<typeof RiskSchema>;

/** What `RiskRepository.create` takes: `score` is computed; `status` defaults to `identified`. */
export type NewRisk = Omit<RepositoryInput<typeof RiskSchema>, "score" | "status"> & { status?: (typeof RISK_STATUSES)[number] };

/** A risk status. */
export type RiskStatus = (typeof RISK_STATUSES)[number];

const Rating = z.number().int().min(1).max(5);

/** The risk register (`cspm_risk_management.risks`); versioned; `score = likelihood * impact` is kept by the repository. */
export class RiskRepository extends BaseRepository<typeof RiskSchema> {
  /** The registry binding: RISK_MANAGEMENT / risks. */
  static readonly definition = definition;

  constructor(context: RepositoryContext) {
    super(context, definition);
  }

  /** Adds a risk with its computed score. Throws `VALIDATION_FAILED`. */
  async create(teamId: string, input: NewRisk): Promise<RiskDocument> {
    const likelihood = parseInput(Rating, input.likelihood, "likelihood");
    const impact = parseInput(Rating, input.impact, "impact");
    return this.forTeam(teamId).insertOne({ status: "identified", ...input, likelihood, impact, score: riskScore(likelihood, impact) });
  }

  /**
   * Re-rates a risk and recomputes its score. Throws `VALIDATION_FAILED`, `NOT_FOUND`,
   * `CONFLICT` (`VERSION_CONFLICT` when `expectedVersion` is stale).
   */
  async rate(
    teamId: string,
    id: ObjectId | string,
    rating: { likelihood: number; impact: number; expectedVersion?: number },
  ): Promise<RiskDocument> {
    const likelihood = parseInput(Rating, rating.likelihood, "likelihood");
    const impact = parseInput(Rating, rating.impact, "impact");
    return this.forTeam(teamId).update(
      toObjectId(id),
      { likelihood, impact, score: riskScore(likelihood, impact) },
      rating.expectedVersion === undefined ? {} : { expectedVersion: rating.expectedVersion },
    );
  }

  /** Sets a risk's status. Throws `VALIDATION_FAILED`, `NOT_FOUND`. */
  async setStatus(teamId: string, id: ObjectId | string, status: RiskStatus): Promise<RiskDocument> {
    return this.forTeam(teamId).update(toObjectId(id), { status: parseInput(z.enum(RISK_STATUSES), status, "status") });
  }

  /** The highest-scored risks, not closed unless `statuses` says otherwise. Throws `VALIDATION_FAILED`. */
  async listTop(teamId: string, options: { statuses?: readonly RiskStatus[]; limit?: number } = {}): Promise<RiskDocument[]> {
    const statuses = parseInput(
      z.array(z.enum(RISK_STATUSES)).min(1),
      options.statuses ?? RISK_STATUSES.filter((s) => s !== "closed"),
      "statuses",
    );
    return this.forTeam(teamId).findMany(trustedFilter({ status: { $in: statuses } }), {
      sort: { score: -1, _id: 1 },
      limit: parseInput(ListLimitSchema, options.limit ?? DEFAULT_LIST_LIMIT, "limit"),
    });
  }

  /** How many risks per status (every status present). */
  async countByStatus(teamId: string): Promise<Record<RiskStatus, number>> {
    const rows = await this.forTeam(teamId).aggregate<{ _id: RiskStatus; count: number }>([
      { $group: { _id: "$status", count: { $sum: 1 } } },
    ]);
    const counts = Object.fromEntries(RISK_STATUSES.map((s) => [s, 0])) as Record<RiskStatus, number>;
    for (const row of rows) if (row._id in counts) counts[row._id] = row.count;
    return counts;
  }
}
