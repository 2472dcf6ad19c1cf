import { parseTeamId } from "@cspm/repository";
/**
 * Fault: Redis is killed in the middle of a run. The services use a RedisCache on a redis-server this
 * test spawned (the shared 127.0.0.1:6379 is never touched). While reads and writes keep flowing, Redis is
 * SIGKILLed: every request must keep succeeding from MongoDB with fresh data; when Redis is started again
 * on the same port the cache must come back on its own (warm reads send no MongoDB command again).
 */
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { type CacheErrorEvent, RedisCache } from "@cspm/cache";
import { isCspmError } from "@cspm/errors";
import { type RedisServer, startRedisServer } from "@cspm/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findingDoc } from "./reliabilityFixtures";
import { openReliabilityTestbed, type ReliabilityTestbed } from "./reliabilityTestbed";

const TEAM = "team_redis";
const NOW = new Date("2024-06-15T12:00:00.000Z");
const DAY_MS = 86_400_000;

let redis: RedisServer;
let cache: RedisCache;
let bed: ReliabilityTestbed;
let accountId: string;
const cacheErrors: CacheErrorEvent[] = [];

async function commandsOf(fn: () => Promise<unknown>): Promise<number> {
  return (await bed.monitor.measure(fn)).commands.length;
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

beforeAll(async () => {
  redis = await startRedisServer();
  cache = new RedisCache({
    redis: redis.url,
    keyPrefix: `rel:${randomUUID().slice(0, 8)}:`,
    commandTimeoutMs: 200,
    breaker: { failureThreshold: 2, cooldownMs: 250 },
    lock: { ttlMs: 2000, waitMs: 300, pollIntervalMs: 20 },
    onError: (event) => cacheErrors.push(event),
  });
  bed = await openReliabilityTestbed({ label: "redis", cache, now: () => new Date(NOW.getTime()) });
  await bed.manager.ensureIndexes({ databases: ["CLOUD_SECURITY"] });
  await bed.seed(
    "CLOUD_SECURITY",
    "prowler_findings",
    Array.from({ length: 40 }, (_, n) =>
      findingDoc(TEAM, {
        account_id: "123456789012",
        last_seen_at: new Date(NOW.getTime() - (n % 5) * DAY_MS),
        status: n % 4 === 0 ? "PASS" : "FAIL",
      }),
    ),
  );
  accountId = (await bed.accounts.registerAccount(parseTeamId(TEAM), { provider: "aws", accountId: "123456789012", name: "v0" })).id;
});

afterAll(async () => {
  await redis?.stop();
  await bed?.close();
});

describe("Redis killed mid-run", () => {
  it("serves every request from MongoDB while Redis is down and uses the cache again once it returns", async () => {
    // Up: a warm read sends nothing to MongoDB.
    const summary = await bed.aggregation.getDashboardSummary(parseTeamId(TEAM));
    expect(summary.totals.findings).toBe(40);
    expect(await commandsOf(() => bed.aggregation.getDashboardSummary(parseTeamId(TEAM)))).toBe(0);
    await bed.accounts.getAccount(parseTeamId(TEAM), accountId);
    expect(await commandsOf(() => bed.accounts.getAccount(parseTeamId(TEAM), accountId))).toBe(0);
    expect((await cache.health()).ok).toBe(true);

    // Traffic keeps flowing while Redis dies and comes back.
    let version = 0;
    let stop = false;
    const failures: string[] = [];
    const stale: string[] = [];
    let served = 0;
    const worker = async (id: number): Promise<void> => {
      while (!stop) {
        try {
          if (id === 0) {
            // The writer renames the account; the readers must never see an older name afterwards.
            version += 1;
            const name = `v${version}`;
            await bed.accounts.updateAccount(parseTeamId(TEAM), accountId, { name });
            const seen = await bed.accounts.getAccount(parseTeamId(TEAM), accountId);
            if (seen.name !== name) stale.push(`read ${seen.name} after writing ${name}`);
          } else if (id === 1) {
            const s = await bed.aggregation.getDashboardSummary(parseTeamId(TEAM));
            if (s.totals.findings !== 40) failures.push(`summary counted ${s.totals.findings}`);
          } else {
            const page = await bed.accounts.listAccounts(parseTeamId(TEAM));
            if (page.items.length !== 1) failures.push(`list returned ${page.items.length}`);
          }
          served += 1;
        } catch (error) {
          failures.push(isCspmError(error) ? `${error.code}: ${error.message}` : String(error));
        }
        await sleep(5);
      }
    };
    const workers = [0, 1, 2].map((id) => worker(id));

    await sleep(300);
    await redis.kill();
    const killedAt = served;
    await waitFor("the cache to notice Redis is gone", async () => !(await cache.health()).ok);
    // While down, the summaries the reader keeps asking for are computed by MongoDB (warm, they cost nothing).
    const aggregatesBefore = bed.monitor.count({ name: "aggregate" });
    await waitFor(
      "requests to be served during the outage",
      async () => served - killedAt >= 10 && bed.monitor.count({ name: "aggregate" }) - aggregatesBefore >= 3,
    );
    const duringOutage = served - killedAt;
    const aggregatesDuringOutage = bed.monitor.count({ name: "aggregate" }) - aggregatesBefore;

    await redis.start(); // the same port, empty
    await waitFor("the cache to reconnect", async () => (await cache.health()).ok);
    await sleep(300);
    stop = true;
    await Promise.all(workers);

    expect(failures).toEqual([]);
    expect(stale).toEqual([]);
    expect(duringOutage).toBeGreaterThanOrEqual(10);
    expect(aggregatesDuringOutage).toBeGreaterThanOrEqual(3);
    expect(cacheErrors.length).toBeGreaterThan(0);
    expect(cacheErrors.every((e) => e.error.code === "UNAVAILABLE" || e.error.code === "INTERNAL")).toBe(true);

    // Back: the cache fills and serves again.
    await bed.aggregation.invalidate(parseTeamId(TEAM));
    // Cold: the rollup marks read and one aggregation of the rollups.
    expect(await commandsOf(() => bed.aggregation.getDashboardSummary(parseTeamId(TEAM)))).toBe(2);
    expect(await commandsOf(() => bed.aggregation.getDashboardSummary(parseTeamId(TEAM)))).toBe(0);
    const latest = await bed.accounts.getAccount(parseTeamId(TEAM), accountId);
    expect(latest.name).toBe(`v${version}`);
    expect(await commandsOf(() => bed.accounts.getAccount(parseTeamId(TEAM), accountId))).toBe(0);
    // A write after the recovery invalidates in Redis again.
    await bed.accounts.updateAccount(parseTeamId(TEAM), accountId, { name: "after" });
    expect((await bed.accounts.getAccount(parseTeamId(TEAM), accountId)).name).toBe("after");
  }, 60_000);
});
