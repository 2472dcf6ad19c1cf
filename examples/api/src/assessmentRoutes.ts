import { ASSESSMENT_STATUSES } from "@cspm/domain";
import { type CreateAssessmentInput, CreateAssessmentInputSchema } from "@cspm/services";
import { z } from "zod";
import { type ApiRoute, defineRoute } from "./apiRoute";
import { AssessmentView, EvidenceView, pageOf } from "./envelopeSchemas";
import { cursorParameter, IdParams, limitParameter, single } from "./querySchemas";
import type { RouteContext } from "./routeContext";

const ListQuery = z.strictObject({
  status: single(z.enum(ASSESSMENT_STATUSES)).optional(),
  limit: limitParameter(),
  cursor: cursorParameter,
});

/**
 * Assessments: `POST /assessments` is the brief's request flow — `createAssessment` computes the period and
 * due date, collects evidence from the cloud security, native scans, vulnerabilities and AI governance
 * databases, evaluates the frameworks' controls and stores assessment, evidence summary and score in one
 * transaction (201). Also the list, one assessment, and its evidence.
 */
export function assessmentRoutes({ responses }: RouteContext): ApiRoute[] {
  return [
    defineRoute({
      method: "POST",
      url: "/assessments",
      tag: "assessments",
      summary: "Create an assessment: period, evidence from four databases, control evaluation and score, in one transaction.",
      access: "manage_assessments",
      body: CreateAssessmentInputSchema,
      status: 201,
      data: AssessmentView,
      errors: ["CONFLICT"],
      handler: async (request, reply) => {
        const assessment = await request.services.assessments.createAssessment(request.teamId, request.body as CreateAssessmentInput);
        return reply.code(201).header("location", `/assessments/${assessment.id}`).send(responses.successResponse(assessment));
      },
    }),
    defineRoute({
      method: "GET",
      url: "/assessments",
      tag: "assessments",
      summary: "The team's assessments, in keyset pages; filter by status.",
      access: "read",
      query: ListQuery,
      data: pageOf(AssessmentView),
      handler: async (request) => {
        const query = request.query;
        const page = await request.services.assessments.listAssessments(request.teamId, {
          limit: query.limit,
          ...(query.status === undefined ? {} : { status: query.status }),
          ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
        });
        return responses.paginatedResponse(page.items, { nextCursor: page.nextCursor, limit: query.limit });
      },
    }),
    defineRoute({
      method: "GET",
      url: "/assessments/:id",
      tag: "assessments",
      summary: "One assessment with its control results and score.",
      access: "read",
      params: IdParams,
      data: AssessmentView,
      errors: ["NOT_FOUND"],
      handler: async (request) =>
        responses.successResponse(await request.services.assessments.getAssessment(request.teamId, request.params.id)),
    }),
    defineRoute({
      method: "GET",
      url: "/assessments/:id/evidence",
      tag: "assessments",
      summary: "The evidence collected for an assessment, per source.",
      access: "read",
      params: IdParams,
      data: EvidenceView,
      errors: ["NOT_FOUND"],
      handler: async (request) => {
        // getAssessment first: an unknown (or another team's) id is a 404, not an empty evidence list.
        await request.services.assessments.getAssessment(request.teamId, request.params.id);
        return responses.successResponse(await request.services.evidence.getEvidence(request.teamId, request.params.id));
      },
    }),
  ];
}
