import { CLOUD_ACCOUNT_STATUSES, CLOUD_PROVIDERS } from "@cspm/domain";
import { RegisterAccountInputSchema, type RegisterAccountInput, UpdateAccountInputSchema, type UpdateAccountInput } from "@cspm/services";
import { z } from "zod";
import { type ApiRoute, defineRoute } from "./apiRoute";
import { AccountView, pageOf } from "./envelopeSchemas";
import { parseRequestPart } from "./parseRequestPart";
import { cursorParameter, IdParams, limitParameter, single } from "./querySchemas";
import type { RouteContext } from "./routeContext";

const ListQuery = z.strictObject({
  provider: single(z.enum(CLOUD_PROVIDERS)).optional(),
  status: single(z.enum(CLOUD_ACCOUNT_STATUSES)).optional(),
  /** `key:value` (the first `:` splits). */
  tag: single(
    z
      .string()
      .regex(/^[^:]+:.*$/, 'must be "key:value"')
      .transform((text) => ({ key: text.slice(0, text.indexOf(":")), value: text.slice(text.indexOf(":") + 1) })),
  )
    .optional()
    .meta({ description: "`key:value`: accounts carrying this tag" }),
  limit: limitParameter(),
  cursor: cursorParameter,
});

const IfMatch = z.object({
  "if-match": z
    .string()
    .regex(/^(W\/)?"?\d{1,15}"?$/, 'must be the account\'s version, e.g. "3"')
    .optional()
    .meta({ description: "The account's version (its ETag): the change applies only to that version, else 409 CONFLICT" }),
});

const DeactivateBody = z.strictObject({ reason: z.string().max(2000).optional() });
const Deleted = z.object({ id: z.string(), deleted: z.literal(true) });

function expectedVersion(header: unknown): number | undefined {
  const { "if-match": value } = parseRequestPart(IfMatch, { "if-match": header }, "headers");
  return value === undefined ? undefined : Number(value.replace(/^W\//, "").replaceAll('"', ""));
}

/**
 * Cloud accounts: list (keyset pages), register (201 + `Location`), read (with an `ETag` of the version),
 * change (optional `If-Match` for optimistic concurrency), rotate credentials, deactivate, delete.
 */
export function accountRoutes({ responses }: RouteContext): ApiRoute[] {
  return [
    defineRoute({
      method: "GET",
      url: "/accounts",
      tag: "accounts",
      summary: "The team's cloud accounts, in keyset pages; filter by provider, status and tag.",
      access: "read",
      query: ListQuery,
      data: pageOf(AccountView),
      handler: async (request) => {
        const query = request.query;
        const page = await request.services.accounts.listAccounts(request.teamId, {
          limit: query.limit,
          ...(query.provider === undefined ? {} : { provider: query.provider }),
          ...(query.status === undefined ? {} : { status: query.status }),
          ...(query.tag === undefined ? {} : { tag: query.tag }),
          ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
        });
        return responses.paginatedResponse(page.items, { nextCursor: page.nextCursor, limit: query.limit });
      },
    }),
    defineRoute({
      method: "POST",
      url: "/accounts",
      tag: "accounts",
      summary: "Register a cloud account; credentials are encrypted and never returned (`has_credentials`).",
      access: "manage_accounts",
      body: RegisterAccountInputSchema,
      status: 201,
      data: AccountView,
      errors: ["CONFLICT", "PAYLOAD_TOO_LARGE"],
      handler: async (request, reply) => {
        const account = await request.services.accounts.registerAccount(request.teamId, request.body as RegisterAccountInput);
        return reply.code(201).header("location", `/accounts/${account.id}`).send(responses.successResponse(account));
      },
    }),
    defineRoute({
      method: "GET",
      url: "/accounts/:id",
      tag: "accounts",
      summary: 'One account, with `ETag: "<version>"`.',
      access: "read",
      params: IdParams,
      data: AccountView,
      errors: ["NOT_FOUND"],
      handler: async (request, reply) => {
        const account = await request.services.accounts.getAccount(request.teamId, request.params.id);
        if (account.version !== undefined) void reply.header("etag", `"${account.version}"`);
        return responses.successResponse(account);
      },
    }),
    defineRoute({
      method: "PATCH",
      url: "/accounts/:id",
      tag: "accounts",
      summary: 'Change name, regions, tags, status or status message; `If-Match: "<version>"` makes it optimistic.',
      access: "manage_accounts",
      params: IdParams,
      headers: IfMatch,
      body: UpdateAccountInputSchema,
      data: AccountView,
      errors: ["NOT_FOUND", "CONFLICT"],
      handler: async (request, reply) => {
        const version = expectedVersion(request.headers["if-match"]);
        const account = await request.services.accounts.updateAccount(
          request.teamId,
          request.params.id,
          request.body as UpdateAccountInput,
          version === undefined ? {} : { expectedVersion: version },
        );
        if (account.version !== undefined) void reply.header("etag", `"${account.version}"`);
        return responses.successResponse(account);
      },
    }),
    defineRoute({
      method: "PUT",
      url: "/accounts/:id/credentials",
      tag: "accounts",
      summary: "Replace the account's credentials (the provider's shape); the old ones are gone, the new never returned.",
      access: "manage_accounts",
      params: IdParams,
      body: z.record(z.string(), z.unknown()).meta({ description: "The provider's credential object, as for POST /accounts" }),
      data: AccountView,
      errors: ["NOT_FOUND"],
      handler: async (request) =>
        responses.successResponse(await request.services.accounts.rotateCredentials(request.teamId, request.params.id, request.body)),
    }),
    defineRoute({
      method: "POST",
      url: "/accounts/:id/deactivate",
      tag: "accounts",
      summary: "Stop scanning the account (status `inactive`), keeping its data; an optional reason.",
      access: "manage_accounts",
      params: IdParams,
      body: DeactivateBody,
      data: AccountView,
      errors: ["NOT_FOUND"],
      handler: async (request) => {
        const body = parseRequestPart(DeactivateBody, request.body ?? {}, "body");
        return responses.successResponse(await request.services.accounts.deactivateAccount(request.teamId, request.params.id, body.reason));
      },
    }),
    defineRoute({
      method: "DELETE",
      url: "/accounts/:id",
      tag: "accounts",
      summary: "Delete the account: hidden from reads and lists, kept so history keeps its label; registering it again restores it.",
      access: "manage_accounts",
      params: IdParams,
      data: Deleted,
      errors: ["NOT_FOUND"],
      handler: async (request) => {
        await request.services.accounts.deleteAccount(request.teamId, request.params.id);
        return responses.successResponse({ id: request.params.id, deleted: true as const });
      },
    }),
  ];
}
