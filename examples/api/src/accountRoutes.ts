import { CLOUD_ACCOUNT_STATUSES, CLOUD_PROVIDERS } from "@cspm/domain";
import type { RegisterAccountInput, UpdateAccountInput } from "@cspm/services";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { parseRequestPart } from "./parseRequestPart";
import type { RouteContext } from "./routeContext";

const ListQuery = z.strictObject({
  provider: z.enum(CLOUD_PROVIDERS).optional(),
  status: z.enum(CLOUD_ACCOUNT_STATUSES).optional(),
  /** `key:value` (the first `:` splits). */
  tag: z
    .string()
    .regex(/^[^:]+:.*$/, 'must be "key:value"')
    .transform((text) => ({ key: text.slice(0, text.indexOf(":")), value: text.slice(text.indexOf(":") + 1) }))
    .optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(50),
  cursor: z.string().min(1).max(4096).optional(),
});

const IfMatch = z.strictObject({
  "if-match": z
    .string()
    .regex(/^(W\/)?"?\d{1,15}"?$/, 'must be the account\'s version, e.g. "3"')
    .transform((text) => Number(text.replace(/^W\//, "").replaceAll('"', "")))
    .optional(),
});

interface IdParams {
  readonly id: string;
}

/**
 * `GET /accounts` (keyset pages; `provider`, `status`, `tag=key:value`, `limit`, `cursor`),
 * `POST /accounts` (201), `GET /accounts/:id` (with an `ETag` of the version), `PATCH /accounts/:id`
 * (optional `If-Match: "<version>"` for optimistic concurrency -> 409 on a stale version).
 */
export function registerAccountRoutes(app: FastifyInstance, { responses }: RouteContext): void {
  app.get("/accounts", async (request) => {
    const query = parseRequestPart(ListQuery, request.query, "query");
    const page = await request.services.accounts.listAccounts(request.teamId, {
      limit: query.limit,
      ...(query.provider === undefined ? {} : { provider: query.provider }),
      ...(query.status === undefined ? {} : { status: query.status }),
      ...(query.tag === undefined ? {} : { tag: query.tag }),
      ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
    });
    return responses.paginatedResponse(page.items, { nextCursor: page.nextCursor, limit: query.limit });
  });

  app.post("/accounts", async (request, reply) => {
    const account = await request.services.accounts.registerAccount(request.teamId, request.body as RegisterAccountInput);
    return reply.code(201).header("location", `/accounts/${account.id}`).send(responses.successResponse(account));
  });

  app.get<{ Params: IdParams }>("/accounts/:id", async (request, reply) => {
    const account = await request.services.accounts.getAccount(request.teamId, request.params.id);
    if (account.version !== undefined) void reply.header("etag", `"${account.version}"`);
    return responses.successResponse(account);
  });

  app.patch<{ Params: IdParams }>("/accounts/:id", async (request, reply) => {
    const { "if-match": expectedVersion } = parseRequestPart(IfMatch, { "if-match": request.headers["if-match"] }, "headers");
    const account = await request.services.accounts.updateAccount(
      request.teamId,
      request.params.id,
      request.body as UpdateAccountInput,
      expectedVersion === undefined ? {} : { expectedVersion },
    );
    if (account.version !== undefined) void reply.header("etag", `"${account.version}"`);
    return responses.successResponse(account);
  });
}
