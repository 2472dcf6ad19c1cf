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
import { RefIdSchema } from "../common/documentSchema";
import { RiskTreatmentSchema, TREATMENT_STATUSES } from "./riskTreatmentSchema";

const definition = defineRepository({ database: "RISK_MANAGEMENT", collection: "risk_treatments", schema: RiskTreatmentSchema });

/** A stored risk treatment as read back. */
export type RiskTreatmentDocument = RepositoryDocument<typeof RiskTreatmentSchema>;

/** Treatment plans of risks (`cspm_risk_management.risk_treatments`). */
export class RiskTreatmentRepository extends BaseRepository<typeof RiskTreatmentSchema> {
  /** The registry binding: RISK_MANAGEMENT / risk_treatments. */
  static readonly definition = definition;

  constructor(context: RepositoryContext) {
    super(context, definition);
  }

  /** Adds a treatment plan. Throws `VALIDATION_FAILED`. */
  async create(teamId: string, input: RepositoryInput<typeof RiskTreatmentSchema>): Promise<RiskTreatmentDocument> {
    return this.forTeam(teamId).insertOne(input);
  }

  /** The treatments of one risk, oldest first. Throws `VALIDATION_FAILED`. */
  async listForRisk(teamId: string, riskId: string): Promise<RiskTreatmentDocument[]> {
    return this.forTeam(teamId).findMany(
      { risk_id: parseInput(RefIdSchema, riskId, "riskId") },
      { sort: { created_at: 1, _id: 1 }, limit: 1000 },
    );
  }

  /** Sets a treatment's status; `completed` stamps `completed_at`. Throws `VALIDATION_FAILED`, `NOT_FOUND`. */
  async setStatus(
    teamId: string,
    id: ObjectId | string,
    status: (typeof TREATMENT_STATUSES)[number],
    at: Date = new Date(),
  ): Promise<RiskTreatmentDocument> {
    const next = parseInput(z.enum(TREATMENT_STATUSES), status, "status");
    return this.forTeam(teamId).update(
      toObjectId(id),
      next === "completed" ? { status: next, completed_at: parseInput(z.date(), at, "at") } : { status: next },
    );
  }
}
