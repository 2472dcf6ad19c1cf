import { SEVERITIES } from "@cspm/domain";
import { testDatabasePrefix } from "@cspm/testkit";
/**
 * Cache figures beyond the dashboard's warm/cold: (1) a stampede — N concurrent cold requests for the
 * same dashboard summary, counting the loader's MongoDB aggregations (target 1), with an in-memory
 * cache, with Redis, and with two Redis-backed "processes" (separate caches and clients) splitting the
 * requests; (2) hit vs miss of `wrap` for a loader that costs one MongoDB aggregation
 * (`runCacheBenchmark` of @cspm/cache), in memory and in Redis; (3) Redis round trips and latency of get / set /
 * wrap / invalidateTags before and after generation-stamped tags, and the lost-reply repro on both
 * (`runCacheRoundTripBenchmark`).
 */
import { randomUUID } from "node:crypto";
import { type CacheService, MemoryCache, RedisCache } from "@cspm/cache";
import { CredentialCipher, generateKey } from "@cspm/crypto";
import { FindingRollupRepository, ProwlerFindingRepository } from "@cspm/domain";
import { CommandMonitor, CSPMDatabaseManager } from "@cspm/mongo";
import { RepositoryFactory, parseTeamId } from "@cspm/repository";
import { AggregationService, CentralAccountService, createServices } from "@cspm/services";
import type { Document } from "mongodb";
import { type CacheBenchmarkResult, runCacheBenchmark } from "../../packages/cache/bench/cacheBench";
import { type CacheRoundTripResult, deleteRedisPrefix, runCacheRoundTripBenchmark } from "../../packages/cache/bench/roundTripBench";
import { dropBenchDatabases } from "./dropBenchDatabases";

/** Options of `runCacheStampedeBenchmark`. */
export interface CacheStampedeOptions {
  readonly uri: string;
  /** Findings the summaries aggregate over (default 10,000). */
  readonly findings?: number;
  /** Concurrent cold requests (default 100). */
  readonly concurrent?: number;
  /** Redis to include (e.g. `REDIS_URL`); skipped when it does not answer. */
  readonly redisUrl?: string | undefined;
  /** Runs of the hit/miss measurement (default 5). */
  readonly runs?: number;
  /** Timed calls per case of the round-trip comparison (default 200). */
  readonly roundTripIterations?: number | undefined;
  readonly log?: (line: string) => void;
}

/** One stampede: how many loader calls `concurrent` cold requests caused. */
export interface StampedeFigure {
  readonly cache: string;
  readonly requests: number;
  /** `aggregate` commands on prowler_findings: the loader's query. */
  readonly loaderCalls: number;
  /** Requests that got a summary (all of them, or the figure is void). */
  readonly answered: number;
  readonly ms: number;
}

/** What `runCacheStampedeBenchmark` returns. */
export interface CacheStampedeResult {
  readonly findings: number;
  readonly stampedes: readonly StampedeFigure[];
  readonly hitMiss: CacheBenchmarkResult;
  /** Redis round trips before/after generation-stamped tags (when Redis was measured). */
  readonly roundTrips?: CacheRoundTripResult;
  readonly redis: "measured" | "unreachable" | "not configured";
}

const TEAM = "bench_cache";
const DAY_MS = 86_400_000;

async function seed(manager: CSPMDatabaseManager, findings: number, now: Date): Promise<void> {
  const collection = manager.getCollection("CLOUD_SECURITY", "prowler_findings");
  for (let start = 0; start < findings; start += 10_000) {
    const docs: Document[] = [];
    for (let i = start; i < Math.min(findings, start + 10_000); i++) {
      const seen = new Date(now.getTime() - (i % 25) * DAY_MS);
      docs.push({
        team_id: TEAM,
        provider: "aws",
        account_id: String(100_000_000_000 + (i % 10)),
        scan_id: "bench-cache",
        check_id: `check_${i % 120}`,
        check_title: `Cache benchmark check ${i % 120}`,
        status: i % 3 === 0 ? "PASS" : "FAIL",
        status_extended: "cache benchmark",
        severity: SEVERITIES[i % 5],
        service_name: "iam",
        region: "us-east-1",
        resource_uid: `arn:aws:iam::bench:${i}`,
        resource_type: "AwsIamRole",
        compliance: [{ framework: "CIS-2.0", controls: [`1.${i % 20}`] }],
        muted: false,
        first_seen_at: seen,
        last_seen_at: seen,
        created_at: seen,
        updated_at: seen,
      });
    }
    await collection.insertMany(docs, { ordered: false });
  }
}

