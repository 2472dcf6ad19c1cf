import { FINDING_PROVIDERS, FINDING_STATES, FINDING_STATUSES, SEVERITIES, SIGHTING_DELTAS } from "@cspm/domain";
import { FINDING_SORT_FIELDS, type FindingFilter, type FindingSortField } from "@cspm/services";
import { z } from "zod";
import { type ApiRoute, defineRoute } from "./apiRoute";
import { Instant, pageOf } from "./envelopeSchemas";
import { booleanParameter, cursorParameter, IdParams, instantParameter, limitParameter, many, single } from "./querySchemas";
import type { RouteContext } from "./routeContext";

const text = (max: number) => z.string().min(1, "must not be empty").max(max, `must be at most ${max} characters`);

/** The filter parameters of `GET /findings` and `GET /findings/facets` (repeat or comma-separate list values). */
const FILTER_SHAPE = {
  severity: many(z.enum(SEVERITIES)).optional(),
  status: many(z.enum(FINDING_STATUSES)).optional(),
  provider: many(z.enum(FINDING_PROVIDERS)).optional(),
  account_id: many(text(253)).optional().meta({ description: "Provider account ids" }),
  service: many(text(128)).optional(),
  region: many(text(64)).optional(),
  check_id: many(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$/, "must be a check id such as iam_root_mfa_enabled")).optional(),
  delta: many(z.enum(SIGHTING_DELTAS)).optional(),
  state: many(z.enum(FINDING_STATES)).optional(),
  resource_uid: single(text(2048)).optional().meta({ description: "Exactly this resource uid" }),
  resource_uid_prefix: single(text(2048)).optional().meta({ description: "Resource uids starting with this text" }),
  framework: single(text(128)).optional().meta({ description: "A compliance key of the finding, e.g. CIS-2.0" }),
  requirement: single(text(128)).optional().meta({ description: "A control id of `framework` (needs framework)" }),
  muted: booleanParameter.optional(),
  first_seen_from: instantParameter.optional(),
  first_seen_to: instantParameter.optional(),
  last_seen_from: instantParameter.optional(),
  last_seen_to: instantParameter.optional(),
  search: single(text(200))
    .optional()
    .meta({ description: "Words that start words of the check title or resource name (case-insensitive)" }),
} as const;

type FilterQuery = { [K in keyof typeof FILTER_SHAPE]?: z.output<(typeof FILTER_SHAPE)[K]> };

/** The cross-parameter rules, with the parameters' names as paths (the service checks them again). */
function checkFilter(query: FilterQuery, ctx: z.RefinementCtx): void {
  if (query.resource_uid !== undefined && query.resource_uid_prefix !== undefined)
    ctx.addIssue({ code: "custom", path: ["resource_uid_prefix"], message: "cannot be combined with resource_uid" });
  if (query.requirement !== undefined && query.framework === undefined)
    ctx.addIssue({ code: "custom", path: ["requirement"], message: "needs framework" });
  for (const field of ["first_seen", "last_seen"] as const) {
    const from = query[`${field}_from`];
    const to = query[`${field}_to`];
    if (from !== undefined && to !== undefined && new Date(from) > new Date(to))
      ctx.addIssue({ code: "custom", path: [`${field}_from`], message: `must not be after ${field}_to` });
  }
}

const SORTS = FINDING_SORT_FIELDS.flatMap((field) => [field, `-${field}`]) as [string, ...string[]];

const ListQuery = z
  .strictObject({
    ...FILTER_SHAPE,
    sort: single(z.enum(SORTS, { error: `must be one of ${SORTS.join(", ")}` }))
      .default("-last_seen_at")
      .meta({ description: "Sort key; a leading `-` sorts descending (default `-last_seen_at`); ties by id" }),
    limit: limitParameter(500),
    cursor: cursorParameter,
  })
  .superRefine(checkFilter);

const FacetQuery = z.strictObject(FILTER_SHAPE).superRefine(checkFilter);

