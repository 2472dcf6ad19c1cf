/**
 * Fail-open behaviour and invalidation under faults, against a private redis-server child process that the
 * tests kill, freeze, flush and restart (the shared Redis at 6379 is never touched here).
 */
import { inspect } from "node:util";
import { setTimeout as sleep } from "node:timers/promises";
import { type RedisServer, startRedisServer } from "@cspm/testkit";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { RedisCache, type CacheErrorEvent, type RedisCacheOptions } from "./index";

let server: RedisServer;
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
  server = await startRedisServer();
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
    server.thaw();
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
      server.thaw();
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
    const events: CacheErrorEvent[] = [];
    const cache = makeCache(events);
    // A tag whose generation key holds a set: every script that reads it fails with WRONGTYPE.
    const tagKey = cache.redisKeyForTag("broken");
    await admin.sadd(tagKey, "member");
    // Precondition: the raw ioredis error of such a failure carries the command's arguments.
    const raw = await admin.eval("return redis.call('GET', KEYS[1])", 1, tagKey, secret).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(inspect(raw, { depth: null, showHidden: true })).toContain(secret);

    expect(await cache.set("k", { secret }, { ttlSeconds: 60, tags: ["broken"] })).toBe(false);
    expect(await cache.wrap("w", { ttlSeconds: 60, tags: ["broken"] }, () => ({ secret }))).toEqual({ secret });
    expect(events.length).toBeGreaterThanOrEqual(2);
    for (const event of events) {
      expect(event.error.code).toBe("INTERNAL"); // an error reply: Redis is up, the breaker stays closed
      expect(inspect(event, { depth: null, showHidden: true })).not.toContain(secret);
      expect(JSON.stringify(event)).not.toContain(secret);
    }
    expect(cache.stats().breaker).toBe("closed");
  });

  it("an invalidation whose reply never came blocks this instance's reads until Redis confirms it; a background retry does that", async () => {
    const events: CacheErrorEvent[] = [];
    const cache = makeCache(events, { breaker: { failureThreshold: 100, cooldownMs: 50 } });
    await cache.set("k", "old", { ttlSeconds: 60, tags: ["t"] });
    const token = await admin.get(cache.redisKeyForTag("t"));
    server.freeze();
    let thawed = false;
    try {
      expect(await cache.invalidateTags("t")).toBe(false);
      expect(cache.stats().pendingInvalidations).toBe(1);
      // Reads do not touch Redis until the invalidation is confirmed: a miss, and the loader's value is served.
      expect(await cache.get("k")).toBeUndefined();
      expect(await cache.wrap("k", { ttlSeconds: 60, tags: ["t"] }, () => "new")).toBe("new");
      server.thaw();
      thawed = true;
      // No read needed: the retry timer re-sends it and Redis confirms.
      await eventually(() => cache.stats().pendingInvalidations === 0, "the journal is replayed");
    } finally {
      if (!thawed) server.thaw();
    }
    expect(await admin.get(cache.redisKeyForTag("t"))).not.toBe(token);
    expect(await cache.get("k")).toBeUndefined();
    const other = makeCache([]);
    expect(await other.get("k")).toBeUndefined();
    expect(commandEvents(events).every((e) => e.error.code === "UNAVAILABLE")).toBe(true);
  });

  it("a restart that restores a snapshot taken before an invalidation is fenced: the resurrected entry is never served", async () => {
    const persistent = await startRedisServer({ persistence: true });
    const raw = new Redis(persistent.url, { maxRetriesPerRequest: null, retryStrategy: () => 50 });
    raw.on("error", () => undefined);
    const events: CacheErrorEvent[] = [];
    const cache = makeCache(events, { redis: persistent.url, keyPrefix: "fence:" });
    try {
      await cache.set("account", { version: 1 }, { ttlSeconds: 60, tags: ["accounts"] });
      const epoch = await raw.get("fence:epoch");
      await raw.save(); // the snapshot holds version 1 and the tag's token before the invalidation
      expect(await cache.invalidateTags("accounts")).toBe(true);
      expect(await cache.get("account")).toBeUndefined();

      await persistent.kill();
      await persistent.start();
      await eventually(async () => (await raw.ping().catch(() => "")) === "PONG", "the raw client reconnected");
      // Precondition: the old entry and the token it was stamped with are back, so stamps alone would serve it.
      const resurrected = await raw.get(cache.redisKeyFor("account"));
      expect(resurrected).toContain('"version"');
      expect(resurrected).toContain(String(await raw.get("fence:g:accounts")));

      await eventually(async () => (await cache.health()).ok, "the cache reconnected");
      expect(await cache.get("account")).toBeUndefined();
      expect(await raw.get("fence:epoch")).not.toBe(epoch);
      expect(await raw.get("fence:server")).toMatch(/^[0-9a-f]{40}$/);
      expect(await cache.wrap("account", { ttlSeconds: 60, tags: ["accounts"] }, () => ({ version: 2 }))).toEqual({ version: 2 });
      expect(await cache.get("account")).toEqual({ version: 2 });
    } finally {
      raw.disconnect();
      await persistent.stop();
    }
  });

  it("a Redis user without INFO: the fence is reported as unavailable and the cache still works", async () => {
    await admin.acl("SETUSER", "no-info", "on", ">no-info-pass", "~*", "&*", "+@all", "-info");
    const events: CacheErrorEvent[] = [];
    const cache = makeCache(events, {
      redis: { host: "127.0.0.1", port: server.port, username: "no-info", password: "no-info-pass", enableReadyCheck: false },
      keyPrefix: "acl:",
    });
    try {
      expect(await cache.set("k", "v", { ttlSeconds: 60, tags: ["t"] })).toBe(true);
      expect(await cache.get("k")).toBe("v");
      expect(await cache.invalidateTags("t")).toBe(true);
      expect(await cache.get("k")).toBeUndefined();
      const fence = events.filter((e) => e.operation === "connection");
      expect(fence.map((e) => e.error.code)).toContain("INTERNAL");
      expect(fence.some((e) => e.error.message.includes("run id"))).toBe(true);
      expect(await admin.exists("acl:server")).toBe(0);
    } finally {
      await admin.acl("DELUSER", "no-info");
    }
  });
});
