import { SEVERITIES } from "@cspm/domain";
import { testDatabasePrefix } from "@cspm/testkit";
/**
 * Ingestion of Prowler findings through the domain repository: batched `bulkUpsert` (unordered bulk
 * writes of 1,000) against one `upsert` per finding, the way a naive importer writes.
 *
 * The batched side imports the full figure (default 100,000). Timing the per-finding side in full would
 * take longer than the whole benchmark budget, so it is sampled where it matters: before every chunk of
 * 10,000 of the batched import — i.e. at every collection size the import passes through — a few runs of
 * `probe` one-by-one upserts of new findings are timed (median), and the per-finding cost of the full import
 * is the sum of those rates over the chunks. Both sides therefore see the same growing collection. A
 * same-size comparison on an empty collection (medians of `runs`) is reported too.
 */
import { ProwlerFindingRepository } from "@cspm/domain";
import { CSPMDatabaseManager } from "@cspm/mongo";
import { RepositoryFactory } from "@cspm/repository";
import { median, timed } from "./benchmarkMath";
import { dropBenchDatabases } from "./dropBenchDatabases";

/** Options of `runIngestionBenchmark`. */
export interface IngestionBenchmarkOptions {
  readonly uri: string;
  /** Findings imported by the batched side (default 100,000). */
  readonly findings?: number;
  /** Findings both sides are timed on in the empty-collection comparison, per run (default 1,000). */
  readonly perFindingSample?: number;
  /** One-by-one upserts timed per run at each collection size (default 200). */
  readonly probe?: number;
  /** Runs of every comparison (default 3; medians are used). */
  readonly runs?: number;
  /** Time the per-finding side over the full figure instead of sampling it (slow). */
  readonly perFindingInFull?: boolean;
  /** Progress lines. */
  readonly log?: (line: string) => void;
}

/** What `runIngestionBenchmark` returns (milliseconds). */
export interface IngestionBenchmarkResult {
  readonly findings: number;
  readonly sample: number;
  readonly probe: number;
  readonly runs: number;
  /** Empty collection, same size: median time of one upsert per finding over the sample. */
  readonly perFindingSampleMs: number;
  /** Empty collection, same size: median time of one bulkUpsert of the sample. */
  readonly batchedSampleMs: number;
  /** perFindingSampleMs / batchedSampleMs. */
  readonly sampleSpeedup: number;
  /** One bulkUpsert import of all `findings` (every finding inserted), in chunks of 10,000. */
  readonly batchedFullMs: number;
  /** One upsert per finding for all `findings`: the per-chunk sampled rates summed (or timed in full). */
  readonly perFindingFullMs: number;
  readonly perFindingExtrapolated: boolean;
  /** Per-finding ms of one-by-one upserts at the first and at the last collection size probed. */
  readonly perFindingRateFirstMs: number;
  readonly perFindingRateLastMs: number;
  /** perFindingFullMs / batchedFullMs (target: at least 20). */
  readonly speedup: number;
  /** Documents in the collection after the full import (must equal `findings`). */
  readonly storedAfterImport: number;
}

const TEAM = "bench_ingest";
const CHUNK = 10_000;

/** A valid finding input (repository shape), deterministic by index and scan (shared with the round-trip benchmark). */
export function benchFinding(i: number, seen: Date, scan = "bench-scan"): Record<string, unknown> {
  return {
    provider: "aws",
    account_id: String(100_000_000_000 + (i % 20)),
    scan_id: scan,
    check_id: `check_${i % 250}`,
    check_title: `Benchmark check ${i % 250}`,
    status: i % 3 === 0 ? "PASS" : "FAIL",
    status_extended: `Resource ${i} was evaluated by the benchmark.`,
    severity: SEVERITIES[i % SEVERITIES.length],
    service_name: "s3",
    region: `eu-west-${(i % 3) + 1}`,
    resource_uid: `arn:aws:s3:::${scan}-bucket-${i}`,
    resource_type: "AwsS3Bucket",
    compliance: [{ framework: "CIS-2.0", controls: [`2.1.${i % 5}`] }],
    muted: false,
    first_seen_at: seen,
    last_seen_at: seen,
  };
}

