import { parseTeamId, type TeamId } from "@cspm/repository";
import { createReadStream } from "node:fs";
import { userInfo } from "node:os";
import { Readable } from "node:stream";
import { parseArgs } from "node:util";
import type { ServiceContainer } from "@cspm/container";
import { type Actor, systemActor } from "@cspm/identity";
import type { ActorServices } from "@cspm/services";
import { isCspmError, NotFoundError, ValidationError } from "@cspm/errors";
import { CATALOG_PROVIDERS, type CatalogProvider } from "./checkCatalog";
import { fileFindingSource, type FindingSource } from "./findingSource";
import { writeSampleFile } from "./generateSample";
import { importDependenciesFrom, importProwler, type ImportReport } from "./importProwler";
import { ProgressBar, type ProgressOutput } from "./progressBar";
import { mapFinding, type FindingFormat } from "./prowlerFormat";
import { startRuntime } from "./startRuntime";

/** Where the CLI reads its environment and writes its output (injectable for tests). */
export interface CliIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: (text: string) => void;
  /** Progress bars and notices. */
  readonly stderr: ProgressOutput;
}

const USAGE = `Usage:
  tsx src/main.ts import <file> --team <teamId> --account <accountId> [--batch 1000]
                         [--create-account] [--account-name <name>] [--embedded] [--json]
  tsx src/main.ts import <file> --api <url> --account <accountId> [--batch 1000] [--json]
  tsx src/main.ts generate --format prowler|ocsf --count 10000 --out <file>
                         [--provider aws|azure|gcp] [--account-id <id>] [--seed <text>]

import    Imports a Prowler output file (native JSON array or OCSF JSON, detected) into one account
          as one scan run; safe to re-run (no duplicates). --account takes the account's id or its
          provider account id. Needs MONGODB_URI and CSPM_ENCRYPTION_KEYS, or --embedded (a throwaway
          in-process MongoDB, for trying it out; implies --create-account).
          Writing to MongoDB directly, it acts as the API key in CSPM_API_KEY (its team and role;
          --team may be left out) or, without one, as the system actor cli:<OS user> (owner of
          --team); every change is in the team's audit log under that actor.
          With --api it sends the file to that API's POST /findings/import instead, authenticated
          with Authorization: Bearer $CSPM_API_TOKEN (an API key or session token).
generate  Writes a realistic sample file (AWS/Azure/GCP checks, resources, regions, compliance).

Exit codes: 0 done, 1 the import failed, 2 bad usage or configuration.`;

const integer = new Intl.NumberFormat("en-US");

