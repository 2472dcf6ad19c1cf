import {
  FindingFacetCellRepository,
  FindingRollupRepository,
  FINDING_STATES,
  FINDING_STATUSES,
  FindingProviderSchema,
  type FindingHistoryEntry,
  type ProwlerFindingDocument,
  ProwlerFindingRepository,
  SeveritySchema,
  SightingDeltaSchema,
  searchTokens,
} from "@cspm/domain";
import { NotFoundError } from "@cspm/errors";
import { parseInput, parseTeamId, type RepositoryFactory, stringInput, type TeamId, toObjectId, trustedFilter } from "@cspm/repository";
import type { Document } from "mongodb";
import { z } from "zod";
import { cacheKeyDigest } from "./cacheKeyDigest";

/** The sorts of `listFindings`: the API names of the sort keys. */
export const FINDING_SORT_FIELDS = ["severity", "last_seen_at", "first_seen_at", "check_id"] as const;

/** One of `FINDING_SORT_FIELDS`. */
export type FindingSortField = (typeof FINDING_SORT_FIELDS)[number];

/** The stored field each sort walks (with `_id` as the tie-break): severity by its numeric rank. */
export const FINDING_SORT_KEYS: Readonly<Record<FindingSortField, string>> = {
  severity: "severity_rank",
  last_seen_at: "last_seen_at",
  first_seen_at: "first_seen_at",
  check_id: "check_id",
};

/** The facets of `getFindingFacets`, named as the API's query parameters. */
export const FINDING_FACETS = [
  "severity",
  "status",
  "provider",
  "account_id",
  "service",
  "region",
  "check_id",
  "delta",
  "state",
  "muted",
  "framework",
] as const;

/** One of `FINDING_FACETS`. */
export type FindingFacetName = (typeof FINDING_FACETS)[number];

/** Default and largest page size of `listFindings`. */
export const FINDING_PAGE_LIMITS = Object.freeze({ default: 50, max: 500 });

/** Most distinct values one facet lists (most frequent first). */
export const MAX_FACET_VALUES = 200;

/** Most words a search is split into. */
const MAX_SEARCH_WORDS = 8;

const instant = z.union([z.date(), z.iso.datetime({ offset: true, error: "must be an ISO-8601 date-time" }).transform((s) => new Date(s))]);

const DateRangeSchema = z
  .strictObject({ from: instant.optional(), to: instant.optional() })
  .refine((range) => range.from === undefined || range.to === undefined || range.from <= range.to, {
    message: "from must not be after to",
    path: ["from"],
  });

const list = <S extends z.ZodType>(item: S, max = 100) =>
  z.array(item).min(1, "must name at least one value").max(max, `must name at most ${max} values`);

const CHECK_ID = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$/, "must be a check id such as iam_root_mfa_enabled");

/**
 * The filter of `listFindings` and `getFindingFacets`. Lists match any of their values; fields combine with
 * AND. `resourceUid` (exact) and `resourceUidPrefix` exclude each other; `requirement` (a control id) needs
 * `framework` (a compliance key such as `CIS-2.0`); `search` is a case-insensitive prefix search on the words
 * of the check title and the resource name (every word of the search must start a stored word).
 */
export const FindingFilterSchema = z
  .strictObject({
    severity: list(SeveritySchema, 5).optional(),
    status: list(z.enum(FINDING_STATUSES), 3).optional(),
    provider: list(FindingProviderSchema, 20).optional(),
    accountId: list(stringInput().min(1).max(253)).optional(),
    service: list(stringInput().min(1).max(128)).optional(),
    region: list(stringInput().min(1).max(64)).optional(),
    checkId: list(CHECK_ID).optional(),
    resourceUid: stringInput().min(1).max(2048).optional(),
    resourceUidPrefix: stringInput().min(1).max(2048).optional(),
    framework: stringInput().min(1).max(128).optional(),
    requirement: stringInput().min(1).max(128).optional(),
    muted: z.boolean({ error: "must be true or false" }).optional(),
    delta: list(SightingDeltaSchema, 3).optional(),
    state: list(z.enum(FINDING_STATES), 3).optional(),
    firstSeen: DateRangeSchema.optional(),
    lastSeen: DateRangeSchema.optional(),
    search: stringInput().trim().min(1, "must not be empty").max(200).optional(),
  })
  .superRefine((filter, ctx) => {
    if (filter.resourceUid !== undefined && filter.resourceUidPrefix !== undefined) {
      ctx.addIssue({ code: "custom", path: ["resourceUidPrefix"], message: "cannot be combined with resourceUid" });
    }
    if (filter.requirement !== undefined && filter.framework === undefined) {
      ctx.addIssue({ code: "custom", path: ["requirement"], message: "needs framework (the compliance key the requirement belongs to)" });
    }
    if (filter.search !== undefined && searchTokens(filter.search).length === 0) {
      ctx.addIssue({ code: "custom", path: ["search"], message: "must contain a letter or digit" });
    }
  });

