import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { ValidationError } from "@cspm/errors";
import { freePort, startTestRedis, type TestRedis } from "@cspm/testkit";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeCacheServiceContract } from "../test-support/cacheServiceContract";
import { countRedisCommands } from "../bench/redisCommandCounter";
import { RedisCache, type CacheErrorEvent, type RedisCacheOptions } from "./index";

let redis: TestRedis;
let PREFIX: string;
let admin: Redis;
let caches: RedisCache[] = [];
let counter = 0;

/** A RedisCache on the shared Redis under this file's prefix (a sub-prefix per call unless `keyPrefix` is given). */
function makeCache(options: Partial<RedisCacheOptions> = {}): RedisCache {
  counter += 1;
  const cache = new RedisCache({ redis: redis.url, keyPrefix: `${PREFIX}${counter}:`, ...options });
  caches.push(cache);
  return cache;
}

/** This file's keys under `prefix`. */
async function keysUnder(prefix: string): Promise<string[]> {
  return (await redis.keys()).filter((key) => key.startsWith(prefix));
}

/** Polls `condition` (bounded) — used to wait for a state, never to measure time. */
async function eventually(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 400; i += 1) {
    if (await condition()) return;
    await sleep(10);
  }
  throw new Error(`timed out waiting for: ${what}`);
}

beforeAll(async () => {
  redis = await startTestRedis({ label: "cache" });
  PREFIX = redis.prefix;
  admin = new Redis(redis.url);
  expect(await admin.ping()).toBe("PONG");
});

afterAll(async () => {
  await Promise.all(caches.map((cache) => cache.close()));
  caches = [];
  await admin.quit();
  await redis.stop();
});

describeCacheServiceContract("RedisCache", async () => ({ cache: makeCache(), elapse: (ms) => sleep(ms) }));

