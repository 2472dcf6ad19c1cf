import type { ServiceContainer } from "@cspm/container";
import { UnavailableError } from "@cspm/errors";
import type { FastifyInstance } from "fastify";
import type { RouteContext } from "./routeContext";

/**
 * `GET /health` (no team needed): MongoDB ping and cache state (Redis or in-memory) -> 200 with
 * `{ status: "ok", mongodb, cache }`, or 503 `UNAVAILABLE` with the same report in `details`.
 */
export function registerHealthRoute(app: FastifyInstance, services: ServiceContainer, { responses }: RouteContext): void {
  app.get("/health", { config: { public: true } }, async (_request, reply) => {
    const health = await services.health();
    const report = { status: health.ok ? "ok" : "unavailable", mongodb: health.mongodb, cache: health.cache };
    if (health.ok) return responses.successResponse(report);
    const { statusCode, body } = responses.toHttpResponse(
      new UnavailableError(
        `Unhealthy: ${[health.mongodb.ok ? "" : "MongoDB", health.cache.ok ? "" : `cache (${health.cache.kind})`].filter(Boolean).join(" and ")} not answering.`,
        {
          details: report,
        },
      ),
    );
    return reply.code(statusCode).send(body);
  });
}
