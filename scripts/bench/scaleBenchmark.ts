/**
 * `pnpm bench --scale 1m`: how the posture reads grow from 10,000 to 1,000,000 findings of one team, in one
 * run on one server. Other teams' findings are seeded first as noise (default 2 teams x 100,000) and stay for
 * both sizes. The measured team is seeded with `insertMany` of pre-built documents in the stored shape the
 * write path produces (`benchFindingDocument`: derived fields, lifecycle fields, the first sighting's history;
 * checked against `ProwlerFindingSchema`), indexes come from the normal index sync, and the team's rollups are
 * rebuilt from its findings (`FindingRollupRepository.rebuild`, timed) before the reads, as an import would
 * leave them. At each size, through the services' public API: `getDashboardSummary` cold (cache dropped) and
 * warm, every `PostureOverviewService` method, the finding explorer (first page and a page ~90% deep for
 * every sort, facets unfiltered, under a filter on rollup dimensions and under other filters), the
 * throughput of an `importScan` of `importFindings` new findings (a fresh account, so its resolve sweep and
 * rollup refresh touch no seeded data) and the engine's RSS. Every figure is reported as large / small.
 */
import { readFileSync } from "node:fs";
import { MemoryCache } from "@cspm/cache";
import { CredentialCipher, generateKey } from "@cspm/crypto";
import { FindingRollupRepository, ProwlerFindingSchema } from "@cspm/domain";
import { bufferSource, importRepositories, importScan } from "@cspm/ingest";
import { CSPMDatabaseManager } from "@cspm/mongo";
import { parseTeamId, RepositoryFactory } from "@cspm/repository";
import { testDatabasePrefix } from "@cspm/testkit";
import {
  benchFindingDocument,
  measureFindingQueries,
  prng,
  seedBenchFindings,
  timeMedian,
} from "../../packages/services/bench/findingQueryBench";
import { createServices } from "../../packages/services/src/createServices";
import type { FindingFilter } from "../../packages/services/src/findingQueryService";
import { count, duration } from "./benchmarkMath";
import { benchOcsfNdjson } from "./ingestFormatsBenchmark";
import { dropBenchDatabases } from "./dropBenchDatabases";

/** Options of `runScaleBenchmark`. */
export interface ScaleBenchmarkOptions {
  readonly uri: string;
  /** Findings of the measured team at the two sizes (default 10,000 and 1,000,000). */
  readonly small?: number;
  readonly large?: number;
  /** Noise: other teams and findings per other team (default 2 x 100,000). */
  readonly noiseTeams?: number;
  readonly noisePerTeam?: number;
  /** Findings of the timed import at each size (default 2,000). */
  readonly importFindings?: number;
  /** Repetitions per read case (default 3); medians are reported. */
  readonly runs?: number;
  /** Process id of the engine, for its RSS (`/proc/<pid>/status`); absent: RSS is not reported. */
  readonly enginePid?: number;
  readonly log?: (line: string) => void;
}

/** One figure at both sizes. */
export interface ScaleCase {
  readonly group: "dashboard" | "overview" | "explorer" | "facets" | "import" | "rollups";
  readonly name: string;
  readonly small: number;
  readonly large: number;
  /** large / small. */
  readonly ratio: number;
  /** `ms` (lower is better) or `findings/s` (higher is better). */
  readonly unit: "ms" | "findings/s";
  /** The target on the ratio when the issue sets one (`<= 2`), else undefined (documented cost). */
  readonly maxRatio?: number;
}

/** What `runScaleBenchmark` returns. */
export interface ScaleBenchmarkResult {
  readonly small: number;
  readonly large: number;
  readonly noiseTeams: number;
  readonly noisePerTeam: number;
  readonly importFindings: number;
  readonly runs: number;
  readonly cases: readonly ScaleCase[];
  /** Wall time of seeding (noise, then the team to each size), ms. */
  readonly seedMs: { readonly noise: number; readonly small: number; readonly large: number };
  /** Engine resident set size after each size's reads, bytes (undefined when the engine is not a local child). */
  readonly engineRssBytes: { readonly small?: number; readonly large?: number; readonly peak?: number };
}

const TEAM = "bench_scale";
const ACCOUNTS = 20;
/** Accounts of the timed imports: outside the seeded ones (`benchFindingDocument` numbers from 100000000000). */
const IMPORT_ACCOUNTS = { small: "100000000900", large: "100000000901" } as const;