describe("RedisCache on a real Redis", () => {
  it("stores entries stamped with their generations under the key prefix, with PX expiry; generations outlive entries", async () => {
    const cache = makeCache();
    const prefix = `${PREFIX}${counter}:`;
    await cache.set("acct:1", { name: "a" }, { ttlSeconds: 30, tags: ["team-1"] });
    expect(cache.redisKeyFor("acct:1")).toBe(`${prefix}v:{acct:1}`);
    expect(cache.redisKeyForTag("team-1")).toBe(`${prefix}g:team-1`);
    // The entry, its tag's and the prefix's generations, and the restart fence's marker (the server's run id).
    expect(await keysUnder(prefix)).toEqual([`${prefix}epoch`, `${prefix}g:team-1`, `${prefix}server`, `${prefix}v:{acct:1}`]);
    expect(await admin.get(`${prefix}server`)).toMatch(/^[0-9a-f]{40}$/);
    const epoch = await admin.get(`${prefix}epoch`);
    const generation = await admin.get(`${prefix}g:team-1`);
    expect(await admin.get(cache.redisKeyFor("acct:1"))).toBe(`${JSON.stringify(["epoch", epoch, "g:team-1", generation])}\n{"name":"a"}`);
    const valueTtl = await admin.pttl(cache.redisKeyFor("acct:1"));
    expect(valueTtl).toBeGreaterThan(0);
    expect(valueTtl).toBeLessThanOrEqual(30_000);
    expect(await admin.pttl(`${prefix}g:team-1`)).toBeGreaterThan(valueTtl);
    expect(await admin.pttl(`${prefix}epoch`)).toBeGreaterThan(valueTtl);

    // Invalidation replaces the tag's token and keeps its TTL; the stale entry is deleted by the next read.
    expect(await cache.invalidateTags("team-1")).toBe(true);
    expect(await admin.get(`${prefix}g:team-1`)).not.toBe(generation);
    expect(await admin.pttl(`${prefix}g:team-1`)).toBeGreaterThan(valueTtl - 1000);
    expect(await admin.exists(cache.redisKeyFor("acct:1"))).toBe(1);
    expect(await cache.get("acct:1")).toBeUndefined();
    expect(await admin.exists(cache.redisKeyFor("acct:1"))).toBe(0);
    // Invalidating a tag nobody used creates nothing.
    expect(await cache.invalidateTags("never-used")).toBe(true);
    expect(await admin.exists(`${prefix}g:never-used`)).toBe(0);
    // Fractional TTLs become PX milliseconds.
    await cache.set("brief", 1, { ttlSeconds: 5.25 });
    const briefTtl = await admin.pttl(cache.redisKeyFor("brief"));
    expect(briefTtl).toBeGreaterThan(5000);
    expect(briefTtl).toBeLessThanOrEqual(5250);
  });

  it("an entry whose generation vanished (evicted, expired) is never served, and a fresh token is issued", async () => {
    const cache = makeCache();
    await cache.set("k", "v", { ttlSeconds: 60, tags: ["t"] });
    const before = await admin.get(cache.redisKeyForTag("t"));
    await admin.del(cache.redisKeyForTag("t"));
    expect(await cache.get("k")).toBeUndefined();
    expect(await cache.wrap("k", { ttlSeconds: 60, tags: ["t"] }, () => "reloaded")).toBe("reloaded");
    const after = await admin.get(cache.redisKeyForTag("t"));
    expect(after).not.toBeNull();
    expect(after).not.toBe(before);
    expect(await cache.get("k")).toBe("reloaded");
  });

  it("round trips on one node: get and set 1, invalidateTags 1 for any number of tags, a wrap miss 4 (read, lock, re-read, store+unlock)", async () => {
    const cache = makeCache();
    await cache.set("warm", 1, { ttlSeconds: 60, tags: ["a"] }); // first command: connects and runs the fence
    const port = new URL(redis.url).port;
    expect((await countRedisCommands(port, () => cache.get("warm"))).commands).toEqual(["evalsha"]);
    expect((await countRedisCommands(port, () => cache.get("absent"))).commands).toEqual(["evalsha"]);
    expect((await countRedisCommands(port, () => cache.set("k", 1, { ttlSeconds: 60, tags: ["a", "b", "c"] }))).commands).toEqual([
      "evalsha",
    ]);
    expect((await countRedisCommands(port, () => cache.invalidateTags(["a", "b", "c"]))).commands).toEqual(["evalsha"]);
    const miss = await countRedisCommands(port, () => cache.wrap("w", { ttlSeconds: 60, tags: ["a"] }, () => 2));
    expect(miss.commands).toEqual(["evalsha", "set", "evalsha", "evalsha"]);
    expect(miss.roundTrips).toBe(4);
    expect((await countRedisCommands(port, () => cache.wrap("w", { ttlSeconds: 60, tags: ["a"] }, () => 3))).commands).toEqual(["evalsha"]);
    expect(await cache.get("w")).toBe(2);
  });

  it("two RedisCache instances (two processes) with concurrent misses run the loader once thanks to the lock", async () => {
    const prefix = `${PREFIX}shared-lock:`;
    const lock = { ttlMs: 10_000, waitMs: 10_000, pollIntervalMs: 5 };
    const a = makeCache({ keyPrefix: prefix, lock });
    const b = makeCache({ keyPrefix: prefix, lock });
    let calls = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const loader = async () => {
      calls += 1;
      await gate;
      return { computed: true, at: new Date(7) };
    };
    const pending = [
      ...Array.from({ length: 50 }, () => a.wrap("report", 60, loader)),
      ...Array.from({ length: 50 }, () => b.wrap("report", 60, loader)),
    ];
    // Hold the loader until the other process is visibly waiting on the lock.
    await eventually(() => a.stats().lockWaits + b.stats().lockWaits === 1, "one process waiting on the lock");
    release();
    const results = await Promise.all(pending);
    expect(calls).toBe(1);
    for (const r of results) expect(r).toEqual({ computed: true, at: new Date(7) });
    expect(a.stats().loads + b.stats().loads).toBe(1);
    expect(await admin.exists(`${prefix}lock:{report}`)).toBe(0);
  });

  it("control: without the lock, two processes both run the loader", async () => {
    const prefix = `${PREFIX}no-lock:`;
    const a = makeCache({ keyPrefix: prefix, lock: false });
    const b = makeCache({ keyPrefix: prefix, lock: false });
    let calls = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const loader = async () => {
      calls += 1;
      await gate;
      return 1;
    };
    const pending = [a.wrap("k", 60, loader), b.wrap("k", 60, loader)];
    await eventually(() => calls === 2, "both loaders started");
    release();
    await Promise.all(pending);
    expect(calls).toBe(2);
  });

  it("when the lock holder's loader fails, a waiting process takes over and loads", async () => {
    const prefix = `${PREFIX}takeover:`;
    const lock = { ttlMs: 10_000, waitMs: 10_000, pollIntervalMs: 5 };
    const a = makeCache({ keyPrefix: prefix, lock });
    const b = makeCache({ keyPrefix: prefix, lock });
    let fail!: () => void;
    const gate = new Promise<void>((_, reject) => (fail = () => reject(new Error("holder failed"))));
    gate.catch(() => undefined);
    const first = a.wrap("k", 60, async () => {
      await gate;
      return "never";
    });
    await eventually(async () => (await admin.exists(`${prefix}lock:{k}`)) === 1, "a holds the lock");
    const second = b.wrap("k", 60, async () => "from b");
    await eventually(() => b.stats().lockWaits === 1, "b waiting");
    fail();
    await expect(first).rejects.toThrow("holder failed");
    expect(await second).toBe("from b");
    expect(b.stats().lockTimeouts).toBe(0);
  });

  it("a lock nobody releases does not block: the waiter gives up after waitMs and loads itself", async () => {
    const prefix = `${PREFIX}stuck:`;
    await admin.set(`${prefix}lock:{k}`, "someone-else", "PX", 60_000);
    const cache = makeCache({ keyPrefix: prefix, lock: { waitMs: 100, pollIntervalMs: 10 } });
    expect(await cache.wrap("k", 60, () => "loaded anyway")).toBe("loaded anyway");
    expect(cache.stats()).toMatchObject({ lockWaits: 1, lockTimeouts: 1, loads: 1 });
    // The foreign lock is left alone (release only deletes our own token).
    expect(await admin.get(`${prefix}lock:{k}`)).toBe("someone-else");
  });

  it("a value it cannot decode is a miss reported as INTERNAL, and the loader's value replaces it", async () => {
    const events: CacheErrorEvent[] = [];
    const cache = makeCache({ onError: (e) => events.push(e) });
    await admin.set(cache.redisKeyFor("k"), "{not ejson", "PX", 60_000);
    expect(await cache.get("k")).toBeUndefined();
    expect(await cache.wrap("k", 60, () => ({ ok: 1 }))).toEqual({ ok: 1 });
    expect(await cache.get("k")).toEqual({ ok: 1 });
    // Reported by get, by wrap's first read, and by its re-check after taking the lock.
    expect(events.map((e) => [e.operation, e.key, e.error.code])).toEqual([
      ["decode", "k", "INTERNAL"],
      ["decode", "k", "INTERNAL"],
      ["decode", "k", "INTERNAL"],
    ]);
    expect(cache.stats().breaker).toBe("closed");
  });

  it("an error reply (WRONGTYPE) fails open without opening the breaker; set replaces the foreign key", async () => {
    const events: CacheErrorEvent[] = [];
    const cache = makeCache({ onError: (e) => events.push(e), breaker: { failureThreshold: 1 } });
    await admin.sadd(cache.redisKeyFor("k"), "member");
    await admin.pexpire(cache.redisKeyFor("k"), 60_000);
    expect(await cache.wrap("k", 60, () => "loaded")).toBe("loaded");
    expect(events[0]).toMatchObject({ operation: "get", key: "k" });
    expect(events[0]?.error.code).toBe("INTERNAL");
    expect(cache.stats().breaker).toBe("closed");
    expect(await cache.set("k", "stored", { ttlSeconds: 60 })).toBe(true);
    expect(await cache.get("k")).toBe("stored");
  });

  it("uses a client passed in without closing it, unless closeClient is set", async () => {
    const client = new Redis(redis.url);
    const cache = new RedisCache({ redis: client, keyPrefix: `${PREFIX}passed:` });
    expect(await cache.wrap("k", 60, () => 1)).toBe(1);
    await cache.close();
    expect(await client.ping()).toBe("PONG");
    const closing = new RedisCache({ redis: client, keyPrefix: `${PREFIX}passed:`, closeClient: true });
    expect(await closing.get("k")).toBe(1);
    await closing.close();
    expect(client.status).toBe("end");
  });

  it("reports health with the connection status", async () => {
    const cache = makeCache();
    const health = await cache.health();
    expect(health).toMatchObject({ backend: "redis", ok: true, breaker: "closed", connection: "ready" });
    expect(typeof health.latencyMs).toBe("number");
  });

  it("rejects invalid options with VALIDATION_FAILED, listing every problem", () => {
    try {
      new RedisCache({
        redis: redis.url,
        commandTimeoutMs: 0,
        breaker: { failureThreshold: 0 },
        lock: { ttlMs: -1 },
        keyPrefix: 3 as unknown as string,
      });
      expect.unreachable("constructor should throw");
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).issues.map((i) => i.path)).toEqual([
        "commandTimeoutMs",
        "breaker.failureThreshold",
        "lock.ttlMs",
        "keyPrefix",
      ]);
    }
    expect(() => new RedisCache({ redis: 42 as unknown as string })).toThrow(ValidationError);
  });

  it("close() leaves no open handles: a process using the caches exits by itself", async () => {
    const root = fileURLToPath(new URL("../../../", import.meta.url));
    const probe = fileURLToPath(new URL("../test-support/closeProbe.ts", import.meta.url));
    const deadPort = await freePort();
    const child = spawn(process.execPath, ["--import", "tsx", probe, redis.url, `${PREFIX}probe:`, String(deadPort)], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    // Safety net only: a process that does not exit on its own is killed, and the test fails.
    const killer = setTimeout(() => child.kill("SIGKILL"), 25_000);
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.once("exit", (c, s) => resolve([c, s])),
    );
    clearTimeout(killer);
    expect(stderr).toBe("");
    expect(signal).toBeNull();
    expect(code).toBe(0);
    expect(JSON.parse(stdout.trim())).toEqual({ loads: 1, fromDead: "loader value" });
  }, 30_000);
});
