/**
 * Round trips and latency of `RedisCache` get / set / wrap / invalidateTags, before and after generation-stamped
 * tags, in one run against one Redis: "before" is `LegacyTagCache` (the former algorithm's commands), "after" is
 * `RedisCache`. Commands and round trips are counted from ioredis's tracing channel; latency is the median of
 * single calls, before and after alternating. Also replays the lost-reply repro on both.
 */
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { RedisCache, REDIS_CACHE_CLIENT_DEFAULTS } from "../src/redisCache";
import { LegacyTagCache } from "./legacyTagCache";
import { countRedisCommands } from "./redisCommandCounter";

/** Options of `runCacheRoundTripBenchmark`. */
export interface CacheRoundTripOptions {
  /** The Redis to measure (e.g. `REDIS_URL`); only keys under a random `bench:` prefix are written, then deleted. */
  readonly redisUrl: string;
  /** Timed calls per case and side (default 200; invalidation over 100 entries runs a quarter of that). */
  readonly iterations?: number | undefined;
}

/** One side of one case. */
export interface RoundTripFigures {
  /** Commands one call sends (after warm-up). */
  readonly commands: number;
  /** Sequential round trips of one call (parallel commands count once). */
  readonly roundTrips: number;
  /** Median wall time of one call, ms. */
  readonly medianMs: number;
}

/** One operation, before and after. */
export interface RoundTripCase {
  readonly name: string;
  readonly before: RoundTripFigures;
  readonly after: RoundTripFigures;
}

/** The lost-reply repro on one implementation. */
export interface LostReplyOutcome {
  /** Whether the client saw the invalidation fail (the precondition: its reply lost to the timeout). */
  readonly timedOut: boolean;
  /** Whether another process then read the old entry. */
  readonly staleRead: boolean;
  /** Whether the old entry was still served after a later, successful invalidation of the same tag. */
  readonly staleAfterRetry: boolean;
}

/** What `runCacheRoundTripBenchmark` returns. */
export interface CacheRoundTripResult {
  readonly iterations: number;
  readonly cases: readonly RoundTripCase[];
  readonly lostReply: { readonly before: LostReplyOutcome; readonly after: LostReplyOutcome };
}

/** The part of either implementation a case uses. */
interface BenchCache {
  get(key: string): Promise<unknown>;
  set(key: string, value: unknown, options: { ttlSeconds: number; tags: string[] }): Promise<boolean>;
  wrap(key: string, options: { ttlSeconds: number; tags: string[] }, loader: () => Promise<unknown>): Promise<unknown>;
  invalidateTags(tags: string[]): Promise<boolean>;
}

interface BenchCase {
  readonly name: string;
  readonly iterations: number;
  /** Untimed preparation of call `i`. */
  readonly setup?: (cache: BenchCache, i: number) => Promise<unknown>;
  readonly call: (cache: BenchCache, i: number) => Promise<unknown>;
}

/** About the size of one cached account view. */
const VALUE = {
  id: "64b7f1f1f1f1f1f1f1f1f1f1",
  provider: "aws",
  account_id: "123456789012",
  name: "production",
  regions: ["eu-west-1", "us-east-1"],
  tags: [{ key: "env", value: "prod" }],
  status: "active",
  updated_at: new Date(0),
  version: 7,
};
const TTL = 600;
const busyWait = (ms: number): void => {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // a blocked event loop
  }
};

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function cases(iterations: number): BenchCase[] {
  const tags1 = (i: number) => ({ ttlSeconds: TTL, tags: [`t1:${i}`] });
  const tags3 = (i: number) => ({ ttlSeconds: TTL, tags: [`a:${i}`, `b:${i}`, `c:${i}`] });
  return [
    { name: "get, hit (1 tag)", iterations, setup: (c, i) => c.set(`hit:${i}`, VALUE, tags1(i)), call: (c, i) => c.get(`hit:${i}`) },
    { name: "get, miss", iterations, call: (c, i) => c.get(`absent:${i}`) },
    { name: "set (1 tag)", iterations, call: (c, i) => c.set(`set1:${i}`, VALUE, tags1(i)) },
    { name: "set (3 tags)", iterations, call: (c, i) => c.set(`set3:${i}`, VALUE, tags3(i)) },
    { name: "wrap, miss (recompute lock, 1 tag)", iterations, call: (c, i) => c.wrap(`wmiss:${i}`, tags1(i), async () => VALUE) },
    {
      name: "wrap, hit (1 tag)",
      iterations,
      setup: (c, i) => c.wrap(`whit:${i}`, tags1(i), async () => VALUE),
      call: (c, i) => c.wrap(`whit:${i}`, tags1(i), async () => VALUE),
    },
    {
      name: "invalidateTags (1 tag over 1 entry)",
      iterations,
      setup: (c, i) => c.set(`inv1:${i}`, VALUE, { ttlSeconds: TTL, tags: [`inv1:${i}`] }),
      call: (c, i) => c.invalidateTags([`inv1:${i}`]),
    },
    {
      name: "invalidateTags (1 tag over 100 entries)",
      iterations: Math.max(3, Math.round(iterations / 4)),
      setup: (c, i) =>
        Promise.all(Array.from({ length: 100 }, (_, n) => c.set(`inv100:${i}:${n}`, VALUE, { ttlSeconds: TTL, tags: [`inv100:${i}`] }))),
      call: (c, i) => c.invalidateTags([`inv100:${i}`]),
    },
    {
      name: "invalidateTags (3 tags)",
      iterations,
      setup: (c, i) => c.set(`inv3:${i}`, VALUE, tags3(i)),
      call: (c, i) => c.invalidateTags(tags3(i).tags),
    },
  ];
}

