/**
 * The findings explorer and mute rule routes through HTTP (`app.inject`) on a container over the test
 * MongoDB, with two seeded teams: a happy path per route, 400 with the parameters' paths, 401, 403 for a
 * viewer on mute rule changes, 404 across teams, and a rule's effect on the list and the dashboard figures.
 */
import { createServiceContainer, type ServiceContainer } from "@cspm/container";
import { dropDatabasesWithPrefix, testDatabasePrefix, testMongoUri } from "@cspm/testkit";
import type { FastifyInstance } from "fastify";
import { MongoClient } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "./buildApp";
import { seedDemoData, type SeededTeam } from "./seedDemoData";

const prefix = testDatabasePrefix("apifind");
const KEYS = `k1:${Buffer.alloc(32, 9).toString("base64")}`;

let client: MongoClient;
let services: ServiceContainer;
let app: FastifyInstance;
let a: SeededTeam;
let b: SeededTeam;

interface Reply {
  status: number;
  body: { success: boolean; data?: any; error?: { code: string; message: string; details?: any } };
  headers: Record<string, unknown>;
}

async function send(method: string, url: string, token: string | undefined, body?: unknown): Promise<Reply> {
  const response = await app.inject({
    method: method as "GET",
    url,
    headers: {
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  });
  return { status: response.statusCode, body: response.json(), headers: response.headers as Record<string, unknown> };
}

const owner = (team: SeededTeam) => team.tokens?.owner as string;
const viewer = (team: SeededTeam) => team.tokens?.viewer as string;
const paths = (reply: Reply): string[] => (reply.body.error?.details?.issues ?? []).map((i: { path: string }) => i.path);

beforeAll(async () => {
  client = await MongoClient.connect(testMongoUri());
  services = createServiceContainer({ mongodb: { uri: testMongoUri(), prefix }, encryptionKeys: KEYS });
  await services.initialize({ ensureIndexes: true });
  const seed = await seedDemoData(services, { teams: 2, accountsPerTeam: 2, findingsPerAccount: 40, output: null });
  [a, b] = seed.teams as [SeededTeam, SeededTeam];
  app = buildApp({ services, rateLimit: false });
  await app.ready();
}, 120_000);

afterAll(async () => {
  await app?.close();
  await services?.dispose();
  if (client !== undefined) await dropDatabasesWithPrefix(client, prefix);
  await client?.close();
});

describe("GET /findings", () => {
  it("pages the team's findings with the list envelope, filtered by repeated parameters, sorted as asked", async () => {
    const first = await send("GET", "/findings?status=FAIL&severity=high&severity=critical&sort=-severity&limit=5", viewer(a));
    expect(first.status).toBe(200);
    const page = first.body.data;
    expect(page).toMatchObject({ limit: 5, count: page.items.length });
    expect(page.items.length).toBeGreaterThan(0);
    for (const item of page.items) {
      expect(item.id).toMatch(/^[0-9a-f]{24}$/);
      expect(item.team_id).toBe(a.team_id);
      expect(item.status).toBe("FAIL");
      expect(["high", "critical"]).toContain(item.severity);
    }
    const ranks = page.items.map((i: { severity: string }) => (i.severity === "critical" ? 2 : 1));
    expect(ranks).toEqual([...ranks].sort((x, y) => y - x));
    // Following next_cursor to the end visits every match once.
    const seen = new Set<string>(page.items.map((i: { id: string }) => i.id));
    let cursor = page.has_more ? page.next_cursor : null;
    while (cursor !== null) {
      const next = await send(
        "GET",
        `/findings?status=FAIL&severity=high,critical&sort=-severity&limit=5&cursor=${encodeURIComponent(cursor)}`,
        viewer(a),
      );
      expect(next.status).toBe(200);
      for (const item of next.body.data.items) {
        expect(seen.has(item.id)).toBe(false);
        seen.add(item.id);
      }
      cursor = next.body.data.has_more ? next.body.data.next_cursor : null;
    }
    const all = await send("GET", "/findings?status=FAIL&severity=high,critical&limit=500", viewer(a));
    expect(seen.size).toBe(all.body.data.items.length);
  });

  it("answers 400 with the parameters' paths", async () => {
    const cases: [string, string[]][] = [
      ["limit=1&limit=2", ["limit"]],
      ["limit=501", ["limit"]],
      ["severity=urgent", ["severity.0"]],
      ["sort=title", ["sort"]],
      ["muted=yes", ["muted"]],
      ["last_seen_from=yesterday", ["last_seen_from"]],
      ["last_seen_from=2024-06-02&last_seen_to=2024-06-01", ["last_seen_from"]],
      ["resource_uid=a&resource_uid_prefix=a", ["resource_uid_prefix"]],
      ["requirement=1.1", ["requirement"]],
      ["unknown=1", [""]],
      ["cursor=tampered.cursor", ["cursor"]],
    ];
    for (const [query, expected] of cases) {
      const reply = await send("GET", `/findings?${query}`, viewer(a));
      expect(reply.status, query).toBe(400);
      expect(reply.body.error?.code).toBe("VALIDATION_FAILED");
      expect(paths(reply), query).toEqual(expected);
    }
  });

  it("a cursor of team A is refused for team B, and B never sees A's findings", async () => {
    const first = await send("GET", "/findings?limit=2", viewer(a));
    const cursor = encodeURIComponent(first.body.data.next_cursor);
    const reply = await send("GET", `/findings?limit=2&cursor=${cursor}`, viewer(b));
    expect(reply.status).toBe(400);
    expect(paths(reply)).toEqual(["cursor"]);
    const theirs = await send("GET", "/findings?limit=500", viewer(b));
    expect(theirs.body.data.items.every((i: { team_id: string }) => i.team_id === b.team_id)).toBe(true);
  });

  it("answers 401 without a credential", async () => {
    for (const url of ["/findings", "/findings/facets", "/findings/0123456789abcdef01234567", "/mute-rules"]) {
      const reply = await send("GET", url, undefined);
      expect(reply.status, url).toBe(401);
      expect(reply.body.error?.code).toBe("UNAUTHENTICATED");
    }
  });
});

describe("GET /findings/facets", () => {
  it("names every facet as its query parameter, counts under the filter, team's own values only", async () => {
    const reply = await send("GET", "/findings/facets?status=FAIL", viewer(a));
    expect(reply.status).toBe(200);
    const facets = reply.body.data;
    expect(Object.keys(facets).sort()).toEqual(
      ["account_id", "check_id", "delta", "framework", "muted", "provider", "region", "service", "severity", "state", "status"].sort(),
    );
    expect(facets.status).toEqual([{ value: "FAIL", count: expect.any(Number) }]);
    const list = await send("GET", "/findings?status=FAIL&limit=500", viewer(a));
    expect(facets.status[0].count).toBe(list.body.data.items.length);
    const severityTotal = facets.severity.reduce((n: number, f: { count: number }) => n + f.count, 0);
    expect(severityTotal).toBe(list.body.data.items.length);
    const ownAccounts = new Set(a.accounts.map((x) => x.account_id));
    expect(facets.account_id.every((f: { value: string }) => ownAccounts.has(f.value))).toBe(true);
    expect((await send("GET", "/findings/facets?severity=nope", viewer(a))).status).toBe(400);
  });
});

describe("GET /findings/:id", () => {
  it("returns one finding with its history; 404 for another team's id; 400 for a malformed id", async () => {
    const id = (await send("GET", "/findings?limit=1", viewer(a))).body.data.items[0].id as string;
    const reply = await send("GET", `/findings/${id}`, viewer(a));
    expect(reply.status).toBe(200);
    expect(reply.body.data).toMatchObject({ id, team_id: a.team_id });
    expect(Array.isArray(reply.body.data.history)).toBe(true);
    const cross = await send("GET", `/findings/${id}`, owner(b));
    expect(cross.status).toBe(404);
    expect(cross.body.error?.code).toBe("NOT_FOUND");
    const bad = await send("GET", "/findings/nope", viewer(a));
    expect(bad.status).toBe(400);
    expect(paths(bad)).toEqual(["id"]);
  });
});

describe("mute rules", () => {
  it("create (201 + Location) mutes the matching findings and drops them from the dashboard; patch and delete undo it", async () => {
    const before = (await send("GET", "/dashboard/summary", owner(a))).body.data.totals.findings;
    const target = (await send("GET", "/findings?muted=false&limit=1", owner(a))).body.data.items[0];
    const created = await send("POST", "/mute-rules", owner(a), {
      name: "accepted",
      reason: "Accepted by the risk board",
      checkIds: [target.check_id],
      accountIds: [target.account_id],
    });
    expect(created.status).toBe(201);
    const id = created.body.data.rule.id as string;
    expect(created.headers["location"]).toBe(`/mute-rules/${id}`);
    expect(created.body.data.muted).toBeGreaterThan(0);
    const muted = await send("GET", `/findings?muted=true&check_id=${target.check_id}&account_id=${target.account_id}&limit=500`, owner(a));
    expect(muted.body.data.items.length).toBeGreaterThanOrEqual(created.body.data.muted);
    expect(muted.body.data.items.every((f: { muted_by_rule?: string[] }) => f.muted_by_rule?.includes(id))).toBe(true);
    const after = (await send("GET", "/dashboard/summary", owner(a))).body.data.totals.findings;
    expect(after).toBeLessThan(before);

    const list = await send("GET", "/mute-rules", viewer(a));
    expect(list.status).toBe(200);
    expect(list.body.data.items.map((r: { id: string }) => r.id)).toContain(id);
    expect(list.body.data).toMatchObject({ has_more: false, next_cursor: null });

    const patched = await send("PATCH", `/mute-rules/${id}`, owner(a), { enabled: false });
    expect(patched.status).toBe(200);
    expect(patched.body.data.rule.enabled).toBe(false);
    expect(patched.body.data.unmuted).toBe(created.body.data.muted);

    const deleted = await send("DELETE", `/mute-rules/${id}`, owner(a));
    expect(deleted.status).toBe(200);
    expect(deleted.body.data).toMatchObject({ id, deleted: true });
    expect((await send("GET", "/dashboard/summary", owner(a))).body.data.totals.findings).toBe(before);
    expect((await send("DELETE", `/mute-rules/${id}`, owner(a))).status).toBe(404);
  });

  it("400 with field paths for a bad rule; 403 for a viewer on every change; 404 for another team's rule", async () => {
    const noReason = await send("POST", "/mute-rules", owner(a), { name: "x", checkIds: ["iam_root_mfa_enabled"] });
    expect(noReason.status).toBe(400);
    expect(paths(noReason)).toEqual(["reason"]);
    const noCriterion = await send("POST", "/mute-rules", owner(a), { name: "x", reason: "r" });
    expect(paths(noCriterion)).toEqual(["checkIds"]);

    const theirs = await send("POST", "/mute-rules", owner(b), { name: "b", reason: "b", regions: ["us-east-1"] });
    expect(theirs.status).toBe(201);
    const bId = theirs.body.data.rule.id as string;

    const forbidden = [
      await send("POST", "/mute-rules", viewer(a), { name: "v", reason: "v", regions: ["us-east-1"] }),
      await send("PATCH", `/mute-rules/${bId}`, viewer(a), { enabled: false }),
      await send("DELETE", `/mute-rules/${bId}`, viewer(a)),
    ];
    for (const reply of forbidden) {
      expect(reply.status).toBe(403);
      expect(reply.body.error?.code).toBe("FORBIDDEN");
    }
    expect((await send("PATCH", `/mute-rules/${bId}`, owner(a), { enabled: false })).status).toBe(404);
    expect((await send("DELETE", `/mute-rules/${bId}`, owner(a))).status).toBe(404);
    expect(
      (await send("GET", "/mute-rules", owner(b))).body.data.items.map((r: { id: string; enabled: boolean }) => [r.id, r.enabled]),
    ).toEqual([[bId, true]]);
  });
});
