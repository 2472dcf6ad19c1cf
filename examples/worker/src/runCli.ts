import { createReadStream } from "node:fs";
import { userInfo } from "node:os";
import { Readable } from "node:stream";
import { parseArgs } from "node:util";
import { type ServiceContainer, TOKENS } from "@cspm/container";
import { FindingRollupRepository, type RollupRefreshProgress } from "@cspm/domain";
import { isCspmError, ValidationError } from "@cspm/errors";
import { type Actor, systemActor } from "@cspm/identity";
import { fileSource, type ImportSummary, inputErrorReason, openIngestion, SUPPORTED_FORMATS } from "@cspm/ingest";
import { parseTeamId, type TeamId } from "@cspm/repository";
import type { ActorServices } from "@cspm/services";
import { SingleBar } from "cli-progress";
import { auditedImport, ImportFailedError } from "./auditedImport";
import { CATALOG_PROVIDERS, type CatalogProvider } from "./checkCatalog";
import { type SampleFormat, writeSampleFile } from "./generateSample";
import { startRuntime } from "./startRuntime";

/** Where the CLI reads its environment and writes its output (injectable for tests). */
export interface CliIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: (text: string) => void;
  /** Notices; on a terminal (`isTTY`) also the progress bar (cli-progress). */
  readonly stderr: { write(text: string): unknown; readonly isTTY?: boolean };
}

const USAGE = `Usage:
  tsx src/main.ts import <file> --team <teamId> [--account <accountId>] [--scan-run <id>] [--full] [--keep-open]
                         [--batch 1000] [--max-rejects <n>] [--target <url>]
                         [--create-account] [--account-name <name>] [--embedded] [--json]
  tsx src/main.ts import <file> --api <url> [--account <accountId>] [--scan-run <id>] [--full] [--keep-open]
                         [--batch 1000] [--json]
  tsx src/main.ts generate --format prowler|ocsf --count 10000 --out <file>
                         [--provider aws|azure|gcp] [--account-id <id>] [--seed <text>]

import    Imports a scanner output file with @cspm/ingest (format detected from its first KiB:
          ${SUPPORTED_FORMATS.map((f) => f.id).join(", ")})
          as one scan run, with the finding lifecycle; safe to re-run (no duplicates). --account takes
          a registered account's id or provider account id (every record must belong to it; needed for
          anonymised ids such as <account_uid>). --full: the file is a complete scan of its accounts, so
          their findings it does not contain are resolved. --scan-run: import into that run (a re-run of
          a cut import, or the next file of one scan); --keep-open leaves the run running for more files.
          Needs MONGODB_URI and CSPM_ENCRYPTION_KEYS, or --embedded (a throwaway in-process MongoDB, for
          trying it out; implies --create-account).
          Writing to MongoDB directly, it acts as the API key in CSPM_API_KEY (its team and role;
          --team may be left out) or, without one, as the system actor cli:<OS user> (owner of
          --team); every change is in the team's audit log under that actor.
          With --api it streams the file to that API's POST /findings/import instead, authenticated
          with Authorization: Bearer $CSPM_API_TOKEN (an API key or session token).
  tsx src/main.ts rollups verify|rebuild --team <teamId> [--json]

generate  Writes a realistic sample file (AWS/Azure/GCP checks, resources, regions, compliance).
rollups   The team's finding rollups (what the dashboard and posture overviews read). verify recomputes
          every account's rollups from its findings and lists the accounts whose stored rollups differ
          (writes nothing; exit 1 if any differ). rebuild recomputes and stores them all: idempotent, and
          resumable (an interrupted rebuild leaves the accounts it did not reach marked stale, which the
          next read or rebuild finishes). Needs MONGODB_URI.

Exit codes: 0 imported (rollups: verified / rebuilt), 1 nothing was imported (the import failed, the
file is not importable, or the actor was refused; rollups: some accounts differ), 2 bad usage or configuration.`;

const integer = new Intl.NumberFormat("en-US");

