import type { TeamId } from "@cspm/repository";
import { randomUUID } from "node:crypto";
import { TOKENS, type ServiceContainer } from "@cspm/container";
import { isCspmError, NotFoundError, PayloadTooLargeError, RateLimitedError, ValidationError } from "@cspm/errors";
import type { Actor } from "@cspm/identity";
import rateLimit from "@fastify/rate-limit";
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from "fastify";
import { trace } from "@opentelemetry/api";
import type { Redis } from "ioredis";
import type { ApiTelemetry } from "./apiTelemetry";
import { accountRoutes } from "./accountRoutes";
import { type ApiRoute, apiSerializerCompiler, apiValidatorCompiler, registerApiRoutes } from "./apiRoute";
import { assessmentRoutes } from "./assessmentRoutes";
import { registerDashboardRoutes } from "./dashboardRoute";
import { fastifyErrorToCspm } from "./fastifyErrorToCspm";
import { registerFindingImportRoute } from "./findingImportRoute";
import { findingRoutes } from "./findingRoutes";
import { healthRoute } from "./healthRoute";
import { metricsRoute } from "./metricsRoute";
import { muteRuleRoutes } from "./muteRuleRoutes";
import { DOCS_PREFIX, registerOpenApi } from "./openApi";
import { postureRoutes } from "./postureRoutes";
import { overviewRoutes } from "./overviewRoutes";
import { complianceRoutes } from "./complianceRoutes";
import { scanRunRoutes } from "./scanRunRoutes";
import { vulnerabilityRoutes } from "./vulnerabilityRoutes";
import { aiModelRoutes } from "./aiModelRoutes";
import type { RouteContext } from "./routeContext";
import { DEVELOPMENT_HEADER_WARNING, developmentActor } from "./developmentActor";
import { identityRoutes } from "./identityRoutes";

/** Options of `buildApp`. */
export interface BuildAppOptions {
  /** The data layer, initialized by the caller (who also disposes it, after `app.close()`). */
  readonly services: ServiceContainer;
  /**
   * Development only: a request WITHOUT a credential acts as owner of the team in its `x-team-id` header.
   * Off by default; when on, `warn` (default stderr) gets `DEVELOPMENT_HEADER_WARNING` once at build time.
   */
  readonly developmentTeamHeader?: boolean;
  readonly warn?: (message: string) => void;
  /**
   * Requests per credential (per client IP for public routes) and window; 429 `RATE_LIMITED` in the envelope
   * with `retry-after` beyond it. Counters live in `redis` when given (shared by every instance), else in
   * memory. Default `{ max: 600, timeWindowMs: 60_000 }`; `false` turns it off.
   */
  readonly rateLimit?: false | { readonly max: number; readonly timeWindowMs: number; readonly redis?: Redis; readonly keyPrefix?: string };
  /** Largest JSON body of ordinary routes, in bytes (default 1 MiB). */
  readonly bodyLimit?: number;
  /** Largest body of `POST /findings/import`, in bytes (default 2 GiB); the body is streamed, never held whole. */
  readonly importBodyLimit?: number;
  /** Findings per upsert round trip of an import (default 1,000). */
  readonly importBatchSize?: number;
  /**
   * Fastify's logger options (default off; `main.ts` turns it on). Every line of a request carries its
   * `request_id`, and its `trace_id` when `telemetry` is given.
   */
  readonly logger?: false | LoggerOptions;
  /**
   * The host's OpenTelemetry SDK (`startApiTelemetry`): request spans, `trace_id` in log lines, and
   * `GET /metrics` (Prometheus text; permission `read_metrics`, or public with `CSPM_METRICS_PUBLIC=1`).
   * Without it there is no `/metrics` route.
   */
  readonly telemetry?: ApiTelemetry;
}

/** Fastify's (pino's) logger options as `buildApp` takes them. */
export type LoggerOptions = Exclude<FastifyServerOptions["logger"], boolean | undefined>;

