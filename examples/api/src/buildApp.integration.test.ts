import { createServiceContainer, TOKENS, type ServiceContainer } from "@cspm/container";
import { ProwlerFindingRepository, ScanRunRepository } from "@cspm/domain";
import { dropDatabasesWithPrefix, testDatabasePrefix, testMongoUri } from "@cspm/testkit";
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from "fastify";
import { MongoClient } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "./buildApp";
import { isDemoDatabaseEmpty, seedDemoData, type DemoSeedResult, type SeededTeam } from "./seedDemoData";

const prefix = testDatabasePrefix("api");
const KEYS = `k1:${Buffer.alloc(32, 5).toString("base64")}`;
const FINDINGS_PER_ACCOUNT = 80;

let client: MongoClient;
let services: ServiceContainer;
let app: FastifyInstance;
let seed: DemoSeedResult;
let acme: SeededTeam;
let globex: SeededTeam;
let emptyBefore: boolean;

interface Envelope {
  success: boolean;
  data?: any;
  error?: { code: string; message: string; details?: any };
  meta?: unknown;
}

async function call(
  method: InjectOptions["method"],
  url: string,
  options: { team?: string | null; body?: unknown; headers?: Record<string, string>; target?: FastifyInstance; payload?: string } = {},
): Promise<{ status: number; body: Envelope; headers: Record<string, unknown> }> {
  // `team` picks whose owner API key (from the seed) authenticates the request; `null` sends no credential.
  const team = options.team === undefined ? acme.team_id : options.team;
  const token = team === null ? undefined : seed.teams.find((t) => t.team_id === team)?.tokens?.owner;
  const request: InjectOptions = {
    method: method ?? "GET",
    url,
    headers: {
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      ...(options.body === undefined ? {} : { "content-type": "application/json" }),
      ...options.headers,
    },
  };
  if (options.body !== undefined) request.payload = JSON.stringify(options.body);
  if (options.payload !== undefined) request.payload = options.payload;
  const response: LightMyRequestResponse = await (options.target ?? app).inject(request);
  return { status: response.statusCode, body: response.json() as Envelope, headers: response.headers as Record<string, unknown> };
}

function expectError(response: { status: number; body: Envelope }, status: number, code: string): void {
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  expect(response.body.success).toBe(false);
  expect(response.body.error?.code).toBe(code);
  expect(response.body.data).toBeUndefined();
}

beforeAll(async () => {
  client = await MongoClient.connect(testMongoUri());
  services = createServiceContainer({ mongodb: { uri: testMongoUri(), prefix }, encryptionKeys: KEYS });
  await services.initialize({ ensureIndexes: true });
  emptyBefore = await isDemoDatabaseEmpty(services);
  seed = await seedDemoData(services, { teams: 2, accountsPerTeam: 3, findingsPerAccount: FINDINGS_PER_ACCOUNT, output: null });
  [acme, globex] = seed.teams as [SeededTeam, SeededTeam];
  app = buildApp({ services, rateLimit: false });
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await services?.dispose();
  await dropDatabasesWithPrefix(client, prefix);
  await client?.close();
});

describe("the demo seed", () => {
  it("seeds teams with accounts on three providers, findings, runs, vulnerabilities, AI models and frameworks", async () => {
    expect(emptyBefore).toBe(true);
    expect(await isDemoDatabaseEmpty(services)).toBe(false);
    expect(seed.teams).toHaveLength(2);
    for (const team of seed.teams) {
      expect(new Set(team.accounts.map((a) => a.provider))).toEqual(new Set(["aws", "azure", "gcp"]));
      expect(await services.resolve(ProwlerFindingRepository).forTeam(team.team_id).count({})).toBe(3 * FINDINGS_PER_ACCOUNT);
      const statuses = (await services.resolve(ScanRunRepository).listRecent(team.team_id, { limit: 100 })).map((r) => r.status);
      expect(statuses).toHaveLength(15);
      expect(new Set(statuses)).toEqual(new Set(["completed", "failed", "running"]));
      expect(team.assessment_id).toMatch(/^[0-9a-f]{24}$/);
    }
    expect(seed.findings).toBe(2 * 3 * FINDINGS_PER_ACCOUNT);
    expect(seed.vulnerabilities).toBeGreaterThan(10);
    expect(seed.ai_models).toBe(2 * 5);
    expect([...seed.frameworks].sort()).toEqual(["aws_cis-2.0", "aws_iso27001-2022", "aws_soc2", "azure_cis-2.0", "gcp_cis-2.0"]);
  });
});

