import {
  AI_MODEL_STATUSES,
  AI_RISK_TIERS,
  type AiRiskTier,
  AiModelRepository,
  EU_AI_ACT_STATUSES,
  EuAiActComplianceRepository,
} from "@cspm/domain";
import { parseInput, parseTeamId, type RepositoryFactory, type TeamId, trustedFilter } from "@cspm/repository";
import type { Document } from "mongodb";
import type { Clock } from "./clock";
import type { PageRequest } from "./scanRunQueryService";
import { PageRequestSchema } from "./pageRequestSchema";

/** Dependencies of `AiGovernanceService` (built by `createServices`). */
export interface AiGovernanceServiceDependencies {
  readonly repositories: RepositoryFactory;
  readonly clock: Clock;
}

/** A model's lifecycle status in the inventory. */
export type AiModelStatus = (typeof AI_MODEL_STATUSES)[number];
/** A model's overall EU AI Act status. */
export type EuAiActStatus = (typeof EU_AI_ACT_STATUSES)[number];

/** One model as listed. */
export interface AiModelView {
  readonly id: string;
  readonly name: string;
  readonly model_version: string;
  readonly provider: string;
  readonly owner: string;
  readonly intended_purpose: string;
  /** The EU AI Act risk category (`unacceptable`, `high`, `limited`, `minimal`). */
  readonly risk_tier: AiRiskTier;
  readonly status: AiModelStatus;
  /** From the model's EU AI Act record; `not_assessed` when it has none. */
  readonly eu_ai_act_status: EuAiActStatus;
  /** Obligations of the record met or not applicable, of all; zeros without a record. */
  readonly obligations: { readonly done: number; readonly total: number };
  readonly reviewed_at: Date | null;
}

/** One page of models, by name. */
export interface AiModelPage {
  readonly items: readonly AiModelView[];
  readonly next_cursor: string | null;
}

/** What `getSummary` returns. */
export interface AiGovernanceSummary {
  readonly team_id: string;
  readonly generated_at: Date;
  readonly total: number;
  readonly by_risk_tier: Readonly<Record<AiRiskTier, number>>;
  readonly by_status: Readonly<Record<AiModelStatus, number>>;
  /** Models by EU AI Act status; models without a record count as `not_assessed`. */
  readonly by_eu_ai_act_status: Readonly<Record<EuAiActStatus, number>>;
}

const zeros = <K extends string>(keys: readonly K[]): Record<K, number> => Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;

/**
 * The team's AI inventory (`cspm_ai_governance.ai_models`) with each model's EU AI Act standing
 * (`eu_ai_act_compliance`, one record per model). Pages by name (index `team_name`), then ONE batched look-up
 * of the page's records (index `team_model_unique`) — never one per model. Team-scoped repositories only.
 * Methods throw `VALIDATION_FAILED`, `UNAVAILABLE`, `INTERNAL`.
 */
export class AiGovernanceService {
  readonly #models: AiModelRepository;
  readonly #records: EuAiActComplianceRepository;
  readonly #now: Clock;

  constructor(deps: AiGovernanceServiceDependencies) {
    this.#models = deps.repositories.get(AiModelRepository);
    this.#records = deps.repositories.get(EuAiActComplianceRepository);
    this.#now = deps.clock;
  }

  /**
   * One keyset page of models by name, each with its risk tier and EU AI Act status. Two queries.
   * Throws `VALIDATION_FAILED` (bad limit or cursor), `UNAVAILABLE`, `INTERNAL`.
   */
  async listModels(teamId: TeamId, page: PageRequest = {}): Promise<AiModelPage> {
    const team = parseTeamId(teamId);
    const paging = parseInput(PageRequestSchema, page, "");
    const result = await this.#models.forTeam(team).paginate({
      sort: { field: "name", direction: "asc" },
      limit: paging.limit ?? 50,
      cursor: paging.cursor ?? null,
    });
    const ids = result.items.map((m) => m._id.toHexString());
    const records =
      ids.length === 0 ? [] : await this.#records.forTeam(team).findMany(trustedFilter({ model_id: { $in: ids } }), { limit: ids.length });
    const byModel = new Map(records.map((r) => [String(r.model_id), r]));
    return {
      items: result.items.map((model) => {
        const record = byModel.get(model._id.toHexString());
        const obligations = record?.obligations ?? [];
        return {
          id: model._id.toHexString(),
          name: model.name,
          model_version: model.model_version,
          provider: model.provider,
          owner: model.owner,
          intended_purpose: model.intended_purpose,
          risk_tier: model.risk_tier,
          status: model.status,
          eu_ai_act_status: record?.status ?? "not_assessed",
          obligations: {
            done: obligations.filter((o) => o.status === "met" || o.status === "not_applicable").length,
            total: obligations.length,
          },
          reviewed_at: record?.reviewed_at ?? null,
        };
      }),
      next_cursor: result.nextCursor,
    };
  }

  /**
   * Counts of the team's models by risk tier, lifecycle status and EU AI Act status. Two aggregations (models;
   * records), both team-scoped. Throws `VALIDATION_FAILED`, `UNAVAILABLE`, `INTERNAL`.
   */
  async getSummary(teamId: TeamId): Promise<AiGovernanceSummary> {
    const team = parseTeamId(teamId);
    const now = this.#now();
    const [models, records] = await Promise.all([
      this.#models
        .forTeam(team)
        .aggregate<Document>([
          { $project: { _id: 1, risk_tier: 1, status: 1 } },
          { $group: { _id: { risk_tier: "$risk_tier", status: "$status" }, n: { $sum: 1 }, ids: { $push: "$_id" } } },
        ]),
      this.#records.forTeam(team).aggregate<Document>([{ $project: { _id: 0, model_id: 1, status: 1 } }]),
    ]);
    const byTier = zeros(AI_RISK_TIERS);
    const byStatus = zeros(AI_MODEL_STATUSES);
    const byAct = zeros(EU_AI_ACT_STATUSES);
    const modelIds = new Set<string>();
    let total = 0;
    for (const row of models) {
      const id = (row["_id"] ?? {}) as Document;
      const n = typeof row["n"] === "number" ? (row["n"] as number) : 0;
      total += n;
      const tier = id["risk_tier"] as AiRiskTier;
      const status = id["status"] as AiModelStatus;
      if (tier in byTier) byTier[tier] += n;
      if (status in byStatus) byStatus[status] += n;
      for (const modelId of (row["ids"] ?? []) as { toHexString(): string }[]) modelIds.add(modelId.toHexString());
    }
    let assessed = 0;
    for (const record of records) {
      const status = record["status"] as EuAiActStatus;
      // Records of models no longer in the inventory are not counted.
      if (!modelIds.has(String(record["model_id"])) || !(status in byAct)) continue;
      byAct[status] += 1;
      assessed += 1;
    }
    byAct.not_assessed += total - assessed;
    return { team_id: team, generated_at: now, total, by_risk_tier: byTier, by_status: byStatus, by_eu_ai_act_status: byAct };
  }
}
