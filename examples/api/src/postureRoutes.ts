import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { parseRequestPart } from "./parseRequestPart";
import type { RouteContext } from "./routeContext";

/** An instant: ISO-8601 with offset, or a plain `YYYY-MM-DD` (start of that UTC day). */
const Since = z
  .string()
  .transform((text) => (/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text))
  .pipe(z.iso.datetime({ offset: true, error: "must be an ISO-8601 date or date-time, e.g. 2024-06-01 or 2024-06-01T00:00:00Z" }))
  .optional();

const SummaryQuery = z.strictObject({
  /** Comma-separated provider account ids. */
  accountIds: z
    .string()
    .transform((text) =>
      text
        .split(",")
        .map((id) => id.trim())
        .filter((id) => id !== ""),
    )
    .pipe(z.array(z.string().max(253)).min(1, "must name at least one account").max(1000))
    .optional(),
  since: Since,
});

const ActivityQuery = z.strictObject({
  since: Since,
  limit: z.coerce.number().int().min(1).max(200).optional(),
});

/**
 * `GET /dashboard/summary?accountIds=a,b&since=…` — the posture dashboard, one aggregation (cached), and
 * `GET /scan-activity?since=…&limit=…` — scan runs across databases with account names (one batched look-up).
 */
export function registerPostureRoutes(app: FastifyInstance, { responses }: RouteContext): void {
  app.get("/dashboard/summary", async (request) => {
    const query = parseRequestPart(SummaryQuery, request.query, "query");
    const summary = await request.services.aggregation.getDashboardSummary(request.teamId, {
      ...(query.accountIds === undefined ? {} : { accountIds: query.accountIds }),
      ...(query.since === undefined ? {} : { since: query.since }),
    });
    return responses.successResponse(summary);
  });

  app.get("/scan-activity", async (request) => {
    const query = parseRequestPart(ActivityQuery, request.query, "query");
    const activity = await request.services.aggregation.getScanActivity(request.teamId, {
      ...(query.since === undefined ? {} : { since: query.since }),
      ...(query.limit === undefined ? {} : { limit: query.limit }),
    });
    return responses.successResponse(activity);
  });
}