describe("team resolution and envelopes", () => {
  it("answers GET /health with MongoDB and cache status, without a team", async () => {
    const response = await call("GET", "/health", { team: null });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      success: true,
      data: { status: "ok", mongodb: { ok: true }, cache: { ok: true, kind: "memory" } },
    });
  });

  it("answers 503 UNAVAILABLE from /health when MongoDB does not answer", async () => {
    const dead = createServiceContainer({
      mongodb: { uri: "mongodb://127.0.0.1:9/?directConnection=true", serverSelectionTimeoutMS: 300 },
      encryptionKeys: KEYS,
    });
    const deadApp = buildApp({ services: dead });
    try {
      const response = await call("GET", "/health", { team: null, target: deadApp });
      expectError(response, 503, "UNAVAILABLE");
      expect(response.body.error?.details).toMatchObject({ status: "unavailable", mongodb: { ok: false }, cache: { ok: true } });
    } finally {
      await deadApp.close();
      await dead.dispose();
    }
  });

  it("answers 401 UNAUTHENTICATED in the envelope without a valid credential; the team header alone is no credential", async () => {
    const missing = await call("GET", "/accounts", { team: null });
    expectError(missing, 401, "UNAUTHENTICATED");
    expect(missing.body.error?.details).toEqual({ reason: "CREDENTIAL_MISSING" });
    expect(missing.headers["www-authenticate"]).toBe('Bearer realm="cspm"');
    expectError(await call("GET", "/accounts", { team: null, headers: { "x-team-id": acme.team_id } }), 401, "UNAUTHENTICATED");
    const malformed = await call("GET", "/accounts", { team: null, headers: { authorization: "Basic dXNlcjpwdw==" } });
    expectError(malformed, 401, "UNAUTHENTICATED");
    expect(malformed.body.error?.details).toEqual({ reason: "CREDENTIAL_INVALID" });
  });

  it("takes the team from x-team-id only behind the explicit development flag, which warns once", async () => {
    const warnings: string[] = [];
    const devApp = buildApp({ services, developmentTeamHeader: true, warn: (m) => warnings.push(m) });
    try {
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/development mode.*x-team-id/);
      const ok = await call("GET", "/accounts", { team: null, target: devApp, headers: { "x-team-id": globex.team_id } });
      expect(ok.status).toBe(200);
      expect(ok.body.data.items.map((a: { account_id: string }) => a.account_id).sort()).toEqual(
        globex.accounts.map((a) => a.account_id).sort(),
      );
      // A credential, when present, always wins over the header.
      const both = await call("GET", "/me", { target: devApp, headers: { "x-team-id": globex.team_id } });
      expect(both.body.data).toMatchObject({ team_id: acme.team_id, type: "api_key" });
      expectError(
        await call("GET", "/accounts", { team: null, target: devApp, headers: { "x-team-id": "team a;drop" } }),
        400,
        "VALIDATION_FAILED",
      );
      expectError(await call("GET", "/accounts", { team: null, target: devApp }), 401, "UNAUTHENTICATED");
    } finally {
      await devApp.close();
    }
  });

  it("gives every request its own scope of the container, carrying its team and request id", async () => {
    const probe = buildApp({ services });
    probe.get("/whoami", async (request) => ({
      context: { teamId: request.scope.context.teamId, requestId: request.scope.context.requestId, actor: request.scope.context.actor?.id },
      same: request.scope.resolve(TOKENS.AggregationService) === services.resolve(TOKENS.AggregationService),
      bound: request.services.actor === request.actor,
    }));
    try {
      const auth = (t: SeededTeam) => ({ authorization: `Bearer ${t.tokens?.owner}` });
      const a = await probe.inject({ method: "GET", url: "/whoami", headers: { ...auth(acme), "x-request-id": "r-1" } });
      const b = await probe.inject({ method: "GET", url: "/whoami", headers: { ...auth(globex), "x-request-id": "r-2" } });
      expect(a.json()).toMatchObject({ context: { teamId: acme.team_id, requestId: "r-1" }, same: true, bound: true });
      expect(b.json()).toMatchObject({ context: { teamId: globex.team_id, requestId: "r-2" }, same: true, bound: true });
      expect(a.json().context.actor).not.toBe(b.json().context.actor);
    } finally {
      await probe.close();
    }
  });

  it("answers unknown routes with a 404 envelope and echoes a well-formed x-request-id", async () => {
    const response = await call("GET", "/nope?x=1", { headers: { "x-request-id": "req-123" } });
    expectError(response, 404, "NOT_FOUND");
    expect(response.headers["x-request-id"]).toBe("req-123");
    const generated = await call("GET", "/health", { team: null, headers: { "x-request-id": "bad id with spaces" } });
    expect(generated.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.body.error?.details?.routes).toContain("POST /assessments");
  });

  it("turns Fastify's body errors into VALIDATION_FAILED envelopes", async () => {
    const invalidJson = await call("POST", "/accounts", { payload: "{bad", headers: { "content-type": "application/json" } });
    expectError(invalidJson, 400, "VALIDATION_FAILED");
    expect(invalidJson.body.error?.details?.issues).toEqual([{ path: "body", message: "must be valid JSON" }]);
    const empty = await call("POST", "/accounts", { payload: "", headers: { "content-type": "application/json" } });
    expectError(empty, 400, "VALIDATION_FAILED");
    const xml = await call("POST", "/accounts", { payload: "<a/>", headers: { "content-type": "application/xml" } });
    expectError(xml, 400, "VALIDATION_FAILED");
    expect(xml.body.error?.details?.issues[0].path).toBe("headers.content-type");
    const poisoned = await call("POST", "/accounts", {
      payload: '{"__proto__":{"admin":true}}',
      headers: { "content-type": "application/json" },
    });
    expectError(poisoned, 400, "VALIDATION_FAILED");
  });

  it("rejects bodies over the limit with 413 PAYLOAD_TOO_LARGE; the import route has its own, larger limit", async () => {
    const small = buildApp({ services, bodyLimit: 1024 });
    try {
      const big = await call("POST", "/accounts", {
        target: small,
        body: { provider: "aws", accountId: "123456789012", name: "x".repeat(2000) },
      });
      expectError(big, 413, "PAYLOAD_TOO_LARGE");
      expect(big.body.error?.details).toEqual({ limit_bytes: 1024 });
    } finally {
      await small.close();
    }
  });
});

