/**
 * How `FindingQueryService` scales: at two collection sizes (default 10,000 and 100,000 findings of one
 * team, plus a second team's findings of the same count, which must not cost anything), the first page and
 * a page about 90% deep of `listFindings` for every sort (keyset: the deep page is reached by a cursor, so it
 * should cost what the first does), and `getFindingFacets` (one `$facet` aggregation over the matches, so it
 * grows with them). Reported per case: median ms at each size and the ratio large/small (1 = flat).
 *
 * Run: `MONGODB_URI=mongodb://127.0.0.1:27017 pnpm exec tsx packages/services/bench/findingQueryBench.ts [small] [large] [runs]`
 * (without MONGODB_URI the testkit's test MongoDB is started). `pnpm bench --only findings` runs it too.
 */
import { pathToFileURL } from "node:url";
import { MemoryCache } from "@cspm/cache";
import { CredentialCipher, generateKey } from "@cspm/crypto";
import { findingDerivedFields, SEVERITIES } from "@cspm/domain";
import { CSPMDatabaseManager } from "@cspm/mongo";
import { DatabaseRegistry } from "@cspm/registry";
import { parseTeamId } from "@cspm/repository";
import { testDatabasePrefix } from "@cspm/testkit";
import type { Document } from "mongodb";
import { createServices } from "../src/createServices";
import { FINDING_SORT_FIELDS, type FindingFilter, type FindingQueryService, type FindingSortField } from "../src/findingQueryService";

/** Options of `runFindingQueryBenchmark`. */
export interface FindingQueryBenchmarkOptions {
  readonly uri: string;
  /** The two sizes (findings of the measured team), default 10,000 and 100,000. */
  readonly small?: number;
  readonly large?: number;
  /** Repetitions per case (default 5); medians are reported. */
  readonly runs?: number;
  /** Page size (default 50). */
  readonly limit?: number;
}

/** One measured case at both sizes. */
export interface FindingQueryCase {
  readonly name: string;
  readonly smallMs: number;
  readonly largeMs: number;
  /** largeMs / smallMs. */
  readonly ratio: number;
}

/** What `runFindingQueryBenchmark` returns. */
export interface FindingQueryBenchmarkResult {
  readonly small: number;
  readonly large: number;
  readonly runs: number;
  readonly limit: number;
  readonly cases: readonly FindingQueryCase[];
  readonly seedMs: number;
}

const TEAM = "bench_findings";
const OTHER = "bench_other";
const DAY_MS = 86_400_000;
const REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1"] as const;
const SERVICES = ["iam", "s3", "ec2", "rds", "kms", "lambda"] as const;

/** Deterministic PRNG (mulberry32), so every run seeds the same data. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * Finding number `i` of `team` in the stored shape the write path produces (derived fields, lifecycle `delta`,
 * `state` and the first sighting's `history` entry included), spread over `accounts` accounts and 60 days.
 */
export function benchFindingDocument(team: string, i: number, random: () => number, now: Date, accounts = 20): Document {
  const check = Math.floor(random() * 300);
  const roll = random();
  const seen = new Date(now.getTime() - Math.floor(random() * 60 * DAY_MS));
  const firstSeen = new Date(seen.getTime() - Math.floor(random() * 90) * DAY_MS);
  const status = roll < 0.6 ? "PASS" : roll < 0.95 ? "FAIL" : "MANUAL";
  const severity = SEVERITIES[check % SEVERITIES.length];
  const doc: Document = {
    team_id: team,
    provider: "aws",
    source: "prowler",
    account_id: String(100_000_000_000 + Math.floor(random() * accounts)),
    scan_id: "bench",
    check_id: `check_${check}`,
    check_title: `Benchmark check number ${check} of ${SERVICES[check % SERVICES.length]}`,
    status,
    status_extended: "benchmark finding",
    severity,
    service_name: SERVICES[check % SERVICES.length],
    region: REGIONS[i % REGIONS.length],
    resource_uid: `arn:aws:bench:${team}:${i}`,
    resource_name: `resource-${i}`,
    resource_type: "AwsResource",
    compliance: [{ framework: check % 2 === 0 ? "CIS-2.0" : "SOC2", controls: [`${check % 9}.1`] }],
    muted: random() < 0.03,
    delta: "unchanged",
    state: "open",
    history: [{ scan_id: "bench", at: firstSeen, status, severity }],
    first_seen_at: firstSeen,
    last_seen_at: seen,
    created_at: firstSeen,
    updated_at: seen,
  };
  return { ...doc, ...findingDerivedFields(doc) };
}

/**
 * Adds findings `from`..`to` of `team` (`benchFindingDocument`) with `insertMany` in batches of `batch`
 * (default 5,000) through the raw driver: the seed is not what is measured.
 */
export async function seedBenchFindings(
  manager: CSPMDatabaseManager,
  team: string,
  from: number,
  to: number,
  now: Date,
  options: { readonly batch?: number; readonly accounts?: number } = {},
): Promise<void> {
  const batch = options.batch ?? 5_000;
  const random = prng(7 + from + (team === TEAM ? 0 : 1_000_003));
  const findings = manager.getCollection("CLOUD_SECURITY", "prowler_findings");
  for (let start = from; start < to; start += batch) {
    const docs: Document[] = [];
    for (let i = start; i < Math.min(to, start + batch); i++) docs.push(benchFindingDocument(team, i, random, now, options.accounts));
    await findings.insertMany(docs, { ordered: false });
  }
}

