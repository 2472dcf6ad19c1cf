/**
 * Identity, access and audit through the HTTP API: no route but /health and / without a valid credential,
 * 403 for a viewer on every mutating route, 404 for another team's ids, sessions and JWTs, rate limits, and a
 * property-style run of random mutations by random actors, each with exactly one audit entry — and no
 * credential anywhere it should not be.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateSampleFindings, runCli, seededRandom } from "@cspm-example/worker";
import { createServiceContainer, type ServiceContainer, TOKENS } from "@cspm/container";
import { dropDatabasesWithPrefix, testDatabasePrefix, testMongoUri } from "@cspm/testkit";
import type { FastifyInstance, InjectOptions } from "fastify";
import { exportJWK, generateKeyPair, type JWTPayload, type KeyLike, SignJWT } from "jose";
import { MongoClient } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API_ROUTES, buildApp } from "./buildApp";
import { type DemoSeedResult, seedDemoData, type SeededTeam, writeDemoCredentials } from "./seedDemoData";

const prefix = testDatabasePrefix("apiauth");
const KEYS = `k1:${Buffer.alloc(32, 7).toString("base64")}`;
const ISSUER = "https://idp.example.test";
const AUDIENCE = "cspm-example-api";
const AWS_SECRET = "Zq3vN8x/Lm2Pw7Rt5Yb1Kc9Hd4Fg6Js0Ae+AuthTest";

let client: MongoClient;
let services: ServiceContainer;
let app: FastifyInstance;
let seed: DemoSeedResult;
let a: SeededTeam;
let b: SeededTeam;
let clockOffsetMs = 0;
let signingKey: KeyLike;
let strangerKey: KeyLike;
const logLines: string[] = [];
/** Every credential issued in this file: none may appear in logs, later responses, errors or the database. */
const issuedTokens = new Set<string>();

interface Envelope {
  success: boolean;
  data?: any;
  error?: { code: string; message: string; details?: any };
}
interface Reply {
  status: number;
  body: Envelope;
  headers: Record<string, unknown>;
  text: string;
}

async function send(
  method: string,
  url: string,
  token: string | undefined,
  body?: unknown,
  headers: Record<string, string> = {},
  target = app,
): Promise<Reply> {
  const request: InjectOptions = {
    method: method as NonNullable<InjectOptions["method"]>,
    url,
    headers: {
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...headers,
    },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  };
  const response = await target.inject(request);
  return {
    status: response.statusCode,
    body: response.json() as Envelope,
    headers: response.headers as Record<string, unknown>,
    text: response.body,
  };
}

async function jwt(claims: JWTPayload, options: { key?: KeyLike; audience?: string } = {}): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "RS256", kid: "idp-1" })
    .setIssuer(ISSUER)
    .setAudience(options.audience ?? AUDIENCE)
    .setSubject(typeof claims.sub === "string" ? claims.sub : "idp|alice")
    .setIssuedAt()
    .setExpirationTime("10m")
    .sign(options.key ?? signingKey);
}

function database(key: "PLATFORM" | "CLOUD_SECURITY") {
  return client.db(services.resolve(TOKENS.DatabaseManager).databaseName(key));
}

function owner(team: SeededTeam): string {
  return team.tokens?.owner as string;
}
function viewer(team: SeededTeam): string {
  return team.tokens?.viewer as string;
}

const catalogRole = "auditor";
let bIds: { account: string; assessment: string; key: string; member: string; finding: string; muteRule: string };
let aIds: { account: string; assessment: string; key: string; member: string; finding: string; muteRule: string };

