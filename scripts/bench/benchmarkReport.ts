/**
 * Turns the figures of one `pnpm bench` run into `BENCHMARKS.md`: the machine, the engine, the scales,
 * one table of every target with PASS / MISS, then the details of each benchmark (each figure next to
 * its baseline from the same run), and every place where a figure was measured at a reduced scale.
 */
import type { LoadRunResult } from "./loadRun";
import { count, duration, megabytes, ratio } from "./benchmarkMath";
import type { BenchmarkOptions } from "./benchmarkOptions";
import type { CacheStampedeResult } from "./cacheStampedeBenchmark";
import type { IngestFormatsBenchmarkResult } from "./ingestFormatsBenchmark";
import type { HttpRouteBenchmarkResult } from "./httpRouteBenchmark";
import type { IngestionBenchmarkResult } from "./ingestionBenchmark";
import type { RoundTripBenchmarkResult, RoundTripFigure } from "./roundTripBenchmark";
import type { ScaleBenchmarkResult, ScaleCase } from "./scaleBenchmark";
import type { StreamingBenchmarkResult } from "./streamingBenchmark";
import type { DashboardBenchmarkResult } from "../../packages/services/bench/dashboardBench";
import type { FindingQueryBenchmarkResult } from "../../packages/services/bench/findingQueryBench";
import type { RepositoryBenchmarkResult } from "../../packages/repository/bench/repositoryBench";
import type { EngineBenchmarkResult } from "../../packages/mongo-engine/bench/runEngineBenchmark";

/** Where and on what the run happened. */
export interface MachineInfo {
  readonly date: string;
  readonly cpuModel: string;
  readonly cpuCount: number;
  readonly cpuMhz: number;
  readonly memoryBytes: number;
  readonly os: string;
  readonly node: string;
  /** `compat (offline engine)`, `memory-server`, or `external`. */
  readonly engine: string;
  /** The server, credentials removed. */
  readonly server: string;
  readonly commit: string | undefined;
}

/** One target and whether this run met it. */
export interface TargetRow {
  readonly area: string;
  readonly target: string;
  readonly figure: string;
  readonly baseline: string;
  readonly result: "PASS" | "MISS" | "ERROR" | "SKIPPED";
  readonly note?: string;
}

/** Everything one run produced (a benchmark that failed has an error instead of figures). */
export interface BenchmarkRun {
  readonly machine: MachineInfo;
  readonly options: BenchmarkOptions;
  readonly totalMs: number;
  readonly wallTimes: Readonly<Record<string, number>>;
  readonly errors: Readonly<Record<string, string>>;
  /** Figures measured below the requested scale, and why. */
  readonly reduced: readonly string[];
  readonly engine?: EngineBenchmarkResult;
  readonly repository?: RepositoryBenchmarkResult;
  readonly ingestion?: IngestionBenchmarkResult;
  readonly ingest?: IngestFormatsBenchmarkResult;
  readonly dashboard?: DashboardBenchmarkResult;
  readonly findings?: FindingQueryBenchmarkResult;
  readonly cache?: CacheStampedeResult;
  readonly streaming?: StreamingBenchmarkResult;
  readonly load?: LoadRunResult;
  readonly roundtrips?: RoundTripBenchmarkResult;
  readonly http?: HttpRouteBenchmarkResult;
  readonly scale?: ScaleBenchmarkResult;
}

const scaleFigure = (c: ScaleCase, value: number): string => (c.unit === "ms" ? duration(value) : `${count(value)} findings/s`);

/** The scale run's target rows: every case with a ratio target (`maxRatio`), PASS when large / small is within it. */
function scaleTargetRows(s: ScaleBenchmarkResult): TargetRow[] {
  const sizes = `${count(s.large)} / ${count(s.small)}`;
  return s.cases
    .filter((c) => c.maxRatio !== undefined)
    .map((c) => ({
      area: "Scale",
      target: `${c.name}: ${sizes} findings <= ${c.maxRatio}x`,
      figure: `${ratio(c.ratio)} (${scaleFigure(c, c.large)})`,
      baseline: `${count(s.small)}: ${scaleFigure(c, c.small)}`,
      result: pass(c.ratio <= (c.maxRatio as number)),
      ...edge(c.ratio, c.maxRatio as number),
    }));
}

/** The scale run's section: the seeded data, every case at both sizes, the engine's RSS. */
function scaleSection(s: ScaleBenchmarkResult): string[] {
  const rss = s.engineRssBytes;
  return [
    "## Scale",
    "",
    `One team at ${count(s.small)} and then ${count(s.large)} findings in the same run, with ${s.noiseTeams} other teams of ${count(s.noisePerTeam)} findings each seeded first as noise. ` +
      `Seeded with insertMany of pre-built documents in the write path's stored shape (noise ${duration(s.seedMs.noise)}, team to ${count(s.small)} ${duration(s.seedMs.small)}, to ${count(s.large)} ${duration(s.seedMs.large)}); ` +
      `the team's rollups rebuilt from its findings before each size's reads; median of ${s.runs} per read case. The import figure is one importScan of ${count(s.importFindings)} new findings into a fresh account at each size (one run each). ` +
      "Cases without a target are documented cost.",
    "",
    table(
      ["Case", count(s.small), count(s.large), `Ratio ${count(s.large)} / ${count(s.small)}`, "Target"],
      s.cases.map((c) => [
        c.name,
        scaleFigure(c, c.small),
        scaleFigure(c, c.large),
        ratio(c.ratio),
        c.maxRatio === undefined ? "-" : `<= ${c.maxRatio}x: ${c.ratio <= c.maxRatio ? "PASS" : "MISS"}`,
      ]),
    ),
    "",
    `Engine RSS: ${rss.small === undefined ? "n/a" : megabytes(rss.small)} after the ${count(s.small)} reads, ${rss.large === undefined ? "n/a" : megabytes(rss.large)} after the ${count(s.large)} reads (peak ${rss.peak === undefined ? "n/a" : megabytes(rss.peak)}; the noise teams included).`,
    "",
  ];
}