/** Seeds its own `bench_<random>_` databases, measures, drops them. Redis keys use a random prefix and are invalidated. */
export async function runCacheStampedeBenchmark(options: CacheStampedeOptions): Promise<CacheStampedeResult> {
  const findings = options.findings ?? 10_000;
  const concurrent = options.concurrent ?? 100;
  const log = options.log ?? (() => undefined);
  const prefix = testDatabasePrefix("bench");
  const monitor = new CommandMonitor();
  const manager = new CSPMDatabaseManager({ uri: options.uri, prefix, commandMonitor: monitor, appName: "cspm-bench-cache" });
  await manager.connect();
  const created: CacheService[] = [];
  const redisPrefix = `bench:${randomUUID().slice(0, 8)}:`;
  const redisCache = (): RedisCache => {
    const cache = new RedisCache({
      redis: options.redisUrl as string,
      keyPrefix: redisPrefix,
      commandTimeoutMs: 1000,
      lock: { ttlMs: 60_000, waitMs: 60_000, pollIntervalMs: 20 },
    });
    created.push(cache);
    return cache;
  };
  try {
    await manager.ensureIndexes({ databases: ["CLOUD_SECURITY"] });
    const now = new Date();
    await seed(manager, findings, now);
    const repositories = new RepositoryFactory({ provider: manager });
    // The seed writes around the repository (no rollup marks), so the rollups the dashboard reads are built here,
    // as `rollups rebuild` would after raw writes.
    await repositories.get(FindingRollupRepository).rebuild(TEAM);
    const cipher = new CredentialCipher([{ id: "bench", key: generateKey() }]);
    const servicesOn = (cache: CacheService): AggregationService =>
      createServices({ manager, cache, cipher, repositories, clock: () => now }).aggregation;

    let redis: CacheStampedeResult["redis"] = "not configured";
    if (options.redisUrl) {
      const probe = redisCache();
      redis = (await probe.health()).ok ? "measured" : "unreachable";
    }

    const stampede = async (label: string, services: readonly AggregationService[]): Promise<StampedeFigure> => {
      await services[0]?.invalidate(parseTeamId(TEAM));
      const started = performance.now();
      const measured = await monitor.measure(() =>
        Promise.all(
          Array.from({ length: concurrent }, (_, i) =>
            (services[i % services.length] as AggregationService).getDashboardSummary(parseTeamId(TEAM)),
          ),
        ),
      );
      const ms = performance.now() - started;
      // The loader's one aggregation: of the rollups (the dashboard's read), or of the findings when rollups are stale.
      const loaderCalls = measured.commands.filter(
        (c) => c.name === "aggregate" && (c.collection === "finding_rollups" || c.collection === "prowler_findings"),
      ).length;
      const answered = measured.result.filter((s) => s.totals.findings === findings).length;
      log(
        `  stampede (${label}): ${concurrent} concurrent cold requests -> ${loaderCalls} loader call(s), ${answered} answered, ${(ms / 1000).toFixed(1)} s`,
      );
      return { cache: label, requests: concurrent, loaderCalls, answered, ms };
    };

    const memory = new MemoryCache();
    created.push(memory);
    const stampedes: StampedeFigure[] = [await stampede("memory", [servicesOn(memory)])];
    if (redis === "measured") {
      stampedes.push(await stampede("redis", [servicesOn(redisCache())]));
      stampedes.push(await stampede("redis, 2 processes", [servicesOn(redisCache()), servicesOn(redisCache())]));
    }

    // Hit vs miss for a loader that is one MongoDB aggregation (counts by severity).
    const findingsRepo = repositories.get(ProwlerFindingRepository);
    log(`  hit vs miss of wrap() around one aggregation over ${findings.toLocaleString("en-US")} findings`);
    const hitMissMemory = new MemoryCache({ maxEntries: 10_000 });
    created.push(hitMissMemory);
    const hitMiss = await runCacheBenchmark({
      loader: () => findingsRepo.countBySeverity(TEAM),
      caches: redis === "measured" ? { memory: hitMissMemory, redis: redisCache() } : { memory: hitMissMemory },
      runs: options.runs ?? 5,
      iterations: 10,
    });
    if (redis !== "measured" || !options.redisUrl) return { findings, stampedes, hitMiss, redis };
    log("  Redis round trips and latency of get / set / wrap / invalidateTags, before and after generation-stamped tags");
    const roundTrips = await runCacheRoundTripBenchmark({ redisUrl: options.redisUrl, iterations: options.roundTripIterations });
    for (const c of roundTrips.cases) {
      log(
        `    ${c.name}: ${c.before.roundTrips} -> ${c.after.roundTrips} round trip(s), ${c.before.commands} -> ${c.after.commands} command(s), median ${(c.before.medianMs * 1000).toFixed(0)} -> ${(c.after.medianMs * 1000).toFixed(0)} us`,
      );
    }
    return { findings, stampedes, hitMiss, roundTrips, redis };
  } finally {
    for (const cache of created) {
      await cache.invalidateTags([AggregationService.cacheTag(TEAM), CentralAccountService.cacheTag(TEAM)]).catch(() => undefined);
      await cache.close();
    }
    // Invalidated entries stay until read or expired: delete everything under this run's prefix.
    if (options.redisUrl) await deleteRedisPrefix(options.redisUrl, redisPrefix).catch(() => undefined);
    await dropBenchDatabases(manager);
    await manager.close();
  }
}