/** A concrete request for every route of `API_ROUTES` (team A's ids), with a valid body. */
function concrete(route: string, ids = aIds): { method: string; url: string; body?: unknown } {
  const [method, template] = route.split(" ") as [string, string];
  const url = template
    .replace(
      ":id",
      template.startsWith("/accounts")
        ? ids.account
        : template.startsWith("/assessments")
          ? ids.assessment
          : template.startsWith("/api-keys")
            ? ids.key
            : template.startsWith("/findings")
              ? ids.finding
              : template.startsWith("/mute-rules")
                ? ids.muteRule
                : template.startsWith("/scan-runs") || template.startsWith("/compliance")
                  ? "0123456789abcdef01234567"
                  : ids.member,
    )
    .replace(":name", catalogRole);
  const bodies: Record<string, unknown> = {
    "POST /accounts": {
      provider: "aws",
      accountId: "210987654321",
      name: "x",
      credentials: { access_key_id: "AKIAIOSFODNN7EXAMPLE", secret_access_key: AWS_SECRET },
    },
    "PATCH /accounts/:id": { name: "renamed" },
    "POST /assessments": { name: "x", frameworkIds: ["aws_soc2"], frequency: "monthly", startDate: "2024-07-01" },
    "POST /findings/import": [...generateSampleFindings({ format: "ocsf", count: 2, accountId: a.accounts[0]?.account_id as string })],
    "POST /api-keys": { name: "k", role: "viewer" },
    "POST /members": { email: `m${randomBytes(4).toString("hex")}@example.com`, name: "M", role: "viewer" },
    "PATCH /members/:id": { role: "viewer" },
    "POST /roles": { name: `r${randomBytes(3).toString("hex")}`, permissions: ["read"] },
    "POST /mute-rules": { name: "m", reason: "accepted risk", regions: ["us-east-1"] },
    "PATCH /mute-rules/:id": { enabled: false },
  };
  return { method, url, ...(route in bodies ? { body: bodies[route] } : {}) };
}

beforeAll(async () => {
  client = await MongoClient.connect(testMongoUri());
  const pair = await generateKeyPair("RS256");
  signingKey = pair.privateKey;
  strangerKey = (await generateKeyPair("RS256")).privateKey;
  const jwksFile = join(mkdtempSync(join(tmpdir(), "cspm-api-jwks-")), "jwks.json");
  writeFileSync(jwksFile, JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: "idp-1", alg: "RS256", use: "sig" }] }));
  services = createServiceContainer(
    { mongodb: { uri: testMongoUri(), prefix }, encryptionKeys: KEYS, auth: { jwksFile, issuer: ISSUER, audience: AUDIENCE } },
    { clock: () => new Date(Date.now() + clockOffsetMs) },
  );
  await services.initialize({ ensureIndexes: true });
  seed = await seedDemoData(services, { teams: 2, accountsPerTeam: 1, findingsPerAccount: 5, output: null });
  [a, b] = seed.teams as [SeededTeam, SeededTeam];
  for (const t of seed.teams) for (const token of Object.values(t.tokens ?? {})) issuedTokens.add(token);
  app = buildApp({ services, rateLimit: false, logger: { level: "trace", stream: { write: (line: string) => logLines.push(line) } } });
  await app.ready();
  const idsOf = async (team: SeededTeam) => {
    const key = await send("POST", "/api-keys", owner(team), { name: "spare", role: "viewer" });
    issuedTokens.add(key.body.data.token);
    const member = await send("POST", "/members", owner(team), { email: `spare@${team.team_id}.example`, name: "Spare", role: "viewer" });
    expect((await send("POST", "/roles", owner(team), { name: catalogRole, permissions: ["read", "read_audit_log"] })).status).toBe(201);
    const finding = await send("GET", "/findings?limit=1", owner(team));
    const rule = await send("POST", "/mute-rules", owner(team), { name: "spare", reason: "spare rule", checkIds: ["no_such_check"] });
    return {
      account: team.accounts[0]?.id as string,
      assessment: team.assessment_id as string,
      key: key.body.data.key.id as string,
      member: member.body.data.id as string,
      finding: finding.body.data.items[0].id as string,
      muteRule: rule.body.data.rule.id as string,
    };
  };
  aIds = await idsOf(a);
  bIds = await idsOf(b);
}, 120_000);

afterAll(async () => {
  await app?.close();
  await services?.dispose();
  await dropDatabasesWithPrefix(client, prefix);
  await client?.close();
});

const TEAM_ROUTES = API_ROUTES.filter((r) => r !== "GET /health");
const MUTATING = API_ROUTES.filter((r) => !r.startsWith("GET "));

