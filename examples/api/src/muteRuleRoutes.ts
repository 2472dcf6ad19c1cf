import { type CreateMuteRuleInput, CreateMuteRuleInputSchema, type UpdateMuteRuleInput, UpdateMuteRuleInputSchema } from "@cspm/services";
import { z } from "zod";
import { type ApiRoute, defineRoute } from "./apiRoute";
import { Instant, pageOf } from "./envelopeSchemas";
import { cursorParameter, IdParams, limitParameter } from "./querySchemas";
import type { RouteContext } from "./routeContext";

const ListQuery = z.strictObject({ limit: limitParameter(500), cursor: cursorParameter });

export const MuteRuleView = z
  .looseObject({
    id: z.string(),
    name: z.string(),
    reason: z.string(),
    check_ids: z.array(z.string()).optional(),
    account_ids: z.array(z.string()).optional(),
    regions: z.array(z.string()).optional(),
    resource_uid_pattern: z.string().optional().meta({ description: "Glob: `*` any run of characters, `?` one" }),
    tags: z.array(z.object({ key: z.string(), value: z.string() })).optional(),
    enabled: z.boolean(),
    created_by: z.string().optional(),
    created_at: Instant,
    updated_at: Instant,
  })
  .meta({ id: "MuteRule" });

const MuteRuleChangeView = z
  .object({
    rule: MuteRuleView,
    muted: z.int().min(0).meta({ description: "Findings the change muted" }),
    unmuted: z.int().min(0).meta({ description: "Findings the change unmuted" }),
  })
  .meta({ id: "MuteRuleChange" });

const Deleted = z.object({ id: z.string(), deleted: z.literal(true), unmuted: z.int().min(0) });

/**
 * Mute rules: list, create (201 + `Location`), change, delete. Every change is applied to the team's findings
 * at once (muted findings leave the dashboard figures) and audited; later imports apply the enabled rules.
 */
export function muteRuleRoutes({ responses }: RouteContext): ApiRoute[] {
  return [
    defineRoute({
      method: "GET",
      url: "/mute-rules",
      tag: "mute rules",
      summary: "The team's mute rules, newest first, in keyset pages.",
      access: "read",
      query: ListQuery,
      data: pageOf(MuteRuleView),
      handler: async (request) => {
        const page = await request.services.muteRules.listRules(request.teamId, {
          limit: request.query.limit,
          ...(request.query.cursor === undefined ? {} : { cursor: request.query.cursor }),
        });
        return responses.paginatedResponse(page.items, { nextCursor: page.nextCursor, limit: request.query.limit });
      },
    }),
    defineRoute({
      method: "POST",
      url: "/mute-rules",
      tag: "mute rules",
      summary:
        "Create a rule `{ name, reason, checkIds?, accountIds?, regions?, resourceUidPattern?, tags?, enabled? }`; matching findings are muted at once.",
      access: "manage_mute_rules",
      body: CreateMuteRuleInputSchema,
      status: 201,
      data: MuteRuleChangeView,
      handler: async (request, reply) => {
        const change = await request.services.muteRules.createRule(request.teamId, request.body as CreateMuteRuleInput);
        return reply.code(201).header("location", `/mute-rules/${change.rule.id}`).send(responses.successResponse(change));
      },
    }),
    defineRoute({
      method: "PATCH",
      url: "/mute-rules/:id",
      tag: "mute rules",
      summary: "Change a rule (a criterion set to null is removed) and re-apply it to the team's findings.",
      access: "manage_mute_rules",
      params: IdParams,
      body: UpdateMuteRuleInputSchema,
      data: MuteRuleChangeView,
      errors: ["NOT_FOUND"],
      handler: async (request) =>
        responses.successResponse(
          await request.services.muteRules.updateRule(request.teamId, request.params.id, request.body as UpdateMuteRuleInput),
        ),
    }),
    defineRoute({
      method: "DELETE",
      url: "/mute-rules/:id",
      tag: "mute rules",
      summary: "Delete a rule; the findings only it muted are unmuted.",
      access: "manage_mute_rules",
      params: IdParams,
      data: Deleted,
      errors: ["NOT_FOUND"],
      handler: async (request) => responses.successResponse(await request.services.muteRules.deleteRule(request.teamId, request.params.id)),
    }),
  ];
}
