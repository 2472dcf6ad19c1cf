/**
 * OpenTelemetry through every layer of the example API: the span tree of `POST /assessments` (request →
 * service → repository → MongoDB command), `GET /metrics` scraped and parsed as Prometheus text with figures
 * that move with the traffic, `trace_id` and `request_id` on every request log line, and no secret, raw
 * team id or filter value in anything exported.
 */
import { createServiceContainer, type ServiceContainer } from "@cspm/container";
import { dropDatabasesWithPrefix, testDatabasePrefix, testMongoUri } from "@cspm/testkit";
import { SpanKind } from "@opentelemetry/api";
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import type { FastifyInstance, InjectOptions } from "fastify";
import { MongoClient } from "mongodb";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiTelemetry, startApiTelemetry } from "./apiTelemetry";
import { buildApp } from "./buildApp";
import { type DemoSeedResult, type SeededTeam, seedDemoData } from "./seedDemoData";

const prefix = testDatabasePrefix("apitelemetry");
const KEYS = `k1:${Buffer.alloc(32, 9).toString("base64")}`;
const AWS_SECRET = "Tq8vN2x/Lm5Pw7Rt1Yb3Kc9Hd4Fg6Js0Ae+Tele0";
const spans = new InMemorySpanExporter();

let client: MongoClient;
let services: ServiceContainer;
let telemetry: ApiTelemetry;
let app: FastifyInstance;
let seed: DemoSeedResult;
let team: SeededTeam;
const logLines: string[] = [];

