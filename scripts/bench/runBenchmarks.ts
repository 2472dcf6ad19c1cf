/**
 * `pnpm bench`: starts one MongoDB outside this process (`startBenchMongo`: MONGODB_URI when set, else a
 * local mongod, else the offline engine forked into a child process), runs every benchmark against it —
 * engine, repository vs raw driver and the upsert cost, ingestion, dashboard, the round-trip-bound
 * comparisons through a delay proxy, cache, streaming memory, `GET /accounts` vs a hand-written route, the
 * API load run — prints progress as it goes, and writes
 * `BENCHMARKS.md` with the machine and a PASS / MISS per target. Exit code 1 when a benchmark could not
 * run (a MISS is a result, not a failure).
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { cpus, release, arch, totalmem, type as osType } from "node:os";
import { isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { redactConnectionString } from "@cspm/mongo";
import { runDashboardBenchmark } from "../../packages/services/bench/dashboardBench";
import { runFindingQueryBenchmark } from "../../packages/services/bench/findingQueryBench";
import { runRepositoryBenchmark } from "../../packages/repository/bench/repositoryBench";
import { runEngineBenchmark } from "../../packages/mongo-engine/bench/runEngineBenchmark";
import { count, duration, megabytes, ratio } from "./benchmarkMath";
import { type BenchmarkName, BENCHMARKS, parseBenchmarkOptions } from "./benchmarkOptions";
import { type BenchmarkRun, type MachineInfo, renderReport, targetRows } from "./benchmarkReport";
import { runCacheStampedeBenchmark } from "./cacheStampedeBenchmark";
import { forkEngine, startBenchMongo } from "./engineProcess";
import { runHttpRouteBenchmark } from "./httpRouteBenchmark";
import { runIngestFormatsBenchmark } from "./ingestFormatsBenchmark";
import { runIngestionBenchmark } from "./ingestionBenchmark";
import { runLoad } from "./loadRun";
import { runRoundTripBenchmark } from "./roundTripBenchmark";
import { runScaleBenchmark } from "./scaleBenchmark";
import { runStreamingBenchmark } from "./streamingBenchmark";

const started = performance.now();
const stamp = (): string => `[+${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s]`;
const log = (line: string): void => {
  process.stdout.write(`${stamp()} ${line}\n`);
};

function commit(): string | undefined {
  try {
    return (
      execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim() || undefined
    );
  } catch {
    return undefined;
  }
}

async function main(): Promise<number> {
  const options = parseBenchmarkOptions(process.argv.slice(2), process.env);
  const repoRoot = fileURLToPath(new URL("../../", import.meta.url));
  const out = isAbsolute(options.out) ? options.out : resolve(repoRoot, options.out);
  log(`pnpm bench: scale ${options.scale}, benchmarks ${options.only.join(", ")}`);
  const mongo = await startBenchMongo(process.env, (line) => log(line));
  const cpu = cpus();
  const machine: MachineInfo = {
    date: new Date().toISOString(),
    cpuModel: cpu[0]?.model.trim() ?? "unknown",
    cpuCount: cpu.length,
    cpuMhz: cpu[0]?.speed ?? 0,
    memoryBytes: totalmem(),
    os: `${osType()} ${release()} (${arch()})`,
    node: process.version,
    engine: mongo.engine === "compat" ? "compat (offline engine, own process)" : mongo.engine,
    server: redactConnectionString(mongo.uri),
    commit: commit(),
  };
  log(
    `machine: ${machine.cpuModel} x ${machine.cpuCount}, ${(machine.memoryBytes / 1024 ** 3).toFixed(1)} GiB, Node ${machine.node}; MongoDB: ${machine.engine}`,
  );
  const compat = mongo.engine === "compat";
  const reduced: string[] = [];
  const errors: Record<string, string> = {};
  const wallTimes: Record<string, number> = {};
  const figures: { -readonly [K in BenchmarkName]?: BenchmarkRun[K] } = {};
  const uri = mongo.uri;

  if (options.only.includes("ingestion") && !options.perFindingInFull) {
    reduced.push(
      `Ingestion: the batched side imports all ${count(options.findings)} findings; one upsert per finding over ${count(options.findings)} would take several minutes on its own, ` +
        `so it is sampled: before every chunk of 10,000 of the import (at every collection size the import passes through) ${options.runs} runs of 200 one-by-one upserts are timed, ` +
        "and the per-finding total is the sum of those median rates over the chunks. Run with --per-finding-in-full (CSPM_BENCH_PER_FINDING_FULL=1) to time it in full.",
    );
  }

  const steps: Record<BenchmarkName, () => Promise<void>> = {
    engine: async () => {
      const result = await runEngineBenchmark({
        uri,
        largeCollectionSize: options.engineDocuments,
        facetCollectionSize: options.facetDocuments,
        samples: 500,
      });
      figures.engine = { ...result, engine: compat ? "compat" : "external" };
      log(
        `  indexed find ${duration(result.indexedFindMedianMs)} vs unindexed ${duration(result.unindexedFindMedianMs)} on ${count(result.largeCollectionSize)} docs: ${ratio(result.indexedSpeedup)}`,
      );
    },
    repository: async () => {
      const result = await runRepositoryBenchmark(uri, {
        runs: options.runs,
        bulkDocuments: options.bulkDocuments,
        readDocuments: options.readDocuments,
        serverCpuMs: async () => {
          const cpu = await mongo.cpu();
          return cpu === undefined ? undefined : (cpu.userMicros + cpu.systemMicros) / 1000;
        },
      });
      figures.repository = result;
      for (const c of result.cases)
        log(`  ${c.name}: repository ${duration(c.repositoryMs)}, raw ${duration(c.rawMs)} -> ${ratio(c.ratio)}`);
      for (const u of result.upsertCost)
        log(
          `  bulkUpsert ${u.name} vs raw $set: wall ${duration(u.repositoryWallMs)} / ${duration(u.rawSetWallMs)} (${ratio(u.wallRatio)}), client CPU ${duration(u.repositoryCpuMs)} / ${duration(u.rawSetCpuMs)} (${ratio(u.cpuRatio)})`,
        );
    },
    ingestion: async () => {
      const result = await runIngestionBenchmark({
        uri,
        findings: options.findings,
        perFindingSample: options.perFindingSample,
        runs: options.runs,
        perFindingInFull: options.perFindingInFull,
        log,
      });
      figures.ingestion = result;
      log(
        `  batched ${duration(result.batchedFullMs)} vs one upsert per finding ${duration(result.perFindingFullMs)}${result.perFindingExtrapolated ? " (sampled)" : ""}: ${ratio(result.speedup)}`,
      );
    },
    ingest: async () => {
      figures.ingest = await runIngestFormatsBenchmark({
        uri,
        records: options.ingestRecords,
        compareRecords: options.ingestCompareRecords,
        ndjsonMegabytes: options.ingestNdjsonMegabytes,
        // On the offline engine the 1 GiB import gets an engine of its own: empty, so it measures the import, not the heap.
        ...(compat ? { memoryServer: () => forkEngine(log) } : {}),
        log,
      });
    },
    dashboard: async () => {
      const result = await runDashboardBenchmark({ uri, findings: options.findings, runs: options.runs });
      figures.dashboard = result;
      log(
        `  single: ${result.single.coldCommands} command(s) cold ${duration(result.single.coldMs)}, ${result.single.warmCommands} warm ${duration(result.single.warmMs)}; naive: ${result.naive.coldCommands} cold ${duration(result.naive.coldMs)}`,
      );
    },
    findings: async () => {
      // The two sizes of the brief: `findings` (100,000 at full scale) and a tenth of it.
      const result = await runFindingQueryBenchmark({
        uri,
        small: Math.max(1, Math.round(options.findings / 10)),
        large: options.findings,
        runs: options.runs,
      });
      figures.findings = result;
      for (const c of result.cases) log(`  ${c.name}: ${duration(c.smallMs)} -> ${duration(c.largeMs)} (${ratio(c.ratio)})`);
    },
    roundtrips: async () => {
      figures.roundtrips = await runRoundTripBenchmark({
        mongo,
        importFindings: options.roundTripImportFindings,
        dashboardFindings: options.roundTripDashboardFindings,
        runs: options.runs,
        log,
      });
    },
    http: async () => {
      const result = await runHttpRouteBenchmark({
        uri,
        rounds: options.httpRounds,
        seconds: options.httpSeconds,
        connections: options.httpConnections,
        mongoCpu: () => mongo.cpu(),
        ...(process.env.CSPM_BENCH_CPU_PROF ? { cpuProfileDir: resolve(process.env.CSPM_BENCH_CPU_PROF) } : {}),
        log,
      });
      figures.http = result;
      log(
        `  GET /accounts: API ${result.api.requestsPerSecond.toFixed(0)} req/s p99 ${result.api.p99Ms} ms vs hand-written ${result.handWritten.requestsPerSecond.toFixed(0)} req/s p99 ${result.handWritten.p99Ms} ms: ${ratio(result.throughputRatio)} throughput, ${ratio(result.p99Ratio)} p99`,
      );
    },
    cache: async () => {
      const result = await runCacheStampedeBenchmark({
        uri,
        findings: options.cacheFindings,
        concurrent: options.stampede,
        redisUrl: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
        runs: Math.max(options.runs, 5),
        roundTripIterations: options.cacheRoundTripCalls,
        log,
      });
      figures.cache = result;
      for (const h of result.hitMiss.results)
        log(`  ${h.cache}: miss ${duration(h.missMs)}, hit ${duration(h.hitMs)} -> ${ratio(h.missToHitRatio)}`);
    },
    streaming: async () => {
      const result = await runStreamingBenchmark({ uri, findings: options.streamFindings, log });
      figures.streaming = result;
      log(
        `  stream(): peak RSS +${megabytes(result.stream.rssGrowthBytes)}; findMany(): +${result.toArray ? megabytes(result.toArray.rssGrowthBytes) : "n/a"}`,
      );
    },
    scale: async () => {
      // On the offline engine the scale run gets an engine of its own: its heap and RSS hold only the scale data.
      const server = compat ? await forkEngine(log) : mongo;
      let result: Awaited<ReturnType<typeof runScaleBenchmark>>;
      try {
        result = await runScaleBenchmark({
          uri: server.uri,
          small: options.scaleSmall,
          large: options.scaleLarge,
          noiseTeams: options.scaleNoiseTeams,
          noisePerTeam: options.scaleNoisePerTeam,
          importFindings: options.scaleImportFindings,
          runs: Math.max(options.runs, 5),
          ...(server.pid === undefined ? {} : { enginePid: server.pid }),
          log,
        });
      } finally {
        if (server !== mongo) await server.stop();
      }
      figures.scale = result;
      for (const c of result.cases)
        log(
          `  ${c.name}: ${c.unit === "ms" ? duration(c.small) : `${count(c.small)}/s`} -> ${c.unit === "ms" ? duration(c.large) : `${count(c.large)}/s`} (${ratio(c.ratio)})`,
        );
    },
    load: async () => {
      const result = await runLoad({ uri, seconds: options.loadSeconds, clients: options.loadClients, log });
      figures.load = result;
      log(
        `  ${count(result.requests)} requests (${result.requestsPerSecond.toFixed(1)}/s), ${result.errors} errors, ${result.expected4xx} expected 4xx, ${result.writes.lost} lost writes`,
      );
    },
  };

  try {
    const selected = BENCHMARKS.filter((name) => options.only.includes(name));
    for (const [index, name] of selected.entries()) {
      log(`[${index + 1}/${selected.length}] ${name}`);
      const stepStarted = performance.now();
      try {
        await steps[name]();
      } catch (error) {
        errors[name] = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        log(`  FAILED: ${errors[name]}`);
      }
      wallTimes[name] = performance.now() - stepStarted;
      log(`  (${name} took ${duration(wallTimes[name] as number)})`);
    }
  } finally {
    await mongo.stop();
  }

  const run: BenchmarkRun = { machine, options, totalMs: performance.now() - started, wallTimes, errors, reduced, ...figures };
  writeFileSync(out, renderReport(run));
  log(`wrote ${out}`);
  for (const row of targetRows(run)) log(`  ${row.result.padEnd(7)} ${row.area}: ${row.target} -> ${row.figure}`);
  for (const note of reduced) log(`  note: ${note}`);
  return Object.keys(errors).length > 0 ? 1 : 0;
}

// Exit explicitly once output is flushed: the run must stop by itself even if a library left a handle open.
main().then(
  (code) => {
    process.stdout.write("", () => process.exit(code));
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`, () => process.exit(1));
  },
);
