import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { isCspmError, ValidationError } from "@cspm/errors";
import { CSPMDatabaseManager } from "@cspm/mongo";
import { RepositoryFactory } from "@cspm/repository";
import { SingleBar } from "cli-progress";
import { complianceRepositories, loadComplianceCatalogue } from "../compliance/loadComplianceCatalogue";
import type { RecordRejection } from "../formats/formatDefinition";
import { SUPPORTED_FORMATS } from "../formats/supportedFormats";
import { type ImportSummary, importRepositories, importScan } from "../importScan";
import { inputErrorReason } from "../ingestErrors";
import { acceptedRecords, openIngestion } from "../ingestRecords";
import { fileSource } from "../read/byteSource";

/** Where the CLI reads its environment and writes its output (injectable for tests). */
export interface CliIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** True when stderr is a terminal: only then is a progress bar drawn. */
  readonly interactive: boolean;
}

/** The exit codes: something imported / accepted, nothing was, bad usage or configuration. */
export const EXIT_CODES = { ok: 0, nothing: 1, usage: 2 } as const;

const USAGE = `Usage:
  cspm-ingest inspect <file> [--account <id>] [--target <url>] [--json]
  cspm-ingest import <file> --team <id> [--account <id>] [--scan-run <id>] [--full] [--keep-open]
                     [--target <url>] [--batch <1-1000>] [--max-rejects <n>] [--embedded] [--json]
  cspm-ingest catalogue <file-or-dir>... [--embedded] [--json]

inspect    Detects the format from the file's first KiB, parses and validates every record, writes nothing.
           --json prints one JSON object: format, tool, records, accepted, rejected, collections, errors (<= 100).
import     Imports the file into its collection as one scan run (created unless --scan-run is given; a cut or
           failed import re-run with the same --scan-run ends as an uncut one). --full: the file is a complete
           scan of its accounts, so findings it does not contain are resolved. --keep-open: more files follow.
           Needs MONGODB_URI (or --embedded: a throwaway in-process MongoDB). CSPM_DB_PREFIX prefixes databases.
catalogue  Loads Prowler compliance framework files (a file, or every *.json of a folder) into the compliance
           database: frameworks keyed by provider + framework + version, controls, check mappings. Idempotent.

--account  the account every record belongs to; required for anonymised ids such as <account_uid>.
--target   the scanned URL, for outputs that do not name it (drHEADer's single-URL report).

Formats: ${SUPPORTED_FORMATS.map((f) => f.id).join(", ")}.
Exit codes: 0 something was accepted / imported, 1 nothing was (or the import failed), 2 bad usage or configuration.`;

class UsageError extends Error {}

type OptionSpec = Record<string, { type: "string" | "boolean"; multiple?: boolean }>;

