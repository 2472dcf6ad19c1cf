import { UnauthenticatedError } from "@cspm/errors";
import { requirePermission } from "@cspm/identity";
import { z } from "zod";
import type { ApiTelemetry } from "./apiTelemetry";
import { type ApiRoute, defineRoute } from "./apiRoute";

/**
 * `GET /metrics`: every metric of the process (the data layer's and the SDK's) in Prometheus text format,
 * through the OpenTelemetry Prometheus exporter. Needs the `read_metrics` permission (owner, admin) — 401/403
 * in the envelope otherwise — unless `CSPM_METRICS_PUBLIC=1` made it public. The figures are the process's,
 * summed over every team: no metric carries a team.
 */
export function metricsRoute(telemetry: ApiTelemetry): ApiRoute {
  return defineRoute({
    method: "GET",
    url: "/metrics",
    tag: "operations",
    summary: "Every metric in Prometheus text format (read_metrics, or public with CSPM_METRICS_PUBLIC=1).",
    access: telemetry.metricsPublic ? "public" : "read_metrics",
    produces: "text/plain; version=0.0.4",
    data: z.string(),
    handler: async (request, reply) => {
      if (!telemetry.metricsPublic) {
        if (request.actor === null) throw new UnauthenticatedError("GET /metrics needs a credential with the read_metrics permission.");
        requirePermission(request.actor, "read_metrics");
      }
      const text = await telemetry.prometheusText();
      return reply.type("text/plain; version=0.0.4; charset=utf-8").send(text);
    },
  });
}
