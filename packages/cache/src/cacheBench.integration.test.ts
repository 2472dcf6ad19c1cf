import { startTestRedis, type TestRedis } from "@cspm/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCacheBenchmark } from "../bench/cacheBench";
import { MemoryCache, RedisCache } from "./index";

// Checks what the benchmark does, never how fast anything is.
describe("runCacheBenchmark", () => {
  let redis: TestRedis;
  let prefix: string;

  beforeAll(async () => {
    redis = await startTestRedis({ label: "cachebench" });
    prefix = redis.prefix;
  });

  afterAll(async () => {
    await redis.stop();
  });

  it("reports loader, miss and hit figures per cache, serves hits without the loader and cleans up its keys", async () => {
    let calls = 0;
    const loader = async () => {
      calls += 1;
      return { rows: [{ at: new Date(0), n: calls }] };
    };
    const memory = new MemoryCache();
    const cache = new RedisCache({ redis: redis.url, keyPrefix: prefix });
    try {
      const result = await runCacheBenchmark({ loader, caches: { memory, redis: cache }, runs: 3, iterations: 4 });
      expect(result.skipped).toEqual([]);
      expect(result.results.map((r) => r.cache)).toEqual(["memory", "redis"]);
      for (const figures of result.results) {
        expect(figures.loaderCallsDuringHits).toBe(0);
        for (const ms of [figures.loaderMs, figures.missMs, figures.hitMs]) {
          expect(Number.isFinite(ms)).toBe(true);
        }
      }
      // Per cache: 1 warm-up + runs × (iterations bare + iterations misses + 1 warm hit key).
      expect(calls).toBe(2 * (1 + 3 * (4 + 4 + 1)));
      expect(cache.stats().hits).toBe(3 * 4);
      // Only the prefix's generations and the fence marker remain: every entry was invalidated and read no more.
      const left = await redis.keys();
      expect(left.filter((key) => key.startsWith(`${prefix}v:`))).toEqual([]);
      expect(memory.size).toBe(0);
    } finally {
      await memory.close();
      await cache.close();
    }
  });

  it("creates its own caches from redisUrl and reports an unreachable Redis as skipped instead of failing", async () => {
    const result = await runCacheBenchmark({ loader: async () => 1, redisUrl: "redis://127.0.0.1:1", runs: 1, iterations: 1 });
    expect(result.results.map((r) => r.cache)).toEqual(["memory"]);
    expect(result.skipped).toEqual([{ cache: "redis", reason: "Redis did not answer PING" }]);
  });
});
