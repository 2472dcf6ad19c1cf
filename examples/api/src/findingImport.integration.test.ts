/**
 * `POST /findings/import` on `@cspm/ingest`, through the real app (`app.inject`) against the testkit's
 * MongoDB: a real Prowler OCSF file streamed from the shared fixtures (read in place, never copied), JSON
 * Lines, CSV, the streamed hard cap (413, nothing beyond whole committed batches), content types, a truncated
 * file (400 with the record index), 401/403/404, one audit entry per import, the dashboard cache dropped.
 */
import { createReadStream, readFileSync } from "node:fs";
import { Agent, request as httpRequest } from "node:http";
import { Readable } from "node:stream";
import { generateSampleFindings } from "@cspm-example/worker";
import { createServiceContainer, type ServiceContainer, TOKENS } from "@cspm/container";
import { ProwlerFindingRepository, ScanRunRepository } from "@cspm/domain";
import { dropDatabasesWithPrefix, realScanFixture, testDatabasePrefix, testMongoUri } from "@cspm/testkit";
import type { FastifyInstance, InjectOptions } from "fastify";
import { MongoClient } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "./buildApp";
import { type SeededTeam, seedDemoData } from "./seedDemoData";

const prefix = testDatabasePrefix("apiimport");
const KEYS = `k1:${Buffer.alloc(32, 9).toString("base64")}`;
/** The anonymised Prowler 5 AWS fixtures carry `<account_uid>`: they import with an explicit account. */
const FIXTURE_ACCOUNT = "123456789012";

let client: MongoClient;
let services: ServiceContainer;
let app: FastifyInstance;
let team: SeededTeam;
let accountDocId: string;
let requests = 0;

interface Reply {
  status: number;
  body: { success: boolean; data?: any; error?: { code: string; message: string; details?: any } };
  requestId: string;
}

async function post(
  query: string,
  payload: InjectOptions["payload"],
  contentType: string | undefined,
  options: { token?: string | null; target?: FastifyInstance } = {},
): Promise<Reply> {
  const token = options.token === undefined ? team.tokens?.owner : options.token;
  const requestId = `import-test-${++requests}`;
  const response = await (options.target ?? app).inject({
    method: "POST",
    url: `/findings/import${query}`,
    headers: {
      ...(token === null || token === undefined ? {} : { authorization: `Bearer ${token}` }),
      ...(contentType === undefined ? {} : { "content-type": contentType }),
      "x-request-id": requestId,
    },
    ...(payload === undefined ? {} : { payload }),
  });
  return { status: response.statusCode, body: response.json(), requestId };
}

function database(key: "PLATFORM" | "CLOUD_SECURITY") {
  return client.db(services.resolve(TOKENS.DatabaseManager).databaseName(key));
}

async function auditOf(requestId: string) {
  return database("PLATFORM").collection("audit_logs").find({ request_id: requestId }).toArray();
}

const findings = () => services.resolve(ProwlerFindingRepository).forTeam(team.team_id);
const scanRuns = () => services.resolve(ScanRunRepository).forTeam(team.team_id);

beforeAll(async () => {
  client = await MongoClient.connect(testMongoUri());
  services = createServiceContainer({ mongodb: { uri: testMongoUri(), prefix }, encryptionKeys: KEYS });
  await services.initialize({ ensureIndexes: true });
  const seed = await seedDemoData(services, { teams: 1, accountsPerTeam: 1, findingsPerAccount: 5, assessments: false, output: null });
  team = seed.teams[0] as SeededTeam;
  app = buildApp({ services, rateLimit: false });
  await app.ready();
  const registered = await app.inject({
    method: "POST",
    url: "/accounts",
    headers: { authorization: `Bearer ${team.tokens?.owner}`, "content-type": "application/json" },
    payload: JSON.stringify({ provider: "aws", accountId: FIXTURE_ACCOUNT, name: "Prowler fixture account" }),
  });
  expect(registered.statusCode, registered.body).toBe(201);
  accountDocId = registered.json().data.id;
}, 120_000);

afterAll(async () => {
  await app?.close();
  await services?.dispose();
  await dropDatabasesWithPrefix(client, prefix);
  await client?.close();
});

