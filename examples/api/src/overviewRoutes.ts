import { FINDING_PROVIDERS } from "@cspm/domain";
import { MAX_TREND_DAYS } from "@cspm/services";
import { z } from "zod";
import { type ApiRoute, defineRoute } from "./apiRoute";
import { FindingsTrendView, GroupOverviewView, ProviderOverviewView, SeverityTrendView } from "./envelopeSchemas";
import { integer, many, single } from "./querySchemas";
import type { RouteContext } from "./routeContext";

const NoQuery = z.strictObject({});

const FilterQuery = z.strictObject({
  provider: single(z.enum(FINDING_PROVIDERS)).optional().meta({ description: "Only findings of this provider" }),
  accountIds: many(z.string().min(1).max(253), 1000)
    .optional()
    .meta({ description: "Provider account ids (repeat the parameter or separate with commas); default all" }),
});

const TrendQuery = z.strictObject({
  days: integer(1, MAX_TREND_DAYS)
    .optional()
    .meta({ description: `Days covered, today included: 1–${MAX_TREND_DAYS} (default 30)` }),
});

type Filter = z.output<typeof FilterQuery>;
const filterOf = (query: Filter) => ({
  ...(query.provider === undefined ? {} : { provider: query.provider }),
  ...(query.accountIds === undefined ? {} : { accountIds: query.accountIds }),
});

/** The posture overviews of `PostureOverviewService`: current unmuted findings by provider/account, service, region; trends. */
export function overviewRoutes({ responses }: RouteContext): ApiRoute[] {
  return [
    defineRoute({
      method: "GET",
      url: "/overview/providers",
      tag: "overview",
      summary: "Pass/fail/manual counts and failing findings by severity per provider and account (current, unmuted).",
      access: "read",
      query: NoQuery,
      data: ProviderOverviewView,
      handler: async (request) => responses.successResponse(await request.services.overview.getProviderOverview(request.teamId)),
    }),
    defineRoute({
      method: "GET",
      url: "/overview/services",
      tag: "overview",
      summary: "Posture per provider and service, most failing first; filter by provider and accounts.",
      access: "read",
      query: FilterQuery,
      data: GroupOverviewView,
      handler: async (request) =>
        responses.successResponse(await request.services.overview.getServiceOverview(request.teamId, filterOf(request.query))),
    }),
    defineRoute({
      method: "GET",
      url: "/overview/regions",
      tag: "overview",
      summary: "Posture per provider and region, most failing first; filter by provider and accounts.",
      access: "read",
      query: FilterQuery,
      data: GroupOverviewView,
      handler: async (request) =>
        responses.successResponse(await request.services.overview.getRegionOverview(request.teamId, filterOf(request.query))),
    }),
    defineRoute({
      method: "GET",
      url: "/overview/severity-trend",
      tag: "overview",
      summary: "Open failing findings by severity at the end of each UTC day of the last `days` days, zero-filled.",
      access: "read",
      query: TrendQuery,
      data: SeverityTrendView,
      handler: async (request) =>
        responses.successResponse(
          await request.services.overview.getSeverityTrend(
            request.teamId,
            request.query.days === undefined ? {} : { days: request.query.days },
          ),
        ),
    }),
    defineRoute({
      method: "GET",
      url: "/overview/findings-trend",
      tag: "overview",
      summary: "New and resolved findings per UTC day of the last `days` days, zero-filled.",
      access: "read",
      query: TrendQuery,
      data: FindingsTrendView,
      handler: async (request) =>
        responses.successResponse(
          await request.services.overview.getFindingsTrend(
            request.teamId,
            request.query.days === undefined ? {} : { days: request.query.days },
          ),
        ),
    }),
  ];
}
