import {
  type MuteRuleDocument,
  MuteRuleRepository,
  muteRuleFindingFilter,
  ProwlerFindingRepository,
  ResourceTagSchema,
} from "@cspm/domain";
import { NotFoundError, ValidationError } from "@cspm/errors";
import { parseInput, parseTeamId, type RepositoryFactory, stringInput, type TeamId, toObjectId } from "@cspm/repository";
import { z } from "zod";
import type { AggregationService } from "./aggregationService";

const CHECK_ID = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$/, "must be a check id such as iam_root_mfa_enabled");

const CRITERIA_SHAPE = {
  checkIds: z.array(CHECK_ID).max(100, "must name at most 100 values").optional(),
  accountIds: z.array(stringInput().min(1).max(253)).max(100, "must name at most 100 values").optional(),
  regions: z.array(stringInput().min(1).max(64)).max(100, "must name at most 100 values").optional(),
  /** A glob: `*` any run of characters, `?` one character; everything else literal. */
  resourceUidPattern: stringInput().min(1).max(2048).optional(),
  tags: z.array(ResourceTagSchema).max(20, "must name at most 20 tags").optional(),
} as const;

type Criteria = { [K in keyof typeof CRITERIA_SHAPE]?: z.output<(typeof CRITERIA_SHAPE)[K]> };

function hasCriterion(rule: Criteria): boolean {
  return (
    (rule.checkIds?.length ?? 0) + (rule.accountIds?.length ?? 0) + (rule.regions?.length ?? 0) + (rule.tags?.length ?? 0) > 0 ||
    rule.resourceUidPattern !== undefined
  );
}

const NO_CRITERION = "a mute rule needs at least one criterion: checkIds, accountIds, regions, resourceUidPattern or tags";

/** The JSON a mute rule is created from (`CreateMuteRuleInput`); `createRule` validates with it. */
export const CreateMuteRuleInputSchema = z
  .strictObject({
    name: stringInput().trim().min(1).max(200),
    reason: stringInput().trim().min(1, "is required: say why these findings are muted").max(1000),
    ...CRITERIA_SHAPE,
    enabled: z.boolean({ error: "must be true or false" }).optional(),
  })
  .refine(hasCriterion, { message: NO_CRITERION, path: ["checkIds"] });

/** A new mute rule. */
export type CreateMuteRuleInput = z.input<typeof CreateMuteRuleInputSchema>;

/**
 * The changes `updateRule` takes (`UpdateMuteRuleInput`): any field of the rule, at least one; a criterion set
 * to `null` (or an empty list) is removed. The rule must keep one criterion.
 */
export const UpdateMuteRuleInputSchema = z
  .strictObject({
    name: stringInput().trim().min(1).max(200).optional(),
    reason: stringInput().trim().min(1, "must not be empty").max(1000).optional(),
    checkIds: CRITERIA_SHAPE.checkIds.nullable(),
    accountIds: CRITERIA_SHAPE.accountIds.nullable(),
    regions: CRITERIA_SHAPE.regions.nullable(),
    resourceUidPattern: CRITERIA_SHAPE.resourceUidPattern.nullable(),
    tags: CRITERIA_SHAPE.tags.nullable(),
    enabled: z.boolean({ error: "must be true or false" }).optional(),
  })
  .refine((changes) => Object.values(changes).some((v) => v !== undefined), "at least one change is required");

/** Changes to a mute rule. */
export type UpdateMuteRuleInput = z.input<typeof UpdateMuteRuleInputSchema>;

const ListSchema = z.strictObject({
  limit: z.number().int().min(1).max(500).optional(),
  cursor: z.string().max(4096).nullable().optional(),
});

/** A mute rule as the services return it (stored fields, snake_case, with `id`). */
export interface MuteRuleView {
  readonly id: string;
  readonly team_id: string;
  readonly name: string;
  readonly reason: string;
  readonly check_ids?: readonly string[];
  readonly account_ids?: readonly string[];
  readonly regions?: readonly string[];
  readonly resource_uid_pattern?: string;
  readonly tags?: readonly { key: string; value: string }[];
  readonly enabled: boolean;
  readonly created_by?: string;
  readonly created_at: Date;
  readonly updated_at: Date;
}

