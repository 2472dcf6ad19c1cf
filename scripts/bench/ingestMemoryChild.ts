/**
 * Child process of the ingest benchmark (`ingestFormatsBenchmark.ts` forks it, so its RSS starts clean and
 * holds nothing of the offline engine): imports one NDJSON file through `@cspm/ingest`'s `importScan`,
 * sampling RSS throughout, and sends the figures back over IPC.
 */
import { importRepositories, importScan } from "@cspm/ingest";
import { fileSource } from "@cspm/ingest";
import { bufferSource } from "@cspm/ingest";
import { CSPMDatabaseManager } from "@cspm/mongo";
import { RepositoryFactory } from "@cspm/repository";

/** What the parent sends as the only argument (JSON). */
export interface IngestMemoryChildInput {
  readonly uri: string;
  readonly prefix: string;
  readonly file: string;
  readonly account: string;
  /** One NDJSON line, imported once first to warm up the driver, the parsers and the JIT. */
  readonly warmupLine: string;
}

/** What the child reports. */
export interface IngestMemoryChildResult {
  readonly records: number;
  readonly written: number;
  readonly baselineRssBytes: number;
  readonly peakRssBytes: number;
  readonly rssGrowthBytes: number;
  readonly ms: number;
}

async function main(): Promise<void> {
  const input = JSON.parse(process.argv[2] ?? "{}") as IngestMemoryChildInput;
  const manager = new CSPMDatabaseManager({ uri: input.uri, prefix: input.prefix, appName: "cspm-bench-ingest-memory" });
  await manager.connect();
  const repositories = importRepositories(new RepositoryFactory({ provider: manager }));
  await importScan(repositories, bufferSource(`${input.warmupLine}\n`, "warmup.ndjson"), {
    teamId: "bench_ingest_warmup",
    account: input.account,
  });
  (globalThis as { gc?: () => void }).gc?.();
  await new Promise((resolve) => setTimeout(resolve, 200));
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 25);
  const started = performance.now();
  const summary = await importScan(repositories, await fileSource(input.file), {
    teamId: "bench_ingest_memory",
    account: input.account,
    onProgress: () => {
      peak = Math.max(peak, process.memoryUsage().rss);
    },
  });
  const ms = performance.now() - started;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  await manager.close();
  const result: IngestMemoryChildResult = {
    records: summary.records,
    written: summary.written,
    baselineRssBytes: baseline,
    peakRssBytes: peak,
    rssGrowthBytes: peak - baseline,
    ms,
  };
  process.send?.(result);
}

main().catch((error: unknown) => {
  process.send?.({ error: error instanceof Error ? error.message : String(error) });
});
