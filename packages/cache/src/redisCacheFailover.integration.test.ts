/**
 * Fail-open behaviour against a private redis-server child process that the tests kill, freeze, flush and
 * restart (the shared Redis at 6379 is never touched here).
 */
import { inspect } from "node:util";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startLocalRedisServer, type LocalRedisServer } from "../test-support/localRedisServer";
import { RedisCache, type CacheErrorEvent, type RedisCacheOptions } from "./index";

let server: LocalRedisServer;
let admin: Redis;
const caches: RedisCache[] = [];

function makeCache(events: CacheErrorEvent[], options: Partial<RedisCacheOptions> = {}): RedisCache {
  const cache = new RedisCache({
    redis: server.url,
    keyPrefix: "failover:",
    commandTimeoutMs: 100,
    onError: (event) => events.push(event),
    ...options,
  });
  caches.push(cache);
  return cache;
}

/** Polls `condition` (bounded) — used to wait for a state, never to measure time. */
async function eventually(condition: () => boolean | Promise<boolean>, what: string, attempts = 1000): Promise<void> {
  for (let i = 0; i < attempts; i += 1) {
    if (await condition()) return;
    await sleep(10);
  }
  throw new Error(`timed out waiting for: ${what}`);
}

const commandEvents = (events: readonly CacheErrorEvent[]) => events.filter((e) => e.operation !== "connection");

beforeAll(async () => {
  server = await startLocalRedisServer();
  admin = new Redis(server.url, { maxRetriesPerRequest: null, retryStrategy: () => 50 });
  admin.on("error", () => undefined); // the admin connection also sees the kill
});

afterEach(async () => {
  await Promise.all(caches.splice(0).map((cache) => cache.close()));
  await server.ensureRunning(); // a failed test may have left it killed
  await admin.flushall();
});

afterAll(async () => {
  await admin.quit();
  await server.stop();
});