const pass = (ok: boolean): "PASS" | "MISS" => (ok ? "PASS" : "MISS");

/** A note when a figure is within 15% of its threshold: such results flip between runs on a shared machine. */
function edge(value: number, threshold: number): { note?: string } {
  return Number.isFinite(value) && Math.abs(value - threshold) <= 0.15 * Math.abs(threshold)
    ? { note: "borderline: within 15% of the target, so the verdict can change between runs on this machine" }
    : {};
}

function joinNotes(...notes: (string | undefined)[]): { note?: string } {
  const text = notes.filter((n): n is string => n !== undefined && n !== "").join("; ");
  return text === "" ? {} : { note: text };
}

/** Every target of the issues with this run's figure and verdict. */
export function targetRows(run: BenchmarkRun): TargetRow[] {
  const rows: TargetRow[] = [];
  const missing = (area: string, target: string, name: string): void => {
    rows.push({
      area,
      target,
      figure: "-",
      baseline: "-",
      result: run.errors[name] ? "ERROR" : "SKIPPED",
      ...(run.errors[name] ? { note: run.errors[name] } : {}),
    });
  };
  const e = run.engine;
  if (e) {
    rows.push({
      area: "Engine",
      target: `indexed find >= 50x faster than unindexed (${count(e.largeCollectionSize)} docs)`,
      figure: `${ratio(e.indexedSpeedup)} (${duration(e.indexedFindMedianMs)})`,
      baseline: `unindexed ${duration(e.unindexedFindMedianMs)}`,
      result: pass(e.indexedSpeedup >= 50),
      ...edge(e.indexedSpeedup, 50),
    });
  } else missing("Engine", "indexed find >= 50x faster than unindexed", "engine");

  const r = run.repository;
  if (r) {
    for (const c of r.cases) {
      rows.push({
        area: "Repository",
        target: `${c.name}: overhead <= 10% vs raw driver`,
        figure: `${((c.ratio - 1) * 100).toFixed(1)}% (${duration(c.repositoryMs)})`,
        baseline: `raw driver ${duration(c.rawMs)}`,
        result: pass(c.ratio <= 1.1),
        ...edge(c.ratio, 1.1),
      });
    }
  } else missing("Repository", "overhead <= 10% vs raw driver", "repository");
  if (r?.upsertCost) {
    for (const u of r.upsertCost) {
      const what = { insert: "first import", unchanged: "identical re-import", updated: "re-import, every finding seen later" }[u.name];
      rows.push({
        area: "Upsert cost",
        target: `bulkUpsert ${count(u.documents)} (${what}): client CPU <= 1.5x a raw $set upsert`,
        figure: `${ratio(u.cpuRatio)} (${duration(u.repositoryCpuMs)})`,
        baseline: `raw $set ${duration(u.rawSetCpuMs)}`,
        result: pass(u.cpuRatio <= 1.5),
        ...edge(u.cpuRatio, 1.5),
      });
      rows.push({
        area: "Upsert cost",
        target: `bulkUpsert ${count(u.documents)} (${what}): wall <= 1.5x a raw $set upsert`,
        figure: `${ratio(u.wallRatio)} (${duration(u.repositoryWallMs)})`,
        baseline: `raw $set ${duration(u.rawSetWallMs)}`,
        result: pass(u.wallRatio <= 1.5),
        ...joinNotes(
          u.repositoryServerCpuMs !== undefined && u.rawSetServerCpuMs !== undefined
            ? `server CPU ${duration(u.repositoryServerCpuMs)} vs ${duration(u.rawSetServerCpuMs)} (${ratio(u.repositoryServerCpuMs / u.rawSetServerCpuMs)})`
            : undefined,
          edge(u.wallRatio, 1.5).note,
        ),
      });
    }
  } else missing("Upsert cost", "bulkUpsert client CPU and wall <= 1.5x a raw $set upsert", "repository");

  const i = run.ingestion;
  if (i) {
    rows.push({
      area: "Ingestion",
      target: `${count(i.findings)} findings: batched bulkUpsert >= 20x faster than one upsert per finding`,
      figure: `${ratio(i.speedup)} (${duration(i.batchedFullMs)})`,
      baseline: `one upsert per finding ${duration(i.perFindingFullMs)}${i.perFindingExtrapolated ? " (sampled at every collection size)" : ""}`,
      result: pass(i.speedup >= 20),
      ...joinNotes(
        `empty collection, ${count(i.sample)} findings each, median of ${i.runs}: ${ratio(i.sampleSpeedup)}`,
        edge(i.speedup, 20).note,
      ),
    });
  } else missing("Ingestion", "batched bulkUpsert >= 20x faster than one upsert per finding", "ingestion");

  const d = run.dashboard;
  if (d) {
    rows.push({
      area: "Dashboard",
      target: `summary over ${count(d.findings)} findings: <= 2 MongoDB commands cold (rollup marks, one aggregation of the rollups)`,
      figure: `${d.single.coldCommands}`,
      baseline: `naive: ${d.naive.coldCommands}`,
      result: pass(d.single.coldCommands <= 2),
    });
    rows.push({
      area: "Dashboard",
      target: "summary: 0 MongoDB commands warm",
      figure: `${d.single.warmCommands}`,
      baseline: `naive: ${d.naive.warmCommands}`,
      result: pass(d.single.warmCommands === 0),
    });
  } else missing("Dashboard", "<= 2 commands cold, 0 warm", "dashboard");

  if (d) {
    const warmRatio = d.single.coldMs / d.single.warmMs;
    rows.push({
      area: "Cache",
      target: "warm summary >= 10x faster than cold",
      figure: `${ratio(warmRatio)} (warm ${duration(d.single.warmMs)})`,
      baseline: `cold ${duration(d.single.coldMs)}`,
      result: pass(warmRatio >= 10),
      ...edge(warmRatio, 10),
    });
  } else missing("Cache", "warm summary >= 10x faster than cold", "dashboard");
  const c = run.cache;
  if (c) {
    for (const s of c.stampedes) {
      rows.push({
        area: "Cache",
        target: `${s.requests} concurrent cold requests -> 1 loader call (${s.cache})`,
        figure: `${s.loaderCalls} (${s.answered}/${s.requests} answered)`,
        baseline: `${s.requests} without single-flight`,
        result: pass(s.loaderCalls === 1 && s.answered === s.requests),
      });
    }
  } else missing("Cache", "concurrent cold requests -> 1 loader call", "cache");
  const rt = c?.roundTrips;
  if (rt) {
    const find = (prefix: string) => rt.cases.filter((x) => x.name.startsWith(prefix));
    const worst = (prefix: string) => Math.max(...find(prefix).map((x) => x.after.roundTrips));
    const baseline = (prefix: string) =>
      find(prefix)
        .map((x) => `${x.name}: ${x.before.roundTrips}`)
        .join("; ");
    for (const [prefix, what] of [
      ["get", "get (hit or miss), generation check included: 1 Redis round trip"],
      ["set", "set (1 or 3 tags): 1 Redis round trip"],
      ["invalidateTags", "invalidateTags (1 or 3 tags, 1 or 100 entries): 1 Redis round trip"],
    ] as const) {
      rows.push({
        area: "Cache",
        target: what,
        figure: `${worst(prefix)} at most`,
        baseline: `tag sets: ${baseline(prefix)}`,
        result: pass(worst(prefix) === 1),
      });
    }
    const hit = find("get, hit")[0];
    if (hit) {
      const slower = hit.after.medianMs / hit.before.medianMs;
      rows.push({
        area: "Cache",
        target: "get (hit) latency <= 1.5x the tag-set algorithm's plain GET",
        figure: `${ratio(slower)} (${duration(hit.after.medianMs)})`,
        baseline: `tag sets ${duration(hit.before.medianMs)}`,
        result: pass(slower <= 1.5),
        ...edge(slower, 1.5),
      });
    }
    const lost = rt.lostReply;
    rows.push({
      area: "Cache",
      target: "invalidation reply lost to a client timeout: no stale read afterwards",
      figure: lost.after.staleRead || lost.after.staleAfterRetry ? "stale read" : "no stale read",
      baseline: `tag sets: ${lost.before.staleRead ? "stale read" : "no stale read"}${lost.before.staleAfterRetry ? ", still stale after a successful retry" : ""}`,
      result: pass(lost.after.timedOut && !lost.after.staleRead && !lost.after.staleAfterRetry),
      ...(lost.after.timedOut
        ? {}
        : { note: "the repro's precondition did not occur (the reply was not lost), so this run proves nothing" }),
    });
  } else if (c) missing("Cache", "Redis round trips before/after generation-stamped tags (Redis not measured)", "cache");

  const g = run.ingest;
  if (g) {
    rows.push({
      area: "Ingest",
      target: `import of ${megabytes(g.memory.bytes)} NDJSON (${count(g.memory.records)} findings): peak RSS growth < 200 MB`,
      figure: megabytes(g.memory.rssGrowthBytes),
      baseline: `file ${megabytes(g.memory.bytes)}`,
      result: pass(g.memory.rssGrowthBytes < 200 * 1_048_576 && g.memory.written === g.memory.records),
      ...joinNotes(
        g.memory.bytes < g.memory.targetBytes * 0.99 ? "below the 1 GiB of the full scale" : undefined,
        edge(g.memory.rssGrowthBytes, 200 * 1_048_576).note,
      ),
    });
    rows.push({
      area: "Ingest",
      // The worker's import is `importScan` inside the audit (account, last scan, cache): its overhead is
      // what is measured now (the old hand-written worker importer is gone); within 25 % of the bare import.
      target: `import of ${count(g.compare.records)} Prowler OCSF findings: the worker's audited import within 25 % of the bare importScan`,
      figure: `${ratio(g.compare.speedup)} (${duration(g.compare.ingestMs)})`,
      baseline: `worker auditedImport ${duration(g.compare.workerMs)}`,
      result: pass(g.compare.speedup > 0.8 && g.compare.ingestWritten === g.compare.workerWritten),
    });
  } else missing("Ingest", "1 GiB NDJSON import: peak RSS growth < 200 MB", "ingest");

  const s = run.streaming;
  if (s) {
    rows.push({
      area: "Memory",
      target: `streaming ${count(s.findings)} findings: peak RSS growth < 100 MB`,
      figure: megabytes(s.stream.rssGrowthBytes),
      baseline: s.toArray ? `toArray (all at once): ${megabytes(s.toArray.rssGrowthBytes)}` : "-",
      result: pass(s.stream.rssGrowthBytes < 100 * 1_048_576 && s.stream.documents === s.findings),
      ...joinNotes(
        s.rawStream ? `the driver's cursor alone: ${megabytes(s.rawStream.rssGrowthBytes)}` : undefined,
        edge(s.stream.rssGrowthBytes, 100 * 1_048_576).note,
      ),
    });
  } else missing("Memory", "streaming: peak RSS growth < 100 MB", "streaming");

  const trips = run.roundtrips;
  if (trips) {
    const describe = (list: readonly RoundTripFigure[]) => list.map((f) => `${f.delayMs} ms: ${ratio(f.ratio)}`).join(", ");
    for (const [what, list, naive] of [
      [`import of ${count(trips.importFindings)}: bulkUpsert faster than one upsert per finding`, trips.import, "one upsert per finding"],
      [
        `dashboard over ${count(trips.dashboardFindings)} findings, cold: the rollup dashboard (2 commands) faster than 1 query per figure`,
        trips.dashboard,
        "11 queries",
      ],
      [`N+1 guard: resolveAccounts of ${trips.accounts} ids faster than one getAccount per id`, trips.resolve, "one getAccount per id"],
    ] as const) {
      rows.push({
        area: "Round trips",
        target: `${what}, at every proxy delay (ms per direction)`,
        figure: describe(list),
        baseline: `${naive}: ${list.map((f) => `${f.delayMs} ms: ${duration(f.naiveMs)}`).join(", ")}`,
        result: pass(list.length > 0 && list.every((f) => f.ratio > 1)),
      });
    }
  } else missing("Round trips", "batched vs one-per-item through a delay proxy at 0, 0.25 and 1 ms", "roundtrips");

  const h = run.http;
  if (h) {
    rows.push({
      area: "HTTP",
      target: "GET /accounts, cache off: >= 0.9x the hand-written Fastify + driver route's req/s",
      figure: `${ratio(h.throughputRatio)} (${h.api.requestsPerSecond.toFixed(0)} req/s)`,
      baseline: `hand-written ${h.handWritten.requestsPerSecond.toFixed(0)} req/s`,
      result: pass(h.throughputRatio >= 0.9 && h.api.errors + h.api.non2xx === 0),
      ...joinNotes(
        `server CPU per request ${duration(h.api.cpuPerRequestMs)} vs ${duration(h.handWritten.cpuPerRequestMs)}`,
        edge(h.throughputRatio, 0.9).note,
      ),
    });
    rows.push({
      area: "HTTP",
      target: "GET /accounts, cache off: p99 <= 1.2x the hand-written route's",
      figure: `${ratio(h.p99Ratio)} (${h.api.p99Ms} ms)`,
      baseline: `hand-written ${h.handWritten.p99Ms} ms`,
      result: pass(h.p99Ratio <= 1.2),
      ...edge(h.p99Ratio, 1.2),
    });
  } else missing("HTTP", "GET /accounts >= 0.9x hand-written req/s, p99 <= 1.2x", "http");

  const l = run.load;
  if (l) {
    rows.push({
      area: "Load",
      target: `${l.clients} clients x ${l.seconds.toFixed(0)} s: no errors other than expected 4xx`,
      figure: `${l.errors} errors`,
      baseline: `${count(l.requests)} requests, ${l.expected4xx} expected 4xx`,
      result: pass(l.errors === 0 && l.requests > 0),
    });
    rows.push({
      area: "Load",
      target: "no lost writes (acknowledged vs stored)",
      figure: `${l.writes.lost} lost`,
      baseline: `${count(l.writes.accountsCreated + l.writes.assessmentsCreated + l.writes.importsCompleted)} acknowledged creates, ${l.writes.accountsRenamed} renamed accounts`,
      result: pass(l.writes.lost === 0),
    });
  } else missing("Load", "no errors other than expected 4xx, no lost writes", "load");
  // The scale run is manual (`--scale 1m`): a row only when it ran or was selected.
  if (run.scale) rows.push(...scaleTargetRows(run.scale));
  else if (run.options.only.includes("scale")) missing("Scale", "posture reads at 1M findings <= 2x their cost at 10k", "scale");
  return rows;
}

