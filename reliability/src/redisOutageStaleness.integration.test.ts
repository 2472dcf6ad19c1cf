/**
 * Faults between a write and the next read must never let the cache serve data older than a write that was
 * already acknowledged (issue 14). Through the cache API directly, on a redis-server this file starts (the
 * shared 127.0.0.1:6379 is never touched): a client-side timeout after Redis executed the invalidation (the
 * busy-event-loop repro), a SIGKILL of Redis between a write and the next read, and a freeze (SIGSTOP) longer
 * than the command timeout during invalidation, then a thaw. The "database" is a versioned record in memory:
 * a write bumps its version, invalidates, and is acknowledged when `invalidateTags` returns, whatever it
 * returned. Every read must see a version at least as new as the last one acknowledged before it started.
 */
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { type CacheErrorEvent, RedisCache, type RedisCacheOptions } from "@cspm/cache";
import { type RedisServer, startRedisServer } from "@cspm/testkit";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

const TAG = "cspm:t:teamA:accounts";
const KEY = "cspm:t:teamA:accounts:id:1";
const COMMAND_TIMEOUT_MS = 60;

let server: RedisServer;
const caches: RedisCache[] = [];

/** The source of truth the cache fronts: one account whose version every write bumps. */
class AccountRecord {
  version = 1;
  acknowledged = 1;
  reads = 0;

  load = async (): Promise<{ version: number }> => {
    this.reads += 1;
    return { version: this.version };
  };

  /** A write: the record changes, then the cache is told; acknowledged to the client once that returns. */
  async write(cache: RedisCache): Promise<boolean> {
    this.version += 1;
    const written = this.version;
    const confirmed = await cache.invalidateTags(TAG);
    this.acknowledged = Math.max(this.acknowledged, written);
    return confirmed;
  }
}

/** Two processes' caches on the same Redis and key prefix (each its own connection, journal and breaker). */
function caches2(events: CacheErrorEvent[] = [], options: Partial<RedisCacheOptions> = {}): [RedisCache, RedisCache] {
  const keyPrefix = `rel:${randomUUID().slice(0, 8)}:`;
  const make = () => {
    const cache = new RedisCache({
      redis: server.url,
      keyPrefix,
      commandTimeoutMs: COMMAND_TIMEOUT_MS,
      breaker: { failureThreshold: 3, cooldownMs: 100 },
      lock: { ttlMs: 2000, waitMs: 200, pollIntervalMs: 10 },
      onError: (event) => events.push(event),
      ...options,
    });
    caches.push(cache);
    return cache;
  };
  return [make(), make()];
}

/** A read through `cache`, checked against what was acknowledged before it started. */
async function readChecked(cache: RedisCache, record: AccountRecord, stale: string[], who: string): Promise<number> {
  const floor = record.acknowledged;
  const seen = await cache.wrap(KEY, { ttlSeconds: 300, tags: [TAG] }, record.load);
  if (seen.version < floor) stale.push(`${who} read version ${seen.version} after version ${floor} was acknowledged`);
  return seen.version;
}

/** A writer and a reader process on one prefix, both holding version 1 in the cache. */
async function warmScenario() {
  const events: CacheErrorEvent[] = [];
  const [writer, reader] = caches2(events);
  const record = new AccountRecord();
  const stale: string[] = [];
  await readChecked(writer, record, stale, "writer");
  await readChecked(reader, record, stale, "reader");
  return { events, writer, reader, record, stale };
}

async function eventually(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500; i += 1) {
    if (await check()) return;
    await sleep(10);
  }
  throw new Error(`timed out waiting for ${what}`);
}

function busyEventLoop(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // The process is busy (a long synchronous task): no timer or socket callback runs meanwhile.
  }
}

beforeAll(async () => {
  server = await startRedisServer();
});

afterEach(async () => {
  await Promise.all(caches.splice(0).map((cache) => cache.close()));
  await server.ensureRunning();
});

afterAll(async () => {
  await server.stop();
});

