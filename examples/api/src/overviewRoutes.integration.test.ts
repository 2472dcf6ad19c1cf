/**
 * The overview, compliance, scan run, vulnerability and AI model routes through the HTTP API, on two demo
 * teams plus Prowler's real compliance catalogues and real scans: every route answers the actor-bound
 * service's figures, 400 with field paths, 401 without a credential, 404 for another team's ids.
 */
import { dirname } from "node:path";
import { readdirSync } from "node:fs";
import { createServiceContainer, type ServiceContainer } from "@cspm/container";
import { complianceRepositories, fileSource, importRepositories, importScan, loadComplianceCatalogue } from "@cspm/ingest";
import { parseTeamId, type TeamId } from "@cspm/repository";
import { dropDatabasesWithPrefix, realScanFixture, testDatabasePrefix, testMongoUri } from "@cspm/testkit";
import type { FastifyInstance } from "fastify";
import { MongoClient } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API_ROUTES, buildApp } from "./buildApp";
import { seedDemoData, type SeededTeam } from "./seedDemoData";

const prefix = testDatabasePrefix("apioverview");
const KEYS = `k1:${Buffer.alloc(32, 9).toString("base64")}`;
const NOW = new Date();

/** The routes this file covers. */
const ROUTES = [
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

let client: MongoClient;
let services: ServiceContainer;
let app: FastifyInstance;
let a: SeededTeam;
let b: SeededTeam;
let runOfA: string;
let runOfB: string;

interface Reply {
  status: number;
  body: { success: boolean; data?: any; error?: { code: string; details?: any } };
}

async function get(url: string, team: SeededTeam | undefined): Promise<Reply> {
  const response = await app.inject({
    method: "GET",
    url,
    headers: team === undefined ? {} : { authorization: `Bearer ${team.tokens?.owner}` },
  });
  return { status: response.statusCode, body: response.json() as Reply["body"] };
}

/** What the service answers, as the API writes it (dates as ISO strings). */
const wire = (value: unknown): unknown => JSON.parse(JSON.stringify(value));
const teamOf = (team: SeededTeam): TeamId => parseTeamId(team.team_id);
const svc = () => services.services;

beforeAll(async () => {
  client = await MongoClient.connect(testMongoUri());
  services = createServiceContainer(
    { mongodb: { uri: testMongoUri(), prefix }, encryptionKeys: KEYS },
    { clock: () => new Date(NOW.getTime()) },
  );
  await services.initialize({ ensureIndexes: true });
  const seed = await seedDemoData(services, { teams: 2, accountsPerTeam: 1, findingsPerAccount: 40, output: null });
  [a, b] = seed.teams as [SeededTeam, SeededTeam];
  const repositories = svc().repositories;
  const folder = dirname(realScanFixture("compliance/cis_2.0_aws.json"));
  for (const file of readdirSync(folder).filter((f) => f.endsWith(".json")))
    await loadComplianceCatalogue(complianceRepositories(repositories), await fileSource(`${folder}/${file}`));
  // Team A: the real AWS scan; team B: the real Azure scan (so only B has Azure findings).
  const aws = await importScan(importRepositories(repositories), await fileSource(realScanFixture("prowler/prowler-5-aws.ocsf.json")), {
    teamId: a.team_id,
    account: "123456789012",
  });
  const azure = await importScan(importRepositories(repositories), await fileSource(realScanFixture("prowler/prowler-5-azure.ocsf.json")), {
    teamId: b.team_id,
    account: "8f4e2c1a-6b3d-4e5f-9a7b-2c1d0e9f8a7b",
  });
  runOfA = aws.scan_run_id as string;
  runOfB = azure.scan_run_id as string;
  app = buildApp({ services, rateLimit: false, logger: false });
  await app.ready();
}, 120_000);

afterAll(async () => {
  await app?.close();
  await services?.dispose();
  await dropDatabasesWithPrefix(client, prefix);
  await client?.close();
});

describe("overview, compliance, scan run, vulnerability and AI model routes", () => {
  it("are all registered, in API_ROUTES and with access read", () => {
    for (const route of ROUTES) {
      expect(app.routeList, route).toContain(route);
      expect(API_ROUTES as readonly string[], route).toContain(route);
    }
  });

  it("answer the service's figures for the caller's team", async () => {
    const A = teamOf(a);
    const expectations: [string, unknown][] = [
      ["/overview/providers", await svc().overview.getProviderOverview(A)],
      ["/overview/services?provider=aws", await svc().overview.getServiceOverview(A, { provider: "aws" })],
      [
        `/overview/regions?accountIds=123456789012,${a.accounts[0]?.account_id}`,
        await svc().overview.getRegionOverview(A, { accountIds: ["123456789012", a.accounts[0]?.account_id as string] }),
      ],
      ["/overview/severity-trend?days=7", await svc().overview.getSeverityTrend(A, { days: 7 })],
      ["/overview/severity-trend", await svc().overview.getSeverityTrend(A)],
      ["/overview/findings-trend?days=14", await svc().overview.getFindingsTrend(A, { days: 14 })],
      ["/compliance/frameworks", await svc().compliance.listFrameworks(A)],
      ["/compliance/frameworks/aws_cis-2.0", await svc().compliance.getFramework(A, "aws_cis-2.0")],
      [`/scan-runs/${runOfA}`, await svc().scanRuns.getScanRun(A, runOfA)],
      ["/vulnerabilities/summary", await svc().vulnerabilities.getSummary(A)],
    ];
    for (const [url, expected] of expectations) {
      const reply = await get(url, a);
      expect(reply.status, url).toBe(200);
      expect(reply.body.data, url).toEqual(wire(expected));
    }
    const overview = (await get("/overview/providers", a)).body.data;
    expect(overview.team_id).toBe(a.team_id);
    expect(overview.totals.total).toBeGreaterThan(0);
    const frameworks = (await get("/compliance/frameworks", a)).body.data;
    expect(frameworks.providers).toEqual(["aws"]);
    expect(frameworks.frameworks.map((f: { framework_id: string }) => f.framework_id)).toContain("aws_cis-2.0");
    const trend = (await get("/overview/severity-trend?days=7", a)).body.data;
    expect(trend.points).toHaveLength(7);
  });

  it("pages like the services do", async () => {
    const A = teamOf(a);
    const pages: [string, { items: readonly unknown[]; next_cursor: string | null }][] = [
      ["/scan-runs?limit=2", await svc().scanRuns.listScanRuns(A, { limit: 2 })],
      [
        "/vulnerabilities?limit=3&severity=critical,high",
        await svc().vulnerabilities.listOccurrences(A, { severity: ["critical", "high"] }, { limit: 3 }),
      ],
      ["/vulnerabilities?breached=true&limit=5", await svc().vulnerabilities.listOccurrences(A, { breached: true }, { limit: 5 })],
      ["/ai-models?limit=2", await svc().aiGovernance.listModels(A, { limit: 2 })],
    ];
    for (const [url, expected] of pages) {
      const reply = await get(url, a);
      expect(reply.status, url).toBe(200);
      expect(reply.body.data.items, url).toEqual(wire(expected.items));
      expect(reply.body.data.next_cursor, url).toBe(expected.next_cursor);
    }
    const first = (await get("/scan-runs?limit=1", a)).body.data;
    expect(first.next_cursor).not.toBeNull();
    const second = (await get(`/scan-runs?limit=1&cursor=${encodeURIComponent(first.next_cursor)}`, a)).body.data;
    expect(second.items[0].id).not.toBe(first.items[0].id);
    expect((await get("/ai-models", a)).body.data.items.length).toBeGreaterThan(0);
  });

  it("refuse bad input with 400 VALIDATION_FAILED naming the field", async () => {
    const cases: [string, string][] = [
      ["/overview/severity-trend?days=0", "days"],
      ["/overview/severity-trend?days=366", "days"],
      ["/overview/findings-trend?days=abc", "days"],
      ["/overview/findings-trend?days=1&days=2", "days"],
      ["/overview/services?provider=nope", "provider"],
      ["/overview/regions?team_id=x", ""],
      ["/overview/providers?since=2024-01-01", ""],
      ["/scan-runs?limit=0", "limit"],
      ["/scan-runs?limit=201", "limit"],
      ["/scan-runs/not-an-id", "id"],
      ["/vulnerabilities?severity=severe", "severity"],
      ["/vulnerabilities?status=open,closed", "status"],
      ["/vulnerabilities?breached=maybe", "breached"],
      ["/ai-models?cursor=", "cursor"],
      ["/compliance/frameworks/%24where", "id"],
    ];
    const failures: string[] = [];
    for (const [url, path] of cases) {
      const reply = await get(url, a);
      const paths = ((reply.body.error?.details?.issues ?? []) as { path: string }[]).map((i) => i.path);
      const named = path === "" ? paths.length > 0 : paths.some((p) => p === path || p.endsWith(`.${path}`) || p.startsWith(`${path}.`));
      if (reply.status !== 400 || reply.body.error?.code !== "VALIDATION_FAILED" || !named)
        failures.push(`${url}: ${reply.status} ${JSON.stringify(reply.body.error)}`);
    }
    expect(failures).toEqual([]);
    // A cursor of another route or team is refused, never followed.
    const cursor = (await get("/scan-runs?limit=1", a)).body.data.next_cursor as string;
    expect((await get(`/scan-runs?cursor=${encodeURIComponent(cursor)}`, b)).status).toBe(400);
    expect((await get(`/vulnerabilities?cursor=${encodeURIComponent(cursor)}`, a)).status).toBe(400);
  });

  it("answer 401 without a credential", async () => {
    for (const route of ROUTES) {
      const url = route.replace(":id", route.startsWith("GET /scan-runs") ? runOfA : "aws_cis-2.0").slice(4);
      const reply = await get(url, undefined);
      expect(reply.status, route).toBe(401);
      expect(reply.body.error?.code, route).toBe("UNAUTHENTICATED");
    }
  });

  it("answer 404 for another team's scan run and for a framework of a provider only the other team has", async () => {
    expect((await get(`/scan-runs/${runOfB}`, a)).body.error?.code).toBe("NOT_FOUND");
    expect((await get(`/scan-runs/${runOfA}`, b)).body.error?.code).toBe("NOT_FOUND");
    expect((await get(`/scan-runs/${runOfB}`, b)).status).toBe(200);
    expect((await get("/compliance/frameworks/azure_cis-2.0", a)).status).toBe(404);
    expect((await get("/compliance/frameworks/azure_cis-2.0", b)).status).toBe(200);
    expect((await get("/compliance/frameworks/aws_cis-7.7", a)).body.error?.code).toBe("NOT_FOUND");
  });

  it("never mix the teams' figures", async () => {
    const pa = (await get("/overview/providers", a)).body.data;
    const pb = (await get("/overview/providers", b)).body.data;
    expect(pa).toEqual(wire(await svc().overview.getProviderOverview(teamOf(a))));
    expect(pb).toEqual(wire(await svc().overview.getProviderOverview(teamOf(b))));
    expect(pb.providers.map((p: { provider: string }) => p.provider)).toContain("azure");
    expect(pa.providers.map((p: { provider: string }) => p.provider)).not.toContain("azure");
    const runsA = (await get("/scan-runs?limit=200", a)).body.data.items.map((r: { id: string }) => r.id);
    const runsB = (await get("/scan-runs?limit=200", b)).body.data.items.map((r: { id: string }) => r.id);
    expect(runsA).toContain(runOfA);
    expect(runsA.filter((id: string) => runsB.includes(id))).toEqual([]);
  });
});
