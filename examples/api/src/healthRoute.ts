import type { ServiceContainer } from "@cspm/container";
import { UnavailableError } from "@cspm/errors";
import { type ApiRoute, defineRoute } from "./apiRoute";
import { HealthView } from "./envelopeSchemas";
import type { RouteContext } from "./routeContext";

/**
 * `GET /health` (no credential): MongoDB ping and cache state (Redis or in-memory) -> 200 with
 * `{ status: "ok", mongodb, cache }`, or 503 `UNAVAILABLE` with the same report in `details`.
 */
export function healthRoute(services: ServiceContainer, { responses }: RouteContext): ApiRoute {
  return defineRoute({
    method: "GET",
    url: "/health",
    tag: "operations",
    summary: "MongoDB ping and cache state: 200, or 503 UNAVAILABLE with the same report in details.",
    access: "public",
    data: HealthView,
    handler: async (_request, reply) => {
      const health = await services.health();
      const report = { status: health.ok ? "ok" : "unavailable", mongodb: health.mongodb, cache: health.cache };
      if (health.ok) return responses.successResponse(report);
      const down = [health.mongodb.ok ? "" : "MongoDB", health.cache.ok ? "" : `cache (${health.cache.kind})`]
        .filter(Boolean)
        .join(" and ");
      const { statusCode, body } = responses.toHttpResponse(new UnavailableError(`Unhealthy: ${down} not answering.`, { details: report }));
      return reply.code(statusCode).send(body);
    },
  });
}
