/**
 * The OpenAPI document against the running API: valid OpenAPI 3.1 (an independent validator from npm),
 * every registered route in it with its parameters, access and error codes, the answers of the read routes
 * held to the response schemas it publishes (ajv, JSON Schema 2020-12), and the README's route table equal
 * to it.
 */
import { readFileSync } from "node:fs";
import { isDeepStrictEqual } from "node:util";
import { createServiceContainer, type ServiceContainer } from "@cspm/container";
import { ERROR_CODES } from "@cspm/errors";
import { dropDatabasesWithPrefix, testDatabasePrefix, testMongoUri } from "@cspm/testkit";
import { Validator } from "@seriousme/openapi-schema-validator";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import type { FastifyInstance } from "fastify";
import { MongoClient } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiTelemetry, startApiTelemetry } from "./apiTelemetry";
import { openApiPath } from "./apiRoute";
import { buildApp } from "./buildApp";
import { type DemoSeedResult, type SeededTeam, seedDemoData } from "./seedDemoData";

const prefix = testDatabasePrefix("apiopenapi");
const KEYS = `k1:${Buffer.alloc(32, 4).toString("base64")}`;

interface Operation {
  readonly summary?: string;
  readonly security?: unknown[];
  readonly parameters?: { readonly name: string; readonly in: string; readonly required?: boolean }[];
  readonly responses: Record<string, { readonly content?: Record<string, { readonly schema?: unknown }> }>;
  readonly "x-permission"?: string;
}
type Document = {
  readonly openapi: string;
  readonly paths: Record<string, Record<string, Operation>>;
  readonly components: { readonly schemas: Record<string, { properties?: Record<string, any> }> };
};

let client: MongoClient;
let services: ServiceContainer;
let app: FastifyInstance;
let seed: DemoSeedResult;
let team: SeededTeam;
let doc: Document;
let telemetry: ApiTelemetry;
const answered = new Map<string, unknown>();

beforeAll(async () => {
  client = await MongoClient.connect(testMongoUri());
  services = createServiceContainer({ mongodb: { uri: testMongoUri(), prefix }, encryptionKeys: KEYS });
  await services.initialize({ ensureIndexes: true });
  seed = await seedDemoData(services, { teams: 1, accountsPerTeam: 2, findingsPerAccount: 30, output: null });
  team = seed.teams[0] as SeededTeam;
  telemetry = startApiTelemetry({ env: {} });
  app = buildApp({ services, rateLimit: false, telemetry });
  // What each handler answered, before the route's compiled serializer wrote it.
  app.addHook("preSerialization", async (_request, reply, payload) => {
    answered.set(reply.request.id, payload);
    return payload;
  });
  await app.ready();
  const response = await app.inject({ method: "GET", url: "/openapi.json" });
  expect(response.statusCode).toBe(200);
  doc = response.json() as Document;
}, 120_000);

afterAll(async () => {
  await app?.close();
  await services?.dispose();
  await telemetry?.shutdown();
  await dropDatabasesWithPrefix(client, prefix);
  await client?.close();
});

function operation(route: string): Operation | undefined {
  const [method, url] = route.split(" ") as [string, string];
  return doc.paths[openApiPath(url).replace(/\*$/, "{*}")]?.[method.toLowerCase()];
}

