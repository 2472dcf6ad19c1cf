import { ConflictError, isCspmError, NotFoundError } from "@cspm/errors";
import {
  BaseRepository,
  defineRepository,
  type RepositoryContext,
  type RepositoryDocument,
  type RepositoryInput,
  parseInput,
} from "@cspm/repository";
import { z } from "zod";
import { RefIdSchema } from "../common/documentSchema";
import {
  AiActObligationSchema,
  EuAiActComplianceSchema,
  OBLIGATION_STATUSES,
  type AiActObligation,
  type EU_AI_ACT_STATUSES,
} from "./euAiActComplianceSchema";

const definition = defineRepository({
  database: "AI_GOVERNANCE",
  collection: "eu_ai_act_compliance",
  schema: EuAiActComplianceSchema,
  keyFields: ["model_id"],
  versioned: true,
});

/** A stored EU AI Act record as read back. */
export type EuAiActComplianceDocument = RepositoryDocument<typeof EuAiActComplianceSchema>;

/** What `upsertForModel` takes: `status` is derived from the obligations. */
export type EuAiActComplianceInput = Omit<RepositoryInput<typeof EuAiActComplianceSchema>, "status">;

/** How often `setObligationStatus` retries after a concurrent change. */
const MAX_ATTEMPTS = 5;

/**
 * The overall status implied by obligations: `compliant` when all are met or not applicable,
 * `partially_compliant` when some are, `non_compliant` when none is, `not_assessed` when there are none.
 */
export function deriveAiActStatus(obligations: readonly Pick<AiActObligation, "status">[]): (typeof EU_AI_ACT_STATUSES)[number] {
  if (obligations.length === 0) return "not_assessed";
  const done = obligations.filter((o) => o.status === "met" || o.status === "not_applicable").length;
  return done === obligations.length ? "compliant" : done > 0 ? "partially_compliant" : "non_compliant";
}

/** EU AI Act records (`cspm_ai_governance.eu_ai_act_compliance`), one per model; versioned. */
export class EuAiActComplianceRepository extends BaseRepository<typeof EuAiActComplianceSchema> {
  /** The registry binding: AI_GOVERNANCE / eu_ai_act_compliance. */
  static readonly definition = definition;

  constructor(context: RepositoryContext) {
    super(context, definition);
  }

  /** Creates or replaces the record of `model_id`, with `status` derived from the obligations. Throws `VALIDATION_FAILED`. */
  async upsertForModel(teamId: string, input: EuAiActComplianceInput): Promise<EuAiActComplianceDocument> {
    const obligations = parseInput(z.array(AiActObligationSchema), input.obligations, "obligations");
    return (await this.forTeam(teamId).upsert({ ...input, status: deriveAiActStatus(obligations) })).document;
  }

  /** The record of a model, or `null`. Throws `VALIDATION_FAILED`. */
  async findByModel(teamId: string, modelId: string): Promise<EuAiActComplianceDocument | null> {
    return this.forTeam(teamId).findOne({ model_id: parseInput(RefIdSchema, modelId, "modelId") });
  }

  /**
   * Sets one obligation's status and re-derives the overall status, with optimistic versioning (retried on
   * a concurrent change). Throws `VALIDATION_FAILED`, `NOT_FOUND` (no record or no such obligation), `CONFLICT`.
   */
  async setObligationStatus(
    teamId: string,
    modelId: string,
    obligationId: string,
    status: (typeof OBLIGATION_STATUSES)[number],
    reviewedAt: Date = new Date(),
  ): Promise<EuAiActComplianceDocument> {
    const next = parseInput(z.enum(OBLIGATION_STATUSES), status, "status");
    const obligation = parseInput(AiActObligationSchema.shape.obligation_id, obligationId, "obligationId");
    const at = parseInput(z.date(), reviewedAt, "reviewedAt");
    const scope = this.forTeam(teamId);
    for (let attempt = 1; ; attempt += 1) {
      const record = await this.findByModel(teamId, modelId);
      if (!record) throw new NotFoundError(`No EU AI Act record for model ${modelId}.`, { details: { model_id: modelId } });
      if (!record.obligations.some((o) => o.obligation_id === obligation)) {
        throw new NotFoundError(`Model ${modelId} has no obligation "${obligation}".`, {
          details: { model_id: modelId, obligation_id: obligation },
        });
      }
      const obligations = record.obligations.map((o) => (o.obligation_id === obligation ? { ...o, status: next } : o));
      try {
        return await scope.update(
          record._id,
          { obligations, status: deriveAiActStatus(obligations), reviewed_at: at },
          record.version === undefined ? {} : { expectedVersion: record.version },
        );
      } catch (error) {
        const stale = isCspmError(error) && error.reason === "VERSION_CONFLICT";
        if (!stale) throw error;
        if (attempt >= MAX_ATTEMPTS) {
          throw new ConflictError("The EU AI Act record kept changing; try again.", {
            reason: "VERSION_CONFLICT",
            details: { model_id: modelId },
          });
        }
      }
    }
  }
}