async function send(method: string, url: string, token: string | undefined, body?: unknown, target = app) {
  const request: InjectOptions = {
    method: method as NonNullable<InjectOptions["method"]>,
    url,
    headers: {
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  };
  const response = await target.inject(request);
  return { status: response.statusCode, text: response.body, headers: response.headers };
}

function owner(): string {
  return team.tokens?.owner as string;
}

beforeAll(async () => {
  client = await MongoClient.connect(testMongoUri());
  telemetry = startApiTelemetry({ env: {}, spanProcessors: [new SimpleSpanProcessor(spans)] });
  services = createServiceContainer({ mongodb: { uri: testMongoUri(), prefix, commandSpans: true }, encryptionKeys: KEYS });
  await services.initialize({ ensureIndexes: true });
  seed = await seedDemoData(services, { teams: 1, accountsPerTeam: 1, findingsPerAccount: 20, output: null });
  team = seed.teams[0] as SeededTeam;
  app = buildApp({
    services,
    telemetry,
    rateLimit: false,
    logger: { level: "info", stream: { write: (line: string) => logLines.push(line) } },
  });
  await app.ready();
}, 120_000);

afterAll(async () => {
  await app?.close();
  await services?.dispose();
  await telemetry?.shutdown();
  await dropDatabasesWithPrefix(client, prefix);
  await client?.close();
});

function ancestors(span: ReadableSpan, byId: Map<string, ReadableSpan>): ReadableSpan[] {
  const chain: ReadableSpan[] = [];
  let parent = span.parentSpanContext?.spanId;
  while (parent !== undefined) {
    const next = byId.get(parent);
    if (next === undefined) break;
    chain.push(next);
    parent = next.parentSpanContext?.spanId;
  }
  return chain;
}

function durationMs(span: ReadableSpan): number {
  return span.duration[0] * 1000 + span.duration[1] / 1e6;
}

describe("the span tree of POST /assessments", () => {
  it("goes request → service method → repository operations, each MongoDB call a client span with database attributes", async () => {
    spans.reset();
    const created = await send("POST", "/assessments", owner(), {
      name: "Traced review",
      frameworkIds: ["aws_cis-2.0"],
      frequency: "monthly",
      startDate: "2024-07-01",
    });
    expect(created.status, created.text).toBe(201);
    const finished = spans.getFinishedSpans();
    const traceIds = new Set(finished.map((span) => span.spanContext().traceId));
    expect(traceIds.size).toBe(1);
    const byId = new Map(finished.map((span) => [span.spanContext().spanId, span]));

    const request = finished.find((span) => span.name === "request");
    expect(request?.attributes["http.route"]).toBe("/assessments");
    expect(request?.attributes["http.response.status_code"]).toBe(201);
    expect(request?.parentSpanContext).toBeUndefined();

    const service = finished.find((span) => span.name === "GlobalAssessmentService.createAssessment");
    expect(service, finished.map((span) => span.name).join(", ")).toBeDefined();
    expect(ancestors(service as ReadableSpan, byId)).toContain(request);

    // Authentication and the audit entry run around the service call, inside the request; the rest within it.
    const operations = finished.filter((span) => span.name.startsWith("repository."));
    const withinService = operations.filter((span) => ancestors(span, byId).includes(service as ReadableSpan));
    expect(withinService.length).toBeGreaterThan(3);
    expect(operations.find((span) => span.name === "repository.insertOne audit_logs")).toBeDefined();
    for (const operation of operations) {
      expect(ancestors(operation, byId)).toContain(request);
      expect(operation.attributes["db.system"]).toBe("mongodb");
      expect(operation.attributes["db.namespace"]).toMatch(new RegExp(`^${prefix}`));
      expect(operation.name).toBe(`repository.${operation.attributes["db.operation.name"]} ${operation.attributes["db.collection.name"]}`);
      expect(durationMs(operation)).toBeGreaterThan(0);
    }
    for (const operation of withinService) expect(durationMs(operation)).toBeLessThanOrEqual(durationMs(service as ReadableSpan));
    expect(withinService.map((span) => span.name)).toEqual(
      expect.arrayContaining(["repository.insertOne global_assessments", "repository.aggregate prowler_findings"]),
    );

    // Beneath each repository operation, the driver's commands as client spans (commandSpans is on here).
    const commands = finished.filter((span) => span.kind === SpanKind.CLIENT);
    const insert = commands.find((span) => span.name === "insert global_assessments");
    expect(insert?.attributes["db.operation.name"]).toBe("insert");
    expect(insert?.parentSpanContext?.spanId).toBe(
      finished.find((span) => span.name === "repository.insertOne global_assessments")?.spanContext().spanId,
    );
    for (const command of commands) {
      const parent = byId.get(command.parentSpanContext?.spanId ?? "");
      expect(parent?.name ?? "(none)", command.name).toMatch(/^(repository\.|GlobalAssessmentService|Authenticator|handler)/);
      // Transactions commit on the admin database; everything else names the team's databases.
      expect(command.attributes["db.namespace"]).toMatch(command.name === "commitTransaction" ? /^admin$/ : new RegExp(`^${prefix}`));
    }
    expect(commands.map((span) => span.name)).toEqual(expect.arrayContaining(["aggregate prowler_findings", "commitTransaction"]));
  });
});

describe("GET /metrics", () => {
  async function scrape(): Promise<ReturnType<typeof parsePrometheusTextFormat>> {
    const reply = await send("GET", "/metrics", owner());
    expect(reply.status, reply.text).toBe(200);
    expect(String(reply.headers["content-type"])).toContain("text/plain");
    return parsePrometheusTextFormat(reply.text);
  }

  /** The sum of a counter family's series whose labels include `labels` (0 before the first count). */
  function counterTotal(families: ReturnType<typeof parsePrometheusTextFormat>, name: string, labels: Record<string, string>): number {
    const family = families.find((f) => f.name === name);
    if (family === undefined) return 0;
    expect(family.type).toBe("COUNTER");
    let total = 0;
    for (const metric of family?.metrics ?? []) {
      if (Object.entries(labels).every(([key, value]) => metric.labels?.[key] === value)) total += Number(metric.value ?? 0);
    }
    return total;
  }

  it("parses as Prometheus text and the figures move with the requests sent", async () => {
    const first = await scrape();
    // The parser flattens labelled histograms into one; their presence and type is what it can check.
    expect(first.find((f) => f.name === "db_client_operation_duration")?.type).toBe("HISTOGRAM");
    const before = counterTotal(first, "cspm_cache_requests_total", { cspm_cache_operation: "wrap" });
    for (let i = 0; i < 5; i++) expect((await send("GET", "/accounts?limit=5", owner())).status).toBe(200);
    const after = counterTotal(await scrape(), "cspm_cache_requests_total", { cspm_cache_operation: "wrap" });
    expect(after - before).toBe(5);
    const hits = counterTotal(await scrape(), "cspm_cache_requests_total", { cspm_cache_operation: "wrap", outcome: "hit" });
    expect(hits).toBeGreaterThanOrEqual(4);
  });

  it("reports the MongoDB pool: connections by state", async () => {
    const families = await scrape();
    const pool = families.find((f) => f.name === "db_client_connection_count");
    const byState = new Map<string, number>();
    for (const metric of pool?.metrics ?? []) {
      const state = metric.labels?.["db_client_connection_state"] ?? "";
      byState.set(state, (byState.get(state) ?? 0) + Number(metric.value ?? 0));
    }
    // Between requests every connection is back in the pool.
    expect(byState.get("used")).toBe(0);
    expect(byState.get("idle")).toBeGreaterThan(0);
  });

  it("needs read_metrics: 401 without a credential, 403 for a viewer, both in the envelope", async () => {
    const anonymous = await send("GET", "/metrics", undefined);
    expect(anonymous.status).toBe(401);
    expect(JSON.parse(anonymous.text).error.code).toBe("UNAUTHENTICATED");
    const viewer = await send("GET", "/metrics", team.tokens?.viewer);
    expect(viewer.status).toBe(403);
    expect(JSON.parse(viewer.text).error.details.permission).toBe("read_metrics");
  });

  it("answers anyone when CSPM_METRICS_PUBLIC=1 made it public", async () => {
    const open = buildApp({ services, telemetry: { ...telemetry, metricsPublic: true }, rateLimit: false });
    try {
      const reply = await send("GET", "/metrics", undefined, undefined, open);
      expect(reply.status).toBe(200);
      expect(parsePrometheusTextFormat(reply.text).length).toBeGreaterThan(0);
    } finally {
      await open.close();
    }
  });
});

describe("log lines", () => {
  it("carry request_id and the trace_id of the request's spans", async () => {
    spans.reset();
    logLines.length = 0;
    const reply = await send("GET", "/dashboard/summary", owner());
    expect(reply.status).toBe(200);
    const line = logLines.map((text) => JSON.parse(text) as Record<string, unknown>).find((entry) => entry["msg"] === "request");
    expect(line?.["request_id"]).toBe(reply.headers["x-request-id"]);
    const request = spans.getFinishedSpans().find((span) => span.name === "request");
    expect(line?.["trace_id"]).toBe(request?.spanContext().traceId);
  });
});

describe("nothing exported names a secret, a team or a filter value", () => {
  it("after credentials, filters and imports went through, spans and metrics hold none of them", async () => {
    spans.reset();
    const account = team.accounts[0];
    const since = new Date(Date.now() - 9 * 86_400_000).toISOString().slice(0, 10);
    const registered = await send("POST", "/accounts", owner(), {
      provider: "aws",
      accountId: "219876543210",
      name: "Telemetry",
      credentials: { access_key_id: "AKIAIOSFODNN7EXAMPLE", secret_access_key: AWS_SECRET },
    });
    expect(registered.status, registered.text).toBe(201);
    const filtered = await send("GET", `/dashboard/summary?accountIds=${account?.account_id}&since=${since}`, owner());
    expect(filtered.status, filtered.text).toBe(200);
    expect((await send("GET", "/accounts?provider=aws&limit=3", owner())).status).toBe(200);
    const exported = JSON.stringify(
      spans
        .getFinishedSpans()
        .map((span) => ({ name: span.name, attributes: span.attributes, events: span.events, resource: span.resource.attributes })),
    );
    const metricsText = (await send("GET", "/metrics", owner())).text;
    const forbidden = [AWS_SECRET, "AKIAIOSFODNN7EXAMPLE", owner(), team.team_id, String(account?.account_id), "219876543210", since];
    for (const value of forbidden) {
      expect(exported, `a span carries ${value}`).not.toContain(value);
      expect(metricsText, `a metric carries ${value}`).not.toContain(value);
    }
    expect(exported).toContain("cspm.team.hash");
  });
});