describe("POST /findings/import with @cspm/ingest", () => {
  it("streams a real Prowler 5 OCSF file into one completed scan run, audited once; a re-post is all unchanged", async () => {
    const path = realScanFixture("prowler/prowler-5-aws.ocsf.json");
    const records = (JSON.parse(readFileSync(path, "utf8")) as unknown[]).length;
    const dashboardBefore = (
      await app.inject({ method: "GET", url: "/dashboard/summary", headers: { authorization: `Bearer ${team.tokens?.owner}` } })
    ).json().data.totals.findings as number;

    const first = await post(`?account_id=${FIXTURE_ACCOUNT}&full=true`, createReadStream(path), "application/json");
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.body.data).toMatchObject({
      status: "completed",
      format: "prowler-ocsf",
      tool: "prowler",
      collection: "prowler_findings",
      records,
      rejected: 0,
      written: records,
      inserted: records,
      changed: 0,
      unchanged: 0,
      errors: [],
    });
    const run = await scanRuns().getById(first.body.data.scan_run_id);
    expect(run).toMatchObject({ status: "completed", account_id: FIXTURE_ACCOUNT, scanner: "prowler" });
    expect(await findings().count({ account_id: FIXTURE_ACCOUNT })).toBe(records);
    const entries = await auditOf(first.requestId);
    expect(entries.map((e) => [e.action, e.outcome, e.metadata?.scan_run_id])).toEqual([
      ["findings.import", "success", first.body.data.scan_run_id],
    ]);
    // The team's cached dashboard was dropped: the next read counts the imported findings.
    const dashboardAfter = (
      await app.inject({ method: "GET", url: "/dashboard/summary", headers: { authorization: `Bearer ${team.tokens?.owner}` } })
    ).json().data.totals.findings as number;
    expect(dashboardAfter).toBe(dashboardBefore + records);
    const account = await app.inject({
      method: "GET",
      url: `/accounts/${accountDocId}`,
      headers: { authorization: `Bearer ${team.tokens?.owner}` },
    });
    expect(account.json().data.last_scan_status).toBe("completed");

    const again = await post(`?account_id=${accountDocId}`, createReadStream(path), "application/octet-stream");
    expect(again.status, JSON.stringify(again.body)).toBe(201);
    expect(again.body.data).toMatchObject({ status: "completed", inserted: 0, unchanged: records, written: records });
    expect(await findings().count({ account_id: FIXTURE_ACCOUNT })).toBe(records);
  });

  it("reads JSON Lines (application/x-ndjson) and CSV (text/csv)", async () => {
    const ocsf = JSON.parse(readFileSync(realScanFixture("prowler/prowler-5-aws.ocsf.json"), "utf8")) as unknown[];
    const lines = ocsf.map((record) => JSON.stringify(record)).join("\n");
    const ndjson = await post(`?account_id=${FIXTURE_ACCOUNT}`, lines, "application/x-ndjson");
    expect(ndjson.status, JSON.stringify(ndjson.body)).toBe(201);
    expect(ndjson.body.data).toMatchObject({ format: "prowler-ocsf", records: ocsf.length, written: ocsf.length, rejected: 0 });

    const csvPath = realScanFixture("prowler/prowler-5-aws.csv");
    const csv = await post(`?account_id=${FIXTURE_ACCOUNT}`, createReadStream(csvPath), "text/csv; charset=utf-8");
    expect(csv.status, JSON.stringify(csv.body)).toBe(201);
    expect(csv.body.data).toMatchObject({ status: "completed", format: "prowler-csv", rejected: 0 });
    expect(csv.body.data.written).toBeGreaterThan(0);
  });

  it("reports rejected records with their index, and answers 400 when nothing was importable", async () => {
    const sample = [...generateSampleFindings({ format: "ocsf", count: 3, accountId: FIXTURE_ACCOUNT, seed: "rejects" })];
    const withForeign = [...sample, ...generateSampleFindings({ format: "ocsf", count: 1, accountId: "999988887777" })];
    const partly = await post(`?account_id=${FIXTURE_ACCOUNT}`, JSON.stringify(withForeign), "application/json");
    expect(partly.status, JSON.stringify(partly.body)).toBe(201);
    expect(partly.body.data).toMatchObject({ written: 3, rejected: 1 });
    expect(partly.body.data.errors[0]).toMatchObject({ record: 3 });

    const nothing = await post(`?account_id=${FIXTURE_ACCOUNT}`, JSON.stringify(withForeign.slice(3)), "application/json");
    expect(nothing.status, JSON.stringify(nothing.body)).toBe(400);
    expect(nothing.body.error).toMatchObject({ code: "VALIDATION_FAILED", details: { reason: "NO_IMPORTABLE_RECORD", written: 0 } });
    expect((await scanRuns().getById(nothing.body.error?.details.scan_run_id)).status).toBe("failed");
    expect((await auditOf(nothing.requestId)).map((e) => [e.outcome, e.error_code])).toEqual([["failure", "VALIDATION_FAILED"]]);
  });

  it("answers 400 MALFORMED_INPUT with the record index for a truncated file, keeping only whole committed batches", async () => {
    const text = readFileSync(realScanFixture("prowler/prowler-5-aws.ocsf.json"), "utf8");
    const cut = text.slice(0, Math.floor(text.length * 0.7));
    const before = await findings().count({});
    const truncated = await post(`?account_id=${FIXTURE_ACCOUNT}&batch_size=1`, cut, "application/json");
    expect(truncated.status, JSON.stringify(truncated.body)).toBe(400);
    const details = truncated.body.error?.details;
    expect(truncated.body.error?.code).toBe("VALIDATION_FAILED");
    expect(details).toMatchObject({ reason: "MALFORMED_INPUT" });
    expect(details.record).toBeGreaterThan(0);
    expect(truncated.body.error?.message).toMatch(/not valid JSON after \d+ record/);
    // batch_size=1: every record before the cut is a whole committed batch, and nothing else was written.
    expect(details.written).toBe(details.record);
    const run = await scanRuns().getById(details.scan_run_id);
    expect(run.status).toBe("failed");
    expect(await findings().count({ scan_id: details.scan_run_id })).toBeLessThanOrEqual(details.written);
    expect(await findings().count({})).toBe(before); // the same findings as the first import: updated, none added
  });

  it("stops at the configured cap with 413 PAYLOAD_TOO_LARGE; only whole batches before it are stored", async () => {
    const limit = 64 * 1024;
    const small = buildApp({ services, rateLimit: false, importBodyLimit: limit });
    try {
      const accountId = "210987654321";
      const body = JSON.stringify([...generateSampleFindings({ format: "ocsf", count: 120, accountId, seed: "cap" })]);
      expect(body.length).toBeGreaterThan(2 * limit);
      // Streamed without a Content-Length: the cap is counted on the bytes as they arrive.
      const chunks = body.match(/[\s\S]{1,4096}/g) as string[];
      const over = await post("?batch_size=5", Readable.from(chunks), "application/json", { target: small });
      expect(over.status, JSON.stringify(over.body)).toBe(413);
      expect(over.body.error).toMatchObject({ code: "PAYLOAD_TOO_LARGE", details: { limit_bytes: limit } });
      const stored = await findings().count({ account_id: accountId });
      expect(stored).toBeGreaterThan(0);
      expect(stored % 5).toBe(0);
      expect(stored).toBeLessThan(120);
      const runs = await scanRuns().findMany({ account_id: accountId });
      expect(runs.map((r) => r.status)).toEqual(["failed"]);
      expect((await auditOf(over.requestId)).map((e) => [e.outcome, e.error_code])).toEqual([["failure", "PAYLOAD_TOO_LARGE"]]);

      // A declared Content-Length over the cap is refused before a byte is read: no run at all.
      const runsBefore = await scanRuns().count({});
      const declared = await post("", body, "application/json", { target: small });
      expect(declared.status).toBe(413);
      expect(await scanRuns().count({})).toBe(runsBefore);
    } finally {
      await small.close();
    }
  });

  it("refuses a content type it does not read, and one the bytes contradict", async () => {
    const xml = await post("", "<findings/>", "application/xml");
    expect(xml.status).toBe(400);
    expect(xml.body.error).toMatchObject({ code: "VALIDATION_FAILED", details: { reason: "CONTENT_TYPE_MISMATCH" } });
    expect(xml.body.error?.details.issues[0]).toMatchObject({ path: "headers.content-type" });
    const csvAsJson = await post(
      `?account_id=${FIXTURE_ACCOUNT}`,
      createReadStream(realScanFixture("prowler/prowler-5-aws.csv")),
      "application/json",
    );
    expect(csvAsJson.status).toBe(400);
    expect(csvAsJson.body.error?.details.reason).toBe("CONTENT_TYPE_MISMATCH");
    const unknown = await post("", JSON.stringify({ hello: "world" }), "application/json");
    expect(unknown.status).toBe(400);
    expect(unknown.body.error?.details.reason).toBe("UNKNOWN_FORMAT");
    const missing = await post("", undefined, undefined);
    expect(missing.status).toBe(400);
    expect(missing.body.error?.code).toBe("VALIDATION_FAILED");
    const badQuery = await post("?batch_size=0", "[]", "application/json");
    expect(badQuery.status).toBe(400);
    expect(badQuery.body.error?.details.issues).toEqual([{ path: "batch_size", message: "must be an integer from 1 to 1000" }]);
  });

  it("answers 401 without a credential, 403 to a viewer (audited, nothing written), 404 for an unknown account", async () => {
    const body = JSON.stringify([...generateSampleFindings({ format: "ocsf", count: 2, accountId: FIXTURE_ACCOUNT, seed: "denied" })]);
    const anonymous = await post("", body, "application/json", { token: null });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error?.code).toBe("UNAUTHENTICATED");
    const runsBefore = await scanRuns().count({});
    const viewer = await post(`?account_id=${FIXTURE_ACCOUNT}`, body, "application/json", { token: team.tokens?.viewer as string });
    expect(viewer.status).toBe(403);
    expect(viewer.body.error?.code).toBe("FORBIDDEN");
    expect((await auditOf(viewer.requestId)).map((e) => e.outcome)).toEqual(["denied"]);
    expect(await scanRuns().count({})).toBe(runsBefore);
    const unknown = await post("?account_id=555544443333", body, "application/json");
    expect(unknown.status).toBe(404);
    expect(unknown.body.error?.code).toBe("NOT_FOUND");
    expect(await scanRuns().count({})).toBe(runsBefore);
  });

  it("over real HTTP, answers a refused 2 MB body at once and keeps the keep-alive connection usable", async () => {
    const listening = buildApp({ services, rateLimit: false, importBodyLimit: 1024 * 1024 });
    await listening.listen({ host: "127.0.0.1", port: 0 });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const send = (body: string, contentType: string) =>
      new Promise<{ status: number; code: string | undefined }>((resolve, reject) => {
        const req = httpRequest(
          {
            host: "127.0.0.1",
            port: (listening.server.address() as { port: number }).port,
            method: "POST",
            path: "/findings/import",
            agent,
            headers: {
              authorization: `Bearer ${team.tokens?.owner}`,
              "content-type": contentType,
              "content-length": Buffer.byteLength(body),
            },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (chunk: Buffer) => chunks.push(chunk));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, code: JSON.parse(Buffer.concat(chunks).toString()).error?.code }));
          },
        );
        req.setTimeout(10_000, () => req.destroy(new Error("timed out")));
        req.on("error", reject);
        req.end(body);
      });
    try {
      const notAScan = JSON.stringify(["x".repeat(2 * 1024 * 1024)]);
      expect(await send(notAScan, "application/json")).toEqual({ status: 413, code: "PAYLOAD_TOO_LARGE" });
      const unknown = JSON.stringify(Array.from({ length: 50_000 }, () => "x"));
      expect(await send(unknown, "application/json")).toEqual({ status: 400, code: "VALIDATION_FAILED" });
      expect(await send("[]", "application/json")).toEqual({ status: 400, code: "VALIDATION_FAILED" });
    } finally {
      agent.destroy();
      await listening.close();
    }
  });

  it("is documented in the OpenAPI document with its content types, query and errors", async () => {
    const doc = (await app.inject({ method: "GET", url: "/openapi.json" })).json();
    const op = doc.paths["/findings/import"].post;
    expect(Object.keys(op.requestBody.content)).toEqual(expect.arrayContaining(["application/json", "application/x-ndjson", "text/csv"]));
    expect(op["x-permission"]).toBe("manage_scans");
    expect(op.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(["account_id", "scan_run_id", "full", "complete", "batch_size"]),
    );
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(["201", "400", "401", "403", "404", "413"]));
  });
});