/** Runs the ingestion comparison in its own `bench_<random>_` databases (dropped afterwards). */
export async function runIngestionBenchmark(options: IngestionBenchmarkOptions): Promise<IngestionBenchmarkResult> {
  const total = options.findings ?? 100_000;
  const sample = Math.min(options.perFindingSample ?? 1_000, total);
  const probe = Math.max(1, options.probe ?? 200);
  const runs = Math.max(1, options.runs ?? 3);
  const log = options.log ?? (() => undefined);
  const prefix = testDatabasePrefix("bench");
  const manager = new CSPMDatabaseManager({ uri: options.uri, prefix, appName: "cspm-bench-ingestion" });
  await manager.connect();
  try {
    await manager.ensureIndexes({ databases: ["CLOUD_SECURITY"] });
    const collection = manager.getCollection("CLOUD_SECURITY", "prowler_findings");
    const scope = new RepositoryFactory({ provider: manager }).get(ProwlerFindingRepository).forTeam(TEAM);
    const oneByOne = async (docs: readonly Record<string, unknown>[]): Promise<number> =>
      (
        await timed(async () => {
          for (const doc of docs) await scope.upsert(doc as never);
        })
      ).ms;

    // 1. Same size, empty collection, order alternating.
    const perFinding: number[] = [];
    const batched: number[] = [];
    for (let run = 0; run < runs; run++) {
      const seen = new Date();
      const docs = Array.from({ length: sample }, (_, i) => benchFinding(i, seen));
      const order = run % 2 === 0 ? (["single", "batched"] as const) : (["batched", "single"] as const);
      for (const side of order) {
        await collection.deleteMany({});
        if (side === "single") perFinding.push(await oneByOne(docs));
        else batched.push((await timed(() => scope.bulkUpsert(docs))).ms);
      }
      log(
        `  empty collection, run ${run + 1}/${runs}: one upsert per finding ${perFinding.at(-1)?.toFixed(0)} ms, bulkUpsert ${batched.at(-1)?.toFixed(0)} ms (${sample} findings)`,
      );
    }
    await collection.deleteMany({});

    // 2. The full import, batched, with the per-finding rate probed at every collection size it passes through.
    const seen = new Date();
    const all = Array.from({ length: total }, (_, i) => benchFinding(i, seen));
    let batchedFullMs = 0;
    let perFindingFullMs = 0;
    const rates: number[] = [];
    for (let start = 0; start < total; start += CHUNK) {
      const part = all.slice(start, start + CHUNK);
      if (!options.perFindingInFull) {
        const probeRuns: number[] = [];
        for (let run = 0; run < runs; run++) {
          const scan = `probe-${start}-${run}`;
          probeRuns.push((await oneByOne(Array.from({ length: probe }, (_, i) => benchFinding(i, seen, scan)))) / probe);
          // cspm-contracts-disable-next-line no-hand-written-tenant-filter -- benchmark clean-up on the raw collection
          await collection.deleteMany({ team_id: TEAM, scan_id: scan });
        }
        const rate = median(probeRuns);
        rates.push(rate);
        perFindingFullMs += rate * part.length;
      }
      const { ms, result } = await timed(() => scope.bulkUpsert(part));
      if (result.errors.length > 0) throw new Error(`bulkUpsert reported ${result.errors.length} errors: ${result.errors[0]?.message}`);
      batchedFullMs += ms;
      log(
        `  import ${Math.min(start + CHUNK, total).toLocaleString("en-US")}/${total.toLocaleString("en-US")}: bulkUpsert ${(batchedFullMs / 1000).toFixed(1)} s` +
          (options.perFindingInFull ? "" : `; one by one here: ${(rates.at(-1) ?? 0).toFixed(3)} ms per finding`),
      );
    }
    // cspm-contracts-disable-next-line no-hand-written-tenant-filter -- benchmark check on the raw collection
    const storedAfterImport = await collection.countDocuments({ team_id: TEAM });

    if (options.perFindingInFull) {
      await collection.deleteMany({});
      perFindingFullMs = await oneByOne(all);
      rates.push(perFindingFullMs / total);
    }
    const perFindingSampleMs = median(perFinding);
    const batchedSampleMs = median(batched);
    return {
      findings: total,
      sample,
      probe,
      runs,
      perFindingSampleMs,
      batchedSampleMs,
      sampleSpeedup: perFindingSampleMs / batchedSampleMs,
      batchedFullMs,
      perFindingFullMs,
      perFindingExtrapolated: options.perFindingInFull !== true,
      perFindingRateFirstMs: rates[0] ?? Number.NaN,
      perFindingRateLastMs: rates.at(-1) ?? Number.NaN,
      speedup: perFindingFullMs / batchedFullMs,
      storedAfterImport,
    };
  } finally {
    await dropBenchDatabases(manager);
    await manager.close();
  }
}
