import { z } from "zod";
import { type ApiRoute, defineRoute } from "./apiRoute";
import { AiModelView, pageOf } from "./envelopeSchemas";
import { cursorParameter, limitParameter } from "./querySchemas";
import type { RouteContext } from "./routeContext";

const ListQuery = z.strictObject({ limit: limitParameter(200), cursor: cursorParameter });

/** The AI model inventory of `AiGovernanceService`. */
export function aiModelRoutes({ responses }: RouteContext): ApiRoute[] {
  return [
    defineRoute({
      method: "GET",
      url: "/ai-models",
      tag: "ai-governance",
      summary: "The team's AI models by name, in keyset pages, with EU AI Act risk tier and status.",
      access: "read",
      query: ListQuery,
      data: pageOf(AiModelView),
      handler: async (request) => {
        const { limit, cursor } = request.query;
        const page = await request.services.aiGovernance.listModels(request.teamId, { limit, ...(cursor === undefined ? {} : { cursor }) });
        return responses.paginatedResponse(page.items, { nextCursor: page.next_cursor, limit });
      },
    }),
  ];
}
