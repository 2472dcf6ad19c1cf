import fastifySwagger from "@fastify/swagger";
import fastifySwaggerUi from "@fastify/swagger-ui";
import type { FastifyInstance } from "fastify";
import { jsonSchemaTransform, jsonSchemaTransformObject } from "fastify-type-provider-zod";

/** Where the interactive documentation lives; its assets come from `@fastify/swagger-ui`, served locally. */
export const DOCS_PREFIX = "/docs";

/**
 * Registers the OpenAPI 3.1 document, generated from the routes' zod schemas by `@fastify/swagger` with
 * `fastify-type-provider-zod`'s transform (so the document is the validation: they cannot differ), served at
 * `GET /openapi.json`, and Swagger UI at `GET /docs` with its assets from npm (no CDN). Both are public.
 * Must run before any route is registered: the document collects routes as they are added.
 */
export function registerOpenApi(app: FastifyInstance, info: { readonly title: string; readonly version: string }): void {
  void app.register(fastifySwagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: info.title,
        version: info.version,
        description:
          "Every body is the envelope `{ success, data }` or `{ success: false, error: { code, message, details } }`. " +
          "Every route but the public ones needs `Authorization: Bearer <API key | session token | JWT>`; the team is the credential's.",
      },
      components: { securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "API key, session token or JWT" } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  void app.register(fastifySwaggerUi, { routePrefix: DOCS_PREFIX, staticCSP: true });
}
