/**
 * `@cspm/ingest` at scale, on files built from the real scanner fixtures by repeating their records with
 * distinct resource ids (or hosts / URLs), written to a temporary folder and deleted afterwards:
 *  1. per format, records/s of detection + streaming parse + mapping (no database);
 *  2. the end-to-end import of one Prowler OCSF file against the worker's path (`examples/worker`
 *     `auditedImport`: the same `importScan` inside the audit, account and cache bookkeeping) on the same file and server;
 *  3. peak RSS growth of importing a large NDJSON file (1 GiB at full scale) in a forked child process.
 */
import { fork } from "node:child_process";
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createServiceContainer, loadConfigFromEnv } from "@cspm/container";
import { generateKey } from "@cspm/crypto";
import { systemActor } from "@cspm/identity";
import { fileSource, importRepositories, importScan, openIngestion } from "@cspm/ingest";
import { CSPMDatabaseManager } from "@cspm/mongo";
import { DatabaseRegistry } from "@cspm/registry";
import { parseTeamId, RepositoryFactory } from "@cspm/repository";
import { auditedImport } from "../../examples/worker/src/index";
import type { IngestMemoryChildInput, IngestMemoryChildResult } from "./ingestMemoryChild";

/** Options of `runIngestFormatsBenchmark`. */
export interface IngestFormatsBenchmarkOptions {
  readonly uri: string;
  /** Records per format file (default 100,000; SSLyze files get a hundredth: each record is ~400 KB). */
  readonly records?: number;
  /** Records of the new-vs-old import comparison (default a tenth of `records`). */
  readonly compareRecords?: number;
  /** Size of the NDJSON file of the memory run, in MiB (default 1,024). */
  readonly ndjsonMegabytes?: number;
  /**
   * The server of the NDJSON memory run, started for it and stopped after (default: `uri`). `pnpm bench` passes
   * a fresh offline engine, so the 1 GiB import writes into an empty collection of its own (same indexes,
   * same stored shape) instead of a heap holding every earlier benchmark's data.
   */
  readonly memoryServer?: () => Promise<{ readonly uri: string; stop(): Promise<void> }>;
  readonly log?: (line: string) => void;
}

/** Parse + map throughput of one format. */
export interface FormatThroughput {
  readonly format: string;
  readonly source: string;
  readonly records: number;
  readonly bytes: number;
  readonly documents: number;
  readonly ms: number;
  readonly recordsPerSecond: number;
}

/** What `runIngestFormatsBenchmark` returns. */
export interface IngestFormatsBenchmarkResult {
  readonly formats: readonly FormatThroughput[];
  readonly compare: {
    readonly records: number;
    readonly ingestMs: number;
    readonly workerMs: number;
    /** workerMs / ingestMs: how many times faster the new path imports the same file. */
    readonly speedup: number;
    readonly ingestWritten: number;
    readonly workerWritten: number;
  };
  readonly memory: IngestMemoryChildResult & { readonly bytes: number; readonly targetBytes: number };
}

const FIXTURES = fileURLToPath(new URL("../../../shared/fixtures/real-scans/", import.meta.url));
const fixturesDir = (): string => (process.env["CSPM_FIXTURES_DIR"] ? `${process.env["CSPM_FIXTURES_DIR"]}/real-scans/` : FIXTURES);
const ACCOUNT = "123456789012";
const CHILD = fileURLToPath(new URL("./ingestMemoryChild.ts", import.meta.url));

type Json = Record<string, any>;

const json = (file: string): any => JSON.parse(readFileSync(`${fixturesDir()}${file}`, "utf8"));
const lines = (file: string): Json[] =>
  readFileSync(`${fixturesDir()}${file}`, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Json);

/** A Prowler 5 OCSF finding with a real account id and a resource uid made distinct by `n`. */
function ocsf(base: Json, n: number, account = ACCOUNT): Json {
  const copy = structuredClone(base);
  copy["cloud"]["account"]["uid"] = account;
  copy["resources"][0]["uid"] = `arn:aws:iam::${account}:role/bench-${n}`;
  copy["resources"][0]["region"] = "us-east-1";
  return copy;
}

