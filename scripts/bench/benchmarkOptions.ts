/**
 * Scales and switches of `pnpm bench`, from the command line and the environment. Defaults are the
 * issue's figures (100,000 findings, 10,000 documents, 200,000 streamed, 30 s of load); `--scale small`
 * is a quick smoke run. Every figure can be overridden on its own, so a bigger machine runs bigger ones.
 */

/** Every benchmark `pnpm bench` knows, in the order it runs them. */
export const BENCHMARKS = [
  "engine",
  "repository",
  "ingestion",
  "ingest",
  "dashboard",
  "findings",
  "roundtrips",
  "cache",
  "streaming",
  "http",
  "load",
  "scale",
] as const;
/** The benchmarks a run without `--only` leaves out: `scale` seeds a million findings (`--scale 1m` selects it). */
export const MANUAL_BENCHMARKS: readonly BenchmarkName[] = ["scale"];

/** One of `BENCHMARKS`. */
export type BenchmarkName = (typeof BENCHMARKS)[number];

/** The resolved settings of one `pnpm bench` run. */
export interface BenchmarkOptions {
  /** `1m`: the scale run (the `scale` benchmark at 10,000 vs 1,000,000 findings; the others at full scale when selected). */
  readonly scale: "full" | "small" | "1m";
  /** Benchmarks to run (default: all). */
  readonly only: readonly BenchmarkName[];
  /** Findings for ingestion (batched side) and the dashboard. */
  readonly findings: number;
  /** Findings both ingestion sides are timed on in the empty-collection comparison (per run). */
  readonly perFindingSample: number;
  /** Time one upsert per finding over all `findings` instead of sampling it at every collection size (slow). */
  readonly perFindingInFull: boolean;
  /** Documents for repository insertMany / bulkUpsert. */
  readonly bulkDocuments: number;
  /** Documents findMany returns. */
  readonly readDocuments: number;
  /** Findings streamed by the memory benchmark. */
  readonly streamFindings: number;
  /** Documents of the engine benchmark's large collection / `$facet` collection. */
  readonly engineDocuments: number;
  readonly facetDocuments: number;
  /** `@cspm/ingest`: records per format file, records of the new-vs-old import, MiB of the NDJSON memory run. */
  readonly ingestRecords: number;
  readonly ingestCompareRecords: number;
  readonly ingestNdjsonMegabytes: number;
  /** Findings the cache benchmarks aggregate over. */
  readonly cacheFindings: number;
  /** Concurrent cold requests of the stampede test. */
  readonly stampede: number;
  /** Timed calls per case of the cache round-trip comparison (before/after generation-stamped tags). */
  readonly cacheRoundTripCalls: number;
  /** Repetitions of every measured case (medians are reported). */
  readonly runs: number;
  /** Load run: seconds and concurrent clients. */
  readonly loadSeconds: number;
  readonly loadClients: number;
  /** HTTP route benchmark (`GET /accounts` vs hand-written): rounds, seconds per server and round, connections. */
  readonly httpRounds: number;
  readonly httpSeconds: number;
  readonly httpConnections: number;
  /** Round trips through the delay proxy: findings of the import comparison, of the dashboard comparison. */
  readonly roundTripImportFindings: number;
  readonly roundTripDashboardFindings: number;
  /** Scale run: the measured team's findings at the two sizes, noise teams x findings each, findings of the timed import. */
  readonly scaleSmall: number;
  readonly scaleLarge: number;
  readonly scaleNoiseTeams: number;
  readonly scaleNoisePerTeam: number;
  readonly scaleImportFindings: number;
  /** Where the report goes (default `BENCHMARKS.md` at the repository root). */
  readonly out: string;
}

/** The numeric settings. */
type Scales = Record<
  | "findings"
  | "perFindingSample"
  | "bulkDocuments"
  | "readDocuments"
  | "streamFindings"
  | "engineDocuments"
  | "facetDocuments"
  | "cacheFindings"
  | "ingestRecords"
  | "ingestCompareRecords"
  | "ingestNdjsonMegabytes"
  | "stampede"
  | "cacheRoundTripCalls"
  | "runs"
  | "loadSeconds"
  | "loadClients"
  | "httpRounds"
  | "httpSeconds"
  | "httpConnections"
  | "roundTripImportFindings"
  | "roundTripDashboardFindings"
  | "scaleSmall"
  | "scaleLarge"
  | "scaleNoiseTeams"
  | "scaleNoisePerTeam"
  | "scaleImportFindings",
  number
