import { AUDIT_OUTCOMES, PERMISSIONS } from "@cspm/domain";
import type { AddMemberInput, CreateApiKeyInput, CreateRoleInput } from "@cspm/identity";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { parseRequestPart } from "./parseRequestPart";
import type { RouteContext } from "./routeContext";

const PageQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).default(50),
  cursor: z.string().min(1).max(4096).optional(),
});

const Instant = z.iso
  .datetime({ offset: true, error: "must be an ISO-8601 date-time, e.g. 2024-06-01T00:00:00Z" })
  .transform((t) => new Date(t));

const AuditQuery = z.strictObject({
  action: z
    .string()
    .regex(/^[a-z][a-z0-9_.]{0,199}$/, "must be a dotted action name")
    .optional(),
  actor_id: z.string().min(1).max(128).optional(),
  outcome: z.enum(AUDIT_OUTCOMES).optional(),
  target_type: z
    .string()
    .regex(/^[a-z][a-z0-9_]{0,63}$/)
    .optional(),
  target_id: z.string().min(1).max(128).optional(),
  since: Instant.optional(),
  until: Instant.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(50),
  cursor: z.string().min(1).max(4096).optional(),
});

const RoleBody = z.strictObject({ role: z.string().min(1).max(64) });

interface IdParams {
  readonly id: string;
}

/**
 * Identity and audit routes, all in the envelope and all through the actor-bound services:
 * `GET /me`; API keys (`POST /api-keys` -> 201 with the token, the only time it is shown; `GET /api-keys`;
 * `POST /api-keys/:id/revoke`) — `manage_api_keys`; members (`GET/POST /members`, `PATCH/DELETE
 * /members/:id`) and roles (`GET/POST /roles`, `DELETE /roles/:name`) — `manage_members` to change, `read`
 * to list; sessions of the calling user (`POST /sessions` from a JWT or session, `POST /sessions/rotate`,
 * `POST /sessions/revoke` with the session token); `GET /audit-log` (filters, keyset pages) — `read_audit_log`.
 */
export function registerIdentityRoutes(app: FastifyInstance, { responses }: RouteContext): void {
  app.get("/me", async (request) => {
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
  });

  app.post("/api-keys", async (request, reply) => {
    const created = await request.services.apiKeys.createKey(request.teamId, request.body as CreateApiKeyInput);
    // no-store: the token is in this body and nowhere else, ever.
    return reply
      .code(201)
      .header("cache-control", "no-store")
      .header("location", `/api-keys/${created.key.id}`)
      .send(responses.successResponse(created));
  });

  app.get("/api-keys", async (request) => {
    const query = parseRequestPart(PageQuery, request.query, "query");
    const page = await request.services.apiKeys.listKeys(request.teamId, {
      limit: query.limit,
      ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
    });
    return responses.paginatedResponse(page.items, { nextCursor: page.nextCursor, limit: query.limit });
  });

  app.post<{ Params: IdParams }>("/api-keys/:id/revoke", async (request) =>
    responses.successResponse(await request.services.apiKeys.revokeKey(request.teamId, request.params.id)),
  );

  app.get("/members", async (request) => responses.successResponse(await request.services.members.listMembers(request.teamId)));

  app.post("/members", async (request, reply) => {
    const member = await request.services.members.addMember(request.teamId, request.body as AddMemberInput);
    return reply.code(201).header("location", `/members/${member.id}`).send(responses.successResponse(member));
  });

  app.patch<{ Params: IdParams }>("/members/:id", async (request) => {
    const body = parseRequestPart(RoleBody, request.body, "body");
    return responses.successResponse(await request.services.members.changeRole(request.teamId, request.params.id, body.role));
  });

  app.delete<{ Params: IdParams }>("/members/:id", async (request) =>
    responses.successResponse(await request.services.members.removeMember(request.teamId, request.params.id)),
  );

  app.get("/roles", async (request) => responses.successResponse(await request.services.roles.listRoles(request.teamId)));

  app.post("/roles", async (request, reply) => {
    const role = await request.services.roles.createRole(request.teamId, request.body as CreateRoleInput);
    return reply.code(201).send(responses.successResponse(role));
  });

  app.delete<{ Params: { readonly name: string } }>("/roles/:name", async (request) => {
    await request.services.roles.deleteRole(request.teamId, request.params.name);
    return responses.successResponse({ deleted: request.params.name });
  });

  app.post("/sessions", async (request, reply) => {
    const created = await request.services.sessions.createSession(request.teamId, {
      ...(request.headers["user-agent"] === undefined ? {} : { userAgent: String(request.headers["user-agent"]).slice(0, 512) }),
    });
    return reply.code(201).header("cache-control", "no-store").send(responses.successResponse(created));
  });

  app.post("/sessions/rotate", async (request, reply) => {
    const rotated = await request.services.sessions.rotateSession(request.teamId);
    return reply.code(201).header("cache-control", "no-store").send(responses.successResponse(rotated));
  });

  app.post("/sessions/revoke", async (request) => responses.successResponse(await request.services.sessions.revokeSession(request.teamId)));

  app.get("/audit-log", async (request) => {
    const q = parseRequestPart(AuditQuery, request.query, "query");
    const page = await request.services.auditLog.page(request.teamId, {
      limit: q.limit,
      ...(q.action === undefined ? {} : { action: q.action }),
      ...(q.actor_id === undefined ? {} : { actorId: q.actor_id }),
      ...(q.outcome === undefined ? {} : { outcome: q.outcome }),
      ...(q.target_type === undefined ? {} : { targetType: q.target_type }),
      ...(q.target_id === undefined ? {} : { targetId: q.target_id }),
      ...(q.since === undefined ? {} : { since: q.since }),
      ...(q.until === undefined ? {} : { until: q.until }),
      ...(q.cursor === undefined ? {} : { cursor: q.cursor }),
    });
    const items = page.items.map(({ _id, ...entry }) => ({ id: _id.toHexString(), ...entry }));
    return responses.paginatedResponse(items, { nextCursor: page.nextCursor, limit: q.limit });
  });
}