describe("no stale read after an acknowledged write", () => {
  it("busy event loop: invalidateTags times out on the client after Redis executed it; later reads miss the old entry", async () => {
    const [cache, otherProcess] = caches2([], { breaker: { failureThreshold: 100 } });
    const record = new AccountRecord();
    await cache.set(KEY, { version: 1 }, { ttlSeconds: 300, tags: [TAG] });
    expect(await otherProcess.get(KEY)).toEqual({ version: 1 });

    record.version = 2;
    const pending = cache.invalidateTags(TAG);
    busyEventLoop(4 * COMMAND_TIMEOUT_MS);
    // Precondition of the repro: the client gave up although the command went out and Redis ran it.
    expect(await pending).toBe(false);
    record.acknowledged = 2;
    expect(cache.stats().pendingInvalidations).toBe(1);
    // A PING on the same connection returns only after Redis has processed the invalidation sent before it.
    expect((await cache.health()).ok).toBe(true);
    // The other process never saw the failure, has no journal entry, and still misses: the generation moved.
    expect(otherProcess.stats().pendingInvalidations).toBe(0);
    expect(await otherProcess.get(KEY)).toBeUndefined();

    // The sequence: a later successful invalidation, then reads.
    expect(await cache.invalidateTags(TAG)).toBe(true);
    expect(await cache.get(KEY)).toBeUndefined();
    const stale: string[] = [];
    expect(await readChecked(cache, record, stale, "writer")).toBe(2);
    expect(await readChecked(otherProcess, record, stale, "other")).toBe(2);
    expect(stale).toEqual([]);
    expect(record.reads).toBe(1); // the second read was a hit on the fresh value
  });

  it("Redis SIGKILLed between a write and the next read (before and after the invalidation reached it)", async () => {
    const { events, writer, reader, record, stale } = await warmScenario();

    // Round 1: the write's invalidation is confirmed, then Redis dies before anyone reads.
    expect(await record.write(writer)).toBe(true);
    await server.kill();
    await server.start();
    await eventually("both caches reconnected", async () => (await writer.health()).ok && (await reader.health()).ok);
    expect(await readChecked(reader, record, stale, "reader")).toBe(2);
    expect(await readChecked(writer, record, stale, "writer")).toBe(2);

    // Round 2: Redis dies first; the write's invalidation fails (journaled) and the write is acknowledged anyway.
    await server.kill();
    await eventually("the writer sees Redis gone", async () => !(await writer.health()).ok);
    expect(await record.write(writer)).toBe(false);
    expect(writer.stats().pendingInvalidations).toBe(1);
    // Reads during the outage come from the source.
    expect(await readChecked(reader, record, stale, "reader")).toBe(3);
    expect(await readChecked(writer, record, stale, "writer")).toBe(3);
    await server.start();
    await eventually("the journal was replayed", async () => (await writer.health()).ok && writer.stats().pendingInvalidations === 0);
    for (const [cache, who] of [
      [reader, "reader"],
      [writer, "writer"],
    ] as const) {
      expect(await readChecked(cache, record, stale, who)).toBe(3);
      expect(await readChecked(cache, record, stale, who)).toBe(3);
    }
    expect(stale).toEqual([]);
    expect(events.some((e) => e.error.code === "UNAVAILABLE")).toBe(true);
  });

  it("Redis frozen (SIGSTOP) longer than the command timeout during invalidation, then thawed", async () => {
    const { events, writer, reader, record, stale } = await warmScenario();

    server.freeze();
    try {
      // The invalidation is written to the socket and waits in it; the client times out first.
      expect(await record.write(writer)).toBe(false);
      await sleep(3 * COMMAND_TIMEOUT_MS); // the freeze lasts well beyond the command timeout
      expect(writer.stats().pendingInvalidations).toBe(1);
      // During the freeze every read times out (or skips Redis) and is answered from the source.
      expect(await readChecked(writer, record, stale, "writer")).toBe(2);
      expect(await readChecked(reader, record, stale, "reader")).toBe(2);
      // A second write while still frozen, with the breakers now open.
      expect(await record.write(writer)).toBe(false);
      expect(await readChecked(writer, record, stale, "writer")).toBe(3);
    } finally {
      server.thaw();
    }

    // The writer's own reads are safe at once: until Redis confirms what it re-sends (once the breaker lets it
    // through), they skip Redis.
    expect(await readChecked(writer, record, stale, "writer")).toBe(3);
    await eventually("the writer's invalidations are confirmed", () => writer.stats().pendingInvalidations === 0);
    expect(await readChecked(writer, record, stale, "writer")).toBe(3);
    // Across processes the guarantee starts once Redis ran the invalidation, which it now has.
    expect(await readChecked(reader, record, stale, "reader")).toBe(3);
    // Writes and reads carry on normally, and the cache serves hits again.
    expect(await record.write(writer)).toBe(true);
    const readsBefore = record.reads;
    expect(await readChecked(reader, record, stale, "reader")).toBe(4);
    expect(await readChecked(writer, record, stale, "writer")).toBe(4);
    expect(record.reads).toBe(readsBefore + 1);
    expect(stale).toEqual([]);
    expect(events.filter((e) => e.operation === "invalidateTags").length).toBeGreaterThanOrEqual(2);
  });

  it("under traffic: a writer and two readers through a freeze and a kill, no read older than an acknowledged write", async () => {
    const [writer, reader] = caches2();
    const record = new AccountRecord();
    const stale: string[] = [];
    let stop = false;
    let served = 0;
    const loop = async (cache: RedisCache, who: string): Promise<void> => {
      while (!stop) {
        await readChecked(cache, record, stale, who);
        served += 1;
        await sleep(2);
      }
    };
    const writes = (async () => {
      while (!stop) {
        await record.write(writer);
        await sleep(15);
      }
    })();
    const readers = [loop(writer, "writer"), loop(reader, "reader")];

    await sleep(100);
    server.freeze();
    await sleep(4 * COMMAND_TIMEOUT_MS);
    server.thaw();
    await sleep(100);
    await server.kill();
    await sleep(150);
    await server.start();
    await eventually(
      "the writer is back with nothing pending",
      async () => (await writer.health()).ok && writer.stats().pendingInvalidations === 0,
    );
    await sleep(100);
    stop = true;
    await Promise.all([writes, ...readers]);

    // The writer's process is held to the guarantee throughout. Another process is held to it from the moment
    // Redis ran the invalidation: right after a thaw, Redis may serve a read that another client queued while it
    // was frozen before the writer's invalidation queued on another connection (in practice: not seen). So the
    // reader is checked strictly once the writer's journal is empty.
    expect(stale.filter((line) => line.startsWith("writer"))).toEqual([]);
    expect(served).toBeGreaterThan(20);
    const afterRecovery: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      await record.write(writer);
      await readChecked(reader, record, afterRecovery, "reader");
      await readChecked(writer, record, afterRecovery, "writer");
    }
    expect(afterRecovery).toEqual([]);
  }, 30_000);
});