/** Swagger UI's own routes (page, assets, its copy of the document) are public like `/openapi.json`. */
function isDocsRoute(url: string | undefined): boolean {
  return url !== undefined && (url === DOCS_PREFIX || url.startsWith(`${DOCS_PREFIX}/`));
}

/** The trace id of the active span, for log lines. */
function traceFields(): Record<string, string> {
  const span = trace.getActiveSpan();
  return span === undefined ? {} : { trace_id: span.spanContext().traceId };
}

/** Default body limit of ordinary routes: 1 MiB. */
export const DEFAULT_BODY_LIMIT = 1_048_576;
/** Default body limit of `POST /findings/import`: 2 GiB (streamed into the importer, never buffered). */
export const DEFAULT_IMPORT_BODY_LIMIT = 2 * 1024 * 1_048_576;

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Default rate limit: requests per credential per minute. */
export const DEFAULT_RATE_LIMIT = { max: 600, timeWindowMs: 60_000 } as const;

/** Every JSON route, for the 404 answer's `details.routes`; `GET /metrics` joins them when `telemetry` is given. */
export const API_ROUTES = [
  "GET /health",
  "GET /accounts",
  "POST /accounts",
  "GET /accounts/:id",
  "PATCH /accounts/:id",
  "PUT /accounts/:id/credentials",
  "POST /accounts/:id/deactivate",
  "DELETE /accounts/:id",
  "GET /dashboard/summary",
  "GET /scan-activity",
  "POST /assessments",
  "GET /assessments",
  "GET /assessments/:id",
  "GET /assessments/:id/evidence",
  "POST /findings/import",
  "GET /me",
  "POST /api-keys",
  "GET /api-keys",
  "POST /api-keys/:id/revoke",
  "GET /members",
  "POST /members",
  "PATCH /members/:id",
  "DELETE /members/:id",
  "GET /roles",
  "POST /roles",
  "DELETE /roles/:name",
  "POST /sessions",
  "POST /sessions/rotate",
  "POST /sessions/revoke",
  "GET /audit-log",
  "GET /findings",
  "GET /findings/facets",
  "GET /findings/:id",
  "GET /mute-rules",
  "POST /mute-rules",
  "PATCH /mute-rules/:id",
  "DELETE /mute-rules/:id",
  "GET /overview/providers",
  "GET /overview/services",
  "GET /overview/regions",
  "GET /overview/severity-trend",
  "GET /overview/findings-trend",
  "GET /compliance/frameworks",
  "GET /compliance/frameworks/:id",
  "GET /scan-runs",
  "GET /scan-runs/:id",
  "GET /vulnerabilities",
  "GET /vulnerabilities/summary",
  "GET /ai-models",
] as const;

/**
 * The example HTTP API on an initialized `ServiceContainer`, not listening yet (`app.inject` in tests,
 * `app.listen` in `main.ts`). Every route but `GET /health` and `GET /` needs `Authorization: Bearer <API key
 * | session token | JWT>` (401 `UNAUTHENTICATED` otherwise); the credential's actor gets one request scope
 * whose actor-bound services authorize (403 `FORBIDDEN`) and audit every call; rate limits count per
 * credential (429 `RATE_LIMITED`); every response is the `@cspm/response` envelope.
 */