describe("authentication on every route", () => {
  it("/health and / are public and say nothing about tenants", async () => {
    const health = await send("GET", "/health", undefined);
    expect(health.status).toBe(200);
    expect(health.text).not.toContain(a.team_id);
    // `/` is the dashboard page (HTML): it signs in in the browser, with a key of its own.
    const page = await app.inject({ method: "GET", url: "/" });
    expect(page.statusCode).toBe(200);
    expect(page.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(page.body).not.toContain(a.team_id);
  });

  it("every other route answers 401 without a credential, with a revoked key, an expired session, a JWT of another key or audience", async () => {
    const revoked = await send("POST", "/api-keys", owner(a), { name: "to revoke", role: "admin" });
    issuedTokens.add(revoked.body.data.token);
    expect((await send("POST", `/api-keys/${revoked.body.data.key.id}/revoke`, owner(a))).body.data.status).toBe("revoked");
    const login = await jwt({ team_id: a.team_id, role: "admin", email: "short@example.com", sub: "idp|short" });
    const session = await send("POST", "/sessions", login);
    expect(session.status, session.text).toBe(201);
    const expiring = session.body.data.token as string;
    issuedTokens.add(expiring);
    expect((await send("GET", "/me", expiring)).status).toBe(200);
    clockOffsetMs = 13 * 3_600_000; // past the 12 h session lifetime
    try {
      const credentials: Record<string, string | undefined> = {
        none: undefined,
        revoked: revoked.body.data.token,
        "expired session": expiring,
        "JWT of another key": await jwt({ team_id: a.team_id, role: "owner" }, { key: strangerKey }),
        "JWT for another audience": await jwt({ team_id: a.team_id, role: "owner" }, { audience: "some-other-api" }),
        garbage: "not-a-token",
      };
      const failures: string[] = [];
      for (const route of TEAM_ROUTES) {
        const call = concrete(route);
        for (const [name, token] of Object.entries(credentials)) {
          const reply = await send(call.method, call.url, token, call.body);
          if (reply.status !== 401 || reply.body.error?.code !== "UNAUTHENTICATED" || reply.body.success !== false)
            failures.push(`${route} with ${name}: ${reply.status}`);
        }
      }
      expect(failures).toEqual([]);
      expect(TEAM_ROUTES.length).toBeGreaterThan(25);
    } finally {
      clockOffsetMs = 0;
    }
  }, 60_000);

  it("1,000 random tokens answer 401, alike", async () => {
    const bodies = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const token =
        i % 2 === 0 ? `cspm-ak.${a.team_id}.${randomBytes(32).toString("base64url")}` : randomBytes(1 + (i % 60)).toString("base64url");
      const reply = await send("GET", "/accounts", token);
      expect(reply.status).toBe(401);
      bodies.add(JSON.stringify(reply.body));
    }
    // One answer for every refusal: nothing tells a well-formed guess from garbage.
    expect(bodies.size).toBe(1);
  }, 60_000);
});

