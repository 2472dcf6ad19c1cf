import { AUDIT_OUTCOMES, PERMISSIONS } from "@cspm/domain";
import {
  AddMemberInputSchema,
  type AddMemberInput,
  CreateApiKeyInputSchema,
  type CreateApiKeyInput,
  CreateRoleInputSchema,
  type CreateRoleInput,
} from "@cspm/identity";
import { z } from "zod";
import { type ApiRoute, defineRoute } from "./apiRoute";
import {
  ApiKeyView,
  AuditEntryView,
  CreatedApiKeyView,
  CreatedSessionView,
  MemberView,
  MeView,
  pageOf,
  RoleView,
  SessionView,
} from "./envelopeSchemas";
import { parseRequestPart } from "./parseRequestPart";
import { cursorParameter, IdParams, instantParameter, limitParameter, single } from "./querySchemas";
import type { RouteContext } from "./routeContext";

const PageQuery = z.strictObject({ limit: limitParameter(), cursor: cursorParameter });

const AuditQuery = z.strictObject({
  action: single(z.string().regex(/^[a-z][a-z0-9_.]{0,199}$/, "must be a dotted action name")).optional(),
  actor_id: single(z.string().min(1).max(128)).optional(),
  outcome: single(z.enum(AUDIT_OUTCOMES)).optional(),
  target_type: single(z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, "must be a lowercase type name")).optional(),
  target_id: single(z.string().min(1).max(128)).optional(),
  since: instantParameter.optional(),
  until: instantParameter.optional(),
  limit: limitParameter(),
  cursor: cursorParameter,
});

const RoleBody = z.strictObject({ role: z.string().min(1).max(64) });
const RoleParams = z.strictObject({ name: z.string().regex(/^[a-z][a-z0-9_-]{0,63}$/, "must be a role name") });
const MemberParams = z.strictObject({ id: z.string().min(1).max(128) });

/**
 * Identity and audit, all through the actor-bound services: who am I, API keys (the token shown once, on
 * creation), members and roles, the calling user's sessions, and the team's audit log.
 */