export function buildApp(options: BuildAppOptions): FastifyInstance {
  const { services } = options;
  const authenticator = services.resolve(TOKENS.Authenticator);
  if (options.developmentTeamHeader === true) (options.warn ?? ((m: string) => process.stderr.write(`${m}\n`)))(DEVELOPMENT_HEADER_WARNING);
  const authenticate = async (request: FastifyRequest): Promise<Actor> => {
    const header = request.headers.authorization;
    // No credential at all (what the authenticator refuses with CREDENTIAL_MISSING): in development mode the
    // team header decides, without building and catching that refusal on every request.
    if (options.developmentTeamHeader === true && (header === undefined || header === "")) {
      const actor = developmentActor(request);
      if (actor !== undefined) return actor;
    }
    return authenticator.authenticateHeader(header);
  };
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const context: RouteContext = {
    responses: services.resolve(TOKENS.ResponseService),
    importBodyLimit: options.importBodyLimit ?? DEFAULT_IMPORT_BODY_LIMIT,
    importBatchSize: options.importBatchSize ?? 1000,
  };
  const { responses } = context;

  const logger = options.logger === undefined || options.logger === false ? false : options.logger;
  const app = Fastify({
    logger: logger === false || options.telemetry === undefined ? logger : { ...logger, mixin: traceFields },
    bodyLimit,
    // One compact line per request (onResponse below) instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: "request_id" }),
    // Errors the router raises before any handler (a malformed %-encoding, a path parameter over
    // maxParamLength) get the same VALIDATION_FAILED envelope as every other bad input.
    frameworkErrors: (error, request, reply) => {
      const issue = error.code === "FST_ERR_MAX_PARAM_LENGTH" ? "path parameter too long" : "malformed URL";
      const { statusCode, body } = responses.toHttpResponse(
        new ValidationError("The request URL is malformed or too long.", [{ path: "url", message: issue }]),
      );
      void (reply as unknown as FastifyReply).header("x-request-id", request.id).code(statusCode).send(body);
    },
    // What Node's HTTP parser refuses before Fastify sees a request (headers over the limit, a garbage
    // request line) is answered in the envelope too, with a request id, instead of Node's own body.
    clientErrorHandler: (error, socket) => {
      if (!socket.writable) return;
      const code = (error as { code?: string }).code;
      const tooLarge = code === "HPE_HEADER_OVERFLOW";
      const mapped = tooLarge
        ? new PayloadTooLargeError("The request headers are larger than this server accepts.", { details: { limit: "headers" } })
        : new ValidationError("The request is not valid HTTP.", [{ path: "", message: "malformed request" }]);
      const { body } = responses.toHttpResponse(mapped);
      const text = JSON.stringify(body);
      const status = tooLarge ? "431 Request Header Fields Too Large" : "400 Bad Request";
      socket.end(
        `HTTP/1.1 ${status}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\n` +
          `x-request-id: ${randomUUID()}\r\nConnection: close\r\n\r\n${text}`,
      );
    },
    genReqId: (request) => {
      const given = request.headers["x-request-id"];
      return typeof given === "string" && REQUEST_ID.test(given) ? given : randomUUID();
    },
  });

  // First, so its request span is the parent of every hook, handler and data-layer span.
  if (options.telemetry !== undefined) void app.register(options.telemetry.fastifyInstrumentation.plugin());
  // Query strings, path parameters and headers are parsed by the routes' zod schemas (bodies by the
  // services); success answers are written by serializers compiled from the same schemas (the document's),
  // error envelopes by JSON.stringify; the OpenAPI tests hold every answer to its schema.
  const registered: string[] = [];
  app.addHook("onRoute", (route) => {
    const methods = (Array.isArray(route.method) ? route.method : [route.method]).filter((m) => m !== "HEAD");
    if (route.schema?.hide === true || isDocsRoute(route.url)) return;
    for (const method of methods) registered.push(`${method} ${route.url}`);
  });
  app.decorate("routeList", registered);
  app.setValidatorCompiler(apiValidatorCompiler);
  app.setSerializerCompiler(apiSerializerCompiler);
  registerOpenApi(app, { title: "CSPM example API", version: "0.0.0" });
  const apiRouteTable: ApiRoute[] = [
    healthRoute(services, context),
    ...(options.telemetry === undefined ? [] : [metricsRoute(options.telemetry)]),
    ...accountRoutes(context),
    ...postureRoutes(context),
    ...assessmentRoutes(context),
    ...identityRoutes(context),
    ...findingRoutes(context),
    ...muteRuleRoutes(context),
    ...overviewRoutes(context),
    ...complianceRoutes(context),
    ...scanRunRoutes(context),
    ...vulnerabilityRoutes(context),
    ...aiModelRoutes(context),
  ];
  void app.get("/openapi.json", { config: { public: true }, schema: { hide: true } }, async () => app.swagger());

  app.decorateRequest("teamId", "" as TeamId);
  app.decorateRequest("actor", null);
  app.decorateRequest("scope", null as never);
  app.decorateRequest("services", null as never);

  app.addHook("onRequest", async (request, reply) => {
    void reply.header("x-request-id", request.id);
    if (request.is404) return;
    const route = request.routeOptions; // a getter that builds a new frozen object on every read
    if (route.config.public === true || isDocsRoute(route.url)) return;
    let actor: Actor;
    try {
      actor = await authenticate(request);
    } catch (error) {
      if (isCspmError(error) && error.code === "UNAUTHENTICATED") void reply.header("www-authenticate", 'Bearer realm="cspm"');
      throw error;
    }
    request.actor = actor;
    request.teamId = actor.teamId;
    request.scope = services.createRequestScope({ actor, teamId: actor.teamId, requestId: request.id, ip: request.ip });
    request.services = request.scope.services;
  });

  // One line per request, when there is a logger to write it (no hook, and no work per request, without one).
  if (logger !== false)
    app.addHook("onResponse", async (request, reply) => {
      request.log.info(
        {
          method: request.method,
          url: request.url.split("?")[0],
          statusCode: reply.statusCode,
          ms: Math.round(reply.elapsedTime),
          team: request.teamId || undefined,
          actor: request.actor ? `${request.actor.type}:${request.actor.id}` : undefined,
        },
        "request",
      );
    });

  app.setErrorHandler(async (error, request, reply) => {
    const limit = request.routeOptions.bodyLimit ?? bodyLimit;
    const mapped = fastifyErrorToCspm(error, limit);
    const { statusCode, body } = responses.toHttpResponse(mapped);
    // Where it happened (collection, index …) goes to the log only; the envelope names no internals.
    const where = isCspmError(mapped) ? mapped.logContext : undefined;
    if (statusCode >= 500) request.log.error({ err: error, code: body.error.code, ...(where ? { where } : {}) }, "request failed");
    else if (statusCode === 409 && where) request.log.info({ code: body.error.code, where }, "request conflicted");
    return reply.code(statusCode).send(body);
  });

  app.setNotFoundHandler(async (request, reply) => {
    const path = request.url.split("?")[0] ?? "/";
    const { statusCode, body } = responses.toHttpResponse(
      new NotFoundError(`No route ${request.method} ${path.slice(0, 200)}.`, { details: { routes: registered } }),
    );
    return reply.code(statusCode).send(body);
  });

  const limits: BuildAppOptions["rateLimit"] = options.rateLimit === undefined ? DEFAULT_RATE_LIMIT : options.rateLimit;
  if (limits !== false) {
    void app.register(rateLimit, {
      global: true,
      max: limits.max,
      timeWindow: limits.timeWindowMs,
      // After authentication (onRequest), so the counter is the credential's, never a guessable header's.
      hook: "preHandler",
      keyGenerator: (request) => (request.actor ? `cred:${request.actor.credentialId}` : `ip:${request.ip}`),
      ...(limits.redis === undefined ? {} : { redis: limits.redis, nameSpace: limits.keyPrefix ?? "cspm-api-rate:" }),
      errorResponseBuilder: (_request, context) =>
        new RateLimitedError(`Too many requests for this credential: at most ${context.max} per ${context.after}.`, {
          details: { retry_after_seconds: Math.max(1, Math.ceil(context.ttl / 1000)), limit: context.max },
        }),
    });
  }

  // Routes in a plugin registered after the rate limiter, so its route hook sees every one of them.
  void app.register(async function apiRoutes(routes) {
    registerDashboardRoutes(routes);
    registerApiRoutes(routes, apiRouteTable);
    registerFindingImportRoute(routes, context);
  });
  return app;
}