describe("authorization", () => {
  it("a viewer gets 403 FORBIDDEN on every mutating route, and nothing changes", async () => {
    const before = await database("CLOUD_SECURITY").collection("enhanced_cloud_accounts").countDocuments();
    const failures: string[] = [];
    for (const route of MUTATING) {
      const call = concrete(route);
      const reply = await send(call.method, call.url, viewer(a), call.body, { "x-request-id": `viewer-${route.replace(/\W+/g, "-")}` });
      if (reply.status !== 403 || reply.body.error?.code !== "FORBIDDEN")
        failures.push(`${route}: ${reply.status} ${reply.text.slice(0, 120)}`);
    }
    expect(failures).toEqual([]);
    expect(await database("CLOUD_SECURITY").collection("enhanced_cloud_accounts").countDocuments()).toBe(before);
    // Each refusal is in the audit log once.
    const audit = database("PLATFORM").collection("audit_logs");
    for (const route of MUTATING) {
      const entries = await audit.find({ request_id: `viewer-${route.replace(/\W+/g, "-")}` }).toArray();
      expect(
        entries.map((e) => [e.actor.role, e.outcome === "success"]),
        route,
      ).toEqual([["viewer", false]]);
    }
  });

  it("an owner of team A gets 404 for team B's ids, and B's data stays as it was", async () => {
    const routes = [
      "GET /accounts/:id",
      "PATCH /accounts/:id",
      "GET /assessments/:id",
      "GET /assessments/:id/evidence",
      "GET /findings/:id",
      "PATCH /mute-rules/:id",
      "DELETE /mute-rules/:id",
      "POST /api-keys/:id/revoke",
      "PATCH /members/:id",
      "DELETE /members/:id",
      "DELETE /roles/:name",
    ];
    await send("DELETE", "/roles/auditor", owner(a)); // A's own role of that name is gone; B's remains
    const failures: string[] = [];
    for (const route of routes) {
      const call = concrete(route, bIds);
      const reply = await send(call.method, call.url, owner(a), call.body);
      if (reply.status !== 404 || reply.body.error?.code !== "NOT_FOUND")
        failures.push(`${route}: ${reply.status} ${reply.text.slice(0, 120)}`);
    }
    expect(failures).toEqual([]);
    const keys = await send("GET", "/api-keys?limit=100", owner(b));
    expect(keys.body.data.items.find((k: { id: string }) => k.id === bIds.key).status).toBe("active");
    expect((await send("GET", "/roles", owner(b))).body.data.map((r: { name: string }) => r.name)).toContain("auditor");
    expect((await send("GET", `/accounts/${bIds.account}`, owner(b))).body.data.name).not.toBe("renamed");
  });

  it("a viewer reads; the audit log needs read_audit_log and pages by keyset", async () => {
    expect((await send("GET", "/accounts", viewer(a))).status).toBe(200);
    expect((await send("GET", "/audit-log", viewer(a))).status).toBe(403);
    const first = await send("GET", "/audit-log?limit=3&action=api_key.create", owner(a));
    expect(first.status, first.text).toBe(200);
    expect(first.body.data.items).toHaveLength(3);
    const second = await send(
      "GET",
      `/audit-log?limit=3&action=api_key.create&cursor=${encodeURIComponent(first.body.data.next_cursor)}`,
      owner(a),
    );
    const ids = [...first.body.data.items, ...second.body.data.items].map((e: { id: string }) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(
      [...first.body.data.items, ...second.body.data.items].every(
        (e: { action: string; team_id: string }) => e.action === "api_key.create" && e.team_id === a.team_id,
      ),
    ).toBe(true);
    expect((await send("GET", "/audit-log?outcome=maybe", owner(a))).status).toBe(400);
  });
});

describe("sessions and JWTs", () => {
  it("a JWT opens a session for its (just-in-time) member; the session rotates and ends", async () => {
    const login = await jwt({ team_id: a.team_id, role: "analyst", email: "Dana@Example.com", sub: "idp|dana" });
    expect((await send("GET", "/me", login)).body.data).toMatchObject({ via: "jwt", role: "analyst", team_id: a.team_id });
    const opened = await send("POST", "/sessions", login);
    expect(opened.status, opened.text).toBe(201);
    expect(opened.headers["cache-control"]).toBe("no-store");
    const token = opened.body.data.token as string;
    issuedTokens.add(token);
    expect((await send("GET", "/me", token)).body.data).toMatchObject({ via: "session", role: "analyst", label: "dana@example.com" });
    const rotated = await send("POST", "/sessions/rotate", token);
    issuedTokens.add(rotated.body.data.token);
    expect((await send("GET", "/me", token)).status).toBe(401);
    expect((await send("GET", "/me", rotated.body.data.token)).status).toBe(200);
    expect((await send("POST", "/sessions/revoke", rotated.body.data.token)).status).toBe(200);
    expect((await send("GET", "/me", rotated.body.data.token)).status).toBe(401);
    expect((await send("POST", "/sessions", owner(a))).status).toBe(403);
    const members = (await send("GET", "/members", owner(a))).body.data.map((m: { email: string }) => m.email);
    expect(members).toContain("dana@example.com");
  });
});

describe("rate limits", () => {
  it("count per credential and answer 429 RATE_LIMITED in the envelope with retry-after", async () => {
    const limited = buildApp({ services, rateLimit: { max: 3, timeWindowMs: 60_000 } });
    try {
      for (let i = 0; i < 3; i++) expect((await send("GET", "/me", viewer(a), undefined, {}, limited)).status).toBe(200);
      const over = await send("GET", "/me", viewer(a), undefined, {}, limited);
      expect(over.status).toBe(429);
      expect(over.body).toMatchObject({ success: false, error: { code: "RATE_LIMITED" } });
      expect(Number(over.headers["retry-after"])).toBeGreaterThan(0);
      expect(over.body.error?.details.retry_after_seconds).toBeGreaterThan(0);
      // Another credential has its own budget.
      expect((await send("GET", "/me", owner(a), undefined, {}, limited)).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});

describe("the audit trail under random mutations by random actors", () => {
  it("every acknowledged mutation has exactly one entry with its actor and outcome; no credential is stored, logged or echoed", async () => {
    const random = seededRandom("audit-property");
    const actors = [
      { name: "A owner", token: owner(a), team: a },
      { name: "A viewer", token: viewer(a), team: a },
      { name: "B owner", token: owner(b), team: b },
      { name: "B viewer", token: viewer(b), team: b },
    ];
    const analyst = await send("POST", "/api-keys", owner(a), { name: "analyst", role: "analyst" });
    issuedTokens.add(analyst.body.data.token);
    actors.push({ name: "A analyst", token: analyst.body.data.token, team: a });
    const createdKeys: string[] = [aIds.key, bIds.key];
    const later: Reply[] = [];
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random.next() * list.length)] as T;
    const ops: ((team: SeededTeam) => { method: string; url: string; body?: unknown })[] = [
      () => ({
        method: "POST",
        url: "/accounts",
        body: {
          provider: "aws",
          accountId: random.next() < 0.3 ? "bad" : String(100000000000 + Math.floor(random.next() * 899999999999)),
          name: "Random",
          credentials: { access_key_id: "AKIAIOSFODNN7EXAMPLE", secret_access_key: AWS_SECRET },
        },
      }),
      (t) => ({
        method: "PATCH",
        url: `/accounts/${pick([t.accounts[0]?.id, aIds.account, bIds.account])}`,
        body: { name: `n${Math.floor(random.next() * 1000)}` },
      }),
      () => ({
        method: "POST",
        url: "/assessments",
        body: { name: "Random", frameworkIds: [pick(["aws_soc2", "nist_imaginary"])], frequency: "monthly", startDate: "2024-07-01" },
      }),
      () => ({ method: "POST", url: "/api-keys", body: { name: "r", role: pick(["viewer", "analyst", "admin", "owner"]) } }),
      () => ({ method: "POST", url: `/api-keys/${pick(createdKeys)}/revoke` }),
      () => ({
        method: "POST",
        url: "/members",
        body: {
          email: `u${Math.floor(random.next() * 50)}@example.com`,
          name: "U",
          role: pick(["viewer", "analyst", "admin", "owner", "nope"]),
        },
      }),
      (t) => ({
        method: "POST",
        url: "/findings/import",
        body: [
          ...generateSampleFindings({
            format: "ocsf",
            count: 2,
            accountId: t.accounts[0]?.account_id as string,
            seed: String(random.next()),
          }),
        ],
      }),
    ];
    const expected: {
      requestId: string;
      actor: string;
      team: string;
      status: number;
      code: string | undefined;
      reason: string | undefined;
    }[] = [];
    for (let i = 0; i < 60; i++) {
      const actor = pick(actors);
      const call = pick(ops)(actor.team);
      const requestId = `prop-${i}`;
      const reply = await send(call.method, call.url, actor.token, call.body, { "x-request-id": requestId });
      if (reply.status === 201 && typeof reply.body.data?.token === "string") {
        issuedTokens.add(reply.body.data.token);
        createdKeys.push(reply.body.data.key.id);
      } else {
        later.push(reply);
      }
      const who = (await send("GET", "/me", actor.token)).body.data;
      expected.push({
        requestId,
        actor: who.id,
        team: actor.team.team_id,
        status: reply.status,
        code: reply.body.error?.code,
        reason: reply.body.error?.details?.reason,
      });
    }
    expect(new Set(expected.map((e) => e.status >= 400)).size).toBe(2); // both outcomes occurred

    const audit = database("PLATFORM").collection("audit_logs");
    for (const e of expected) {
      const entries = await audit.find({ request_id: e.requestId }).toArray();
      expect(entries, e.requestId).toHaveLength(1);
      const entry = entries[0] as Record<string, any>;
      expect(entry.actor.id).toBe(e.actor);
      expect(entry.team_id).toBe(e.team);
      const outcome = e.status < 300 ? "success" : e.reason === "PERMISSION_DENIED" ? "denied" : "failure";
      expect(entry.outcome, `${e.requestId} ${e.status} ${e.code}`).toBe(outcome);
      if (outcome !== "success") expect(entry.error_code).toBe(e.code);
    }
    expect(await database("PLATFORM").collection("audit_outbox").countDocuments()).toBe(0);

    // The secret scanner: no token or credential secret in the database, the logs, or any later response.
    const dump: string[] = [];
    for (const db of (await client.db().admin().listDatabases()).databases.filter((d) => d.name.startsWith(prefix))) {
      for (const c of await client.db(db.name).listCollections().toArray()) {
        for (const doc of await client.db(db.name).collection(c.name).find({}).toArray()) dump.push(JSON.stringify(doc));
      }
    }
    const haystacks = { database: dump.join("\n"), logs: logLines.join("\n"), responses: later.map((r) => r.text).join("\n") };
    const needles = [...issuedTokens].flatMap((token) => {
      const secret = token.split(".").pop() as string;
      return [secret, secret.slice(10, 26), Buffer.from(secret).toString("base64"), Buffer.from(token).toString("hex")];
    });
    needles.push(AWS_SECRET, Buffer.from(AWS_SECRET).toString("base64"));
    expect(issuedTokens.size).toBeGreaterThan(8);
    for (const [where, text] of Object.entries(haystacks)) {
      const leaks = needles.filter((needle) => text.includes(needle));
      expect(leaks, where).toEqual([]);
    }
    expect(logLines.length).toBeGreaterThan(50);
  }, 120_000);
});

describe("demo credentials and the CLI", () => {
  it("the demo seed's keys go to a 0600 JSON file in the documented shape", () => {
    const file = join(mkdtempSync(join(tmpdir(), "cspm-demo-creds-")), "credentials.json");
    writeFileSync(file, "old", { mode: 0o644 });
    writeDemoCredentials(file, seed);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const written = JSON.parse(readFileSync(file, "utf8"));
    expect(written).toEqual({
      teams: seed.teams.map((t) => ({ team_id: t.team_id, name: t.name, tokens: { owner: t.tokens?.owner, viewer: t.tokens?.viewer } })),
    });
  });

  it("the worker CLI imports through the API with a bearer token, and is refused without one", async () => {
    const listening = buildApp({ services, rateLimit: false });
    await listening.listen({ host: "127.0.0.1", port: 0 });
    try {
      const address = listening.server.address() as { port: number };
      const file = join(mkdtempSync(join(tmpdir(), "cspm-cli-api-")), "findings.json");
      const account = a.accounts[0] as { account_id: string };
      writeFileSync(
        file,
        JSON.stringify([...generateSampleFindings({ format: "ocsf", count: 4, accountId: account.account_id, seed: "cli-api" })]),
      );
      const run = async (env: Record<string, string>) => {
        let stdout = "";
        let stderr = "";
        const code = await runCli(
          ["import", file, "--api", `http://127.0.0.1:${address.port}`, "--account", account.account_id, "--json"],
          {
            env,
            stdout: (t) => (stdout += t),
            stderr: { write: (t: string) => (stderr += t), isTTY: false },
          },
        );
        return { code, stdout, stderr };
      };
      const ok = await run({ CSPM_API_TOKEN: owner(a) });
      expect(ok.code, ok.stderr).toBe(0);
      const report = JSON.parse(ok.stdout);
      expect(report).toMatchObject({ status: "completed", records: 4, written: 4 });
      const [entry] = await database("PLATFORM")
        .collection("audit_logs")
        .find({ action: "findings.import", "metadata.scan_run_id": report.scan_run_id })
        .toArray();
      expect(entry).toMatchObject({ outcome: "success", actor: { type: "api_key", via: "api_key" } });
      expect((await run({})).code).toBe(2);
      const refused = await run({ CSPM_API_TOKEN: viewer(a) });
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/FORBIDDEN/);
    } finally {
      await listening.close();
    }
  });
});