function parse(
  args: readonly string[],
  options: OptionSpec,
): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const parsed = parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
    return { values: parsed.values as Record<string, string | boolean | undefined>, positionals: parsed.positionals };
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function intOption(value: string | boolean | undefined, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be an integer from ${min} to ${max}`);
  return n;
}

function str(value: string | boolean | undefined): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/**
 * Runs one `cspm-ingest` command; resolves to the exit code (0 accepted/imported, 1 nothing, 2 usage or
 * configuration). Never throws: errors are printed as `error CODE: message` on stderr.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === "inspect") return await inspectCommand(rest, io);
    if (command === "import") return await importCommand(rest, io);
    if (command === "catalogue") return await catalogueCommand(rest, io);
    if (command === undefined || command === "help" || command === "--help" || command === "-h") {
      io.stdout(`${USAGE}\n`);
      return command === undefined ? EXIT_CODES.usage : EXIT_CODES.ok;
    }
    throw new UsageError(`unknown command "${command}"`);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`error: ${error.message}\n\n${USAGE}\n`);
      return EXIT_CODES.usage;
    }
    if (isCspmError(error)) {
      const issues =
        error instanceof ValidationError && inputErrorReason(error) === undefined
          ? error.issues.map((i) => `\n  - ${i.path ? `${i.path}: ` : ""}${i.message}`).join("")
          : "";
      io.stderr(`error ${error.code}: ${error.message}${issues}\n`);
      // A bad file is "nothing imported"; a bad configuration (no such file, no MongoDB URI) is a usage error.
      return inputErrorReason(error) !== undefined
        ? EXIT_CODES.nothing
        : error.code === "VALIDATION_FAILED" || error.code === "NOT_FOUND"
          ? EXIT_CODES.usage
          : EXIT_CODES.nothing;
    }
    io.stderr(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT_CODES.nothing;
  }
}

function onlyFile(positionals: readonly string[], command: string): string {
  if (positionals.length !== 1) throw new UsageError(`${command} takes exactly one file`);
  return positionals[0] as string;
}

/** The inspect report: exactly what `--json` prints. */
export interface InspectReport {
  readonly format: string;
  readonly tool: string;
  readonly records: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly collections: Record<string, number>;
  readonly errors: readonly RecordRejection[];
}

async function inspectCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, { account: { type: "string" }, target: { type: "string" }, json: { type: "boolean" } });
  const file = onlyFile(positionals, "inspect");
  const ingestion = await openIngestion(await fileSource(file), { account: str(values.account), target: str(values.target) });
  const errors: RecordRejection[] = [];
  let failure: unknown;
  try {
    for await (const event of ingestion.events) if (event.kind === "rejection" && errors.length < 100) errors.push(event.rejection);
  } catch (error) {
    if (inputErrorReason(error) === undefined) throw error;
    failure = error;
  }
  const { stats } = ingestion;
  const collections = Object.fromEntries(Object.entries(stats.documents).filter(([name, n]) => n > 0 || name === ingestion.collection));
  const report: InspectReport & { error?: string } = {
    format: ingestion.format,
    tool: ingestion.tool,
    records: stats.records,
    accepted: acceptedRecords(stats),
    rejected: stats.rejected,
    collections,
    errors,
    ...(failure === undefined ? {} : { error: (failure as Error).message }),
  };
  if (values.json === true) io.stdout(`${JSON.stringify(report)}\n`);
  else {
    io.stdout(
      `${ingestion.label}: ${report.format} (${report.tool}) - ${report.records} records, ${report.accepted} accepted, ${report.rejected} rejected -> ${Object.entries(
        collections,
      )
        .map(([c, n]) => `${c} ${n}`)
        .join(", ")}\n`,
    );
    for (const e of errors.slice(0, 10))
      io.stdout(`  - record ${e.record}${e.line === undefined ? "" : ` (line ${e.line})`}: ${e.path ? `${e.path} ` : ""}${e.message}\n`);
    if (report.error) io.stdout(`  error: ${report.error}\n`);
  }
  return failure === undefined && report.accepted > 0 && Object.values(collections).some((n) => n > 0) ? EXIT_CODES.ok : EXIT_CODES.nothing;
}

/** A connected repository factory on `MONGODB_URI` (or the embedded engine), with the ingest databases' indexes. */
async function connect(io: CliIo, embedded: boolean): Promise<{ factory: RepositoryFactory; close(): Promise<void> }> {
  let uri = io.env["MONGODB_URI"]?.trim();
  let stop: (() => Promise<void>) | undefined;
  if (embedded) {
    const { startCompatServer } = await import("@cspm/mongo-engine");
    const server = await startCompatServer();
    uri = server.uri;
    stop = () => server.stop();
    io.stderr(`embedded MongoDB (@cspm/mongo-engine, in memory, gone when this process exits) at ${uri}\n`);
  }
  if (!uri) throw new UsageError("MONGODB_URI is not set (or pass --embedded for a throwaway in-process MongoDB)");
  const prefix = io.env["CSPM_DB_PREFIX"]?.trim();
  const manager = new CSPMDatabaseManager({ uri, ...(prefix ? { prefix } : {}) });
  try {
    await manager.connect();
    await manager.ensureIndexes({ databases: ["CLOUD_SECURITY", "SECURITY_SCANS", "ORCHESTRATION", "COMPLIANCE"] });
  } catch (error) {
    await manager.close().catch(() => undefined);
    await stop?.();
    throw error;
  }
  return {
    factory: new RepositoryFactory({ provider: manager }),
    async close() {
      await manager.close();
      await stop?.();
    },
  };
}

const number = new Intl.NumberFormat("en-US");

function summaryText(s: ImportSummary): string {
  const lines = [
    `${s.status === "failed" ? "FAILED to import" : "Imported"} ${s.source} (${s.format}) into ${s.collection} - scan run ${s.scan_run_id ?? "none"}: ${s.status}`,
    `  records ${number.format(s.records)} | accepted ${number.format(s.accepted)} | rejected ${number.format(s.rejected)} | written ${number.format(s.written)}`,
    `  inserted ${number.format(s.inserted)} | changed ${number.format(s.changed)} | unchanged ${number.format(s.unchanged)} | resolved ${number.format(s.resolved)} | reopened ${number.format(s.reopened)}`,
  ];
  if (s.collection === "prowler_findings")
    lines.push(`  PASS ${number.format(s.passed)} | FAIL ${number.format(s.failed)} | MANUAL ${number.format(s.manual)}`);
  lines.push(`  ${(s.duration_ms / 1000).toFixed(1)} s`);
  if (s.error) lines.push(`  error: ${s.error}`);
  for (const e of s.errors.slice(0, 10))
    lines.push(`  - record ${e.record}${e.line === undefined ? "" : ` (line ${e.line})`}: ${e.path ? `${e.path} ` : ""}${e.message}`);
  if (s.rejected > 10)
    lines.push(`  … ${number.format(s.rejected - Math.min(10, s.errors.length))} more rejected (--json lists up to 100)`);
  return `${lines.join("\n")}\n`;
}

async function importCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, {
    team: { type: "string" },
    account: { type: "string" },
    "scan-run": { type: "string" },
    target: { type: "string" },
    full: { type: "boolean" },
    "keep-open": { type: "boolean" },
    batch: { type: "string" },
    "max-rejects": { type: "string" },
    embedded: { type: "boolean" },
    json: { type: "boolean" },
  });
  const file = onlyFile(positionals, "import");
  const team = str(values.team);
  if (!team) throw new UsageError("--team is required");
  const batchSize = intOption(values.batch, "batch", 1, 1000);
  const maxRejects = intOption(values["max-rejects"], "max-rejects", 0, Number.MAX_SAFE_INTEGER);
  const source = await fileSource(file);
  const db = await connect(io, values.embedded === true);
  const bar =
    io.interactive && source.sizeBytes !== undefined
      ? new SingleBar({
          format: "importing [{bar}] {percentage}% | {records} records | {written} written",
          stream: process.stderr,
          hideCursor: true,
        })
      : undefined;
  bar?.start(source.sizeBytes ?? 0, 0, { records: 0, written: 0 });
  try {
    const summary = await importScan(importRepositories(db.factory), source, {
      teamId: team,
      account: str(values.account),
      target: str(values.target),
      ...(str(values["scan-run"]) === undefined ? {} : { scanRunId: str(values["scan-run"]) as string }),
      full: values.full === true,
      complete: values["keep-open"] !== true,
      ...(batchSize === undefined ? {} : { batchSize }),
      ...(maxRejects === undefined ? {} : { maxRejects }),
      requestedBy: "cspm-ingest",
      onScanRun: (id) => io.stderr(`scan run ${id}\n`),
      onProgress: (p) => bar?.update(p.bytes, { records: p.records, written: p.written }),
    });
    bar?.update(source.sizeBytes ?? 0, { records: summary.records, written: summary.written });
    bar?.stop();
    io.stdout(values.json === true ? `${JSON.stringify(summary)}\n` : summaryText(summary));
    return summary.status === "failed" || summary.written === 0 ? EXIT_CODES.nothing : EXIT_CODES.ok;
  } finally {
    bar?.stop();
    await db.close();
  }
}

async function catalogueCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, { embedded: { type: "boolean" }, json: { type: "boolean" } });
  if (positionals.length === 0) throw new UsageError("catalogue takes at least one file or folder");
  const files: string[] = [];
  for (const path of positionals) {
    const info = await stat(path).catch(() => undefined);
    if (info === undefined) throw new UsageError(`no such file or folder: ${path}`);
    if (info.isDirectory()) for (const name of (await readdir(path)).sort()) if (name.endsWith(".json")) files.push(join(path, name));
    if (info.isFile()) files.push(path);
  }
  const db = await connect(io, values.embedded === true);
  try {
    const repos = complianceRepositories(db.factory);
    const results = [];
    for (const file of files) results.push(await loadComplianceCatalogue(repos, await fileSource(file)));
    if (values.json === true) io.stdout(`${JSON.stringify(results)}\n`);
    else
      for (const r of results)
        io.stdout(`${r.framework_id}: ${r.name} (${r.provider} ${r.compliance_key}) - ${r.controls} controls, ${r.mappings} mappings\n`);
    return results.length > 0 ? EXIT_CODES.ok : EXIT_CODES.nothing;
  } finally {
    await db.close();
  }
}