describe("accounts", () => {
  it("lists a team's accounts in keyset pages with filters", async () => {
    const first = await call("GET", "/accounts?limit=2");
    expect(first.status).toBe(200);
    expect(first.body.data).toMatchObject({ count: 2, limit: 2, has_more: true });
    const second = await call("GET", `/accounts?limit=2&cursor=${encodeURIComponent(first.body.data.next_cursor)}`);
    expect(second.body.data).toMatchObject({ count: 1, has_more: false, next_cursor: null });
    const all = [...first.body.data.items, ...second.body.data.items];
    expect(all.map((a: { account_id: string }) => a.account_id).sort()).toEqual(acme.accounts.map((a) => a.account_id).sort());
    expect(
      all.every(
        (a: Record<string, unknown>) => a["team_id"] === acme.team_id && a["has_credentials"] === true && !("encrypted_credentials" in a),
      ),
    ).toBe(true);

    const azure = await call("GET", "/accounts?provider=azure");
    expect(azure.body.data.items).toHaveLength(1);
    expect(azure.body.data.items[0].provider).toBe("azure");
    const tagged = await call("GET", "/accounts?tag=env:staging");
    expect(tagged.body.data.items.map((a: { name: string }) => a.name)).toEqual([expect.stringContaining("staging")]);
  });

  it("refuses bad list queries with field issues", async () => {
    const response = await call("GET", "/accounts?limit=0&provider=oracle&colour=blue");
    expectError(response, 400, "VALIDATION_FAILED");
    const paths = response.body.error?.details?.issues.map((i: { path: string }) => i.path).sort();
    expect(paths).toEqual(["", "limit", "provider"]);
    expectError(await call("GET", "/accounts?cursor=forged"), 400, "VALIDATION_FAILED");
  });

  it("registers (201), reads (ETag), updates with If-Match, and refuses a stale version (409)", async () => {
    const created = await call("POST", "/accounts", {
      body: {
        provider: "gcp",
        accountId: "acme-sandbox-7001",
        name: "Sandbox",
        credentials: undefined,
        regions: ["europe-west1"],
        tags: [{ key: "env", value: "sandbox" }],
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.data.id as string;
    expect(created.headers["location"]).toBe(`/accounts/${id}`);
    expect(created.body.data).toMatchObject({
      provider: "gcp",
      account_id: "acme-sandbox-7001",
      status: "pending",
      has_credentials: false,
    });

    const read = await call("GET", `/accounts/${id}`);
    expect(read.status).toBe(200);
    expect(read.body.data.name).toBe("Sandbox");
    const etag = read.headers["etag"] as string;
    expect(etag).toMatch(/^"\d+"$/);

    const updated = await call("PATCH", `/accounts/${id}`, {
      body: { name: "Sandbox (renamed)", status: "active" },
      headers: { "if-match": etag },
    });
    expect(updated.status, JSON.stringify(updated.body)).toBe(200);
    expect(updated.body.data).toMatchObject({ name: "Sandbox (renamed)", status: "active" });
    expect(updated.headers["etag"]).not.toBe(etag);

    expectError(await call("PATCH", `/accounts/${id}`, { body: { name: "Lost update" }, headers: { "if-match": etag } }), 409, "CONFLICT");
    expectError(
      await call("PATCH", `/accounts/${id}`, { body: { name: "x" }, headers: { "if-match": "yesterday" } }),
      400,
      "VALIDATION_FAILED",
    );
    expectError(
      await call("POST", "/accounts", { body: { provider: "gcp", accountId: "acme-sandbox-7001", name: "Again" } }),
      409,
      "CONFLICT",
    );
  });

  it("answers bad account input with 400 and the offending fields", async () => {
    const response = await call("POST", "/accounts", {
      body: { provider: "aws", accountId: "12345", name: "Bad", credentials: { access_key_id: "nope", secret_access_key: "short" } },
    });
    expectError(response, 400, "VALIDATION_FAILED");
    expect(response.body.error?.details?.issues.map((i: { path: string }) => i.path)).toContain("accountId");
    const changes = await call("PATCH", `/accounts/${acme.accounts[0]?.id}`, { body: { provider: "azure" } });
    expectError(changes, 400, "VALIDATION_FAILED");
    expectError(await call("GET", "/accounts/not-an-id"), 400, "VALIDATION_FAILED");
  });

  it("answers 404 for an unknown id and for another team's account, without its data", async () => {
    expectError(await call("GET", "/accounts/0123456789abcdef01234567"), 404, "NOT_FOUND");
    const foreign = globex.accounts[0] as { id: string; name: string; account_id: string };
    const response = await call("GET", `/accounts/${foreign.id}`);
    expectError(response, 404, "NOT_FOUND");
    expect(JSON.stringify(response.body)).not.toContain(foreign.name);
    expect(JSON.stringify(response.body)).not.toContain(foreign.account_id);
    expectError(await call("PATCH", `/accounts/${foreign.id}`, { body: { name: "hijacked" } }), 404, "NOT_FOUND");
    expect((await call("GET", `/accounts/${foreign.id}`, { team: globex.team_id })).body.data.name).toBe(foreign.name);
  });
});

describe("dashboard and scan activity", () => {
  it("summarizes the team's posture, narrowed by accountIds and since", async () => {
    const all = await call("GET", "/dashboard/summary");
    expect(all.status).toBe(200);
    expect(all.body.data.team_id).toBe(acme.team_id);
    expect(all.body.data.totals.accounts).toBe(3);
    expect(all.body.data.totals.findings).toBeGreaterThan(0);
    expect(all.body.data.totals.findings).toBeLessThanOrEqual(3 * FINDINGS_PER_ACCOUNT);
    expect(all.body.data.by_provider.map((p: { key: string }) => p.key).sort()).toEqual(["aws", "azure", "gcp"]);
    const one = acme.accounts[0] as { account_id: string };
    const narrowed = await call(
      "GET",
      `/dashboard/summary?accountIds=${one.account_id}&since=${new Date(Date.now() - 3 * 86_400_000).toISOString().slice(0, 10)}`,
    );
    expect(narrowed.status, JSON.stringify(narrowed.body)).toBe(200);
    expect(narrowed.body.data.totals.accounts).toBe(1);
    expect(narrowed.body.data.totals.findings).toBeLessThan(all.body.data.totals.findings);
    // Another team's account id narrows to nothing rather than showing its data.
    const foreign = await call("GET", `/dashboard/summary?accountIds=${globex.accounts[0]?.account_id}`);
    expect(foreign.body.data.totals.findings).toBe(0);
  });

  it("refuses a bad since or accountIds", async () => {
    const response = await call("GET", "/dashboard/summary?since=last-tuesday&accountIds=");
    expectError(response, 400, "VALIDATION_FAILED");
    expect(response.body.error?.details?.issues.map((i: { path: string }) => i.path).sort()).toEqual(["accountIds", "since"]);
    expectError(
      await call("GET", `/dashboard/summary?since=${new Date(Date.now() + 5 * 86_400_000).toISOString()}`),
      400,
      "VALIDATION_FAILED",
    );
  });

  it("reports scan activity with account names", async () => {
    const response = await call("GET", "/scan-activity?limit=3");
    expect(response.status).toBe(200);
    expect(response.body.data.totals).toMatchObject({ runs: 15, failed: 1, running: 1, completed: 13 });
    expect(response.body.data.recent_runs).toHaveLength(3);
    expect(response.body.data.by_account.map((a: { name: string }) => a.name).sort()).toEqual(acme.accounts.map((a) => a.name).sort());
    expectError(await call("GET", "/scan-activity?limit=500"), 400, "VALIDATION_FAILED");
  });
});

describe("assessments", () => {
  let createdId: string;

  it("POST /assessments runs the request flow: dates, evidence from four databases, score -> 201", async () => {
    const response = await call("POST", "/assessments", {
      body: {
        name: "Q3 CIS + SOC 2",
        frameworkIds: ["aws_cis-2.0", "aws_soc2"],
        frequency: "quarterly",
        startDate: "2024-07-01",
        owner: "secops@acme.example",
      },
    });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    expect(response.body.success).toBe(true);
    const data = response.body.data;
    createdId = data.id;
    expect(response.headers["location"]).toBe(`/assessments/${createdId}`);
    expect(data).toMatchObject({
      team_id: acme.team_id,
      status: "draft",
      frequency: "quarterly",
      framework_ids: ["aws_cis-2.0", "aws_soc2"],
      period_start: "2024-07-01T00:00:00.000Z",
      period_end: "2024-09-30T23:59:59.999Z",
      due_date: "2024-10-14T23:59:59.999Z",
    });
    expect(data.evidence_summary.sources.map((s: { source: string }) => s.source).sort()).toEqual([
      "ai_governance",
      "cloud_security",
      "native_scans",
      "vulnerabilities",
    ]);
    // Evidence covers the assessment's own period: the demo's findings are recent, so Q3 2024 has none…
    expect(data.evidence_summary.details.cloud_security.findings).toBe(0);
    // …while the seed's assessment of the current quarter has them.
    const current = await call("GET", `/assessments/${acme.assessment_id}`);
    expect(current.body.data.evidence_summary.details.cloud_security.findings).toBeGreaterThan(0);
    expect(data.evidence_summary.details.ai_governance.models_assessed).toBe(0);
    expect(current.body.data.evidence_summary.details.ai_governance.models_assessed).toBe(5);
    expect(typeof data.score).toBe("number");
  });

  it("reads it back, lists it, shows its evidence; another team gets 404", async () => {
    const read = await call("GET", `/assessments/${createdId}`);
    expect(read.status).toBe(200);
    expect(read.body.data.name).toBe("Q3 CIS + SOC 2");
    const list = await call("GET", "/assessments?status=draft&limit=10");
    expect(list.body.data.items.map((a: { id: string }) => a.id)).toEqual(expect.arrayContaining([createdId, acme.assessment_id]));
    const evidence = await call("GET", `/assessments/${createdId}/evidence`);
    expect(evidence.body.data.map((e: { source: string }) => e.source).sort()).toEqual([
      "ai_governance",
      "cloud_security",
      "native_scans",
      "vulnerabilities",
    ]);

    const foreign = await call("GET", `/assessments/${createdId}`, { team: globex.team_id });
    expectError(foreign, 404, "NOT_FOUND");
    expect(JSON.stringify(foreign.body)).not.toContain("Q3 CIS");
    expectError(await call("GET", `/assessments/${createdId}/evidence`, { team: globex.team_id }), 404, "NOT_FOUND");
    expectError(await call("GET", "/assessments/0123456789abcdef01234567"), 404, "NOT_FOUND");
  });

  it("answers bad input with 400 and field paths (unknown frameworks included)", async () => {
    const missing = await call("POST", "/assessments", { body: { name: "", frequency: "weekly" } });
    expectError(missing, 400, "VALIDATION_FAILED");
    expect(missing.body.error?.details?.issues.map((i: { path: string }) => i.path)).toEqual(
      expect.arrayContaining(["frameworkIds", "frequency", "startDate"]),
    );
    const unknown = await call("POST", "/assessments", {
      body: { name: "x", frameworkIds: ["aws_soc2", "nist_imaginary"], frequency: "monthly", startDate: "2024-07-01" },
    });
    expectError(unknown, 400, "VALIDATION_FAILED");
    expect(unknown.body.error?.details?.issues).toEqual([{ path: "frameworkIds.1", message: 'unknown framework "nist_imaginary"' }]);
  });
});
