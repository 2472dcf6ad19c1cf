import { parseTeamId, type RepositoryFactory } from "@cspm/repository";
import { testDatabasePrefix } from "@cspm/testkit";
import { FindingRollupRepository, ProwlerFindingRepository, SEVERITIES } from "@cspm/domain";
/**
 * The brief's headline claim, measured: the dashboard summary as ONE aggregation (`getDashboardSummary`)
 * against a naive version that computes the same figures with one query per figure (11 `aggregate`
 * commands: totals, account count, check count, severity, provider, service, region, accounts with names,
 * top failing checks, framework compliance, daily trend). Both go through the same cache; each is timed
 * cold (cache dropped before every run) and warm (answered from the cache), medians over `runs`, the order
 * of the two alternating. Both results are compared figure by figure before anything is reported.
 *
 * Run: `MONGODB_URI=mongodb://127.0.0.1:27017 pnpm exec tsx packages/services/bench/dashboardBench.ts [findings] [runs]`
 * (without MONGODB_URI the testkit's test MongoDB is started).
 */
import { isDeepStrictEqual } from "node:util";
import { pathToFileURL } from "node:url";
import { MemoryCache, tenantCacheKey } from "@cspm/cache";
import { CredentialCipher, generateKey } from "@cspm/crypto";
import { CommandMonitor, CSPMDatabaseManager } from "@cspm/mongo";
import { DatabaseRegistry } from "@cspm/registry";
import { ObjectId, type Document } from "mongodb";
import { AggregationService } from "../src/aggregationService";
import { createServices } from "../src/createServices";
import {
  buildDashboardSummaryPipeline,
  shapeDashboardSummary,
  type DashboardScope,
  type DashboardSummary,
} from "../src/dashboardSummaryPipeline";

/** Options of `runDashboardBenchmark`. */
export interface DashboardBenchmarkOptions {
  /** MongoDB to run against (loopback test server or a real deployment). */
  readonly uri: string;
  /** Findings seeded for the benchmarked team (default 100,000). */
  readonly findings?: number;
  /** Repetitions per variant and cache state (default 5); medians are reported. */
  readonly runs?: number;
  /** Cloud accounts the findings are spread over (default 20). */
  readonly accounts?: number;
}

/** Figures of one variant. */
export interface DashboardVariantFigures {
  /** MongoDB commands one cold call sends. */
  readonly coldCommands: number;
  /** MongoDB commands one warm call sends. */
  readonly warmCommands: number;
  /** Median wall time with the cache dropped before each call, ms. */
  readonly coldMs: number;
  /** Median wall time answered from the cache, ms. */
  readonly warmMs: number;
}

/** What `runDashboardBenchmark` returns. */
export interface DashboardBenchmarkResult {
  readonly findings: number;
  readonly runs: number;
  /** `getDashboardSummary`: the rollup marks read and one `aggregate` with `$facet` over the rollups. */
  readonly single: DashboardVariantFigures;
  /** The same `$facet` over the findings themselves (the dashboard before rollups; still used for other windows). */
  readonly facet: DashboardVariantFigures;
  /** One query per figure. */
  readonly naive: DashboardVariantFigures;
  /** naive.coldMs / single.coldMs (> 1: the single aggregation is faster). */
  readonly coldTimeRatio: number;
  /** naive.warmMs / single.warmMs. */
  readonly warmTimeRatio: number;
  /** Share of round trips saved when cold: 1 - single / naive. */
  readonly roundTripReduction: number;
  /** Always true when returned: the two variants produced identical summaries. */
  readonly figuresMatch: true;
  /** Time spent seeding, ms (not part of the comparison). */
  readonly seedMs: number;
  /** Time to build the team's rollups from the seeded findings (`FindingRollupRepository.rebuild`), ms. */
  readonly rollupRebuildMs: number;
  /** Rollup rows the rebuild wrote. */
  readonly rollupRows: number;
}

const TEAM = "bench_team";
const DAY_MS = 86_400_000;
const CHECKS = 200;
const FRAMEWORKS = ["CIS-2.0", "SOC2", "ISO27001", "PCI-4.0"] as const;
const REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2"] as const;
const SERVICES = ["iam", "s3", "ec2", "rds", "kms", "cloudtrail", "lambda", "vpc"] as const;

