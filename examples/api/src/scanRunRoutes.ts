import { z } from "zod";
import { type ApiRoute, defineRoute } from "./apiRoute";
import { pageOf, ScanRunDetailView, ScanRunView } from "./envelopeSchemas";
import { cursorParameter, IdParams, limitParameter } from "./querySchemas";
import type { RouteContext } from "./routeContext";

const ListQuery = z.strictObject({ limit: limitParameter(200), cursor: cursorParameter });
const NoQuery = z.strictObject({});

/** Scan runs of `ScanRunQueryService`: keyset pages newest first, one run with its counts. */
export function scanRunRoutes({ responses }: RouteContext): ApiRoute[] {
  return [
    defineRoute({
      method: "GET",
      url: "/scan-runs",
      tag: "scan-runs",
      summary: "The team's scan runs, newest first, in keyset pages, with their lifecycle counts.",
      access: "read",
      query: ListQuery,
      data: pageOf(ScanRunView),
      handler: async (request) => {
        const { limit, cursor } = request.query;
        const page = await request.services.scanRuns.listScanRuns(request.teamId, { limit, ...(cursor === undefined ? {} : { cursor }) });
        return responses.paginatedResponse(page.items, { nextCursor: page.next_cursor, limit });
      },
    }),
    defineRoute({
      method: "GET",
      url: "/scan-runs/:id",
      tag: "scan-runs",
      summary: "One scan run: inserted/changed/unchanged/resolved/reopened counts and its findings by severity.",
      access: "read",
      params: IdParams,
      query: NoQuery,
      data: ScanRunDetailView,
      errors: ["NOT_FOUND"],
      handler: async (request) => responses.successResponse(await request.services.scanRuns.getScanRun(request.teamId, request.params.id)),
    }),
  ];
}