describe("RedisCache fail-open against a private redis-server", () => {
  it("Redis killed mid-test: wrap keeps serving loader values, the breaker opens and stops calling Redis; after a restart the cache hits again", async () => {
    const events: CacheErrorEvent[] = [];
    // A long cooldown: recovery must come from the reconnect ('ready'), not from the breaker's timer.
    const cache = makeCache(events, { breaker: { failureThreshold: 3, cooldownMs: 600_000 } });
    let calls = 0;
    const loader = async () => ({ n: ++calls, at: new Date(calls) });

    expect(await cache.wrap("k", 60, loader)).toEqual({ n: 1, at: new Date(1) });
    expect(await cache.wrap("k", 60, loader)).toEqual({ n: 1, at: new Date(1) });
    expect(calls).toBe(1);

    await server.kill();

    for (let i = 2; i <= 12; i += 1) {
      expect(await cache.wrap("k", 60, loader)).toEqual({ n: i, at: new Date(i) });
    }
    expect(cache.stats().breaker).toBe("open");
    const failures = commandEvents(events);
    expect(failures.length).toBeGreaterThanOrEqual(3);
    for (const event of failures) expect(event.error.code).toBe("UNAVAILABLE");
    // Open breaker: more requests, no more Redis calls.
    const before = commandEvents(events).length;
    for (let i = 13; i <= 30; i += 1) expect((await cache.wrap("k", 60, loader)).n).toBe(i);
    expect(await cache.get("k")).toBeUndefined();
    expect(await cache.set("k", 1, { ttlSeconds: 60 })).toBe(false);
    expect(commandEvents(events).length).toBe(before);
    expect((await cache.health()).ok).toBe(false);

    await server.restart();
    await eventually(() => cache.stats().breaker === "closed", "breaker closed after reconnect");

    // The restarted server is empty: one miss reloads, then hits again.
    const hitsBefore = cache.stats().hits;
    expect((await cache.wrap("k", 60, loader)).n).toBe(31);
    expect((await cache.wrap("k", 60, loader)).n).toBe(31);
    expect(calls).toBe(31);
    expect(cache.stats().hits).toBe(hitsBefore + 1);
    expect((await cache.health()).ok).toBe(true);
  });

  it("with a client passed in, a half-open probe after the cooldown closes the breaker once Redis answers", async () => {
    const events: CacheErrorEvent[] = [];
    const client = new Redis(server.url, { maxRetriesPerRequest: 1, retryStrategy: () => 20 });
    client.on("error", () => undefined);
    const cache = makeCache(events, { redis: client, closeClient: true, breaker: { failureThreshold: 2, cooldownMs: 50 } });
    await cache.set("k", "v", { ttlSeconds: 60 });
    // A stall rather than a disconnect (SIGSTOP): the connection stays 'ready', so only the probe can close the breaker.
    server.freeze();
    expect(await cache.wrap("other", 60, () => "fallback")).toBe("fallback");
    expect(await cache.get("k")).toBeUndefined();
    expect(cache.stats().breaker).not.toBe("closed");
    expect(commandEvents(events).some((e) => String((e.error.cause as Error).message).includes("timed out"))).toBe(true);
    server.resume();
    await eventually(async () => (await cache.get("k")) === "v", "probe succeeded and the value is served again");
    expect(cache.stats().breaker).toBe("closed");
  });

  it("slow Redis (commands stall past the timeout): the loader's value is returned and the request succeeds", async () => {
    const events: CacheErrorEvent[] = [];
    const cache = makeCache(events, { breaker: { failureThreshold: 100 } });
    await cache.set("slow", "cached", { ttlSeconds: 60 });
    server.freeze();
    try {
      expect(await cache.wrap("slow", 60, () => "from loader")).toBe("from loader");
    } finally {
      server.resume();
    }
    const timeouts = commandEvents(events);
    expect(timeouts.length).toBeGreaterThanOrEqual(1);
    expect(timeouts[0]).toMatchObject({ operation: "get", key: "slow" });
    expect(timeouts[0]?.error.code).toBe("UNAVAILABLE");
    expect(String((timeouts[0]?.error.cause as Error).message)).toContain("timed out");
  });

  it("Redis flushed: reads miss, the loader runs, tags of vanished keys are harmless", async () => {
    const events: CacheErrorEvent[] = [];
    const cache = makeCache(events);
    let calls = 0;
    await cache.wrap("k", { ttlSeconds: 60, tags: ["t"] }, () => ++calls);
    await admin.flushall();
    expect(await cache.wrap("k", { ttlSeconds: 60, tags: ["t"] }, () => ++calls)).toBe(2);
    expect(await cache.wrap("k", { ttlSeconds: 60, tags: ["t"] }, () => ++calls)).toBe(2);
    await admin.flushall();
    expect(await cache.invalidateTags("t")).toBe(true);
    expect(events).toEqual([]);
  });

  it("never puts a cached value into onError, even when ioredis's own error carries it", async () => {
    const secret = "s3cr3t-credential-value";
    await admin.config("SET", "maxmemory-policy", "noeviction");
    await admin.config("SET", "maxmemory", "1");
    try {
      // Precondition: the raw ioredis error for this failure does contain the value.
      const raw = await admin.set("failover:probe", secret).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(inspect(raw, { depth: null, showHidden: true })).toContain(secret);

      const events: CacheErrorEvent[] = [];
      const cache = makeCache(events);
      expect(await cache.set("k", { secret }, { ttlSeconds: 60 })).toBe(false);
      expect(await cache.wrap("w", 60, () => ({ secret }))).toEqual({ secret });
      expect(events.length).toBeGreaterThanOrEqual(2);
      for (const event of events) {
        expect(event.error.code).toBe("INTERNAL"); // an error reply: Redis is up, the breaker stays closed
        expect(inspect(event, { depth: null, showHidden: true })).not.toContain(secret);
        expect(JSON.stringify(event)).not.toContain(secret);
      }
      expect(cache.stats().breaker).toBe("closed");
    } finally {
      await admin.config("SET", "maxmemory", "0");
    }
  });
});