function rss(pid: number | undefined): { rss?: number; peak?: number } {
  if (pid === undefined) return {};
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kib = (field: string): number | undefined => {
      const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
      return match ? Number(match[1]) * 1024 : undefined;
    };
    const now = kib("VmRSS");
    const peak = kib("VmHWM");
    return { ...(now === undefined ? {} : { rss: now }), ...(peak === undefined ? {} : { peak }) };
  } catch {
    return {};
  }
}

/** The filters facets are measured under: rollup dimensions only, and others (documented cost, no target). */
const ROLLUP_FILTER: FindingFilter = {
  accountId: ["100000000003"],
  severity: ["high", "critical"],
  status: ["FAIL"],
  provider: ["aws"],
  service: ["s3"],
  region: ["us-east-1"],
};
const OTHER_FILTERS: Readonly<Record<string, FindingFilter>> = {
  "check id": { checkId: ["check_7"] },
  "text search": { search: "resource-12" },
  "framework CIS-2.0": { framework: "CIS-2.0" },
};

/** Seeds, measures at both sizes and drops the databases (whatever happens). */
export async function runScaleBenchmark(options: ScaleBenchmarkOptions): Promise<ScaleBenchmarkResult> {
  const small = options.small ?? 10_000;
  const large = Math.max(options.large ?? 1_000_000, small);
  const noiseTeams = options.noiseTeams ?? 2;
  const noisePerTeam = options.noisePerTeam ?? 100_000;
  const importFindings = options.importFindings ?? 2_000;
  const runs = Math.max(1, options.runs ?? 3);
  const log = options.log ?? (() => undefined);
  const prefix = testDatabasePrefix("benchscale");
  const manager = new CSPMDatabaseManager({ uri: options.uri, prefix, appName: "cspm-scale-bench" });
  await manager.connect();
  const now = new Date();
  const cache = new MemoryCache();
  try {
    await manager.ensureIndexes({ databases: ["CLOUD_SECURITY", "SECURITY_SCANS", "ORCHESTRATION"] });
    // The seeded shape must be one the schema accepts (the write path validates; the seed goes around it).
    const sample = benchFindingDocument(TEAM, 0, prng(1), now, ACCOUNTS);
    const parsed = ProwlerFindingSchema.safeParse(sample);
    if (!parsed.success) throw new Error(`the seeded finding is not schema-valid: ${parsed.error.message}`);

    const cipher = new CredentialCipher([{ id: "bench", key: generateKey() }]);
    const services = createServices({ manager, cache, cipher, clock: () => now });
    const rollups = services.repositories.get(FindingRollupRepository);
    const imports = importRepositories(new RepositoryFactory({ provider: manager }));
    const team = parseTeamId(TEAM);

    let started = performance.now();
    for (let t = 0; t < noiseTeams; t++) {
      await seedBenchFindings(manager, `bench_noise_${t}`, 0, noisePerTeam, now, { accounts: ACCOUNTS });
      log(`  noise team ${t + 1}/${noiseTeams}: ${count(noisePerTeam)} findings (${duration(performance.now() - started)} so far)`);
    }
    const noiseMs = performance.now() - started;

    const measure = async (
      size: number,
      importAccount: string,
    ): Promise<Map<string, { value: number; case: Omit<ScaleCase, "small" | "large" | "ratio"> }>> => {
      const out = new Map<string, { value: number; case: Omit<ScaleCase, "small" | "large" | "ratio"> }>();
      const put = (group: ScaleCase["group"], name: string, value: number, maxRatio?: number, unit: ScaleCase["unit"] = "ms"): void => {
        out.set(name, { value, case: { group, name, unit, ...(maxRatio === undefined ? {} : { maxRatio }) } });
      };
      let at = performance.now();
      const rebuilt = await rollups.rebuild(TEAM);
      put("rollups", "rollup rebuild of the team (untargeted: a one-off)", performance.now() - at);
      log(`  ${count(size)}: rollups rebuilt (${count(rebuilt.rows)} rows) in ${duration(performance.now() - at)}`);

      const cold: number[] = [];
      for (let run = 0; run < runs; run++) {
        await services.aggregation.invalidate(team);
        at = performance.now();
        await services.aggregation.getDashboardSummary(team);
        cold.push(performance.now() - at);
      }
      cold.sort((a, b) => a - b);
      put("dashboard", "getDashboardSummary, cold (cache dropped)", cold[Math.floor(cold.length / 2)] as number, 2);
      put("dashboard", "getDashboardSummary, warm (cached)", await timeMedian(() => services.aggregation.getDashboardSummary(team), runs));

      const overview = services.overview;
      put("overview", "getProviderOverview", await timeMedian(() => overview.getProviderOverview(team), runs), 2);
      put("overview", "getServiceOverview", await timeMedian(() => overview.getServiceOverview(team), runs), 2);
      put("overview", "getRegionOverview", await timeMedian(() => overview.getRegionOverview(team), runs), 2);
      put("overview", "getSeverityTrend (30 days)", await timeMedian(() => overview.getSeverityTrend(team), runs), 2);
      put("overview", "getFindingsTrend (30 days)", await timeMedian(() => overview.getFindingsTrend(team), runs), 2);
      log(`  ${count(size)}: dashboard and overviews measured`);

      at = performance.now();
      const explorer = await measureFindingQueries(services.findings, TEAM, size, runs, 50);
      for (const [name, ms] of explorer) {
        const paged = name.startsWith("listFindings first page, ") || name.startsWith("listFindings 90%-deep page, ");
        // The FAIL-unmuted page is a filtered first page; the unfiltered facets have no target either.
        const targeted = paged && !name.includes("FAIL unmuted");
        put(name.startsWith("getFindingFacets") ? "facets" : "explorer", name, ms, targeted ? 2 : undefined);
      }
      const findings = services.findings;
      put(
        "facets",
        "getFindingFacets, rollup dimensions (account, severity, status, provider, service, region)",
        await timeMedian(() => findings.getFindingFacets(team, ROLLUP_FILTER), runs),
        2,
      );
      for (const [label, filter] of Object.entries(OTHER_FILTERS))
        put("facets", `getFindingFacets, ${label}`, await timeMedian(() => findings.getFindingFacets(team, filter), runs));
      log(`  ${count(size)}: explorer measured (${duration(performance.now() - at)}, the deep-page walks included)`);

      const file = benchOcsfNdjson(importFindings, importAccount);
      at = performance.now();
      const summary = await importScan(imports, bufferSource(file, "scale.ndjson"), { teamId: TEAM, account: importAccount });
      const importMs = performance.now() - at;
      if (summary.written !== importFindings) throw new Error(`the timed import wrote ${summary.written} of ${importFindings} findings`);
      put(
        "import",
        `importScan of ${count(importFindings)} new findings (one new account), findings/s`,
        (importFindings / importMs) * 1000,
        undefined,
        "findings/s",
      );
      log(`  ${count(size)}: import of ${count(importFindings)} in ${duration(importMs)}`);
      return out;
    };

    started = performance.now();
    await seedBenchFindings(manager, TEAM, 0, small, now, { accounts: ACCOUNTS });
    const smallSeedMs = performance.now() - started;
    log(`  team seeded to ${count(small)} in ${duration(smallSeedMs)}`);
    const atSmall = await measure(small, IMPORT_ACCOUNTS.small);
    const rssSmall = rss(options.enginePid);

    started = performance.now();
    // The small import added `importFindings`: seed up to `large` in total.
    for (let from = small; from < large - importFindings; from += 100_000) {
      await seedBenchFindings(manager, TEAM, from, Math.min(large - importFindings, from + 100_000), now, { accounts: ACCOUNTS });
      log(
        `  team seeded to ${count(Math.min(large - importFindings, from + 100_000) + importFindings)} (${duration(performance.now() - started)})`,
      );
    }
    const largeSeedMs = performance.now() - started;
    const atLarge = await measure(large, IMPORT_ACCOUNTS.large);
    const rssLarge = rss(options.enginePid);

    const cases: ScaleCase[] = [...atSmall.entries()].map(([name, s]) => {
      const l = atLarge.get(name)?.value ?? Number.NaN;
      return { ...s.case, small: s.value, large: l, ratio: l / s.value };
    });
    return {
      small,
      large,
      noiseTeams,
      noisePerTeam,
      importFindings,
      runs,
      cases,
      seedMs: { noise: noiseMs, small: smallSeedMs, large: largeSeedMs },
      engineRssBytes: {
        ...(rssSmall.rss === undefined ? {} : { small: rssSmall.rss }),
        ...(rssLarge.rss === undefined ? {} : { large: rssLarge.rss }),
        ...(rssLarge.peak === undefined ? {} : { peak: rssLarge.peak }),
      },
    };
  } finally {
    await dropBenchDatabases(manager);
    await cache.close();
    await manager.close();
  }
}