/** Runs one CLI command; resolves to the process exit code (0 imported, 1 nothing imported, 2 usage). Never throws. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  // `pnpm run generate -- --count 5` passes the `--` through; it separates nothing here.
  const [command, ...rest] = argv.filter((arg, index) => !(arg === "--" && index <= 1));
  try {
    if (command === "import") return await importCommand(rest, io);
    if (command === "generate") return await generateCommand(rest, io);
    if (command === "rollups") return await rollupsCommand(rest, io);
    io.stdout(`${USAGE}\n`);
    return command === undefined || command === "help" || command === "--help" ? 0 : 2;
  } catch (error) {
    if (error instanceof ImportFailedError) {
      io.stdout(summaryText(error.summary));
      return 1;
    }
    if (isCspmError(error)) {
      const input = inputErrorReason(error) !== undefined;
      const issues =
        error instanceof ValidationError && !input
          ? error.issues.map((i) => `\n  - ${i.path ? `${i.path}: ` : ""}${i.message}`).join("")
          : "";
      const hint = typeof error.details?.["hint"] === "string" ? `\n  hint: ${error.details["hint"]}` : "";
      io.stderr.write(`error ${error.code}: ${error.message}${issues}${hint}\n`);
      // A file that cannot be imported is "nothing imported"; bad options, configuration or ids are usage errors.
      return !input && (error.code === "VALIDATION_FAILED" || error.code === "NOT_FOUND") ? 2 : 1;
    }
    io.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

function usageError(message: string): ValidationError {
  return new ValidationError(`${message} (run without arguments for usage).`, []);
}

type OptionSpec = Record<string, { type: "string" | "boolean" }>;

function parse(
  args: readonly string[],
  options: OptionSpec,
): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const parsed = parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
    return { values: parsed.values as Record<string, string | boolean | undefined>, positionals: parsed.positionals };
  } catch (error) {
    throw usageError((error as Error).message);
  }
}

function intOption(text: string | boolean | undefined, name: string, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) throw usageError(`--${name} must be an integer from ${min} to ${max}`);
  return value;
}

function str(value: string | boolean | undefined): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** Registers the account the file belongs to when it does not exist yet (provider from its first finding), as the actor. */
async function ensureAccount(acting: ActorServices, teamId: TeamId, account: string, file: string, name: string | undefined, io: CliIo) {
  const found = (await acting.accounts.resolveAccounts(teamId, [account])).get(account);
  if (found !== undefined && !found.deleted) return;
  const ingestion = await openIngestion(await fileSource(file), { account });
  let provider: string | undefined;
  for await (const event of ingestion.events) {
    if (event.kind === "document" && event.collection === "prowler_findings") {
      provider = event.document.provider;
      break;
    }
  }
  if (provider === undefined)
    throw new ValidationError(`Cannot register account "${account}": ${file} holds no finding of it to take the provider from.`, [
      { path: "account", message: "must be the account of the file's findings" },
    ]);
  const created = await acting.accounts.registerAccount(teamId, {
    provider: provider as never,
    accountId: account,
    name: name ?? `${provider} ${account}`,
    status: "active",
  });
  io.stderr.write(`registered ${created.provider} account ${created.account_id} "${created.name}" (id ${created.id})\n`);
}

/**
 * Who the CLI acts as when it writes to MongoDB itself: the API key in `CSPM_API_KEY` (authenticated like
 * the API does, so its team and role apply), else the system actor `cli:<OS user>` as owner of `--team`
 * (whoever holds the MongoDB URI and key ring can write anyway; the audit log says who did).
 */
async function cliActor(services: ServiceContainer, env: CliIo["env"], team: string | undefined): Promise<Actor> {
  const key = env.CSPM_API_KEY?.trim();
  if (key) {
    const actor = await services.services.identity.authenticator.authenticate(key);
    if (team !== undefined && team !== actor.teamId) throw usageError(`--team ${team} is not the team of CSPM_API_KEY`);
    return actor;
  }
  if (team === undefined) throw usageError("--team is required (or set CSPM_API_KEY)");
  let user = "unknown";
  try {
    user =
      userInfo()
        .username.replace(/[^A-Za-z0-9_.-]/g, "_")
        .slice(0, 64) || "unknown";
  } catch {
    // no passwd entry (containers): keep "unknown"
  }
  return systemActor(parseTeamId(team), `cli:${user}`);
}