>;

const FULL: Scales = {
  findings: 100_000,
  perFindingSample: 1_000,
  bulkDocuments: 10_000,
  readDocuments: 1_000,
  streamFindings: 200_000,
  engineDocuments: 100_000,
  facetDocuments: 10_000,
  cacheFindings: 10_000,
  ingestRecords: 100_000,
  ingestCompareRecords: 10_000,
  ingestNdjsonMegabytes: 1024,
  stampede: 100,
  cacheRoundTripCalls: 200,
  runs: 3,
  loadSeconds: 30,
  loadClients: 16,
  httpRounds: 5,
  httpSeconds: 5,
  httpConnections: 16,
  roundTripImportFindings: 500,
  roundTripDashboardFindings: 10_000,
  scaleSmall: 10_000,
  scaleLarge: 1_000_000,
  scaleNoiseTeams: 2,
  scaleNoisePerTeam: 100_000,
  scaleImportFindings: 2_000,
};

const SMALL: Scales = {
  findings: 10_000,
  perFindingSample: 300,
  bulkDocuments: 2_000,
  readDocuments: 1_000,
  streamFindings: 20_000,
  engineDocuments: 20_000,
  facetDocuments: 5_000,
  cacheFindings: 2_000,
  ingestRecords: 10_000,
  ingestCompareRecords: 2_000,
  ingestNdjsonMegabytes: 64,
  stampede: 100,
  cacheRoundTripCalls: 50,
  runs: 3,
  loadSeconds: 10,
  loadClients: 16,
  httpRounds: 3,
  httpSeconds: 3,
  httpConnections: 16,
  roundTripImportFindings: 200,
  roundTripDashboardFindings: 2_000,
  scaleSmall: 1_000,
  scaleLarge: 10_000,
  scaleNoiseTeams: 2,
  scaleNoisePerTeam: 1_000,
  scaleImportFindings: 200,
};

/** Environment variable per numeric setting. */
export const BENCHMARK_ENV: Readonly<Record<keyof Scales, string>> = {
  findings: "CSPM_BENCH_FINDINGS",
  perFindingSample: "CSPM_BENCH_PER_FINDING_SAMPLE",
  bulkDocuments: "CSPM_BENCH_DOCS",
  readDocuments: "CSPM_BENCH_READ_DOCS",
  streamFindings: "CSPM_BENCH_STREAM_FINDINGS",
  engineDocuments: "CSPM_BENCH_ENGINE_DOCS",
  facetDocuments: "CSPM_BENCH_FACET_DOCS",
  cacheFindings: "CSPM_BENCH_CACHE_FINDINGS",
  ingestRecords: "CSPM_BENCH_INGEST_RECORDS",
  ingestCompareRecords: "CSPM_BENCH_INGEST_COMPARE_RECORDS",
  ingestNdjsonMegabytes: "CSPM_BENCH_INGEST_NDJSON_MB",
  stampede: "CSPM_BENCH_STAMPEDE",
  cacheRoundTripCalls: "CSPM_BENCH_CACHE_ROUND_TRIP_CALLS",
  runs: "CSPM_BENCH_RUNS",
  loadSeconds: "CSPM_BENCH_LOAD_SECONDS",
  loadClients: "CSPM_BENCH_LOAD_CLIENTS",
  httpRounds: "CSPM_BENCH_HTTP_ROUNDS",
  httpSeconds: "CSPM_BENCH_HTTP_SECONDS",
  httpConnections: "CSPM_BENCH_HTTP_CONNECTIONS",
  roundTripImportFindings: "CSPM_BENCH_ROUNDTRIP_IMPORT_FINDINGS",
  roundTripDashboardFindings: "CSPM_BENCH_ROUNDTRIP_DASHBOARD_FINDINGS",
  scaleSmall: "CSPM_BENCH_SCALE_SMALL",
  scaleLarge: "CSPM_BENCH_SCALE_FINDINGS",
  scaleNoiseTeams: "CSPM_BENCH_SCALE_NOISE_TEAMS",
  scaleNoisePerTeam: "CSPM_BENCH_SCALE_NOISE",
  scaleImportFindings: "CSPM_BENCH_SCALE_IMPORT",
};

