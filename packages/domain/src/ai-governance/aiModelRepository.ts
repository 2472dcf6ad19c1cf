import {
  BaseRepository,
  defineRepository,
  type RepositoryContext,
  type RepositoryDocument,
  type RepositoryInput,
  parseInput,
  toObjectId,
} from "@cspm/repository";
import type { ObjectId } from "mongodb";
import { z } from "zod";
import { AI_MODEL_STATUSES, AI_RISK_TIERS, AiModelSchema, AiRiskTierSchema, type AiRiskTier } from "./aiModelSchema";

const definition = defineRepository({
  database: "AI_GOVERNANCE",
  collection: "ai_models",
  schema: AiModelSchema,
  keyFields: ["name", "model_version"],
});

/** A stored AI model as read back. */
export type AiModelDocument = RepositoryDocument<typeof AiModelSchema>;

/** The team's AI model inventory (`cspm_ai_governance.ai_models`), unique by name and `model_version`. */
export class AiModelRepository extends BaseRepository<typeof AiModelSchema> {
  /** The registry binding: AI_GOVERNANCE / ai_models. */
  static readonly definition = definition;

  constructor(context: RepositoryContext) {
    super(context, definition);
  }

  /** Adds a model to the inventory. Throws `VALIDATION_FAILED`, `CONFLICT` (same name and model version). */
  async register(teamId: string, input: RepositoryInput<typeof AiModelSchema>): Promise<AiModelDocument> {
    return this.forTeam(teamId).insertOne(input);
  }

  /** The model with this name and version, or `null`. Throws `VALIDATION_FAILED`. */
  async findByNameVersion(teamId: string, name: string, modelVersion: string): Promise<AiModelDocument | null> {
    return this.forTeam(teamId).findOne({
      name: parseInput(AiModelSchema.shape.name, name, "name"),
      model_version: parseInput(AiModelSchema.shape.model_version, modelVersion, "modelVersion"),
    });
  }

  /** Models in one risk tier, by name. Throws `VALIDATION_FAILED`. */
  async listByRiskTier(teamId: string, tier: AiRiskTier): Promise<AiModelDocument[]> {
    return this.forTeam(teamId).findMany(
      { risk_tier: parseInput(AiRiskTierSchema, tier, "tier") },
      { sort: { name: 1, model_version: 1 }, limit: 1000 },
    );
  }

  /** How many models per risk tier (every tier present). */
  async countByRiskTier(teamId: string): Promise<Record<AiRiskTier, number>> {
    const rows = await this.forTeam(teamId).aggregate<{ _id: AiRiskTier; count: number }>([
      { $group: { _id: "$risk_tier", count: { $sum: 1 } } },
    ]);
    const counts = Object.fromEntries(AI_RISK_TIERS.map((t) => [t, 0])) as Record<AiRiskTier, number>;
    for (const row of rows) if (row._id in counts) counts[row._id] = row.count;
    return counts;
  }

  /** Re-classifies a model's risk tier. Throws `VALIDATION_FAILED`, `NOT_FOUND`. */
  async setRiskTier(teamId: string, id: ObjectId | string, tier: AiRiskTier): Promise<AiModelDocument> {
    return this.forTeam(teamId).update(toObjectId(id), { risk_tier: parseInput(AiRiskTierSchema, tier, "tier") });
  }

  /** Sets a model's lifecycle status. Throws `VALIDATION_FAILED`, `NOT_FOUND`. */
  async setStatus(teamId: string, id: ObjectId | string, status: (typeof AI_MODEL_STATUSES)[number]): Promise<AiModelDocument> {
    return this.forTeam(teamId).update(toObjectId(id), { status: parseInput(z.enum(AI_MODEL_STATUSES), status, "status") });
  }
}