/** A finding filter (input form; dates may be `Date`s or ISO-8601 strings). */
export type FindingFilter = z.input<typeof FindingFilterSchema>;

/** Sort and paging of `listFindings`. */
export const FindingPageSchema = z.strictObject({
  sort: z
    .strictObject({ field: z.enum(FINDING_SORT_FIELDS), direction: z.enum(["asc", "desc"]) })
    .default({ field: "last_seen_at", direction: "desc" }),
  limit: z
    .number({ error: `must be an integer from 1 to ${FINDING_PAGE_LIMITS.max}` })
    .int()
    .min(1)
    .max(FINDING_PAGE_LIMITS.max)
    .default(FINDING_PAGE_LIMITS.default),
  cursor: z.string().min(1).max(4096).nullable().optional(),
});

/** Sort (default `last_seen_at` descending), limit (1–500, default 50) and cursor of `listFindings`. */
export type FindingPageOptions = z.input<typeof FindingPageSchema>;

/** A finding as the services return it: the stored fields (snake_case) with `id`; no internal index fields. */
export interface FindingView {
  readonly id: string;
  readonly team_id: string;
  readonly provider: string;
  readonly account_id: string;
  readonly check_id: string;
  readonly check_title: string;
  readonly status: string;
  readonly severity: string;
  readonly service_name: string;
  readonly region: string;
  readonly resource_uid: string;
  readonly resource_name?: string;
  readonly muted: boolean;
  readonly muted_by_rule?: readonly string[];
  readonly delta?: string;
  readonly state?: string;
  readonly first_seen_at: Date;
  readonly last_seen_at: Date;
  readonly resolved_at?: Date;
  readonly resolved_by_scan?: string;
  readonly scan_id: string;
  readonly compliance: readonly { framework: string; controls: readonly string[] }[];
  readonly [field: string]: unknown;
}

/** A finding with its history: the scans that saw it new or changed, oldest first (at most 50). */
export interface FindingDetail extends FindingView {
  readonly history: readonly FindingHistoryEntry[];
}

/** One page of findings; pass `nextCursor` back as `cursor` (same filter and sort) for the next. */
export interface FindingPage {
  readonly items: FindingView[];
  readonly nextCursor: string | null;
  readonly hasMore: boolean;
}

/** One value of a facet and how many findings under the filter have it. */
export interface FacetCount {
  readonly value: string | boolean;
  readonly count: number;
}

/** Every facet's values with counts, most frequent first. */
export type FindingFacets = Record<FindingFacetName, FacetCount[]>;

/** Dependencies of `FindingQueryService` (built by `createServices`). */
export interface FindingQueryServiceDependencies {
  readonly repositories: RepositoryFactory;
}

type ParsedFilter = z.output<typeof FindingFilterSchema>;

function escapeRegex(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/]/g, "\\$&");
}

function range(from: Date | undefined, to: Date | undefined): Document {
  return { ...(from === undefined ? {} : { $gte: from }), ...(to === undefined ? {} : { $lte: to }) };
}

/**
 * The MongoDB filter (without `team_id`: the scoped repository adds it) of a parsed finding filter. Equality
 * and `$in` on indexed fields, ranges on the sighting times, anchored prefix regexes (index bounds) for the
 * resource uid prefix and the search words. Exported for the index tests.
 */