/** Runs one CLI command; resolves to the process exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  // `pnpm run generate -- --count 5` passes the `--` through; it separates nothing here.
  const [command, ...rest] = argv.filter((arg, index) => !(arg === "--" && index <= 1));
  try {
    if (command === "import") return await importCommand(rest, io);
    if (command === "generate") return await generateCommand(rest, io);
    io.stdout(`${USAGE}\n`);
    return command === undefined || command === "help" || command === "--help" ? 0 : 2;
  } catch (error) {
    if (isCspmError(error)) {
      const issues =
        error instanceof ValidationError ? error.issues.map((i) => `\n  - ${i.path ? `${i.path}: ` : ""}${i.message}`).join("") : "";
      const hint = typeof error.details?.["hint"] === "string" ? `\n  hint: ${error.details["hint"]}` : "";
      io.stderr.write(`error ${error.code}: ${error.message}${issues}${hint}\n`);
      return error.code === "VALIDATION_FAILED" || error.code === "NOT_FOUND" ? 2 : 1;
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

function positiveInt(text: string | undefined, name: string, fallback: number, max: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > max) throw usageError(`--${name} must be an integer from 1 to ${max}`);
  return value;
}

/** Registers the account the file belongs to when it does not exist yet (provider and name from the file), as the actor. */
async function ensureAccount(
  services: ActorServices,
  teamId: TeamId,
  account: string,
  source: FindingSource,
  name: string | undefined,
  io: CliIo,
): Promise<void> {
  try {
    await services.accounts.resolveAccounts(teamId, [account]).then((found) => {
      const hit = found.get(account);
      if (hit === undefined || hit.deleted) throw new NotFoundError("absent");
    });
    return;
  } catch (error) {
    if (!isCspmError(error) || error.code !== "NOT_FOUND") throw error;
  }
  let first: unknown;
  for await (const element of source.elements()) {
    first = element;
    break;
  }
  const mapped = mapFinding(first);
  if (!mapped.ok)
    throw new ValidationError(`Cannot register account "${account}": the first finding of ${source.label} is not usable.`, [
      ...mapped.issues,
    ]);
  const ocsfName = (first as { cloud?: { account?: { name?: unknown } } }).cloud?.account?.name;
  const label = name ?? (typeof ocsfName === "string" && ocsfName.trim() !== "" ? ocsfName : `${mapped.finding.provider} ${account}`);
  const created = await services.accounts.registerAccount(teamId, {
    provider: mapped.finding.provider,
    accountId: account,
    name: label,
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

/** `import --api <url>`: streams the file to the API's import route with the bearer token from `CSPM_API_TOKEN`. */
async function importThroughApi(
  file: string,
  apiUrl: string,
  account: string,
  batchSize: number,
  io: CliIo,
  json: boolean,
): Promise<number> {
  const token = io.env.CSPM_API_TOKEN?.trim();
  if (!token) throw usageError("--api needs CSPM_API_TOKEN (an API key or session token)");
  let url: URL;
  try {
    url = new URL("/findings/import", apiUrl);
  } catch {
    throw usageError("--api must be a URL such as http://127.0.0.1:3000");
  }
  url.searchParams.set("accountId", account);
  url.searchParams.set("batchSize", String(batchSize));
  const response = await fetch(url, {
    method: "POST",
    headers: {
      authorization: `Bearer ${token}`,
      "content-type": /\.(jsonl|ndjson)$/i.test(file) ? "application/x-ndjson" : "application/json",
    },
    body: Readable.toWeb(createReadStream(file)) as ReadableStream,
    duplex: "half",
  } as RequestInit & { duplex: "half" });
  const body = (await response.json().catch(() => ({}))) as {
    success?: boolean;
    data?: ImportReport;
    error?: { code: string; message: string };
  };
  if (body.success === true && body.data !== undefined) {
    io.stdout(json ? `${JSON.stringify(body.data, null, 2)}\n` : summary(body.data));
    return body.data.status === "completed" ? 0 : 1;
  }
  io.stderr.write(`error ${body.error?.code ?? response.status}: ${body.error?.message ?? response.statusText}\n`);
  return response.status === 401 || response.status === 403 || response.status === 400 || response.status === 404 ? 2 : 1;
}

function summary(report: ImportReport): string {
  const lines = [
    `${report.status === "completed" ? "Imported" : "FAILED to import"} ${report.source}${report.format ? ` (${report.format})` : ""} into ${report.account.provider} account ${report.account.account_id} "${report.account.name}" - scan run ${report.scan_run_id}: ${report.status}`,
    `  total ${integer.format(report.total)} | inserted ${integer.format(report.inserted)} | updated ${integer.format(report.updated)} | unchanged ${integer.format(report.unchanged)} | rejected ${integer.format(report.rejected)}`,
    `  PASS ${integer.format(report.passed)} | FAIL ${integer.format(report.failed)} | MANUAL ${integer.format(report.manual)} | ${(report.duration_ms / 1000).toFixed(1)} s`,
  ];
  if (report.error) lines.push(`  error: ${report.error}`);
  for (const issue of report.issues.slice(0, 10))
    lines.push(
      `  - element ${issue.index}${issue.check_id ? ` (${issue.check_id})` : ""}: ${issue.path ? `${issue.path} ` : ""}${issue.message}`,
    );
  if (report.rejected > 10)
    lines.push(`  … ${integer.format(report.rejected - Math.min(10, report.issues.length))} more rejected (--json lists up to 100)`);
  return `${lines.join("\n")}\n`;
}

async function importCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, {
    team: { type: "string" },
    account: { type: "string" },
    batch: { type: "string" },
    "create-account": { type: "boolean" },
    "account-name": { type: "string" },
    embedded: { type: "boolean" },
    json: { type: "boolean" },
    api: { type: "string" },
  });
  const file = positionals[0];
  const team = values.team as string | undefined;
  const account = values.account as string | undefined;
  if (file === undefined || positionals.length > 1) throw usageError("import takes exactly one file");
  if (!account) throw usageError("--account is required");
  const batchSize = positiveInt(values.batch as string | undefined, "batch", 1000, 10_000);
  if (typeof values.api === "string") {
    await fileFindingSource(file); // the same "no such file" answer as a direct import
    return importThroughApi(file, values.api, account, batchSize, io, values.json === true);
  }
  if (!team && !io.env.CSPM_API_KEY?.trim()) throw usageError("--team is required");
  const embedded = values.embedded === true;
  const source = await fileFindingSource(file);
  const runtime = await startRuntime({ env: io.env, allowEmbedded: embedded, log: (line) => io.stderr.write(`${line}\n`) });
  try {
    const actor = await cliActor(runtime.services, io.env, team);
    const teamId = actor.teamId;
    const acting = runtime.services.forActor(actor, { requestId: `cli-${Date.now().toString(36)}` });
    const deps = importDependenciesFrom(runtime.services);
    if (values["create-account"] === true || embedded)
      await ensureAccount(acting, teamId, account, source, values["account-name"] as string | undefined, io);
    const reading = new ProgressBar({
      label: "validating",
      unit: "bytes",
      output: io.stderr,
      ...(source.sizeBytes === undefined ? {} : { total: source.sizeBytes }),
    });
    let writing: ProgressBar | undefined;
    // One audited mutation for the whole import (permission manage_scans), through the audit outbox; a
    // failed run is recorded as a failure (the throw below), and its report still printed.
    let failedRun: ImportReport | undefined;
    const report = await acting
      .audited(
        {
          action: "findings.import",
          permission: "manage_scans",
          target: { type: "cloud_account", id: account },
          changes: { account, batchSize, source: source.label },
          mode: "outbox",
          metadataOf: (r: ImportReport) => ({
            scan_run_id: r.scan_run_id,
            status: r.status,
            total: r.total,
            inserted: r.inserted,
            rejected: r.rejected,
          }),
        },
        teamId,
        async () => {
          const result = await importProwler(deps, {
            teamId,
            account,
            source,
            batchSize,
            requestedBy: `${actor.type}:${actor.id}`.slice(0, 128),
            onProgress: (progress) => {
              if (progress.phase === "validating") {
                reading.update(progress.bytesRead ?? 0);
                if (progress.total !== undefined) {
                  reading.finish(progress.bytesRead);
                  writing = new ProgressBar({ label: "writing", total: progress.total, output: io.stderr });
                }
              } else {
                writing?.update(progress.done, progress.total);
              }
            },
          });
          if (result.status === "failed") {
            failedRun = result;
            throw new ValidationError(result.error ?? "The import failed.", [], { details: { scan_run_id: result.scan_run_id } });
          }
          return result;
        },
      )
      .catch((error: unknown) => {
        if (failedRun !== undefined) return failedRun;
        throw error;
      });
    reading.finish();
    writing?.finish(report.written + report.rejected);
    io.stdout(values.json === true ? `${JSON.stringify(report, null, 2)}\n` : summary(report));
    return report.status === "completed" ? 0 : 1;
  } finally {
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
  const format = (values.format as string | undefined) ?? "prowler";
  if (format !== "prowler" && format !== "ocsf") throw usageError("--format must be prowler or ocsf");
  const provider = (values.provider as string | undefined) ?? "aws";
  if (!(CATALOG_PROVIDERS as readonly string[]).includes(provider)) throw usageError("--provider must be aws, azure or gcp");
  const out = values.out as string | undefined;
  if (!out) throw usageError("--out is required");
  const count = positiveInt(values.count as string | undefined, "count", 10_000, 1_000_000);
  const bar = new ProgressBar({ label: "generating", total: count, output: io.stderr });
  const result = await writeSampleFile(
    out,
    {
      format: format as FindingFormat,
      count,
      provider: provider as CatalogProvider,
      ...(values["account-id"] === undefined ? {} : { accountId: values["account-id"] as string }),
      ...(values.seed === undefined ? {} : { seed: values.seed as string }),
    },
    (written) => bar.update(written),
  );
  bar.finish(result.count);
  io.stdout(`Wrote ${integer.format(result.count)} ${format} findings (${(result.bytes / 1_048_576).toFixed(1)} MB) to ${out}\n`);
  return 0;
}