interface ImportFlags {
  readonly account: string | undefined;
  readonly scanRun: string | undefined;
  readonly full: boolean;
  readonly keepOpen: boolean;
  readonly batchSize: number | undefined;
  readonly json: boolean;
}

/** `import --api <url>`: streams the file to the API's import route with the bearer token from `CSPM_API_TOKEN`. */
async function importThroughApi(file: string, apiUrl: string, flags: ImportFlags, io: CliIo): Promise<number> {
  const token = io.env.CSPM_API_TOKEN?.trim();
  if (!token) throw usageError("--api needs CSPM_API_TOKEN (an API key or session token)");
  let url: URL;
  try {
    url = new URL("/findings/import", apiUrl);
  } catch {
    throw usageError("--api must be a URL such as http://127.0.0.1:3000");
  }
  if (flags.account !== undefined) url.searchParams.set("account_id", flags.account);
  if (flags.scanRun !== undefined) url.searchParams.set("scan_run_id", flags.scanRun);
  if (flags.full) url.searchParams.set("full", "true");
  if (flags.keepOpen) url.searchParams.set("complete", "false");
  if (flags.batchSize !== undefined) url.searchParams.set("batch_size", String(flags.batchSize));
  const source = await fileSource(file); // the same "no such file" answer as a direct import
  const response = await fetch(url, {
    method: "POST",
    // The API detects the format from the bytes, like a direct import.
    headers: { authorization: `Bearer ${token}`, "content-type": "application/octet-stream", "content-length": String(source.sizeBytes) },
    body: Readable.toWeb(createReadStream(file)) as ReadableStream,
    duplex: "half",
  } as RequestInit & { duplex: "half" });
  const body = (await response.json().catch(() => ({}))) as {
    success?: boolean;
    data?: ImportSummary;
    error?: { code: string; message: string; details?: { reason?: string } };
  };
  if (body.success === true && body.data !== undefined) {
    io.stdout(flags.json ? `${JSON.stringify(body.data, null, 2)}\n` : summaryText(body.data));
    return body.data.status === "failed" || body.data.written === 0 ? 1 : 0;
  }
  io.stderr.write(`error ${body.error?.code ?? response.status}: ${body.error?.message ?? response.statusText}\n`);
  if (inputErrorReason({ details: body.error?.details }) !== undefined) return 1;
  return [400, 401, 403, 404].includes(response.status) ? 2 : 1;
}

function summaryText(s: ImportSummary): string {
  const lines = [
    `${s.status === "failed" ? "FAILED to import" : "Imported"} ${s.source}${s.format ? ` (${s.format})` : ""} into ${s.collection ?? "nothing"} - scan run ${s.scan_run_id ?? "none"}: ${s.status}`,
    `  records ${integer.format(s.records)} | accepted ${integer.format(s.accepted)} | rejected ${integer.format(s.rejected)} | written ${integer.format(s.written)}`,
    `  inserted ${integer.format(s.inserted)} | changed ${integer.format(s.changed)} | unchanged ${integer.format(s.unchanged)} | resolved ${integer.format(s.resolved)} | reopened ${integer.format(s.reopened)}`,
  ];
  if (s.collection === "prowler_findings")
    lines.push(`  PASS ${integer.format(s.passed)} | FAIL ${integer.format(s.failed)} | MANUAL ${integer.format(s.manual)}`);
  lines.push(`  ${(s.duration_ms / 1000).toFixed(1)} s`);
  if (s.error) lines.push(`  error: ${s.error}`);
  for (const e of s.errors.slice(0, 10))
    lines.push(`  - record ${e.record}${e.line === undefined ? "" : ` (line ${e.line})`}: ${e.path ? `${e.path} ` : ""}${e.message}`);
  if (s.rejected > 10)
    lines.push(`  … ${integer.format(s.rejected - Math.min(10, s.errors.length))} more rejected (--json lists up to 100)`);
  return `${lines.join("\n")}\n`;
}