export function findingMongoFilter(filter: ParsedFilter): Document {
  const query: Document = {};
  const and: Document[] = [];
  const anyOf = (field: string, values: readonly unknown[] | undefined) => {
    if (values !== undefined) query[field] = values.length === 1 ? values[0] : { $in: [...values] };
  };
  if (filter.muted !== undefined) query["muted"] = filter.muted;
  anyOf("status", filter.status);
  // On the stored severity (every finding has it), walked in the severity-rank index order when sorted by it.
  anyOf("severity", filter.severity);
  anyOf("state", filter.state);
  anyOf("account_id", filter.accountId);
  anyOf("provider", filter.provider);
  anyOf("service_name", filter.service);
  anyOf("region", filter.region);
  anyOf("check_id", filter.checkId);
  anyOf("delta", filter.delta);
  if (filter.framework !== undefined) {
    if (filter.requirement === undefined) query["compliance.framework"] = filter.framework;
    else query["compliance"] = { $elemMatch: { framework: filter.framework, controls: filter.requirement } };
  }
  if (filter.resourceUid !== undefined) query["resource_uid"] = filter.resourceUid;
  if (filter.resourceUidPrefix !== undefined) query["resource_uid"] = { $regex: `^${escapeRegex(filter.resourceUidPrefix)}` };
  if (filter.firstSeen !== undefined) query["first_seen_at"] = range(filter.firstSeen.from, filter.firstSeen.to);
  if (filter.lastSeen !== undefined) query["last_seen_at"] = range(filter.lastSeen.from, filter.lastSeen.to);
  if (filter.search !== undefined) {
    const words = [...new Set(searchTokens(filter.search))].slice(0, MAX_SEARCH_WORDS);
    const [first, ...rest] = words;
    if (first !== undefined) query["search_terms"] = { $regex: `^${escapeRegex(first)}` };
    for (const word of rest) and.push({ search_terms: { $regex: `^${escapeRegex(word)}` } });
  }
  if (and.length > 0) query["$and"] = and;
  return query;
}

/** Stored fields that are index material or internal bookkeeping, never returned. */
const HIDDEN_FIELDS = { search_terms: 0, previous: 0, history: 0 } as const;

function toView(doc: ProwlerFindingDocument): FindingView {
  const { _id, search_terms: _terms, previous: _previous, history: _history, severity_rank: _rank, ...rest } = doc as Document;
  return { ...rest, id: (_id as { toHexString(): string }).toHexString() } as FindingView;
}

/** Facet name -> the stored field it counts. */
const FACET_FIELDS: Readonly<Record<Exclude<FindingFacetName, "framework">, string>> = {
  severity: "severity",
  status: "status",
  provider: "provider",
  account_id: "account_id",
  service: "service_name",
  region: "region",
  check_id: "check_id",
  delta: "delta",
  state: "state",
  muted: "muted",
};

function facetStages(path: string, count: string | 1): Document[] {
  return [{ $group: { _id: path, count: { $sum: count } } }, { $sort: { count: -1, _id: 1 } }, { $limit: MAX_FACET_VALUES }];
}

/** The filter fields a facet cell is keyed by: facets under a filter of only these are read from the cells. */
const CELL_FILTER_FIELDS: ReadonlySet<string> = new Set([
  "severity",
  "status",
  "provider",
  "accountId",
  "service",
  "region",
  "checkId",
  "muted",
  "delta",
  "state",
]);

/** Whether the facets under `filter` can be summed from the facet cells (it filters on cell fields only). */
export function facetsFromCells(filter: ParsedFilter): boolean {
  return Object.entries(filter).every(([field, value]) => value === undefined || CELL_FILTER_FIELDS.has(field));
}

/**
 * The facet aggregation of a parsed filter over the findings (`findings`: one count per finding, framework per
 * compliance entry) or over the facet cells (`cells`: the same counts summed from each matching cell's
 * `count` and `frameworks`; only for a filter `facetsFromCells` accepts). Cells carry the findings' own field
 * names, so one `$match` serves both. Exported for the property test.
 */
export function findingFacetsPipeline(filter: ParsedFilter, source: "findings" | "cells"): Document[] {
  const facets: Document = {};
  const count = source === "cells" ? "$count" : 1;
  for (const [name, field] of Object.entries(FACET_FIELDS)) facets[name] = facetStages(`$${field}`, count);
  facets["framework"] =
    source === "cells"
      ? [{ $unwind: "$frameworks" }, ...facetStages("$frameworks.framework", "$frameworks.count")]
      : [{ $unwind: "$compliance" }, ...facetStages("$compliance.framework", 1)];
  const projection: Document = { _id: 0, [source === "cells" ? "frameworks" : "compliance"]: 1 };
  for (const field of Object.values(FACET_FIELDS)) projection[field] = 1;
  if (source === "cells") projection["count"] = 1;
  return [{ $match: findingMongoFilter(filter) }, { $project: projection }, { $facet: facets }];
}