function toFilter(query: FilterQuery): FindingFilter {
  const range = (from: string | undefined, to: string | undefined) =>
    from === undefined && to === undefined ? undefined : { ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }) };
  const firstSeen = range(query.first_seen_from, query.first_seen_to);
  const lastSeen = range(query.last_seen_from, query.last_seen_to);
  const filter: Record<string, unknown> = {
    severity: query.severity,
    status: query.status,
    provider: query.provider,
    accountId: query.account_id,
    service: query.service,
    region: query.region,
    checkId: query.check_id,
    delta: query.delta,
    state: query.state,
    resourceUid: query.resource_uid,
    resourceUidPrefix: query.resource_uid_prefix,
    framework: query.framework,
    requirement: query.requirement,
    muted: query.muted,
    firstSeen,
    lastSeen,
    search: query.search,
  };
  for (const key of Object.keys(filter)) if (filter[key] === undefined) delete filter[key];
  return filter as FindingFilter;
}

const Compliance = z.array(z.object({ framework: z.string(), controls: z.array(z.string()) }));

export const FindingView = z
  .looseObject({
    id: z.string(),
    team_id: z.string(),
    provider: z.string(),
    account_id: z.string(),
    check_id: z.string(),
    check_title: z.string(),
    status: z.enum(FINDING_STATUSES),
    severity: z.enum(SEVERITIES),
    service_name: z.string(),
    region: z.string(),
    resource_uid: z.string(),
    resource_name: z.string().optional(),
    muted: z.boolean(),
    muted_by_rule: z.array(z.string()).optional(),
    delta: z.enum(SIGHTING_DELTAS).optional(),
    state: z.enum(FINDING_STATES).optional(),
    compliance: Compliance,
    first_seen_at: Instant,
    last_seen_at: Instant,
  })
  .meta({ id: "Finding" });

const FindingDetailView = FindingView.extend({
  history: z.array(z.object({ scan_id: z.string(), at: Instant, status: z.enum(FINDING_STATUSES), severity: z.enum(SEVERITIES) })),
}).meta({ id: "FindingDetail" });

const FacetValues = z.array(z.object({ value: z.union([z.string(), z.boolean()]), count: z.int().min(1) }));

const FacetsView = z
  .object({
    severity: FacetValues,
    status: FacetValues,
    provider: FacetValues,
    account_id: FacetValues,
    service: FacetValues,
    region: FacetValues,
    check_id: FacetValues,
    delta: FacetValues,
    state: FacetValues,
    muted: FacetValues,
    framework: FacetValues,
  })
  .meta({ id: "FindingFacets", description: "Per facet (named as the query parameter), its values with counts, most frequent first" });

/** The findings explorer: filtered keyset pages, facet counts under the same filter, one finding with its history. */
export function findingRoutes({ responses }: RouteContext): ApiRoute[] {
  return [
    defineRoute({
      method: "GET",
      url: "/findings",
      tag: "findings",
      summary:
        "The team's findings in keyset pages: filter by every facet, time ranges and a prefix search; sort by severity, last/first seen or check.",
      access: "read",
      query: ListQuery,
      data: pageOf(FindingView),
      handler: async (request) => {
        const query = request.query;
        const descending = query.sort.startsWith("-");
        const field = (descending ? query.sort.slice(1) : query.sort) as FindingSortField;
        const page = await request.services.findings.listFindings(request.teamId, toFilter(query), {
          sort: { field, direction: descending ? "desc" : "asc" },
          limit: query.limit,
          ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
        });
        return responses.paginatedResponse(page.items, { nextCursor: page.nextCursor, limit: query.limit });
      },
    }),
    defineRoute({
      method: "GET",
      url: "/findings/facets",
      tag: "findings",
      summary: "Every facet's values with counts under the filter (the parameters of GET /findings), in one aggregation.",
      access: "read",
      query: FacetQuery,
      data: FacetsView,
      handler: async (request) =>
        responses.successResponse(await request.services.findings.getFindingFacets(request.teamId, toFilter(request.query))),
    }),
    defineRoute({
      method: "GET",
      url: "/findings/:id",
      tag: "findings",
      summary: "One finding with its history (the scans that saw it new or changed: status and severity).",
      access: "read",
      params: IdParams,
      data: FindingDetailView,
      errors: ["NOT_FOUND"],
      handler: async (request) => responses.successResponse(await request.services.findings.getFinding(request.teamId, request.params.id)),
    }),
  ];
}