function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const escapeCell = (cell: string) => cell.replace(/\|/g, "\\|").replace(/\n/g, " ");
  return [
    `| ${headers.join(" | ")} |`,
    `| ${headers.map(() => "---").join(" | ")} |`,
    ...rows.map((row) => `| ${row.map(escapeCell).join(" | ")} |`),
  ].join("\n");
}

/** The whole `BENCHMARKS.md`. */
export function renderReport(run: BenchmarkRun): string {
  const m = run.machine;
  const o = run.options;
  const rows = targetRows(run);
  const lines: string[] = [];
  lines.push("# Benchmarks", "");
  lines.push(
    `Written by \`pnpm bench\` (\`scripts/bench/runBenchmarks.ts\`) on ${m.date}${m.commit ? ` at commit \`${m.commit}\` (plus any uncommitted changes)` : ""}. Re-run it to refresh this file.`,
    "",
  );
  lines.push("## Machine", "");
  lines.push(
    table(
      ["", ""],
      [
        ["CPU", `${m.cpuModel} x ${m.cpuCount}${m.cpuMhz ? ` (${m.cpuMhz} MHz)` : ""}`],
        ["Memory", `${(m.memoryBytes / 1024 ** 3).toFixed(1)} GiB`],
        ["OS", m.os],
        ["Node", m.node],
        ["MongoDB", `${m.engine} at ${m.server}`],
        [
          "Scale",
          `${o.scale}: ${count(o.findings)} findings (ingestion, dashboard), ${count(o.bulkDocuments)} / ${count(o.readDocuments)} repository docs, ${count(o.streamFindings)} streamed, ${count(o.engineDocuments)} engine docs, ${count(o.cacheFindings)} cache findings, load ${o.loadClients} clients x ${o.loadSeconds} s, HTTP ${o.httpRounds} rounds x ${o.httpSeconds} s x ${o.httpConnections} connections, round trips ${count(o.roundTripImportFindings)} / ${count(o.roundTripDashboardFindings)} findings, ${o.runs} runs per median`,
        ],
        ["Total time", duration(run.totalMs)],
      ],
    ),
    "",
  );
  if (m.engine.startsWith("compat")) {
    lines.push(
      "> **Offline engine.** No `MONGODB_URI` was set and no `mongod` binary was on hand, so this run used the testkit's offline",
      "> MongoDB-compatible engine, forked into a process of its own (its CPU is not the benchmark's). It evaluates queries and",
      "> pipelines in JavaScript, so server-side work costs far more than in mongod and pipeline-heavy figures look worse than they",
      "> would on a server. Command counts, memory and correctness figures are real; the round-trip-bound comparisons are measured",
      "> through a loopback delay proxy (see Round trips). Run `MONGODB_URI=mongodb://… pnpm bench` for server figures.",
      "",
    );
  }
  if (run.reduced.length > 0) {
    lines.push("### Figures not measured in full", "");
    for (const note of run.reduced) lines.push(`- ${note}`);
    lines.push("");
  }
  lines.push("## Targets", "");
  lines.push(
    table(
      ["Area", "Target", "This run", "Baseline (same run)", "Result"],
      rows.map((r) => [r.area, r.target, r.figure, r.baseline, `**${r.result}**${r.note ? ` — ${r.note}` : ""}`]),
    ),
    "",
  );
  const missed = rows.filter((r) => r.result !== "PASS");
  lines.push(
    missed.length === 0
      ? "Every target met."
      : `${rows.length - missed.length} of ${rows.length} targets met; not met: ${missed.map((r) => `${r.area} (${r.target})`).join("; ")}.`,
    "",
  );

  if (run.engine) {
    const e = run.engine;
    lines.push("## Engine", "");
    lines.push(
      table(
        ["Measure", "Median"],
        [
          ["insertOne", duration(e.insertOneMedianMs)],
          ["find by _id", duration(e.idLookupMedianMs)],
          [`indexed equality find (${count(e.largeCollectionSize)} docs)`, duration(e.indexedFindMedianMs)],
          [`unindexed equality find (${count(e.largeCollectionSize)} docs)`, duration(e.unindexedFindMedianMs)],
          [`$match + $facet (${count(e.facetCollectionSize)} docs)`, duration(e.matchFacetMedianMs)],
        ],
      ),
      "",
    );
  }
  if (run.repository) {
    const r = run.repository;
    lines.push(
      "## Repository vs raw driver",
      "",
      `Medians of ${r.runs} runs, order alternating; the raw side's documents and operations are built before its clock starts.`,
      "",
    );
    lines.push(
      table(
        ["Case", "Repository", "Raw driver", "Ratio"],
        r.cases.map((c) => [c.name, duration(c.repositoryMs), duration(c.rawMs), ratio(c.ratio)]),
      ),
      "",
    );
    lines.push(
      "### Upsert cost",
      "",
      `\`bulkUpsert\` of ${count(r.upsertCost[0]?.documents ?? 0)} findings by natural key against the cheapest raw upsert, \`updateOne({ key }, { $set: doc, $setOnInsert: { created_at } }, { upsert: true })\` in batches of 1,000 (it cannot tell unchanged from updated, keeps no insert-only field and validates nothing). Client CPU is \`process.cpuUsage()\` of the benchmark process around the call (validation, operation building, BSON, the driver); server CPU is the engine process's, when the bench owns it. Medians of ${r.runs} runs, order alternating; ratios are medians of per-run ratios.`,
      "",
      table(
        [
          "Situation",
          "Wall",
          "Raw $set wall",
          "Ratio",
          "Client CPU",
          "Raw $set CPU",
          "Ratio",
          "Server CPU",
          "Raw $set server CPU",
          "Update bytes (one op)",
        ],
        r.upsertCost.map((u) => [
          u.name,
          duration(u.repositoryWallMs),
          duration(u.rawSetWallMs),
          ratio(u.wallRatio),
          duration(u.repositoryCpuMs),
          duration(u.rawSetCpuMs),
          ratio(u.cpuRatio),
          u.repositoryServerCpuMs === undefined ? "-" : duration(u.repositoryServerCpuMs),
          u.rawSetServerCpuMs === undefined ? "-" : duration(u.rawSetServerCpuMs),
          `${u.repositoryUpdateBytes} vs ${u.rawSetUpdateBytes}`,
        ]),
      ),
      "",
      `The repository's own CPU without I/O for ${count(r.upsertCost[0]?.documents ?? 0)} documents (validation + operation building): insertMany ${duration(r.clientCostMs.insertMany)}, bulkUpsert ${duration(r.clientCostMs.bulkUpsert)}.`,
      "",
    );
  }
  if (run.ingestion) {
    const i = run.ingestion;
    lines.push("## Ingestion", "");
    lines.push(
      table(
        ["Measure", "Time", "Per finding"],
        [
          [
            `bulkUpsert, import of ${count(i.findings)} (chunks of 10,000, batches of 1,000)`,
            duration(i.batchedFullMs),
            duration(i.batchedFullMs / i.findings),
          ],
          [
            `one upsert per finding, ${count(i.findings)}${i.perFindingExtrapolated ? ` (${i.runs} x ${i.probe} probed per 10,000; ${duration(i.perFindingRateFirstMs)} per finding at the start, ${duration(i.perFindingRateLastMs)} at the end)` : ""}`,
            duration(i.perFindingFullMs),
            duration(i.perFindingFullMs / i.findings),
          ],
          [
            `one upsert per finding, ${count(i.sample)} into an empty collection (median of ${i.runs})`,
            duration(i.perFindingSampleMs),
            duration(i.perFindingSampleMs / i.sample),
          ],
          [
            `bulkUpsert, the same ${count(i.sample)} (median of ${i.runs})`,
            duration(i.batchedSampleMs),
            duration(i.batchedSampleMs / i.sample),
          ],
        ],
      ),
      "",
      `Stored after the import: ${count(i.storedAfterImport)} of ${count(i.findings)}.`,
      "",
    );
  }
  if (run.scale) lines.push(...scaleSection(run.scale));
  if (run.findings) {
    const f = run.findings;
    lines.push(
      "## Finding queries",
      "",
      `\`FindingQueryService\` at ${count(f.small)} and ${count(f.large)} findings per team (two teams of that size), pages of ${f.limit}, median of ${f.runs}. ` +
        "Keyset pages should cost the same at any size and depth (ratio near 1); facet counts aggregate every match, so they grow with them.",
      "",
    );
    lines.push(
      table(
        ["Case", count(f.small), count(f.large), `Ratio ${count(f.large)} / ${count(f.small)}`],
        f.cases.map((c) => [c.name, duration(c.smallMs), duration(c.largeMs), ratio(c.ratio)]),
      ),
      "",
    );
  }
  if (run.dashboard) {
    const d = run.dashboard;
    lines.push(
      "## Dashboard summary",
      "",
      `${count(d.findings)} findings, median of ${d.runs} runs; the three variants were checked to produce identical summaries first. The rollups were built from the seeded findings in ${duration(d.rollupRebuildMs)} (${count(d.rollupRows)} rows; an import rebuilds only the accounts it touched).`,
      "",
    );
    lines.push(
      table(
        ["Variant", "Commands cold", "Cold", "Commands warm", "Warm"],
        [
          [
            "getDashboardSummary (rollup marks + one $facet over the rollups)",
            String(d.single.coldCommands),
            duration(d.single.coldMs),
            String(d.single.warmCommands),
            duration(d.single.warmMs),
          ],
          [
            "one $facet over the findings (windows not starting at a UTC midnight)",
            String(d.facet.coldCommands),
            duration(d.facet.coldMs),
            String(d.facet.warmCommands),
            duration(d.facet.warmMs),
          ],
          [
            "naive (one query per figure)",
            String(d.naive.coldCommands),
            duration(d.naive.coldMs),
            String(d.naive.warmCommands),
            duration(d.naive.warmMs),
          ],
        ],
      ),
      "",
      `Round trips saved cold: ${(d.roundTripReduction * 100).toFixed(0)}%. Time naive / single: cold ${ratio(d.coldTimeRatio)}, warm ${ratio(d.warmTimeRatio)}.`,
      "",
    );
  }
  if (run.cache) {
    const c = run.cache;
    lines.push("## Cache", "", `Redis: ${c.redis}. Stampedes aggregate over ${count(c.findings)} findings.`, "");
    lines.push(
      table(
        ["Stampede", "Requests", "Loader calls", "Answered", "Time"],
        c.stampedes.map((s) => [s.cache, String(s.requests), String(s.loaderCalls), String(s.answered), duration(s.ms)]),
      ),
      "",
    );
    lines.push(
      `Hit vs miss of \`wrap()\` around one aggregation (medians of ${c.hitMiss.runs} runs x ${c.hitMiss.iterations} calls):`,
      "",
      table(
        ["Cache", "Bare loader", "Miss", "Hit", "Miss / hit", "Loader calls during hits"],
        c.hitMiss.results.map((h) => [
          h.cache,
          duration(h.loaderMs),
          duration(h.missMs),
          duration(h.hitMs),
          ratio(h.missToHitRatio),
          String(h.loaderCallsDuringHits),
        ]),
      ),
      "",
    );
    for (const skipped of c.hitMiss.skipped) lines.push(`Skipped ${skipped.cache}: ${skipped.reason}.`, "");
    if (c.roundTrips) {
      const rt = c.roundTrips;
      lines.push(
        "### Redis round trips: tag sets (before) vs generation-stamped tags (after)",
        "",
        "Same run, same Redis. Before is the former algorithm's command sequence (`packages/cache/bench/legacyTagCache.ts`: " +
          "tags as Redis sets of keys, popped and deleted on invalidation); after is `RedisCache`. Commands and round trips " +
          "per call are counted from ioredis's `ioredis:command` tracing channel (round trips: the longest chain of commands sent " +
          "after an earlier one's reply; parallel commands share one; an upper bound when unrelated replies interleave); " +
          `latency is the median of ${count(rt.iterations)} single calls per side (a quarter of that for 100 entries), the sides alternating.`,
        "",
        table(
          ["Operation", "Round trips before", "after", "Commands before", "after", "Median before", "after", "After / before"],
          rt.cases.map((x) => [
            x.name,
            String(x.before.roundTrips),
            String(x.after.roundTrips),
            String(x.before.commands),
            String(x.after.commands),
            duration(x.before.medianMs),
            duration(x.after.medianMs),
            ratio(x.after.medianMs / x.before.medianMs),
          ]),
        ),
        "",
        "The issue's repro (an invalidation whose reply is lost to a client timeout while the event loop is blocked, then a read by another process):",
        "",
        table(
          ["Algorithm", "Invalidation timed out", "Stale read", "Stale after a successful retry"],
          (["before", "after"] as const).map((side) => {
            const o = rt.lostReply[side];
            return [
              side === "before" ? "tag sets (before)" : "generations (after)",
              String(o.timedOut),
              String(o.staleRead),
              String(o.staleAfterRetry),
            ];
          }),
        ),
        "",
      );
    }
  }
  if (run.ingest) {
    const g = run.ingest;
    lines.push(
      "## Ingest (`@cspm/ingest`)",
      "",
      "Files built from the real fixtures by repeating their records with distinct resource ids (hosts, URLs), in a temporary folder deleted afterwards.",
      "Records/s are detection + streaming parse + mapping, no database.",
      "",
      table(
        ["Format", "Built from", "Records", "File", "Documents", "Time", "Records/s"],
        g.formats.map((f) => [
          f.format,
          f.source,
          count(f.records),
          megabytes(f.bytes),
          count(f.documents),
          duration(f.ms),
          count(Math.round(f.recordsPerSecond)),
        ]),
      ),
      "",
      `End to end on the same ${count(g.compare.records)}-finding Prowler OCSF file and server: \`importScan\` ${duration(g.compare.ingestMs)} (${count(g.compare.ingestWritten)} written) vs the worker's audited import (\`examples/worker\` \`auditedImport\`: the same \`importScan\` inside the audit, account and cache bookkeeping) ${duration(g.compare.workerMs)} (${count(g.compare.workerWritten)} written): ${ratio(g.compare.speedup)}.`,
      "",
      `Memory: importing ${megabytes(g.memory.bytes)} of NDJSON (${count(g.memory.records)} findings, ${count(g.memory.written)} written) in a forked child process: peak RSS growth ${megabytes(g.memory.rssGrowthBytes)} over a ${megabytes(g.memory.baselineRssBytes)} baseline, ${duration(g.memory.ms)}.`,
      "",
    );
  }
  if (run.streaming) {
    const s = run.streaming;
    lines.push(
      "## Memory",
      "",
      `${count(s.findings)} findings (seeded in ${duration(s.seedMs)}), each reader in a freshly forked child process (RSS baseline after warm-up and GC).`,
      "",
    );
    const row = (label: string, x: NonNullable<StreamingBenchmarkResult["toArray"]>) => [
      label,
      count(x.documents),
      megabytes(x.rssGrowthBytes),
      megabytes(x.peakHeapUsedBytes - x.baselineHeapUsedBytes),
      megabytes(x.retainedRssBytes),
      duration(x.ms),
    ];
    lines.push(
      table(
        ["Reader", "Documents", "Peak RSS growth", "Peak heap growth", "RSS kept after GC", "Time"],
        [
          row("repository stream()", s.stream),
          ...(s.rawStream ? [row("driver cursor alone", s.rawStream)] : []),
          ...(s.toArray ? [row("driver toArray() (all at once)", s.toArray)] : []),
        ],
      ),
      "",
    );
    if (s.growthRatio !== undefined)
      lines.push(
        `Loading everything at once grows ${ratio(s.growthRatio)} as much as stream(). (The repository's own \`findMany\` cannot do that: it returns at most 1,000 documents by default, 10,000 with a limit.)`,
        "",
      );
    lines.push(
      "The peak of a stream is garbage V8 has not collected yet (batches promoted to the old generation between scavenges), not documents",
      'kept: what stays after a GC is the "RSS kept" column. The driver\'s cursor alone sets the floor any wrapper can reach in a default',
      "Node process.",
      "",
    );
  }
  if (run.roundtrips) {
    const t = run.roundtrips;
    lines.push(
      "## Round trips through a delay proxy",
      "",
      `The server in its own process, the benchmark's client behind the testkit's loopback proxy (\`startTcpProxy(target, { delayMs })\`), which delays every chunk by the given time in each direction. Medians of ${t.runs} runs; ratio = one-per-item time / batched time.`,
      "",
      table(
        ["Comparison", "Delay per direction", "Batched / one command", "One per item", "Ratio"],
        [
          ...t.import.map((f) => [
            `import of ${count(t.importFindings)} findings`,
            `${f.delayMs} ms`,
            duration(f.batchedMs),
            duration(f.naiveMs),
            ratio(f.ratio),
          ]),
          ...t.dashboard.map((f) => [
            `dashboard over ${count(t.dashboardFindings)} findings, cold (${f.batchedCommands} vs ${f.naiveCommands} commands)`,
            `${f.delayMs} ms`,
            duration(f.batchedMs),
            duration(f.naiveMs),
            ratio(f.ratio),
          ]),
          ...t.resolve.map((f) => [
            `${t.accounts} account ids resolved`,
            `${f.delayMs} ms`,
            duration(f.batchedMs),
            duration(f.naiveMs),
            ratio(f.ratio),
          ]),
        ],
      ),
      "",
    );
  }
  if (run.http) {
    const h = run.http;
    const row = (label: string, x: HttpRouteBenchmarkResult["api"]) => [
      label,
      x.requestsPerSecond.toFixed(0),
      `${x.p50Ms} ms`,
      `${x.p99Ms} ms`,
      duration(x.cpuPerRequestMs),
      Number.isNaN(x.mongoCpuPerRequestMs) ? "-" : duration(x.mongoCpuPerRequestMs),
      count(x.requests),
      String(x.non2xx + x.errors),
    ];
    lines.push(
      "## GET /accounts: the example API vs a hand-written route",
      "",
      `\`GET /accounts\` (a team with ${h.accounts} accounts, one page) served by the example API (\`buildApp\`, container with \`cache.enabled: false\`, no command monitor, logger off) and by the same route written by hand with Fastify and the raw driver (\`scripts/bench/handWrittenServerChild.ts\`: same checks, query, view and envelope; both answers checked equal first). The MongoDB, each server and the load generator (autocannon, ${h.connections} connections) each run in a process of their own on this machine; ${h.rounds} rounds of ${h.seconds} s per server, order alternating; medians, ratios are medians of per-round ratios.`,
      "",
      table(
        ["Server", "req/s", "p50", "p99", "Server CPU per request", "MongoDB CPU per request", "Requests", "Errors"],
        [row("example API", h.api), row("hand-written", h.handWritten)],
      ),
      "",
      `Throughput ${ratio(h.throughputRatio)}, p99 ${ratio(h.p99Ratio)} of the hand-written route's. MongoDB CPU per request is the database process's CPU over each server's load, divided by its requests (both servers send the same one find per request). The database, both servers and the load generator share the machine's cores, so the server CPU per request is the steadier comparison of the two request paths than req/s or p99 on a busy machine.`,
      "",
    );
  }
  if (run.load) {
    const l = run.load;
    lines.push(
      "## Load",
      "",
      `The example API (\`buildApp\`) on 127.0.0.1 over the same MongoDB, ${l.clients} concurrent loopback clients for ${l.seconds.toFixed(1)} s over ${l.teams} teams: ${count(l.requests)} requests (${l.requestsPerSecond.toFixed(1)}/s), ${l.errors} errors, ${l.expected4xx} expected 4xx. Clients, API and ${m.engine.startsWith("compat") ? "the offline engine" : "driver"} share this machine${m.engine.startsWith("compat") ? " (and one Node process)" : ""}.`,
      "",
    );
    lines.push(
      table(
        ["Route", "Requests", "p50", "p99", "Max", "Expected 4xx", "Errors"],
        l.routes.map((r) => [
          r.route,
          String(r.requests),
          duration(r.p50Ms),
          duration(r.p99Ms),
          duration(r.maxMs),
          String(r.expected4xx),
          String(r.errors),
        ]),
      ),
      "",
    );
    lines.push(
      `Writes acknowledged: ${l.writes.accountsCreated} accounts created, ${l.writes.accountsRenamed} accounts renamed (last name checked), ${l.writes.assessmentsCreated} assessments, ${l.writes.importsCompleted} imports; lost: ${l.writes.lost}; stored without an acknowledgement: ${l.writes.unacknowledgedStored}.`,
      "",
    );
    if (l.errorSamples.length > 0) lines.push("Unexpected answers:", "", ...l.errorSamples.map((e) => `- \`${e}\``), "");
    if (l.writes.lostSamples.length > 0) lines.push("Lost writes:", "", ...l.writes.lostSamples.map((e) => `- ${e}`), "");
  }
  const errors = Object.entries(run.errors);
  if (errors.length > 0) {
    lines.push("## Benchmarks that failed to run", "");
    for (const [name, message] of errors) lines.push(`- **${name}**: ${message}`);
    lines.push("");
  }
  lines.push(
    "## Wall time per benchmark",
    "",
    table(
      ["Benchmark", "Time"],
      Object.entries(run.wallTimes).map(([name, ms]) => [name, duration(ms)]),
    ),
    "",
  );
  lines.push(
    "## Re-running",
    "",
    "```sh",
    "pnpm bench                                   # the issue's figures (offline engine unless MONGODB_URI is set)",
    "pnpm bench --scale small                     # quick smoke run",
    "pnpm bench --scale 1m --out /tmp/scale-1m.md     # manual: posture reads at 10k vs 1M findings (--findings-1m 100000 for a shorter run)",
    "MONGODB_URI=mongodb://127.0.0.1:27017 pnpm bench   # a real server",
    "CSPM_BENCH_FINDINGS=1000000 CSPM_BENCH_STREAM_FINDINGS=2000000 pnpm bench --only ingestion,streaming",
    "pnpm bench --only ingestion --per-finding-in-full   # time one upsert per finding over the full figure (slow)",
    "pnpm bench --only repository,roundtrips,http       # the upsert cost, round trips through the delay proxy, GET /accounts",
    "CSPM_BENCH_CPU_PROF=/tmp/prof pnpm bench --only http   # also write both servers' CPU profiles",
    "```",
    "",
  );
  return lines.join("\n");
}
