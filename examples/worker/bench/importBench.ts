/**
 * Import benchmark: `tsx bench/importBench.ts [findings=100000] [writeFindings=5000]` from examples/worker.
 * Generates an OCSF file, streams it through the parser and mapper (reporting rate and peak heap, which
 * stays flat however big the file is), then imports the first `writeFindings` of it into MONGODB_URI (or the
 * embedded engine; databases prefixed `bench_` unless CSPM_DB_PREFIX says otherwise) twice, reporting write rates and that the second run inserted nothing. Figures only; no asserts.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileFindingSource, valueFindingSource } from "../src/findingSource";
import { generateSampleFindings, writeSampleFile } from "../src/generateSample";
import { importDependenciesFrom, importProwler } from "../src/importProwler";
import { mapFinding } from "../src/prowlerFormat";
import { startRuntime } from "../src/startRuntime";

/** What `runImportBenchmark` measured. */
export interface ImportBenchmark {
  readonly findings: number;
  readonly file_mb: number;
  readonly parse_map_per_second: number;
  readonly peak_heap_mb: number;
  readonly write_findings: number;
  readonly engine: string;
  readonly first_import_per_second: number;
  readonly second_import_per_second: number;
  readonly second_import_inserted: number;
}

/** Runs the benchmark (see the file comment) and returns its figures. */
export async function runImportBenchmark(findings = 100_000, writeFindings = 5_000): Promise<ImportBenchmark> {
  const dir = await mkdtemp(join(tmpdir(), "cspm-import-bench-"));
  try {
    const file = join(dir, "bench.json");
    const { bytes } = await writeSampleFile(file, { format: "ocsf", count: findings });
    const source = await fileFindingSource(file);
    let peak = 0;
    let n = 0;
    const started = performance.now();
    for await (const element of source.elements()) {
      if (!mapFinding(element).ok) throw new Error(`element ${n} did not map`);
      n += 1;
      if (n % 2000 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
    }
    const parseSeconds = (performance.now() - started) / 1000;

    // Its own database prefix and team, so a run against a real MONGODB_URI touches nothing else.
    const runtime = await startRuntime({
      env: { ...process.env, CSPM_DB_PREFIX: process.env.CSPM_DB_PREFIX || "bench_" },
      allowEmbedded: true,
      log: () => undefined,
    });
    const team = `bench-${Date.now().toString(36)}`;
    try {
      const deps = importDependenciesFrom(runtime.services);
      await deps.accounts.registerAccount(team, { provider: "aws", accountId: "123456789012", name: "bench", status: "active" });
      const elements = [...generateSampleFindings({ format: "ocsf", count: writeFindings })];
      const time = async () => {
        const t = performance.now();
        const report = await importProwler(deps, { teamId: team, account: "123456789012", source: valueFindingSource(elements) });
        return { report, seconds: (performance.now() - t) / 1000 };
      };
      const first = await time();
      const second = await time();
      return {
        findings: n,
        file_mb: Math.round(bytes / 104_857.6) / 10,
        parse_map_per_second: Math.round(n / parseSeconds),
        peak_heap_mb: Math.round(peak / 1_048_576),
        write_findings: writeFindings,
        engine: runtime.embedded?.engine ?? "external",
        first_import_per_second: Math.round(writeFindings / first.seconds),
        second_import_per_second: Math.round(writeFindings / second.seconds),
        second_import_inserted: second.report.inserted,
      };
    } finally {
      await runtime.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [findings, writes] = process.argv.slice(2).map(Number);
  console.log(await runImportBenchmark(findings || undefined, writes || undefined));
}
