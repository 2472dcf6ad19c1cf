/**
 * A MongoDB that stalls must not hang the HTTP API: with the connection open and nothing coming back,
 * every route that touches MongoDB answers 503 `UNAVAILABLE` in the envelope within the operation timeout
 * (plus slack), and the same process answers normally again once traffic flows. Every registered route is
 * exercised (the table below must name each one); the stall is a loopback proxy that stops forwarding.
 */
import { startTcpProxy, type TcpProxy, testMongoUri } from "@cspm/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiTestbed, openApiTestbed } from "./apiTestbed";
import type { HttpCall } from "./httpClient";

const TIMEOUT_MS = 1_000;
/** The bound is the timeout plus one second; the measured worst case is printed. */
const BOUND_MS = TIMEOUT_MS + 1_000;
const TEAM = "team_api_stall";
const AWS = { access_key_id: "AKIAIOSFODNN7EXAMPLE", secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" };
const ID = "0123456789abcdef01234567";

/** Routes that never reach MongoDB: they answer as usual during the stall. */
const NO_DATABASE = new Set(["GET /", "GET /dashboard/assets/*"]);

/** A valid request for each route (ids need not exist: the stall comes first). */
const REQUESTS: Record<string, Omit<HttpCall, "headers">> = {
  "GET /": { method: "GET", path: "/" },
  // The page names its (content-hashed) assets; the first one is filled in before the stall.
  "GET /dashboard/assets/*": { method: "GET", path: "/dashboard/assets/" },
  "GET /health": { method: "GET", path: "/health" },
  "GET /accounts": { method: "GET", path: "/accounts?limit=5" },
  "POST /accounts": {
    method: "POST",
    path: "/accounts",
    json: { provider: "aws", accountId: "210987654321", name: "x", credentials: AWS },
  },
  "GET /accounts/:id": { method: "GET", path: `/accounts/${ID}` },
  "PATCH /accounts/:id": { method: "PATCH", path: `/accounts/${ID}`, json: { name: "renamed" } },
  "PUT /accounts/:id/credentials": { method: "PUT", path: `/accounts/${ID}/credentials`, json: AWS },
  "POST /accounts/:id/deactivate": { method: "POST", path: `/accounts/${ID}/deactivate`, json: { reason: "stall" } },
  "DELETE /accounts/:id": { method: "DELETE", path: `/accounts/${ID}` },
  "GET /dashboard/summary": { method: "GET", path: "/dashboard/summary" },
  "GET /scan-activity": { method: "GET", path: "/scan-activity" },
  "POST /assessments": {
    method: "POST",
    path: "/assessments",
    json: { name: "x", frameworkIds: ["soc2"], frequency: "monthly", startDate: "2024-07-01" },
  },
  "GET /assessments": { method: "GET", path: "/assessments" },
  "GET /assessments/:id": { method: "GET", path: `/assessments/${ID}` },
  "GET /assessments/:id/evidence": { method: "GET", path: `/assessments/${ID}/evidence` },
  "POST /findings/import": { method: "POST", path: "/findings/import?account_id=111111111111", json: [] },
  "GET /me": { method: "GET", path: "/me" },
  "POST /api-keys": { method: "POST", path: "/api-keys", json: { name: "k", role: "viewer" } },
  "GET /api-keys": { method: "GET", path: "/api-keys" },
  "POST /api-keys/:id/revoke": { method: "POST", path: `/api-keys/${ID}/revoke` },
  "GET /members": { method: "GET", path: "/members" },
  "POST /members": { method: "POST", path: "/members", json: { email: "stall@example.com", name: "S", role: "viewer" } },
  "PATCH /members/:id": { method: "PATCH", path: `/members/${ID}`, json: { role: "viewer" } },
  "DELETE /members/:id": { method: "DELETE", path: `/members/${ID}` },
  "GET /roles": { method: "GET", path: "/roles" },
  "POST /roles": { method: "POST", path: "/roles", json: { name: "stallrole", permissions: ["read"] } },
  "DELETE /roles/:name": { method: "DELETE", path: "/roles/stallrole" },
  "POST /sessions": { method: "POST", path: "/sessions" },
  "POST /sessions/rotate": { method: "POST", path: "/sessions/rotate" },
  "POST /sessions/revoke": { method: "POST", path: "/sessions/revoke" },
  "GET /audit-log": { method: "GET", path: "/audit-log?limit=5" },
  "GET /findings": { method: "GET", path: "/findings?severity=high&limit=5" },
  "GET /findings/facets": { method: "GET", path: "/findings/facets?status=FAIL" },
  "GET /findings/:id": { method: "GET", path: `/findings/${ID}` },
  "GET /mute-rules": { method: "GET", path: "/mute-rules" },
  "POST /mute-rules": { method: "POST", path: "/mute-rules", json: { name: "stall", reason: "stall", regions: ["us-east-1"] } },
  "PATCH /mute-rules/:id": { method: "PATCH", path: `/mute-rules/${ID}`, json: { enabled: false } },
  "DELETE /mute-rules/:id": { method: "DELETE", path: `/mute-rules/${ID}` },
  "GET /overview/providers": { method: "GET", path: "/overview/providers" },
  "GET /overview/services": { method: "GET", path: "/overview/services" },
  "GET /overview/regions": { method: "GET", path: "/overview/regions" },
  "GET /overview/severity-trend": { method: "GET", path: "/overview/severity-trend?days=7" },
  "GET /overview/findings-trend": { method: "GET", path: "/overview/findings-trend?days=7" },
  "GET /compliance/frameworks": { method: "GET", path: "/compliance/frameworks" },
  "GET /compliance/frameworks/:id": { method: "GET", path: "/compliance/frameworks/aws_cis-2.0" },
  "GET /scan-runs": { method: "GET", path: "/scan-runs?limit=5" },
  "GET /scan-runs/:id": { method: "GET", path: `/scan-runs/${ID}` },
  "GET /vulnerabilities": { method: "GET", path: "/vulnerabilities?limit=5" },
  "GET /vulnerabilities/summary": { method: "GET", path: "/vulnerabilities/summary" },
  "GET /ai-models": { method: "GET", path: "/ai-models?limit=5" },
};

let proxy: TcpProxy;
let bed: ApiTestbed;
let auth: Record<string, string>;

beforeAll(async () => {
  const target = new URL(testMongoUri());
  proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) });
  bed = await openApiTestbed({
    label: "apistall",
    maxSockets: 64,
    uri: `mongodb://${proxy.address}/?directConnection=true`,
    operationTimeoutMS: TIMEOUT_MS,
  });
  auth = await bed.auth(TEAM, "owner");
  const page = await bed.http.send({ method: "GET", path: "/" });
  const asset = /\/dashboard\/assets\/[^"']+/.exec(page.text)?.[0];
  expect(asset).toBeDefined();
  REQUESTS["GET /dashboard/assets/*"] = { method: "GET", path: asset as string };
  // Warm: the key is known and the connection pool open before the stall.
  expect((await bed.http.send({ method: "GET", path: "/me", headers: auth })).status).toBe(200);
}, 120_000);

