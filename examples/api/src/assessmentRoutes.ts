import { ASSESSMENT_STATUSES } from "@cspm/domain";
import type { CreateAssessmentInput } from "@cspm/services";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { parseRequestPart } from "./parseRequestPart";
import type { RouteContext } from "./routeContext";

const ListQuery = z.strictObject({
  status: z.enum(ASSESSMENT_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(50),
  cursor: z.string().min(1).max(4096).optional(),
});

interface IdParams {
  readonly id: string;
}

/**
 * `POST /assessments` — the brief's request flow: `GlobalAssessmentService.createAssessment(teamId, data)`
 * computes the period and due date, collects evidence from the cloud security, native scans,
 * vulnerabilities and AI governance databases, evaluates the frameworks' controls and stores the
 * assessment with its evidence summary and score in one transaction -> 201 `{ success: true, data }`.
 * Also `GET /assessments` (pages, `status`), `GET /assessments/:id` and `GET /assessments/:id/evidence`.
 */
export function registerAssessmentRoutes(app: FastifyInstance, { responses }: RouteContext): void {
  app.post("/assessments", async (request, reply) => {
    const assessment = await request.services.assessments.createAssessment(request.teamId, request.body as CreateAssessmentInput);
    return reply.code(201).header("location", `/assessments/${assessment.id}`).send(responses.successResponse(assessment));
  });

  app.get("/assessments", async (request) => {
    const query = parseRequestPart(ListQuery, request.query, "query");
    const page = await request.services.assessments.listAssessments(request.teamId, {
      limit: query.limit,
      ...(query.status === undefined ? {} : { status: query.status }),
      ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
    });
    return responses.paginatedResponse(page.items, { nextCursor: page.nextCursor, limit: query.limit });
  });

  app.get<{ Params: IdParams }>("/assessments/:id", async (request) => {
    return responses.successResponse(await request.services.assessments.getAssessment(request.teamId, request.params.id));
  });

  app.get<{ Params: IdParams }>("/assessments/:id/evidence", async (request) => {
    // getAssessment first: an unknown (or another team's) id is a 404, not an empty evidence list.
    await request.services.assessments.getAssessment(request.teamId, request.params.id);
    return responses.successResponse(await request.services.evidence.getEvidence(request.teamId, request.params.id));
  });
}
