import type { Permission } from "@cspm/domain";
import { type ErrorCode, httpStatusFor } from "@cspm/errors";
import fastJsonStringify from "fast-json-stringify";
import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  FastifySchemaCompiler,
  FastifySerializerCompiler,
  RouteShorthandOptions,
} from "fastify";
import { z } from "zod";
import { ErrorEnvelope, successEnvelope } from "./envelopeSchemas";
import { parseRequestPart } from "./parseRequestPart";

/** HTTP methods the API uses. */
export type ApiMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

type Output<S> = S extends z.ZodType ? z.output<S> : Record<string, never>;

/** The request a route's handler gets: query and params already parsed by the route's schemas. */
export type ApiRequest<Q, P> = FastifyRequest<{ Querystring: Output<Q>; Params: Output<P>; Body: unknown }>;

/** What a route declares: everything the server, the OpenAPI document and the route tests read. */
export interface ApiRouteDefinition<Q extends z.ZodType | undefined, P extends z.ZodType | undefined> {
  readonly method: ApiMethod;
  readonly url: string;
  /** One line for the route table and the OpenAPI document. */
  readonly summary: string;
  readonly description?: string;
  /** Group in the OpenAPI document (`accounts`, `findings` …). */
  readonly tag: string;
  /**
   * Who may call it: `"public"` (no credential), `"authenticated"` (any credential of the team), or the
   * permission the actor-bound service checks (403 `FORBIDDEN` without it). Documentation of a check that
   * lives in `ActorServices`, held to it by the authorization tests.
   */
  readonly access: "public" | "authenticated" | Permission;
  /** Query string: validated here (400 `VALIDATION_FAILED` with the parameter's path), typed in the handler. */
  readonly query?: Q;
  /** Path parameters, validated like the query. */
  readonly params?: P;
  /**
   * The JSON body, for the document only: the service validates it (with its own field paths and without
   * echoing secrets), so the schema here must be the one the service uses.
   */
  readonly body?: z.ZodType;
  /** Request headers the route reads (`if-match`), validated; the handler reads `request.headers`. */
  readonly headers?: z.ZodType;
  /** The status of success (default 200) and the shape of `data` in its envelope. */
  readonly status?: 200 | 201;
  readonly data: z.ZodType;
  /** Error codes beyond the ones every route can answer (400, 401, 403, 429, 500, 503). */
  readonly errors?: readonly ErrorCode[];
  /** Fastify route options beyond the schema (body limit, content-type parsers are registered by the caller). */
  readonly options?: Pick<RouteShorthandOptions, "bodyLimit">;
  /** A success response that is not JSON (`text/plain` for `/metrics`): named here for the document. */
  readonly produces?: string;
  /** Request body content types beyond JSON (the import's CSV and JSON Lines): the document's `requestBody` lists them. */
  readonly consumes?: readonly string[];
  readonly handler: (request: ApiRequest<Q, P>, reply: FastifyReply) => Promise<unknown>;
}

/** A route as the server and the document hold it. */
export type ApiRoute = ApiRouteDefinition<z.ZodType | undefined, z.ZodType | undefined>;

/** Declares a route; the handler's `request.query` and `request.params` are typed from the schemas. */
export function defineRoute<Q extends z.ZodType | undefined = undefined, P extends z.ZodType | undefined = undefined>(
  route: ApiRouteDefinition<Q, P>,
): ApiRoute {
  return route as unknown as ApiRoute;
}

const PUBLIC_ERRORS: readonly ErrorCode[] = ["VALIDATION_FAILED", "RATE_LIMITED", "INTERNAL", "UNAVAILABLE"];
const AUTHENTICATED_ERRORS: readonly ErrorCode[] = [...PUBLIC_ERRORS, "UNAUTHENTICATED", "FORBIDDEN"];

