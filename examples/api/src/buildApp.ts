import type { TeamId } from "@cspm/repository";
import { randomUUID } from "node:crypto";
import { TOKENS, type ServiceContainer } from "@cspm/container";
import { NotFoundError, ValidationError } from "@cspm/errors";
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyServerOptions } from "fastify";
import { registerAccountRoutes } from "./accountRoutes";
import { registerAssessmentRoutes } from "./assessmentRoutes";
import { fastifyErrorToCspm } from "./fastifyErrorToCspm";
import { registerFindingImportRoute } from "./findingImportRoute";
import { registerHealthRoute } from "./healthRoute";
import { registerPostureRoutes } from "./postureRoutes";
import type { RouteContext } from "./routeContext";
import { teamIdFromHeader, TEAM_HEADER, type ResolveTeamId } from "./teamIdFromHeader";

/** Options of `buildApp`. */
export interface BuildAppOptions {
  /** The data layer, initialized by the caller (who also disposes it, after `app.close()`). */
  readonly services: ServiceContainer;
  /** Which team a request acts for; default: the `x-team-id` header (`teamIdFromHeader`). */
  readonly resolveTeamId?: ResolveTeamId;
  /** Largest JSON body of ordinary routes, in bytes (default 1 MiB). */
  readonly bodyLimit?: number;
  /** Largest body of `POST /findings/import`, in bytes (default 25 MiB). */
  readonly importBodyLimit?: number;
  /** Findings per upsert round trip of an import (default 1,000). */
  readonly importBatchSize?: number;
  /** Fastify's logger option (default off; `main.ts` turns it on). */
  readonly logger?: FastifyServerOptions["logger"];
}

/** Default body limit of ordinary routes: 1 MiB. */
export const DEFAULT_BODY_LIMIT = 1_048_576;
/** Default body limit of `POST /findings/import`: 25 MiB. */
export const DEFAULT_IMPORT_BODY_LIMIT = 25 * 1_048_576;

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Every route, for `GET /` and the startup banner. */
export const API_ROUTES = [
  "GET /health",
  "GET /accounts",
  "POST /accounts",
  "GET /accounts/:id",
  "PATCH /accounts/:id",
  "GET /dashboard/summary",
  "GET /scan-activity",
  "POST /assessments",
  "GET /assessments",
  "GET /assessments/:id",
  "GET /assessments/:id/evidence",
  "POST /findings/import",
] as const;

/**
 * The example HTTP API on an initialized `ServiceContainer`, not listening yet (`app.inject` in tests,
 * `app.listen` in `main.ts`): one request scope per request for the team `resolveTeamId` returns, and the
 * `@cspm/response` envelope with its HTTP status on every response, Fastify's own errors and 404s included.
 */
export function buildApp(options: BuildAppOptions): FastifyInstance {
  const { services } = options;
  const resolveTeamId = options.resolveTeamId ?? teamIdFromHeader;
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const context: RouteContext = {
    responses: services.resolve(TOKENS.ResponseService),
    importBodyLimit: options.importBodyLimit ?? DEFAULT_IMPORT_BODY_LIMIT,
    importBatchSize: options.importBatchSize ?? 1000,
  };
  const { responses } = context;

  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit,
    // One compact line per request (onResponse below) instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    // Errors the router raises before any handler (a malformed %-encoding, a path parameter over
    // maxParamLength) get the same VALIDATION_FAILED envelope as every other bad input.
    frameworkErrors: (error, _request, reply) => {
      const issue = error.code === "FST_ERR_MAX_PARAM_LENGTH" ? "path parameter too long" : "malformed URL";
      const { statusCode, body } = responses.toHttpResponse(
        new ValidationError("The request URL is malformed or too long.", [{ path: "url", message: issue }]),
      );
      void (reply as unknown as FastifyReply).code(statusCode).send(body);
    },
    genReqId: (request) => {
      const given = request.headers["x-request-id"];
      return typeof given === "string" && REQUEST_ID.test(given) ? given : randomUUID();
    },
  });

  app.decorateRequest("teamId", "" as TeamId);
  app.decorateRequest("scope", null as never);

  app.addHook("onRequest", async (request, reply) => {
    void reply.header("x-request-id", request.id);
    if (request.is404 || request.routeOptions.config.public === true) return;
    const teamId = await resolveTeamId(request);
    request.teamId = teamId;
    request.scope = services.createRequestScope({ teamId, requestId: request.id });
  });

  app.addHook("onResponse", async (request, reply) => {
    request.log.info(
      {
        method: request.method,
        url: request.url.split("?")[0],
        statusCode: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
        team: request.teamId || undefined,
      },
      "request",
    );
  });

  app.setErrorHandler(async (error, request, reply) => {
    const limit = request.routeOptions.bodyLimit ?? bodyLimit;
    const { statusCode, body } = responses.toHttpResponse(fastifyErrorToCspm(error, limit));
    if (statusCode >= 500) request.log.error({ err: error, code: body.error.code }, "request failed");
    return reply.code(statusCode).send(body);
  });

  app.setNotFoundHandler(async (request, reply) => {
    const path = request.url.split("?")[0] ?? "/";
    const { statusCode, body } = responses.toHttpResponse(
      new NotFoundError(`No route ${request.method} ${path.slice(0, 200)}.`, { details: { routes: [...API_ROUTES] } }),
    );
    return reply.code(statusCode).send(body);
  });

  app.get("/", { config: { public: true } }, async () =>
    responses.successResponse({
      name: "CSPM example API",
      team_header: TEAM_HEADER,
      routes: [...API_ROUTES],
    }),
  );
  registerHealthRoute(app, services, context);
  registerAccountRoutes(app, context);
  registerPostureRoutes(app, context);
  registerAssessmentRoutes(app, context);
  registerFindingImportRoute(app, context);
  return app;
}