/** A cache plus a command on its own connection that returns once Redis processed everything sent before it. */
interface ProbedCache {
  readonly cache: BenchCache;
  readonly probe: () => Promise<unknown>;
}

/** The repro: set, invalidate while the event loop is blocked past the timeout, read from another process. */
async function lostReply(make: () => ProbedCache): Promise<LostReplyOutcome> {
  const { cache: writer, probe } = make();
  const { cache: other } = make();
  const tag = `lost:${randomUUID()}`;
  await writer.set("lost", VALUE, { ttlSeconds: TTL, tags: [tag] });
  await other.get("lost");
  const pending = writer.invalidateTags([tag]);
  busyWait(250);
  const timedOut = !(await pending);
  await probe();
  const staleRead = (await other.get("lost")) !== undefined;
  await writer.invalidateTags([tag]);
  const staleAfterRetry = (await other.get("lost")) !== undefined;
  return { timedOut, staleRead, staleAfterRetry };
}

/**
 * Measures every case on both implementations against `redisUrl`. Throws when Redis does not answer; deletes
 * every key it wrote.
 */
export async function runCacheRoundTripBenchmark(options: CacheRoundTripOptions): Promise<CacheRoundTripResult> {
  const iterations = options.iterations ?? 200;
  const port = new URL(options.redisUrl).port || "6379";
  const prefix = `bench:rt:${randomUUID().slice(0, 8)}:`;
  const clients: Redis[] = [];
  const closers: (() => Promise<void>)[] = [];
  const legacy = (timeoutMs = 1000): ProbedCache => {
    const client = new Redis(options.redisUrl, { ...REDIS_CACHE_CLIENT_DEFAULTS });
    client.on("error", () => undefined); // failures are the commands' to report
    clients.push(client);
    const cache = new LegacyTagCache(client, `${prefix}before:`, timeoutMs);
    return { cache, probe: () => client.ping() };
  };
  const current = (timeoutMs = 1000): ProbedCache => {
    const cache = new RedisCache({
      redis: options.redisUrl,
      keyPrefix: `${prefix}after:`,
      commandTimeoutMs: timeoutMs,
      breaker: { failureThreshold: 1000 },
    });
    closers.push(() => cache.close());
    return { cache, probe: () => cache.health() };
  };
  const admin = new Redis(options.redisUrl, { maxRetriesPerRequest: 1 });
  clients.push(admin);
  try {
    await admin.ping();
    const before = legacy().cache;
    const after = current().cache;
    const results: RoundTripCase[] = [];
    for (const c of cases(iterations)) {
      const figures = { before: [] as number[], after: [] as number[] };
      // Warm-up (connections, script cache, JIT), then one counted call per side.
      const counted: Record<"before" | "after", { commands: number; roundTrips: number }> = {
        before: { commands: 0, roundTrips: 0 },
        after: { commands: 0, roundTrips: 0 },
      };
      for (const [side, cache] of [
        ["before", before],
        ["after", after],
      ] as const) {
        await c.setup?.(cache, -1);
        await c.call(cache, -1);
        await c.setup?.(cache, -2);
        const count = await countRedisCommands(port, () => c.call(cache, -2));
        counted[side] = { commands: count.commands.length, roundTrips: count.roundTrips };
      }
      for (let i = 0; i < c.iterations; i += 1) {
        const order = i % 2 === 0 ? (["before", "after"] as const) : (["after", "before"] as const);
        for (const side of order) {
          const cache = side === "before" ? before : after;
          await c.setup?.(cache, i);
          const started = performance.now();
          await c.call(cache, i);
          figures[side].push(performance.now() - started);
        }
      }
      results.push({
        name: c.name,
        before: { ...counted.before, medianMs: median(figures.before) },
        after: { ...counted.after, medianMs: median(figures.after) },
      });
    }
    const lost = { before: await lostReply(() => legacy(50)), after: await lostReply(() => current(50)) };
    return { iterations, cases: results, lostReply: lost };
  } finally {
    for (const close of closers) await close();
    await deleteRedisPrefix(options.redisUrl, prefix);
    for (const client of clients) client.disconnect();
  }
}

/** Deletes every key under `prefix` (SCAN + DEL) and nothing else: how benchmarks clean up a shared Redis. */
export async function deleteRedisPrefix(url: string, prefix: string): Promise<void> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = "0";
    do {
      const [next, keys] = await client.scan(cursor, "MATCH", `${prefix.replace(/[*?[\]\\]/g, "\\$&")}*`, "COUNT", 1000);
      cursor = next;
      if (keys.length > 0) await client.del(...keys);
    } while (cursor !== "0");
  } finally {
    client.disconnect();
  }
}