/** The service's answer from the one row of `findingFacetsPipeline`: values that are strings or booleans. */
export function shapeFindingFacets(row: Record<string, { _id: unknown; count: number }[]> | undefined): FindingFacets {
  const out = {} as FindingFacets;
  for (const name of FINDING_FACETS) {
    out[name] = (row?.[name] ?? [])
      .filter((entry) => typeof entry._id === "string" || typeof entry._id === "boolean")
      .map((entry) => ({ value: entry._id as string | boolean, count: entry.count }));
  }
  return out;
}

/**
 * The team's findings as a query surface: filtered keyset pages in four sorts, facet counts under a filter
 * (one `$facet` aggregation), and one finding with its history. Every read goes through the scoped
 * `ProwlerFindingRepository` (the team is added there) and every filter+sort shape is served by an index of
 * the registry catalog (the query-shape table in the README).
 */
export class FindingQueryService {
  readonly #findings: ProwlerFindingRepository;
  readonly #cells: FindingFacetCellRepository;
  readonly #rollups: FindingRollupRepository;

  constructor(deps: FindingQueryServiceDependencies) {
    this.#findings = deps.repositories.get(ProwlerFindingRepository);
    this.#cells = deps.repositories.get(FindingFacetCellRepository);
    this.#rollups = deps.repositories.get(FindingRollupRepository);
  }

  /**
   * One keyset page of the team's findings matching `filter`, in `page.sort` order (ties by `_id`), at most
   * `page.limit` (1–500, default 50). The cursor is signed and bound to the team, the sort and the filter.
   * Throws `VALIDATION_FAILED` (bad filter or page with field paths under `filter.` / `page.`, or a cursor
   * made for another team, sort or filter, or tampered with).
   */
  async listFindings(teamId: TeamId, filter: FindingFilter = {}, page: FindingPageOptions = {}): Promise<FindingPage> {
    const team = parseTeamId(teamId);
    const parsed = parseInput(FindingFilterSchema, filter, "filter");
    const options = parseInput(FindingPageSchema, page, "page");
    const query = findingMongoFilter(parsed);
    const result = await this.#findings.forTeam(team).paginate({
      filter: trustedFilter(query),
      sort: { field: FINDING_SORT_KEYS[options.sort.field], direction: options.sort.direction },
      limit: options.limit,
      ...(options.cursor === undefined || options.cursor === null ? {} : { cursor: options.cursor }),
      queryKey: cacheKeyDigest(["findings", parsed]),
      projection: HIDDEN_FIELDS,
    });
    return { items: result.items.map(toView), nextCursor: result.nextCursor, hasMore: result.nextCursor !== null };
  }

  /**
   * Distinct values with counts of every facet (`FINDING_FACETS`) among the team's findings matching `filter`,
   * most frequent first (at most 200 per facet), in ONE aggregation (`$match`, `$facet`) through a scoped
   * repository: over the facet cells (after refreshing stale rollups) when the filter names only cell fields
   * (severity, status, provider, account, service, region, check, muted, delta, state), so the cost follows
   * the distinct combinations rather than the findings; over the findings otherwise. Throws
   * `VALIDATION_FAILED`, `UNAVAILABLE`.
   */
  async getFindingFacets(teamId: TeamId, filter: FindingFilter = {}): Promise<FindingFacets> {
    const team = parseTeamId(teamId);
    const parsed = parseInput(FindingFilterSchema, filter, "filter");
    type Row = Record<string, { _id: unknown; count: number }[]>;
    if (facetsFromCells(parsed)) {
      await this.#rollups.refresh(team);
      const [row] = await this.#cells.forTeam(team).aggregate<Row>(findingFacetsPipeline(parsed, "cells"));
      return shapeFindingFacets(row);
    }
    const [row] = await this.#findings.forTeam(team).aggregate<Row>(findingFacetsPipeline(parsed, "findings"));
    return shapeFindingFacets(row);
  }

  /**
   * One finding of the team with its `history` (the scans that saw it new or changed: `{ scan_id, at, status,
   * severity }`, oldest first). Throws `VALIDATION_FAILED` (malformed id), `NOT_FOUND` (no such finding in
   * this team — another team's id included).
   */
  async getFinding(teamId: TeamId, id: string): Promise<FindingDetail> {
    const team = parseTeamId(teamId);
    const _id = toObjectId(id, "id");
    const doc = await this.#findings.forTeam(team).findById(_id);
    if (doc === null) throw new NotFoundError(`No finding ${_id.toHexString()} in this team.`, { details: { id: _id.toHexString() } });
    return { ...toView(doc), history: (doc.history ?? []) as FindingHistoryEntry[] };
  }
}