/** Command-line spellings of numeric settings (`--findings-1m 100000` = `CSPM_BENCH_SCALE_FINDINGS=100000`). */
const NUMERIC_FLAGS: Readonly<Record<string, keyof Scales>> = {
  "findings-1m": "scaleLarge",
  "scale-noise": "scaleNoisePerTeam",
  "scale-import": "scaleImportFindings",
};

const USAGE = `Usage: pnpm bench [--scale full|small|1m] [--only engine,repository,...] [--per-finding-in-full] [--out BENCHMARKS.md]
  [--findings-1m N] [--scale-noise N] [--scale-import N]   (the scale run: large size, findings per noise team, timed import)
Environment overrides: ${Object.values(BENCHMARK_ENV).join(", ")}, CSPM_BENCH_PER_FINDING_FULL=1, MONGODB_URI (benchmark a real server),
CSPM_BENCH_CPU_PROF=<dir> (the HTTP benchmark's two servers write node --cpu-prof profiles into its api/ and hand-written/).`;

function positiveInt(name: string, text: string, max: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > max)
    throw new Error(`${name} must be an integer from 1 to ${max} (got "${text}").\n${USAGE}`);
  return value;
}

/** Parses `argv` (without node and the script) and `env`; throws with the usage text on a bad value. */
export function parseBenchmarkOptions(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): BenchmarkOptions {
  const args = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith("--")) throw new Error(`Unexpected argument "${arg}".\n${USAGE}`);
    const [key, inline] = arg.slice(2).split("=", 2) as [string, string | undefined];
    if (key === "help") throw new Error(USAGE);
    if (key === "per-finding-in-full") {
      args.set(key, true);
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new Error(`--${key} needs a value.\n${USAGE}`);
    args.set(key, value);
  }
  const scaleArg = args.get("scale") ?? env.CSPM_BENCH_SCALE ?? "full";
  if (scaleArg !== "full" && scaleArg !== "small" && scaleArg !== "1m") throw new Error(`--scale must be full, small or 1m.\n${USAGE}`);
  const base = scaleArg === "small" ? SMALL : FULL;
  const numbers: Scales = { ...base };
  for (const key of Object.keys(BENCHMARK_ENV) as (keyof Scales)[]) {
    const fromEnv = env[BENCHMARK_ENV[key]];
    if (fromEnv !== undefined && fromEnv !== "") numbers[key] = positiveInt(BENCHMARK_ENV[key], fromEnv, 10_000_000);
  }
  for (const [flag, key] of Object.entries(NUMERIC_FLAGS)) {
    const value = args.get(flag);
    if (typeof value === "string") numbers[key] = positiveInt(`--${flag}`, value, 10_000_000);
  }
  const onlyArg = args.get("only");
  const only =
    typeof onlyArg === "string"
      ? onlyArg.split(",").map((s) => s.trim())
      : scaleArg === "1m"
        ? ["scale"]
        : BENCHMARKS.filter((name) => !MANUAL_BENCHMARKS.includes(name));
  const unknown = only.filter((name) => !(BENCHMARKS as readonly string[]).includes(name));
  if (unknown.length > 0) throw new Error(`Unknown benchmark(s): ${unknown.join(", ")}. Known: ${BENCHMARKS.join(", ")}.`);
  const out = args.get("out");
  return {
    scale: scaleArg,
    only: only as BenchmarkName[],
    ...numbers,
    perFindingInFull: args.get("per-finding-in-full") === true || env.CSPM_BENCH_PER_FINDING_FULL === "1",
    out: typeof out === "string" ? out : "BENCHMARKS.md",
  };
}