/** Every error code a route can answer with: the common ones for its access, plus its own. */
export function routeErrors(route: ApiRoute): ErrorCode[] {
  const common = route.access === "public" ? PUBLIC_ERRORS : AUTHENTICATED_ERRORS;
  return [...new Set([...common, ...(route.errors ?? [])])];
}

/** `GET /accounts/:id` -> `GET /accounts/{id}` (the OpenAPI path form). */
export function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, "{$1}");
}

/**
 * The one validator of the API's query strings, path parameters and headers: the route's zod schema through
 * `parseRequestPart` (400 `VALIDATION_FAILED` naming each parameter). Bodies pass through untouched: the
 * services validate them. Headers are checked but left as they are (the schema names only the ones read).
 */
export const apiValidatorCompiler: FastifySchemaCompiler<z.ZodType> = ({ schema, httpPart }) => {
  if (httpPart === "body") return (data) => ({ value: data });
  const part = httpPart === "querystring" ? "query" : httpPart === "params" ? "params" : "headers";
  return (data) => {
    try {
      const value = parseRequestPart(schema, data, part);
      return { value: part === "headers" ? data : value };
    } catch (error) {
      return { error: error as Error };
    }
  };
};

/** Plain `JSON.stringify`: what every answer without a compiled schema serializer gets. */
const stringify = (data: unknown): string => JSON.stringify(data);

/**
 * JSON Schema keywords whose serialization `fast-json-stringify` decides at run time (by validating the
 * value against each branch) or does not mirror exactly: a schema with any of them keeps `JSON.stringify`.
 */
const RUNTIME_KEYWORDS = /"(?:anyOf|oneOf|allOf|not|if|then|else|patternProperties|prefixItems|dependentSchemas)":/;

/**
 * The API's response serializer: a success answer (2xx) whose declared schema is plain objects, arrays and
 * scalars is written by `fast-json-stringify`, compiled once from the route's zod schema (its output JSON
 * Schema; dates are ISO strings as `JSON.stringify` writes them, loose objects keep their other fields);
 * error envelopes and schemas with run-time branches (`anyOf` …) keep `JSON.stringify`. For data that
 * matches its schema both write the same JSON (`openApi.integration.test.ts` checks every read route).
 */
export const apiSerializerCompiler: FastifySerializerCompiler<unknown> = ({ schema, httpStatus }) => {
  if (!/^2\d\d$/.test(String(httpStatus)) || !(schema instanceof z.ZodType)) return stringify;
  try {
    const json = z.toJSONSchema(schema, { io: "output", target: "draft-7", unrepresentable: "any" });
    if (RUNTIME_KEYWORDS.test(JSON.stringify(json))) return stringify;
    return fastJsonStringify(json as Parameters<typeof fastJsonStringify>[0]);
  } catch {
    // A schema JSON Schema cannot express (a cycle without an id …) is only documentation here.
    return stringify;
  }
};

/** Registers the routes on `app` with their schemas (for validation and the OpenAPI document). */
export function registerApiRoutes(app: FastifyInstance, routes: readonly ApiRoute[]): void {
  for (const route of routes) {
    const responses: Record<string, z.ZodType> = { [String(route.status ?? 200)]: successEnvelope(route.data) };
    for (const code of routeErrors(route)) responses[String(httpStatusFor(code))] ??= ErrorEnvelope;
    app.route({
      method: route.method,
      url: route.url,
      ...route.options,
      config: { public: route.access === "public" },
      schema: {
        summary: route.summary,
        ...(route.description === undefined ? {} : { description: route.description }),
        tags: [route.tag],
        ...(route.query === undefined ? {} : { querystring: route.query }),
        ...(route.params === undefined ? {} : { params: route.params }),
        ...(route.body === undefined ? {} : { body: route.body }),
        ...(route.consumes === undefined ? {} : { consumes: [...route.consumes] }),
        ...(route.headers === undefined ? {} : { headers: route.headers }),
        ...(route.access === "public" ? { security: [] } : {}),
        "x-permission": route.access,
        response: responses,
      },
      handler: route.handler as (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>,
    });
  }
}
