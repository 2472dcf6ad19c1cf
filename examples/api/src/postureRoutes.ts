import { z } from "zod";
import { type ApiRoute, defineRoute } from "./apiRoute";
import { DashboardSummaryView, ScanActivityView } from "./envelopeSchemas";
import { instantParameter, integer, many } from "./querySchemas";
import type { RouteContext } from "./routeContext";

const SummaryQuery = z.strictObject({
  accountIds: many(z.string().min(1).max(253), 1000)
    .optional()
    .meta({ description: "Provider account ids (repeat the parameter or separate with commas); default all" }),
  since: instantParameter.optional().meta({ description: "Start of the window (≤ 366 days back; default 30 days)" }),
});

const ActivityQuery = z.strictObject({
  since: instantParameter.optional(),
  limit: integer(1, 200).optional(),
});

/** The posture dashboard (one aggregation, cached) and scan activity across databases (one batched look-up of names). */
export function postureRoutes({ responses }: RouteContext): ApiRoute[] {
  return [
    defineRoute({
      method: "GET",
      url: "/dashboard/summary",
      tag: "posture",
      summary: "Totals, pass rate, by severity/status/provider/service/region/account, top failing checks, frameworks, daily trend.",
      access: "read",
      query: SummaryQuery,
      data: DashboardSummaryView,
      handler: async (request) => {
        const query = request.query;
        const summary = await request.services.aggregation.getDashboardSummary(request.teamId, {
          ...(query.accountIds === undefined ? {} : { accountIds: query.accountIds }),
          ...(query.since === undefined ? {} : { since: query.since }),
        });
        return responses.successResponse(summary);
      },
    }),
    defineRoute({
      method: "GET",
      url: "/scan-activity",
      tag: "posture",
      summary: "Scan runs of the window across scanners, by account, and the most recent runs.",
      access: "read",
      query: ActivityQuery,
      data: ScanActivityView,
      handler: async (request) => {
        const query = request.query;
        const activity = await request.services.aggregation.getScanActivity(request.teamId, {
          ...(query.since === undefined ? {} : { since: query.since }),
          ...(query.limit === undefined ? {} : { limit: query.limit }),
        });
        return responses.successResponse(activity);
      },
    }),
  ];
}