/**
 * A rule after a change, with how many findings the change unmuted (released) and muted (applied); on an
 * update a finding the rule still matches is released and muted again, so it counts in both.
 */
export interface MuteRuleChange {
  readonly rule: MuteRuleView;
  readonly muted: number;
  readonly unmuted: number;
}

/** One page of mute rules, newest first. */
export interface MuteRulePage {
  readonly items: MuteRuleView[];
  readonly nextCursor: string | null;
  readonly hasMore: boolean;
}

/** Dependencies of `MuteRuleService` (built by `createServices`). */
export interface MuteRuleServiceDependencies {
  readonly repositories: RepositoryFactory;
  /** Its cached posture summaries are dropped after every change (muted findings leave the figures). */
  readonly aggregation: Pick<AggregationService, "invalidate">;
}

function toView(doc: MuteRuleDocument): MuteRuleView {
  const { _id, ...rest } = doc;
  return { ...rest, id: _id.toHexString() } as unknown as MuteRuleView;
}

const STORED: Readonly<Record<keyof typeof CRITERIA_SHAPE, string>> = {
  checkIds: "check_ids",
  accountIds: "account_ids",
  regions: "regions",
  resourceUidPattern: "resource_uid_pattern",
  tags: "tags",
};

/**
 * Mute rules of a team (`cspm_cloud_security.mute_rules`): creating, changing or deleting one applies it to
 * the team's stored findings at once — set-based `updateMany` writes through the scoped finding repository
 * (`applyMuteRule` / `releaseMuteRule`), never a read-modify-write per finding — and every later import
 * applies the enabled rules in its own batched writes (`@cspm/ingest`). Muted findings leave the posture
 * figures (the dashboard counts `muted: false` only).
 */
export class MuteRuleService {
  readonly #rules: MuteRuleRepository;
  readonly #findings: ProwlerFindingRepository;
  readonly #aggregation: Pick<AggregationService, "invalidate">;

  constructor(deps: MuteRuleServiceDependencies) {
    this.#rules = deps.repositories.get(MuteRuleRepository);
    this.#findings = deps.repositories.get(ProwlerFindingRepository);
    this.#aggregation = deps.aggregation;
  }