export function identityRoutes({ responses }: RouteContext): ApiRoute[] {
  return [
    defineRoute({
      method: "GET",
      url: "/me",
      tag: "identity",
      summary: "The calling credential: actor type and id, team, role and permissions.",
      access: "authenticated",
      data: MeView,
      handler: async (request) => {
        const actor = request.actor;
        return responses.successResponse({
          type: actor?.type,
          id: actor?.id,
          team_id: request.teamId,
          via: actor?.via,
          role: actor?.role,
          label: actor?.label,
          permissions: PERMISSIONS.filter((p) => actor?.permissions.has(p)),
        });
      },
    }),
    defineRoute({
      method: "POST",
      url: "/api-keys",
      tag: "identity",
      summary: "Create an API key; the token is in this answer and nowhere else, ever (cache-control: no-store).",
      access: "manage_api_keys",
      body: CreateApiKeyInputSchema,
      status: 201,
      data: CreatedApiKeyView,
      handler: async (request, reply) => {
        const created = await request.services.apiKeys.createKey(request.teamId, request.body as CreateApiKeyInput);
        return reply
          .code(201)
          .header("cache-control", "no-store")
          .header("location", `/api-keys/${created.key.id}`)
          .send(responses.successResponse(created));
      },
    }),
    defineRoute({
      method: "GET",
      url: "/api-keys",
      tag: "identity",
      summary: "The team's API keys (never their tokens), in keyset pages.",
      access: "manage_api_keys",
      query: PageQuery,
      data: pageOf(ApiKeyView),
      handler: async (request) => {
        const query = request.query;
        const page = await request.services.apiKeys.listKeys(request.teamId, {
          limit: query.limit,
          ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
        });
        return responses.paginatedResponse(page.items, { nextCursor: page.nextCursor, limit: query.limit });
      },
    }),
    defineRoute({
      method: "POST",
      url: "/api-keys/:id/revoke",
      tag: "identity",
      summary: "Revoke an API key: it answers 401 from now on.",
      access: "manage_api_keys",
      params: IdParams,
      data: ApiKeyView,
      errors: ["NOT_FOUND"],
      handler: async (request) => responses.successResponse(await request.services.apiKeys.revokeKey(request.teamId, request.params.id)),
    }),
    defineRoute({
      method: "GET",
      url: "/members",
      tag: "identity",
      summary: "The team's members.",
      access: "read",
      data: z.array(MemberView),
      handler: async (request) => responses.successResponse(await request.services.members.listMembers(request.teamId)),
    }),
    defineRoute({
      method: "POST",
      url: "/members",
      tag: "identity",
      summary: "Add a member with a role (no role above the caller's own).",
      access: "manage_members",
      body: AddMemberInputSchema,
      status: 201,
      data: MemberView,
      errors: ["CONFLICT"],
      handler: async (request, reply) => {
        const member = await request.services.members.addMember(request.teamId, request.body as AddMemberInput);
        return reply.code(201).header("location", `/members/${member.id}`).send(responses.successResponse(member));
      },
    }),
    defineRoute({
      method: "PATCH",
      url: "/members/:id",
      tag: "identity",
      summary: "Change a member's role (the last owner stays an owner).",
      access: "manage_members",
      params: MemberParams,
      body: RoleBody,
      data: MemberView,
      errors: ["NOT_FOUND", "CONFLICT"],
      handler: async (request) => {
        const body = parseRequestPart(RoleBody, request.body, "body");
        return responses.successResponse(await request.services.members.changeRole(request.teamId, request.params.id, body.role));
      },
    }),
    defineRoute({
      method: "DELETE",
      url: "/members/:id",
      tag: "identity",
      summary: "Remove a member and end their sessions.",
      access: "manage_members",
      params: MemberParams,
      data: MemberView,
      errors: ["NOT_FOUND", "CONFLICT"],
      handler: async (request) => responses.successResponse(await request.services.members.removeMember(request.teamId, request.params.id)),
    }),
    defineRoute({
      method: "GET",
      url: "/roles",
      tag: "identity",
      summary: "Built-in and custom roles with their permissions.",
      access: "read",
      data: z.array(RoleView),
      handler: async (request) => responses.successResponse(await request.services.roles.listRoles(request.teamId)),
    }),
    defineRoute({
      method: "POST",
      url: "/roles",
      tag: "identity",
      summary: "Create a custom role from permissions.",
      access: "manage_members",
      body: CreateRoleInputSchema,
      status: 201,
      data: RoleView,
      errors: ["CONFLICT"],
      handler: async (request, reply) => {
        const role = await request.services.roles.createRole(request.teamId, request.body as CreateRoleInput);
        return reply.code(201).send(responses.successResponse(role));
      },
    }),
    defineRoute({
      method: "DELETE",
      url: "/roles/:name",
      tag: "identity",
      summary: "Delete a custom role no member or key uses.",
      access: "manage_members",
      params: RoleParams,
      data: z.object({ deleted: z.string() }),
      errors: ["NOT_FOUND", "CONFLICT"],
      handler: async (request) => {
        await request.services.roles.deleteRole(request.teamId, request.params.name);
        return responses.successResponse({ deleted: request.params.name });
      },
    }),
    defineRoute({
      method: "POST",
      url: "/sessions",
      tag: "identity",
      summary: "Open a session for the calling user (from a JWT or a session); the token is shown once.",
      access: "authenticated",
      status: 201,
      data: CreatedSessionView,
      handler: async (request, reply) => {
        const agent = request.headers["user-agent"];
        const created = await request.services.sessions.createSession(request.teamId, {
          ...(agent === undefined ? {} : { userAgent: String(agent).slice(0, 512) }),
        });
        return reply.code(201).header("cache-control", "no-store").send(responses.successResponse(created));
      },
    }),
    defineRoute({
      method: "POST",
      url: "/sessions/rotate",
      tag: "identity",
      summary: "Replace the calling session with a new one (the old token stops working).",
      access: "authenticated",
      status: 201,
      data: CreatedSessionView,
      handler: async (request, reply) => {
        const rotated = await request.services.sessions.rotateSession(request.teamId);
        return reply.code(201).header("cache-control", "no-store").send(responses.successResponse(rotated));
      },
    }),
    defineRoute({
      method: "POST",
      url: "/sessions/revoke",
      tag: "identity",
      summary: "End the calling session.",
      access: "authenticated",
      data: SessionView,
      handler: async (request) => responses.successResponse(await request.services.sessions.revokeSession(request.teamId)),
    }),
    defineRoute({
      method: "GET",
      url: "/audit-log",
      tag: "identity",
      summary: "The team's audit log, newest first, in keyset pages; filters on action, actor, outcome, target and time.",
      access: "read_audit_log",
      query: AuditQuery,
      data: pageOf(AuditEntryView),
      handler: async (request) => {
        const q = request.query;
        const page = await request.services.auditLog.page(request.teamId, {
          limit: q.limit,
          ...(q.action === undefined ? {} : { action: q.action }),
          ...(q.actor_id === undefined ? {} : { actorId: q.actor_id }),
          ...(q.outcome === undefined ? {} : { outcome: q.outcome }),
          ...(q.target_type === undefined ? {} : { targetType: q.target_type }),
          ...(q.target_id === undefined ? {} : { targetId: q.target_id }),
          ...(q.since === undefined ? {} : { since: new Date(q.since) }),
          ...(q.until === undefined ? {} : { until: new Date(q.until) }),
          ...(q.cursor === undefined ? {} : { cursor: q.cursor }),
        });
        const items = page.items.map(({ _id, ...entry }) => ({ id: _id.toHexString(), ...entry }));
        return responses.paginatedResponse(items, { nextCursor: page.nextCursor, limit: q.limit });
      },
    }),
  ];
}