/**
 * `count` distinct Prowler 5 OCSF findings of `account` as NDJSON, built from the real fixture (resource uids
 * made distinct by their number): an import file for the throughput figures of other benchmarks.
 */
export function benchOcsfNdjson(count: number, account: string): string {
  const aws5 = json("prowler/prowler-5-aws.ocsf.json") as Json[];
  const lines: string[] = [];
  for (let n = 0; n < count; n++) lines.push(JSON.stringify(ocsf(aws5[n % aws5.length] as Json, n, account)));
  return `${lines.join("\n")}\n`;
}

/** Writes `count` items to `path`: a JSON array (`array`), one per line (`lines`) or concatenated (`values`). */
async function writeFile(
  path: string,
  count: number,
  item: (n: number) => string,
  layout: "array" | "lines" | "values" | "csv",
  header?: string,
  footer?: string,
): Promise<number> {
  const out = createWriteStream(path);
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, "drain");
  };
  if (header !== undefined) await write(layout === "array" ? header : `${header}\n`);
  if (layout === "array") await write("[");
  for (let n = 0; n < count; n++) {
    if (layout === "array" && n > 0) await write(",\n");
    await write(item(n));
    if (layout !== "array") await write("\n");
  }
  if (layout === "array") await write("]");
  if (footer !== undefined) await write(footer);
  out.end();
  await once(out, "finish");
  return statSync(path).size;
}

/** The generators of each format's large file, from its real fixture. */
function formatFiles(records: number): {
  format: string;
  source: string;
  count: number;
  layout: "array" | "lines" | "values" | "csv";
  header?: string;
  footer?: string;
  item: (n: number) => string;
}[] {
  const aws5 = json("prowler/prowler-5-aws.ocsf.json") as Json[];
  const native = (json("prowler/prowler-3-aws-one.json") as Json[])[0] as Json;
  const asff = json("prowler/prowler-3-aws-25.asff.json") as Json[];
  const nuclei = lines("nuclei/nuclei-many.jsonl");
  const csvLines = readFileSync(`${fixturesDir()}prowler/prowler-5-aws.csv`, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "");
  const testssl = readFileSync(`${fixturesDir()}ssl/testssl-demo.csv`, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "");
  const sslyze = json("ssl/sslyze-one-target-many.json") as Json;
  const humble = json("headers/humble-many.json") as Json;
  return [
    {
      format: "prowler-ocsf",
      source: "prowler-5-aws.ocsf.json",
      count: records,
      layout: "array",
      item: (n) => JSON.stringify(ocsf(aws5[n % aws5.length] as Json, n)),
    },
    {
      format: "prowler-json",
      source: "prowler-3-aws-one.json",
      count: records,
      layout: "array",
      item: (n) => JSON.stringify({ ...native, AccountId: ACCOUNT, ResourceArn: `${native["ResourceArn"]}-${n}` }),
    },
    {
      format: "prowler-csv",
      source: "prowler-5-aws.csv",
      count: records,
      layout: "csv",
      header: csvLines[0] as string,
      item: (n) =>
        (csvLines[1 + (n % (csvLines.length - 1))] as string)
          .replace(/;<resource_uid>[^;]*;/, `;bench-resource-${n};`)
          .replaceAll("<account_uid>", ACCOUNT),
    },
    {
      format: "asff",
      source: "prowler-3-aws-25.asff.json",
      count: records,
      layout: "array",
      item: (n) => {
        const copy = structuredClone(asff[n % asff.length] as Json);
        copy["Resources"][0]["Id"] = `${copy["Resources"][0]["Id"]}#${n}`;
        return JSON.stringify(copy);
      },
    },
    {
      format: "nuclei",
      source: "nuclei-many.jsonl",
      count: records,
      layout: "lines",
      item: (n) => JSON.stringify({ ...(nuclei[n % nuclei.length] as Json), host: `https://bench-${n}.example` }),
    },
    {
      format: "testssl-csv",
      source: "testssl-demo.csv",
      count: records,
      layout: "csv",
      header: testssl[0] as string,
      item: (n) =>
        (testssl[1 + (n % (testssl.length - 1))] as string).replace(
          "demo.defectdojo.org",
          `bench-${Math.floor(n / (testssl.length - 1))}.example`,
        ),
    },
    {
      format: "sslyze",
      source: "sslyze-one-target-many.json",
      count: Math.max(10, Math.floor(records / 100)),
      layout: "array",
      // One SSLyze document scanning many servers: `server_scan_results` holds one result per host.
      header: `{"date_scans_started": "${sslyze["date_scans_started"]}", "date_scans_completed": "${sslyze["date_scans_completed"]}", "server_scan_results": `,
      footer: "}",
      item: (n) => {
        const copy = structuredClone(sslyze["server_scan_results"][0]);
        copy["server_location"]["hostname"] = `bench-${n}.example`;
        return JSON.stringify(copy);
      },
    },
    {
      format: "humble",
      source: "humble-many.json",
      count: records,
      layout: "values",
      item: (n) => JSON.stringify({ ...humble, "[0. Info]": { ...humble["[0. Info]"], URL: `https://bench-${n}.example/` } }),
    },
  ];
}