async function importCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, {
    team: { type: "string" },
    account: { type: "string" },
    "scan-run": { type: "string" },
    full: { type: "boolean" },
    "keep-open": { type: "boolean" },
    batch: { type: "string" },
    "max-rejects": { type: "string" },
    target: { type: "string" },
    "create-account": { type: "boolean" },
    "account-name": { type: "string" },
    embedded: { type: "boolean" },
    json: { type: "boolean" },
    api: { type: "string" },
  });
  const file = positionals[0];
  if (file === undefined || positionals.length > 1) throw usageError("import takes exactly one file");
  const flags: ImportFlags = {
    account: str(values.account),
    scanRun: str(values["scan-run"]),
    full: values.full === true,
    keepOpen: values["keep-open"] === true,
    batchSize: intOption(values.batch, "batch", 1, 1000),
    json: values.json === true,
  };
  const maxRejects = intOption(values["max-rejects"], "max-rejects", 0, Number.MAX_SAFE_INTEGER);
  if (typeof values.api === "string") return importThroughApi(file, values.api, flags, io);
  const team = str(values.team);
  if (!team && !io.env.CSPM_API_KEY?.trim()) throw usageError("--team is required");
  const embedded = values.embedded === true;
  const createAccount = values["create-account"] === true || embedded;
  if (createAccount && flags.account === undefined) throw usageError("--create-account needs --account");
  const source = await fileSource(file);
  const runtime = await startRuntime({ env: io.env, allowEmbedded: embedded, log: (line) => io.stderr.write(`${line}\n`) });
  const bar =
    io.stderr.isTTY === true && source.sizeBytes !== undefined
      ? new SingleBar({
          format: "importing [{bar}] {percentage}% | {records} records | {written} written | eta {eta_formatted}",
          stream: process.stderr,
          hideCursor: true,
        })
      : undefined;
  try {
    const actor = await cliActor(runtime.services, io.env, team);
    const teamId = actor.teamId;
    const acting = runtime.services.forActor(actor, { requestId: `cli-${Date.now().toString(36)}` });
    if (createAccount) await ensureAccount(acting, teamId, flags.account as string, file, str(values["account-name"]), io);
    bar?.start(source.sizeBytes ?? 0, 0, { records: 0, written: 0 });
    const summary = await auditedImport(runtime.services, acting, {
      teamId,
      source,
      account: flags.account,
      ...(flags.scanRun === undefined ? {} : { scanRunId: flags.scanRun }),
      full: flags.full,
      complete: !flags.keepOpen,
      ...(flags.batchSize === undefined ? {} : { batchSize: flags.batchSize }),
      ...(maxRejects === undefined ? {} : { maxRejects }),
      ...(str(values.target) === undefined ? {} : { target: str(values.target) }),
      requestedBy: `${actor.type}:${actor.id}`,
      onScanRun: (id) => {
        if (bar === undefined) io.stderr.write(`scan run ${id}\n`);
      },
      onProgress: (p) => bar?.update(p.bytes, { records: p.records, written: p.written }),
    });
    bar?.update(source.sizeBytes ?? 0, { records: summary.records, written: summary.written });
    bar?.stop();
    io.stdout(flags.json ? `${JSON.stringify(summary, null, 2)}\n` : summaryText(summary));
    return summary.written === 0 ? 1 : 0;
  } catch (error) {
    bar?.stop();
    if (error instanceof ImportFailedError && flags.json) {
      io.stdout(`${JSON.stringify(error.summary, null, 2)}\n`);
      return 1;
    }
    throw error;
  } finally {
    await runtime.close();
  }
}