/** Deterministic PRNG (mulberry32), so every run seeds the same data. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function pick<T>(list: readonly T[], random: () => number): T {
  return list[Math.floor(random() * list.length)] as T;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function accountIdOf(index: number): string {
  return String(100_000_000_000 + index);
}

async function seed(manager: CSPMDatabaseManager, count: number, accounts: number, now: Date): Promise<void> {
  const random = prng(42);
  const accountDocs = Array.from({ length: accounts }, (_, i) => ({
    _id: new ObjectId(),
    team_id: TEAM,
    provider: "aws",
    account_id: accountIdOf(i),
    name: `Account ${i + 1}`,
    status: "active",
    regions: [...REGIONS],
    tags: [],
    version: 1,
    created_at: now,
    updated_at: now,
  }));
  await manager.getCollection("CLOUD_SECURITY", "enhanced_cloud_accounts").insertMany(accountDocs);
  const findings = manager.getCollection("CLOUD_SECURITY", "prowler_findings");
  const batch = 5_000;
  for (let start = 0; start < count; start += batch) {
    const docs: Document[] = [];
    for (let i = start; i < Math.min(count, start + batch); i++) {
      const check = Math.floor(random() * CHECKS);
      const roll = random();
      const seen = new Date(now.getTime() - Math.floor(random() * 30) * DAY_MS - Math.floor(random() * DAY_MS));
      const frameworks = FRAMEWORKS.filter((_, f) => (check + f) % 3 !== 0).slice(0, 2);
      docs.push({
        team_id: TEAM,
        provider: "aws",
        account_id: accountIdOf(Math.floor(random() * accounts)),
        scan_id: "bench",
        check_id: `check_${check}`,
        check_title: `Check number ${check}`,
        status: roll < 0.6 ? "PASS" : roll < 0.95 ? "FAIL" : "MANUAL",
        status_extended: "benchmark finding",
        severity: SEVERITIES[check % SEVERITIES.length],
        service_name: SERVICES[check % SERVICES.length],
        region: pick(REGIONS, random),
        resource_uid: `arn:aws:bench:${i}`,
        resource_type: "AwsResource",
        compliance: frameworks.map((framework) => ({ framework, controls: [`${check % 10}.${check % 7}`] })),
        muted: random() < 0.03,
        first_seen_at: new Date(seen.getTime() - DAY_MS),
        last_seen_at: seen,
        created_at: seen,
        updated_at: seen,
      });
    }
    await findings.insertMany(docs, { ordered: false });
  }
}

/** The naive dashboard: every `$facet` branch of the single pipeline sent as its own aggregation (after the same `$match`/`$project`). */
async function naiveDashboard(repositories: RepositoryFactory, scope: DashboardScope, now: Date): Promise<DashboardSummary> {
  const pipeline = buildDashboardSummaryPipeline(scope);
  const prefixStages = pipeline.slice(0, -1);
  const facetStage = pipeline.at(-1) as { $facet: Record<string, Document[]> };
  const facet: Document = {};
  for (const [name, branch] of Object.entries(facetStage.$facet)) {
    facet[name] = await repositories
      .get(ProwlerFindingRepository)
      .forTeam(parseTeamId(scope.teamId))
      .aggregate([...prefixStages, ...branch], { batchSize: 10_000 });
  }
  return shapeDashboardSummary(facet, scope, now);
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const started = performance.now();
  const result = await fn();
  return { ms: performance.now() - started, result };
}

/**
 * Seeds `findings` Prowler findings (default 100,000) into a fresh, uniquely prefixed set of databases,
 * measures both variants cold and warm, checks they agree, drops the databases and returns the figures.
 * Throws when the two variants disagree (the comparison would be meaningless).
 */
