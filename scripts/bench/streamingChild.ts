/**
 * Child process of the streaming benchmark (`streamingBenchmark.ts` forks it, so its RSS starts clean):
 * reads every finding of one team — through the repository's `stream()`, through the driver's cursor alone,
 * or all at once with the driver's `toArray()` (the baseline) — sampling RSS throughout, and sends the
 * figures back over IPC.
 */
import { ProwlerFindingRepository } from "@cspm/domain";
import { CSPMDatabaseManager } from "@cspm/mongo";
import { RepositoryFactory } from "@cspm/repository";

/** What the parent sends as the only argument (JSON). */
export interface StreamingChildInput {
  readonly uri: string;
  readonly prefix: string;
  readonly team: string;
  readonly mode: StreamingMode;
  readonly batchSize: number;
}

/**
 * `stream`: the repository's `stream()`; `rawStream`: the driver's cursor alone (the floor); `toArray`: the driver's
 * `find().toArray()`, everything at once (the baseline — the repository's `findMany` caps itself at 10,000 by design).
 */
export type StreamingMode = "stream" | "rawStream" | "toArray";

/** What the child reports. */
export interface StreamingChildResult {
  readonly mode: StreamingMode;
  readonly documents: number;
  readonly baselineRssBytes: number;
  readonly peakRssBytes: number;
  readonly rssGrowthBytes: number;
  readonly peakHeapUsedBytes: number;
  readonly baselineHeapUsedBytes: number;
  readonly ms: number;
  /** RSS above the baseline after the read, once garbage is collected (what stays: a leak shows here). */
  readonly retainedRssBytes: number;
  readonly retainedHeapBytes: number;
  /** Failing findings counted while reading (proves every document was looked at). */
  readonly failing: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const input = JSON.parse(process.argv[2] ?? "{}") as StreamingChildInput;
  const manager = new CSPMDatabaseManager({ uri: input.uri, prefix: input.prefix, appName: `cspm-bench-${input.mode}` });
  await manager.connect();
  const scope = new RepositoryFactory({ provider: manager }).get(ProwlerFindingRepository).forTeam(input.team);
  // Warm up the driver, the repository and the JIT before the baseline.
  await scope.findMany({}, { limit: 200 });
  for await (const _ of scope.stream({}, { limit: 200, batchSize: 100 })) void _;
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  await sleep(100);
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    samples.push(process.memoryUsage().rss);
    await sleep(20);
  }
  const baselineRss = samples.sort((a, b) => a - b)[2] as number;
  const baselineHeap = process.memoryUsage().heapUsed;
  let peakRss = baselineRss;
  let peakHeap = baselineHeap;
  const sample = (): void => {
    const usage = process.memoryUsage();
    if (usage.rss > peakRss) peakRss = usage.rss;
    if (usage.heapUsed > peakHeap) peakHeap = usage.heapUsed;
  };
  const timer = setInterval(sample, 10);
  const started = performance.now();
  let documents = 0;
  let failing = 0;
  if (input.mode === "stream") {
    for await (const doc of scope.stream({}, { batchSize: input.batchSize })) {
      documents += 1;
      if (doc.status === "FAIL") failing += 1;
      if (documents % 1000 === 0) sample();
    }
  } else if (input.mode === "rawStream") {
    const cursor = manager
      .getCollection("CLOUD_SECURITY", "prowler_findings")
      // cspm-contracts-disable-next-line no-hand-written-tenant-filter -- the raw-driver baseline being measured
      .find({ team_id: input.team }, { batchSize: input.batchSize });
    for await (const doc of cursor) {
      documents += 1;
      if (doc.status === "FAIL") failing += 1;
      if (documents % 1000 === 0) sample();
    }
  } else {
    // cspm-contracts-disable-next-line no-hand-written-tenant-filter -- the raw-driver baseline being measured
    const docs = await manager.getCollection("CLOUD_SECURITY", "prowler_findings").find({ team_id: input.team }).toArray();
    sample();
    for (const doc of docs) {
      documents += 1;
      if (doc.status === "FAIL") failing += 1;
    }
    sample();
  }
  const ms = performance.now() - started;
  clearInterval(timer);
  sample();
  gc?.();
  gc?.();
  await sleep(50);
  const after = process.memoryUsage();
  await manager.close();
  const result: StreamingChildResult = {
    mode: input.mode,
    documents,
    baselineRssBytes: baselineRss,
    peakRssBytes: peakRss,
    rssGrowthBytes: peakRss - baselineRss,
    peakHeapUsedBytes: peakHeap,
    baselineHeapUsedBytes: baselineHeap,
    ms,
    retainedRssBytes: after.rss - baselineRss,
    retainedHeapBytes: after.heapUsed - baselineHeap,
    failing,
  };
  process.send?.(result);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.send?.({ error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
    process.exit(1);
  },
);