/** `rollups verify|rebuild --team <id>`: checks or rebuilds the team's finding rollups, with progress. */
async function rollupsCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, { team: { type: "string" }, json: { type: "boolean" } });
  const action = positionals[0];
  if ((action !== "verify" && action !== "rebuild") || positionals.length > 1) throw usageError("rollups takes verify or rebuild");
  const team = str(values.team);
  if (team === undefined) throw usageError("--team is required");
  const teamId = parseTeamId(team);
  const runtime = await startRuntime({ env: io.env, allowEmbedded: false, log: (line) => io.stderr.write(`${line}\n`) });
  const bar =
    io.stderr.isTTY === true
      ? new SingleBar({ format: `${action} [{bar}] {value}/{total} accounts | {rows} rows`, stream: process.stderr, hideCursor: true })
      : undefined;
  let started = false;
  const onProgress = (p: RollupRefreshProgress) => {
    if (bar === undefined) {
      io.stderr.write(`${action}: ${integer.format(p.accounts)}/${integer.format(p.marked)} accounts, ${integer.format(p.rows)} rows\n`);
    } else if (!started) {
      bar.start(p.marked, p.accounts, { rows: p.rows });
      started = true;
    } else {
      bar.setTotal(p.marked);
      bar.update(p.accounts, { rows: p.rows });
    }
  };
  try {
    const rollups = runtime.services.resolve(FindingRollupRepository);
    if (action === "rebuild") {
      const result = await rollups.rebuild(teamId, onProgress);
      bar?.stop();
      await runtime.services.resolve(TOKENS.AggregationService).invalidate(teamId);
      io.stdout(
        values.json === true
          ? `${JSON.stringify({ team_id: teamId, ...result }, null, 2)}\n`
          : `rebuilt the rollups of ${integer.format(result.accounts)} accounts (${integer.format(result.rows)} rows) of team ${teamId}\n`,
      );
      return 0;
    }
    const result = await rollups.verify(teamId, onProgress);
    bar?.stop();
    io.stdout(
      values.json === true
        ? `${JSON.stringify({ team_id: teamId, ...result }, null, 2)}\n`
        : result.mismatched.length === 0
          ? `the rollups of all ${integer.format(result.accounts)} accounts of team ${teamId} match their findings\n`
          : `${integer.format(result.mismatched.length)} of ${integer.format(result.accounts)} accounts differ from their findings: ${result.mismatched.join(", ")}\n(run: rollups rebuild --team ${teamId})\n`,
    );
    return result.mismatched.length === 0 ? 0 : 1;
  } finally {
    bar?.stop();
    await runtime.close();
  }
}

async function generateCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, {
    format: { type: "string" },
    count: { type: "string" },
    out: { type: "string" },
    provider: { type: "string" },
    "account-id": { type: "string" },
    seed: { type: "string" },
  });
  if (positionals.length > 0) throw usageError(`unexpected argument "${positionals[0]}"`);
  const format = str(values.format) ?? "prowler";
  if (format !== "prowler" && format !== "ocsf") throw usageError("--format must be prowler or ocsf");
  const provider = str(values.provider) ?? "aws";
  if (!(CATALOG_PROVIDERS as readonly string[]).includes(provider)) throw usageError("--provider must be aws, azure or gcp");
  const out = str(values.out);
  if (!out) throw usageError("--out is required");
  const count = intOption(values.count, "count", 1, 1_000_000) ?? 10_000;
  const bar =
    io.stderr.isTTY === true
      ? new SingleBar({ format: "generating [{bar}] {percentage}% | {value}/{total}", stream: process.stderr, hideCursor: true })
      : undefined;
  bar?.start(count, 0);
  try {
    const result = await writeSampleFile(
      out,
      {
        format: format as SampleFormat,
        count,
        provider: provider as CatalogProvider,
        ...(values["account-id"] === undefined ? {} : { accountId: str(values["account-id"]) as string }),
        ...(values.seed === undefined ? {} : { seed: str(values.seed) as string }),
      },
      (written) => bar?.update(written),
    );
    bar?.update(result.count);
    bar?.stop();
    io.stdout(`Wrote ${integer.format(result.count)} ${format} findings (${(result.bytes / 1_048_576).toFixed(1)} MB) to ${out}\n`);
    return 0;
  } finally {
    bar?.stop();
  }
}
