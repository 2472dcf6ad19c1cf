import { FrameworkIdSchema } from "@cspm/domain";
import { z } from "zod";
import { type ApiRoute, defineRoute } from "./apiRoute";
import { FrameworkListView, FrameworkPostureView } from "./envelopeSchemas";
import type { RouteContext } from "./routeContext";

const NoQuery = z.strictObject({});
const FrameworkParams = z.strictObject({ id: FrameworkIdSchema.meta({ description: "A framework id such as `aws_cis-2.0`" }) });

/** Compliance posture of `CompliancePostureService`: frameworks of the team's providers, one framework's requirements. */
export function complianceRoutes({ responses }: RouteContext): ApiRoute[] {
  return [
    defineRoute({
      method: "GET",
      url: "/compliance/frameworks",
      tag: "compliance",
      summary: "Frameworks of the providers the team has findings of, with pass/fail/manual requirement counts and a score.",
      access: "read",
      query: NoQuery,
      data: FrameworkListView,
      handler: async (request) => responses.successResponse(await request.services.compliance.listFrameworks(request.teamId)),
    }),
    defineRoute({
      method: "GET",
      url: "/compliance/frameworks/:id",
      tag: "compliance",
      summary: "One framework's requirements: status, finding counts and the checks behind each (from Prowler's catalogue).",
      access: "read",
      params: FrameworkParams,
      query: NoQuery,
      data: FrameworkPostureView,
      errors: ["NOT_FOUND"],
      handler: async (request) =>
        responses.successResponse(await request.services.compliance.getFramework(request.teamId, request.params.id)),
    }),
  ];
}