  /**
   * Creates a rule (enabled unless `enabled: false`) and mutes the team's findings it matches. Throws
   * `VALIDATION_FAILED` (field paths of the input: a reason is required, at least one criterion).
   */
  async createRule(teamId: TeamId, input: CreateMuteRuleInput, createdBy?: string): Promise<MuteRuleChange> {
    const team = parseTeamId(teamId);
    const parsed = parseInput(CreateMuteRuleInputSchema, input, "");
    const doc = await this.#rules.forTeam(team).insertOne({
      name: parsed.name,
      reason: parsed.reason,
      ...(parsed.checkIds?.length ? { check_ids: parsed.checkIds } : {}),
      ...(parsed.accountIds?.length ? { account_ids: parsed.accountIds } : {}),
      ...(parsed.regions?.length ? { regions: parsed.regions } : {}),
      ...(parsed.resourceUidPattern === undefined ? {} : { resource_uid_pattern: parsed.resourceUidPattern }),
      ...(parsed.tags?.length ? { tags: parsed.tags } : {}),
      enabled: parsed.enabled ?? true,
      ...(createdBy === undefined ? {} : { created_by: createdBy.slice(0, 256) }),
    });
    const muted = doc.enabled ? await this.#findings.applyMuteRule(team, doc._id.toHexString(), muteRuleFindingFilter(doc)) : 0;
    await this.#aggregation.invalidate(team);
    return { rule: toView(doc), muted, unmuted: 0 };
  }

  /** The team's rules, newest first, in keyset pages (limit 1–500, default 50). Throws `VALIDATION_FAILED`. */
  async listRules(teamId: TeamId, options: { limit?: number; cursor?: string | null } = {}): Promise<MuteRulePage> {
    const team = parseTeamId(teamId);
    const query = parseInput(ListSchema, options, "");
    const page = await this.#rules.forTeam(team).paginate({
      sort: { field: "_id", direction: "desc" },
      limit: query.limit ?? 50,
      ...(query.cursor === undefined || query.cursor === null ? {} : { cursor: query.cursor }),
    });
    return { items: page.items.map(toView), nextCursor: page.nextCursor, hasMore: page.nextCursor !== null };
  }

  /** One rule of the team. Throws `VALIDATION_FAILED` (malformed id), `NOT_FOUND`. */
  async getRule(teamId: TeamId, id: string): Promise<MuteRuleView> {
    return toView(await this.#get(parseTeamId(teamId), id));
  }

  /**
   * Changes a rule and re-applies it: the findings it muted are released, then (when enabled) the findings
   * its new criteria match are muted. Throws `VALIDATION_FAILED`, `NOT_FOUND`.
   */
  async updateRule(teamId: TeamId, id: string, changes: UpdateMuteRuleInput): Promise<MuteRuleChange> {
    const team = parseTeamId(teamId);
    const parsed = parseInput(UpdateMuteRuleInputSchema, changes, "");
    const current = await this.#get(team, id);
    const set: Record<string, unknown> = {};
    const unset: Record<string, ""> = {};
    if (parsed.name !== undefined) set["name"] = parsed.name;
    if (parsed.reason !== undefined) set["reason"] = parsed.reason;
    if (parsed.enabled !== undefined) set["enabled"] = parsed.enabled;
    const next: Criteria = {
      checkIds: current.check_ids,
      accountIds: current.account_ids,
      regions: current.regions,
      resourceUidPattern: current.resource_uid_pattern,
      tags: current.tags,
    };
    for (const key of Object.keys(STORED) as (keyof typeof CRITERIA_SHAPE)[]) {
      const value = parsed[key];
      if (value === undefined) continue;
      const stored = STORED[key];
      if (value === null || (Array.isArray(value) && value.length === 0)) {
        unset[stored] = "";
        delete next[key];
      } else {
        set[stored] = value;
        (next as Record<string, unknown>)[key] = value;
      }
    }
    if (!hasCriterion(next)) throw new ValidationError(`Invalid input: ${NO_CRITERION}.`, [{ path: "checkIds", message: NO_CRITERION }]);
    const scope = this.#rules.forTeam(team);
    await scope.updateOne(
      { _id: current._id },
      { ...(Object.keys(set).length > 0 ? { $set: set } : {}), ...(Object.keys(unset).length > 0 ? { $unset: unset } : {}) },
    );
    const updated = await this.#get(team, id);
    const ruleId = updated._id.toHexString();
    const unmuted = await this.#findings.releaseMuteRule(team, ruleId);
    const muted = updated.enabled ? await this.#findings.applyMuteRule(team, ruleId, muteRuleFindingFilter(updated)) : 0;
    await this.#aggregation.invalidate(team);
    return { rule: toView(updated), muted, unmuted };
  }

  /** Deletes a rule; the findings only it muted are unmuted first. Throws `VALIDATION_FAILED`, `NOT_FOUND`. */
  async deleteRule(teamId: TeamId, id: string): Promise<{ id: string; deleted: true; unmuted: number }> {
    const team = parseTeamId(teamId);
    const current = await this.#get(team, id);
    const ruleId = current._id.toHexString();
    const unmuted = await this.#findings.releaseMuteRule(team, ruleId);
    await this.#rules.forTeam(team).deleteById(current._id, { hard: true });
    await this.#aggregation.invalidate(team);
    return { id: ruleId, deleted: true, unmuted };
  }

  async #get(team: TeamId, id: string): Promise<MuteRuleDocument> {
    const _id = toObjectId(id, "id");
    const doc = await this.#rules.forTeam(team).findById(_id);
    if (doc === null) throw new NotFoundError(`No mute rule ${_id.toHexString()} in this team.`, { details: { id: _id.toHexString() } });
    return doc;
  }
}