afterAll(async () => {
  proxy?.stall(false);
  await bed?.close();
  await proxy?.stop();
});

describe("a stalled MongoDB behind the HTTP API", () => {
  it("the request table names every registered route", () => {
    expect(bed.routes.filter((route) => REQUESTS[route] === undefined)).toEqual([]);
  });

  it("every route that needs MongoDB answers 503 UNAVAILABLE in the envelope within the timeout plus a second", async () => {
    proxy.stall(true);
    const slow: string[] = [];
    const wrong: string[] = [];
    let worst = 0;
    try {
      // All at once: a stalled server must not turn concurrent requests into a queue either.
      const answers = await Promise.all(
        bed.routes.map(async (route) => {
          const started = performance.now();
          const response = await bed.http.send({ ...(REQUESTS[route] as HttpCall), headers: auth });
          return { route, response, elapsed: performance.now() - started };
        }),
      );
      for (const { route, response, elapsed } of answers) {
        if (NO_DATABASE.has(route)) {
          if (response.status !== 200) wrong.push(`${route}: ${response.status} (needs no database)`);
          continue;
        }
        worst = Math.max(worst, elapsed);
        const body = response.body as { success?: boolean; error?: { code?: string } } | undefined;
        if (response.status !== 503 || body?.success !== false || body.error?.code !== "UNAVAILABLE") {
          wrong.push(`${route}: ${response.status} ${response.text.slice(0, 120)}`);
        }
        if (elapsed > BOUND_MS) slow.push(`${route}: ${Math.round(elapsed)} ms`);
      }
    } finally {
      proxy.stall(false);
    }
    process.stdout.write(`API stall: worst route answered in ${Math.round(worst)} ms (timeout ${TIMEOUT_MS} ms)\n`);
    expect(wrong).toEqual([]);
    expect(slow).toEqual([]);
  }, 180_000);

  it("answers normally once MongoDB answers again", async () => {
    let status = 0;
    for (let attempt = 0; attempt < 50 && status !== 200; attempt++) {
      status = (await bed.http.send({ method: "GET", path: "/accounts", headers: auth })).status;
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(status).toBe(200);
    expect((await bed.http.send({ method: "GET", path: "/health" })).status).toBe(200);
  }, 60_000);
});
