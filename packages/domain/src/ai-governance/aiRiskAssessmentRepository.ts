import {
  BaseRepository,
  defineRepository,
  type RepositoryContext,
  type RepositoryDocument,
  type RepositoryInput,
  parseInput,
} from "@cspm/repository";
import { RefIdSchema } from "../common/documentSchema";
import { DEFAULT_LIST_LIMIT, ListLimitSchema } from "../common/listLimit";
import { AiRiskAssessmentSchema } from "./aiRiskAssessmentSchema";

const definition = defineRepository({ database: "AI_GOVERNANCE", collection: "ai_risk_assessments", schema: AiRiskAssessmentSchema });

/** A stored AI risk assessment as read back. */
export type AiRiskAssessmentDocument = RepositoryDocument<typeof AiRiskAssessmentSchema>;

/** Risk assessments of AI models (`cspm_ai_governance.ai_risk_assessments`); append-only history per model. */
export class AiRiskAssessmentRepository extends BaseRepository<typeof AiRiskAssessmentSchema> {
  /** The registry binding: AI_GOVERNANCE / ai_risk_assessments. */
  static readonly definition = definition;

  constructor(context: RepositoryContext) {
    super(context, definition);
  }

  /** Stores an assessment. Throws `VALIDATION_FAILED`. */
  async record(teamId: string, assessment: RepositoryInput<typeof AiRiskAssessmentSchema>): Promise<AiRiskAssessmentDocument> {
    return this.forTeam(teamId).insertOne(assessment);
  }

  /** The most recent assessment of a model, or `null`. Throws `VALIDATION_FAILED`. */
  async latestForModel(teamId: string, modelId: string): Promise<AiRiskAssessmentDocument | null> {
    return this.forTeam(teamId).findOne({ model_id: parseInput(RefIdSchema, modelId, "modelId") }, { sort: { assessed_at: -1 } });
  }

  /** A model's assessments, newest first. Throws `VALIDATION_FAILED`. */
  async historyForModel(teamId: string, modelId: string, limit = DEFAULT_LIST_LIMIT): Promise<AiRiskAssessmentDocument[]> {
    return this.forTeam(teamId).findMany(
      { model_id: parseInput(RefIdSchema, modelId, "modelId") },
      { sort: { assessed_at: -1 }, limit: parseInput(ListLimitSchema, limit, "limit") },
    );
  }
}