describe("the OpenAPI document", () => {
  it("is valid OpenAPI 3.1, served without a credential", async () => {
    expect(doc.openapi).toBe("3.1.0");
    const result = await new Validator().validate(doc as unknown as Parameters<Validator["validate"]>[0]);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it("names every registered route, with a summary, its path parameters and its access", () => {
    expect(app.routeList.length).toBeGreaterThan(25);
    const missing = app.routeList.filter((route) => operation(route) === undefined);
    expect(missing).toEqual([]);
    for (const route of app.routeList) {
      const op = operation(route) as Operation;
      expect(op.summary, route).toBeTruthy();
      const pathParameters = [...route.matchAll(/:([A-Za-z_]+)/g)].map((m) => m[1]);
      for (const name of pathParameters) {
        expect(op.parameters?.find((p) => p.in === "path" && p.name === name)?.required, `${route} :${name}`).toBe(true);
      }
    }
  });

  it("documents the envelope and every error code; authenticated routes answer 401 and 403, public ones need no credential", () => {
    const envelope = doc.components.schemas["ErrorEnvelope"];
    expect(new Set(envelope?.properties?.["error"]?.properties?.code?.enum)).toEqual(new Set(Object.keys(ERROR_CODES)));
    for (const route of app.routeList) {
      const op = operation(route) as Operation;
      const isPublic = Array.isArray(op.security) && op.security.length === 0;
      const statuses = Object.keys(op.responses);
      if (route.startsWith("GET /dashboard/assets") || route === "GET /") continue;
      expect(statuses, route).toContain("400");
      if (!isPublic) expect(statuses, route).toEqual(expect.arrayContaining(["401", "403"]));
      const error = op.responses["401"] ?? op.responses["400"];
      expect(JSON.stringify(error?.content?.["application/json"]?.schema), route).toContain("ErrorEnvelope");
    }
    expect(operation("GET /health")?.security).toEqual([]);
    expect(operation("GET /accounts")?.["x-permission"]).toBe("read");
    expect(operation("POST /accounts")?.["x-permission"]).toBe("manage_accounts");
  });

  it("documents repeated query parameters as arrays and single ones with their types", () => {
    const accounts = operation("GET /accounts") as Operation;
    const limit = accounts.parameters?.find((p) => p.name === "limit") as { schema?: { type?: string; maximum?: number } };
    expect(limit?.schema).toMatchObject({ type: "integer", maximum: 1000 });
    const summary = operation("GET /dashboard/summary") as Operation;
    const ids = summary.parameters?.find((p) => p.name === "accountIds") as { schema?: { type?: string } };
    expect(ids?.schema?.type).toBe("array");
  });
});

describe("the API's answers match the document", () => {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  (addFormats as unknown as (a: Ajv2020) => void)(ajv);

  function validatorFor(route: string, status: string) {
    const schema = (operation(route) as Operation).responses[status]?.content?.["application/json"]?.schema;
    expect(schema, `${route} ${status}`).toBeDefined();
    const id = `${route} ${status}`;
    if (!ajv.getSchema(id)) ajv.addSchema({ $id: id, ...(schema as object), $defs: undefined, components: doc.components }, id);
    return ajv.getSchema(id) as NonNullable<ReturnType<typeof ajv.getSchema>>;
  }

  it("every read route's success body, and error bodies, validate against their published schemas", async () => {
    // Components are referenced as #/components/schemas/X: resolve them inside each compiled schema.
    const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
    expect(refs.every((ref) => ref.includes("#/components/schemas/"))).toBe(true);
    const account = team.accounts[0]?.id as string;
    const assessment = team.assessment_id as string;
    const calls: [string, string][] = [
      ["GET /health", "/health"],
      ["GET /accounts", "/accounts?limit=2"],
      ["GET /accounts/:id", `/accounts/${account}`],
      ["GET /dashboard/summary", "/dashboard/summary"],
      ["GET /scan-activity", "/scan-activity?limit=3"],
      ["GET /assessments", "/assessments"],
      ["GET /assessments/:id", `/assessments/${assessment}`],
      ["GET /assessments/:id/evidence", `/assessments/${assessment}/evidence`],
      ["GET /me", "/me"],
      ["GET /api-keys", "/api-keys"],
      ["GET /members", "/members"],
      ["GET /roles", "/roles"],
      ["GET /audit-log", "/audit-log?limit=5"],
      ["GET /overview/providers", "/overview/providers"],
      ["GET /overview/services", "/overview/services?provider=aws"],
      ["GET /overview/regions", "/overview/regions"],
      ["GET /overview/severity-trend", "/overview/severity-trend?days=7"],
      ["GET /overview/findings-trend", "/overview/findings-trend"],
      ["GET /compliance/frameworks", "/compliance/frameworks"],
      ["GET /scan-runs", "/scan-runs?limit=2"],
      ["GET /vulnerabilities", "/vulnerabilities?limit=3"],
      ["GET /vulnerabilities/summary", "/vulnerabilities/summary"],
      ["GET /ai-models", "/ai-models"],
    ];
    const runs = await app.inject({ method: "GET", url: "/scan-runs?limit=1", headers: { authorization: `Bearer ${team.tokens?.owner}` } });
    const runId = (runs.json() as { data: { items: { id: string }[] } }).data.items[0]?.id;
    expect(runId).toBeDefined();
    calls.push(["GET /scan-runs/:id", `/scan-runs/${runId}`]);
    const failures: string[] = [];
    for (const [route, url] of calls) {
      const response = await app.inject({ method: "GET", url, headers: { authorization: `Bearer ${team.tokens?.owner}` } });
      const validate = validatorFor(route, String(response.statusCode));
      // The schema serializer writes exactly the JSON the handler's answer is (what JSON.stringify writes):
      // it neither drops, adds nor coerces a field, so validating its output validates the answer.
      const raw = JSON.stringify(answered.get(String(response.headers["x-request-id"])));
      if (response.statusCode !== 200 || !validate(response.json()) || !isDeepStrictEqual(response.json(), JSON.parse(raw))) {
        failures.push(
          `${route} -> ${response.statusCode} ${JSON.stringify(validate.errors?.slice(0, 3))} ${response.body.slice(0, 300)} vs ${raw.slice(0, 300)}`,
        );
      }
    }
    expect(failures).toEqual([]);
    // An error answer is the documented error envelope too.
    const bad = await app.inject({
      method: "GET",
      url: "/accounts?limit=1&limit=2",
      headers: { authorization: `Bearer ${team.tokens?.owner}` },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details.issues).toEqual([{ path: "limit", message: "must be given once (got 2 values)" }]);
    expect(validatorFor("GET /accounts", "400")(bad.json())).toBe(true);
  });
});

describe("the README's route table", () => {
  it("lists exactly the routes of the document", () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    const section = readme.slice(readme.indexOf("## Routes"));
    // The first cell of each row names one or more routes, each in backticks.
    const cells = [...section.matchAll(/^\| (`[^|]+`) \|/gm)].map((m) => m[1] as string);
    const listed = cells.flatMap((cell) => [...cell.matchAll(/`((?:GET|POST|PUT|PATCH|DELETE) \/[^`]*)`/g)].map((m) => m[1] as string));
    expect(new Set(listed)).toEqual(new Set(app.routeList));
    expect(listed.length).toBe(new Set(listed).size);
  });
});