export async function runDashboardBenchmark(options: DashboardBenchmarkOptions): Promise<DashboardBenchmarkResult> {
  const findings = options.findings ?? 100_000;
  const runs = Math.max(1, options.runs ?? 5);
  const accounts = Math.max(1, options.accounts ?? 20);
  const monitor = new CommandMonitor();
  const prefix = testDatabasePrefix("bench");
  const manager = new CSPMDatabaseManager({ uri: options.uri, prefix, commandMonitor: monitor, appName: "cspm-dashboard-bench" });
  await manager.connect();
  const now = new Date();
  const clock = (): Date => new Date(now.getTime());
  const cache = new MemoryCache();
  try {
    await manager.ensureIndexes({ databases: ["CLOUD_SECURITY"] });
    const seedStarted = performance.now();
    await seed(manager, findings, accounts, now);
    const seedMs = performance.now() - seedStarted;

    const cipher = new CredentialCipher([{ id: "bench", key: generateKey() }]);
    const { aggregation: service, repositories } = createServices({ manager, cache, cipher, clock });
    // The seed went around the finding repository (no rollup marks): build the rollups as an import would.
    const rebuildStarted = performance.now();
    const rebuilt = await repositories.get(FindingRollupRepository).rebuild(TEAM);
    const rollupRebuildMs = performance.now() - rebuildStarted;
    const scope: DashboardScope = {
      teamId: TEAM,
      accountIds: null,
      since: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) - 29 * DAY_MS),
    };
    const naiveKey = tenantCacheKey(TEAM, "bench", "naive-dashboard");
    const naive = (): Promise<DashboardSummary> =>
      cache.wrap(naiveKey, { ttlSeconds: 600, tags: [AggregationService.cacheTag(TEAM)] }, () => naiveDashboard(repositories, scope, now));
    const single = (): Promise<DashboardSummary> => service.getDashboardSummary(parseTeamId(TEAM));
    const facetKey = tenantCacheKey(TEAM, "bench", "facet-dashboard");
    const facet = (): Promise<DashboardSummary> =>
      cache.wrap(facetKey, { ttlSeconds: 600, tags: [AggregationService.cacheTag(TEAM)] }, async () => {
        const [result] = await repositories.get(ProwlerFindingRepository).forTeam(TEAM).aggregate(buildDashboardSummaryPipeline(scope));
        return shapeDashboardSummary(result, scope, now);
      });

    // Correctness first: the same figures, or the comparison means nothing.
    await service.invalidate(parseTeamId(TEAM));
    const expected = await single();
    const actual = await naive();
    const overFindings = await facet();
    if (!isDeepStrictEqual(expected, actual) || !isDeepStrictEqual(expected, overFindings))
      throw new Error("The rollup, $facet and naive dashboards disagree; refusing to report timings.");

    const variants = { single, facet, naive } as const;
    const times = {
      single: { cold: [] as number[], warm: [] as number[] },
      facet: { cold: [] as number[], warm: [] as number[] },
      naive: { cold: [] as number[], warm: [] as number[] },
    };
    const commands = { single: { cold: 0, warm: 0 }, facet: { cold: 0, warm: 0 }, naive: { cold: 0, warm: 0 } };
    for (let run = 0; run < runs; run++) {
      const order: ReadonlyArray<keyof typeof variants> = run % 2 === 0 ? ["single", "facet", "naive"] : ["naive", "facet", "single"];
      for (const name of order) {
        await service.invalidate(parseTeamId(TEAM));
        const cold = await monitor.measure(() => timed(variants[name]));
        times[name].cold.push(cold.result.ms);
        commands[name].cold = cold.commands.length;
        const warm = await monitor.measure(() => timed(variants[name]));
        times[name].warm.push(warm.result.ms);
        commands[name].warm = warm.commands.length;
      }
    }
    const figures = (name: keyof typeof variants): DashboardVariantFigures => ({
      coldCommands: commands[name].cold,
      warmCommands: commands[name].warm,
      coldMs: median(times[name].cold),
      warmMs: median(times[name].warm),
    });
    const s = figures("single");
    const n = figures("naive");
    return {
      findings,
      runs,
      single: s,
      facet: figures("facet"),
      naive: n,
      coldTimeRatio: n.coldMs / s.coldMs,
      warmTimeRatio: n.warmMs / s.warmMs,
      roundTripReduction: 1 - s.coldCommands / n.coldCommands,
      figuresMatch: true,
      seedMs,
      rollupRebuildMs,
      rollupRows: rebuilt.rows,
    };
  } finally {
    for (const key of DatabaseRegistry.keys())
      await manager
        .getDatabase(key)
        .dropDatabase()
        .catch(() => undefined);
    await cache.close();
    await manager.close();
  }
}

/** Prints a result as a small table. */
export function formatDashboardBenchmark(result: DashboardBenchmarkResult): string {
  const row = (name: string, f: DashboardVariantFigures): string =>
    `${name.padEnd(28)} ${String(f.coldCommands).padStart(6)} ${f.coldMs.toFixed(1).padStart(10)} ${String(f.warmCommands).padStart(6)} ${f.warmMs.toFixed(2).padStart(10)}`;
  return [
    `Dashboard summary over ${result.findings.toLocaleString("en-US")} findings, median of ${result.runs} runs (seeding took ${(result.seedMs / 1000).toFixed(1)} s)`,
    `${"variant".padEnd(28)} ${"cmds".padStart(6)} ${"cold ms".padStart(10)} ${"cmds".padStart(6)} ${"warm ms".padStart(10)}`,
    row("getDashboardSummary ($facet)", result.single),
    row("naive (one query per figure)", result.naive),
    `round trips saved (cold): ${(result.roundTripReduction * 100).toFixed(0)}%   time ratio naive/single: cold ${result.coldTimeRatio.toFixed(2)}x, warm ${result.warmTimeRatio.toFixed(2)}x`,
  ].join("\n");
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const findings = process.argv[2] === undefined ? undefined : Number(process.argv[2]);
  const runs = process.argv[3] === undefined ? undefined : Number(process.argv[3]);
  const main = async (): Promise<void> => {
    let uri = process.env.MONGODB_URI;
    let stop: (() => Promise<void>) | undefined;
    if (!uri) {
      const { startTestMongo } = await import("@cspm/testkit");
      const mongo = await startTestMongo();
      uri = mongo.uri;
      stop = () => mongo.stop();
    }
    try {
      const result = await runDashboardBenchmark({
        uri,
        ...(findings === undefined ? {} : { findings }),
        ...(runs === undefined ? {} : { runs }),
      });
      console.log(formatDashboardBenchmark(result));
    } finally {
      await stop?.();
    }
  };
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