/** Runs the three measurements; temporary files and databases are removed whatever happens. */
export async function runIngestFormatsBenchmark(options: IngestFormatsBenchmarkOptions): Promise<IngestFormatsBenchmarkResult> {
  const records = options.records ?? 100_000;
  const compareRecords = options.compareRecords ?? Math.max(1000, Math.floor(records / 10));
  const ndjsonBytes = (options.ndjsonMegabytes ?? 1024) * 1_048_576;
  const log = options.log ?? (() => undefined);
  const dir = mkdtempSync(join(tmpdir(), "cspm-ingest-bench-"));
  const prefix = `bench_${randomUUID().replace(/-/g, "").slice(0, 8)}_`;
  try {
    // 1. Parse + map per format.
    const formats: FormatThroughput[] = [];
    for (const spec of formatFiles(records)) {
      const path = join(dir, `${spec.format}.bench`);
      const bytes = await writeFile(path, spec.count, spec.item, spec.layout, spec.header, spec.footer);
      const started = performance.now();
      const ingestion = await openIngestion(await fileSource(path), { account: ACCOUNT });
      let documents = 0;
      for await (const event of ingestion.events) if (event.kind === "document") documents += 1;
      const ms = performance.now() - started;
      rmSync(path, { force: true });
      const figure = {
        format: spec.format,
        source: spec.source,
        records: ingestion.stats.records,
        bytes,
        documents,
        ms,
        recordsPerSecond: (ingestion.stats.records / ms) * 1000,
      };
      formats.push(figure);
      log(
        `  ${spec.format}: ${figure.records} records (${(bytes / 1_048_576).toFixed(0)} MB) in ${(ms / 1000).toFixed(1)} s = ${figure.recordsPerSecond.toFixed(0)} records/s, ${documents} documents`,
      );
    }

    // 2. End to end: the bare import vs the worker's audited import, the same OCSF file, the same server.
    const aws5 = json("prowler/prowler-5-aws.ocsf.json") as Json[];
    const comparePath = join(dir, "compare.ocsf.json");
    await writeFile(comparePath, compareRecords, (n) => JSON.stringify(ocsf(aws5[n % aws5.length] as Json, n)), "array");
    const manager = new CSPMDatabaseManager({ uri: options.uri, prefix, appName: "cspm-bench-ingest" });
    await manager.connect();
    await manager.ensureIndexes({ databases: ["CLOUD_SECURITY", "SECURITY_SCANS", "ORCHESTRATION"] });
    const factory = new RepositoryFactory({ provider: manager });
    let started = performance.now();
    const ingestSummary = await importScan(importRepositories(factory), await fileSource(comparePath), { teamId: "bench_ingest_new" });
    const ingestMs = performance.now() - started;
    const services = createServiceContainer(
      loadConfigFromEnv({
        MONGODB_URI: options.uri,
        CSPM_DB_PREFIX: prefix.replace(/_$/, ""),
        CSPM_ENCRYPTION_KEYS: `bench:${generateKey()}`,
      }),
    );
    let workerWritten = 0;
    let workerMs = 0;
    try {
      await services.initialize({ ensureIndexes: false });
      const team = parseTeamId("bench_ingest_old");
      const acting = services.forActor(systemActor(team, "bench"));
      await acting.accounts.registerAccount(team, { provider: "aws", accountId: ACCOUNT, name: "bench", status: "active" });
      started = performance.now();
      const report = await auditedImport(services, acting, {
        teamId: team,
        account: ACCOUNT,
        source: await fileSource(comparePath),
        batchSize: 1000,
        requestedBy: "bench",
      });
      workerMs = performance.now() - started;
      workerWritten = report.written;
    } finally {
      await services.dispose();
    }
    rmSync(comparePath, { force: true });
    const compare = {
      records: compareRecords,
      ingestMs,
      workerMs,
      speedup: workerMs / ingestMs,
      ingestWritten: ingestSummary.written,
      workerWritten,
    };
    log(
      `  import of ${compareRecords} OCSF findings: @cspm/ingest ${(ingestMs / 1000).toFixed(1)} s, worker auditedImport ${(workerMs / 1000).toFixed(1)} s -> ${compare.speedup.toFixed(2)}x`,
    );

    // 3. Peak RSS growth importing a large NDJSON file, in a child process.
    const ndjsonPath = join(dir, "large.ndjson");
    const sample = JSON.stringify(ocsf(aws5[0] as Json, 0));
    const count = Math.ceil(ndjsonBytes / (sample.length + 1));
    const bytes = await writeFile(ndjsonPath, count, (n) => JSON.stringify(ocsf(aws5[n % aws5.length] as Json, n)), "lines");
    log(`  NDJSON: ${count} findings, ${(bytes / 1_048_576).toFixed(0)} MB; importing in a child process`);
    const memoryServer = options.memoryServer ? await options.memoryServer() : undefined;
    const memoryUri = memoryServer?.uri ?? options.uri;
    if (memoryServer) {
      // The fresh server gets the same index sync as the shared one, so the import writes the same shape.
      const fresh = new CSPMDatabaseManager({ uri: memoryUri, prefix, appName: "cspm-bench-ingest-indexes" });
      await fresh.connect();
      await fresh.ensureIndexes({ databases: ["CLOUD_SECURITY", "SECURITY_SCANS", "ORCHESTRATION"] });
      await fresh.close();
    }
    const input: IngestMemoryChildInput = {
      uri: memoryUri,
      prefix,
      file: ndjsonPath,
      account: ACCOUNT,
      warmupLine: JSON.stringify(ocsf(aws5[1] as Json, -1)),
    };
    const child = fork(CHILD, [JSON.stringify(input)], {
      execArgv: [...process.execArgv, "--expose-gc"],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    const [message] = (await once(child, "message")) as [IngestMemoryChildResult | { error: string }];
    child.kill();
    await memoryServer?.stop();
    rmSync(ndjsonPath, { force: true });
    if ("error" in message) throw new Error(`the memory child failed: ${message.error}`);
    log(
      `  peak RSS growth ${(message.rssGrowthBytes / 1_048_576).toFixed(0)} MB over ${message.records} records (${(message.ms / 1000).toFixed(1)} s)`,
    );
    await Promise.all(
      DatabaseRegistry.all().map((d) =>
        manager
          .getDatabase(d.key)
          .dropDatabase()
          .catch(() => undefined),
      ),
    );
    await manager.close();
    return { formats, compare, memory: { ...message, bytes, targetBytes: ndjsonBytes } };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