/** Median wall time (ms) of `runs` calls of `fn` after one untimed warm-up call. */
export async function timeMedian(fn: () => Promise<unknown>, runs: number): Promise<number> {
  const times: number[] = [];
  await fn(); // warm-up (plan cache, connection)
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    await fn();
    times.push(performance.now() - started);
  }
  return median(times);
}

/** The cursor of the page starting about 90% into `filter`'s matches in `field` order (walked untimed, 500 at a time). */
export async function deepCursor(
  service: FindingQueryService,
  team: string,
  filter: FindingFilter,
  field: FindingSortField,
  direction: "asc" | "desc",
  matches: number,
): Promise<string | null> {
  const target = Math.floor(matches * 0.9);
  let cursor: string | null = null;
  let walked = 0;
  while (walked < target) {
    const limit = Math.min(500, target - walked);
    const page = await service.listFindings(parseTeamId(team), filter, { sort: { field, direction }, limit, cursor });
    walked += page.items.length;
    cursor = page.nextCursor;
    if (cursor === null) break;
  }
  return cursor;
}

/** The cases measured at one size (`size` findings of `teamId`), by name -> median ms. */
export async function measureFindingQueries(
  service: FindingQueryService,
  teamId: string,
  size: number,
  runs: number,
  limit: number,
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const team = parseTeamId(teamId);
  for (const field of FINDING_SORT_FIELDS) {
    for (const direction of ["desc", "asc"] as const) {
      const sort = { field, direction };
      out.set(
        `listFindings first page, ${field} ${direction}`,
        await timeMedian(() => service.listFindings(team, {}, { sort, limit }), runs),
      );
      const cursor = await deepCursor(service, teamId, {}, field, direction, size);
      out.set(
        `listFindings 90%-deep page, ${field} ${direction}`,
        await timeMedian(() => service.listFindings(team, {}, { sort, limit, cursor }), runs),
      );
    }
  }
  const failing: FindingFilter = { status: ["FAIL"], muted: false };
  out.set(
    "listFindings first page, FAIL unmuted by severity",
    await timeMedian(() => service.listFindings(team, failing, { sort: { field: "severity", direction: "desc" }, limit }), runs),
  );
  out.set("getFindingFacets, no filter", await timeMedian(() => service.getFindingFacets(team, {}), runs));
  out.set("getFindingFacets, FAIL unmuted", await timeMedian(() => service.getFindingFacets(team, failing), runs));
  return out;
}

/**
 * Seeds `small` findings (and as many of another team), measures, grows both teams to `large`, measures
 * again, drops the databases and returns the cases with their ratios.
 */
export async function runFindingQueryBenchmark(options: FindingQueryBenchmarkOptions): Promise<FindingQueryBenchmarkResult> {
  const small = options.small ?? 10_000;
  const large = Math.max(options.large ?? 100_000, small);
  const runs = Math.max(1, options.runs ?? 5);
  const limit = options.limit ?? 50;
  const prefix = testDatabasePrefix("benchfq");
  const manager = new CSPMDatabaseManager({ uri: options.uri, prefix, appName: "cspm-finding-query-bench" });
  await manager.connect();
  const now = new Date();
  const cache = new MemoryCache();
  try {
    await manager.ensureIndexes({ databases: ["CLOUD_SECURITY"] });
    const cipher = new CredentialCipher([{ id: "bench", key: generateKey() }]);
    const { findings: service } = createServices({ manager, cache, cipher, clock: () => now });
    let seedMs = 0;
    const grow = async (from: number, to: number): Promise<void> => {
      const started = performance.now();
      await seedBenchFindings(manager, TEAM, from, to, now);
      await seedBenchFindings(manager, OTHER, from, to, now);
      seedMs += performance.now() - started;
    };
    await grow(0, small);
    const atSmall = await measureFindingQueries(service, TEAM, small, runs, limit);
    await grow(small, large);
    const atLarge = await measureFindingQueries(service, TEAM, large, runs, limit);
    const cases = [...atSmall.entries()].map(([name, smallMs]) => {
      const largeMs = atLarge.get(name) as number;
      return { name, smallMs, largeMs, ratio: largeMs / smallMs };
    });
    return { small, large, runs, limit, cases, seedMs };
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

/** The result as a small table. */
export function formatFindingQueryBenchmark(result: FindingQueryBenchmarkResult): string {
  const n = (v: number) => v.toLocaleString("en-US");
  return [
    `FindingQueryService at ${n(result.small)} and ${n(result.large)} findings per team (two teams), page ${result.limit}, median of ${result.runs}`,
    `${"case".padEnd(52)} ${"small ms".padStart(10)} ${"large ms".padStart(10)} ${"ratio".padStart(7)}`,
    ...result.cases.map(
      (c) =>
        `${c.name.padEnd(52)} ${c.smallMs.toFixed(2).padStart(10)} ${c.largeMs.toFixed(2).padStart(10)} ${c.ratio.toFixed(2).padStart(7)}`,
    ),
  ].join("\n");
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [smallArg, largeArg, runsArg] = process.argv.slice(2);
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
      const result = await runFindingQueryBenchmark({
        uri,
        ...(smallArg === undefined ? {} : { small: Number(smallArg) }),
        ...(largeArg === undefined ? {} : { large: Number(largeArg) }),
        ...(runsArg === undefined ? {} : { runs: Number(runsArg) }),
      });
      console.log(formatFindingQueryBenchmark(result));
    } finally {
      await stop?.();
    }
  };
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
