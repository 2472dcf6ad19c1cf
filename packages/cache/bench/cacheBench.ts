/**
 * Cache hit vs miss timings for `wrap`, for `pnpm bench`. The caller supplies the loader (e.g. one MongoDB
 * aggregation); the function measures the bare loader, `wrap` on a miss (read + lock + loader + write) and
 * `wrap` on a hit, each as the median over several runs of the mean time per call.
 */
import { randomUUID } from "node:crypto";
import { MemoryCache } from "../src/memoryCache";
import { RedisCache } from "../src/redisCache";
import type { CacheService } from "../src/cacheService";

/** Options of `runCacheBenchmark`. */
export interface CacheBenchmarkOptions<T> {
  /** What a miss costs, e.g. one MongoDB aggregation; called once per measured miss and per bare-loader sample. */
  readonly loader: () => Promise<T>;
  /**
   * Caches to measure, by label. Default: a `MemoryCache`, plus a `RedisCache` on `redisUrl` when given
   * (caches created here are closed at the end; caches passed in are not).
   */
  readonly caches?: Readonly<Record<string, CacheService>>;
  /** Redis to measure when `caches` is not given (e.g. `process.env.REDIS_URL`); skipped if unreachable. */
  readonly redisUrl?: string | undefined;
  /** Runs per measurement; the median run is reported (default 7). */
  readonly runs?: number;
  /** Calls per run (default 20). */
  readonly iterations?: number;
}

/** Timings of one cache, in milliseconds per call (medians over runs of the per-run mean). */
export interface CacheBenchmarkFigures {
  readonly cache: string;
  readonly loaderMs: number;
  readonly missMs: number;
  readonly hitMs: number;
  /** `missMs / hitMs`: how many times faster a hit is than a miss. */
  readonly missToHitRatio: number;
  /** Loader calls made while measuring hits (0 unless entries expired or were evicted mid-run). */
  readonly loaderCallsDuringHits: number;
}

/** Result of `runCacheBenchmark`. */
export interface CacheBenchmarkResult {
  readonly runs: number;
  readonly iterations: number;
  readonly results: readonly CacheBenchmarkFigures[];
  /** Caches that could not be measured (e.g. Redis unreachable), with the reason. */
  readonly skipped: readonly { readonly cache: string; readonly reason: string }[];
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function meanMs(iterations: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < iterations; i += 1) await fn(i);
  return (performance.now() - started) / iterations;
}

/**
 * Measures each cache: bare loader, `wrap` miss (fresh key each call) and `wrap` hit (one warm key), as the
 * median of `runs` runs of `iterations` sequential calls. Writes only keys tagged with a per-benchmark tag,
 * invalidates that tag and deletes the keys at the end.
 */
export async function runCacheBenchmark<T>(options: CacheBenchmarkOptions<T>): Promise<CacheBenchmarkResult> {
  const runs = options.runs ?? 7;
  const iterations = options.iterations ?? 20;
  const created: CacheService[] = [];
  const skipped: { cache: string; reason: string }[] = [];
  let caches: Record<string, CacheService>;
  if (options.caches) {
    caches = { ...options.caches };
  } else {
    const memory = new MemoryCache({ maxEntries: runs * iterations + 10 });
    created.push(memory);
    caches = { memory };
    if (options.redisUrl) {
      const redis = new RedisCache({ redis: options.redisUrl, keyPrefix: `bench:${randomUUID().slice(0, 8)}:`, commandTimeoutMs: 1000 });
      created.push(redis);
      if ((await redis.health()).ok) caches.redis = redis;
      else skipped.push({ cache: "redis", reason: "Redis did not answer PING" });
    }
  }

  const results: CacheBenchmarkFigures[] = [];
  try {
    for (const [label, cache] of Object.entries(caches)) {
      const tag = `bench:${randomUUID()}`;
      const wrapOptions = { ttlSeconds: 600, tags: [tag] };
      let loaderCalls = 0;
      const counted = async () => {
        loaderCalls += 1;
        return options.loader();
      };
      await options.loader(); // warm-up (connections, JIT, query plans)
      const loaderRuns: number[] = [];
      const missRuns: number[] = [];
      const hitRuns: number[] = [];
      let loaderCallsDuringHits = 0;
      const written: string[] = [];
      for (let run = 0; run < runs; run += 1) {
        loaderRuns.push(await meanMs(iterations, () => options.loader()));
        const missKey = (i: number) => `bench:miss:${tag}:${run}:${i}`;
        missRuns.push(await meanMs(iterations, (i) => cache.wrap(missKey(i), wrapOptions, counted)));
        const hotKey = `bench:hit:${tag}:${run}`;
        written.push(...Array.from({ length: iterations }, (_, i) => missKey(i)), hotKey);
        await cache.wrap(hotKey, wrapOptions, counted);
        const before = loaderCalls;
        hitRuns.push(await meanMs(iterations, () => cache.wrap(hotKey, wrapOptions, counted)));
        loaderCallsDuringHits += loaderCalls - before;
      }
      await cache.invalidateTags(tag);
      await cache.del(written);
      const missMs = median(missRuns);
      const hitMs = median(hitRuns);
      results.push({
        cache: label,
        loaderMs: median(loaderRuns),
        missMs,
        hitMs,
        missToHitRatio: hitMs > 0 ? missMs / hitMs : Number.POSITIVE_INFINITY,
        loaderCallsDuringHits,
      });
    }
  } finally {
    await Promise.all(created.map((cache) => cache.close()));
  }
  return { runs, iterations, results, skipped };
}
