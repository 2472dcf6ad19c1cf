import { CredentialCipher } from "@cspm/crypto";
import { type CspmError, isCspmError } from "@cspm/errors";
import { CSPMDatabaseManager } from "@cspm/mongo";
import { BUILT_IN_MIGRATIONS } from "./builtInMigrations";
import type { Migration, MigrationReport } from "./defineMigration";
import type { MigrationConfig, MigrationLogger } from "./migrationContext";
import type { MigrationDatabaseManager } from "./migrationDatabaseManager";
import { type DryRunReport, MigrationRunner, type MigrationStatusReport, type UpReport } from "./migrationRunner";

/** Exit codes of `cspm-migrate`. */
export const MIGRATE_EXIT_CODES = Object.freeze({
  /** Everything asked for was done (or there was nothing to do). */
  OK: 0,
  /** A migration failed (recorded as failed in the ledger), MongoDB could not be reached, or an unexpected error. */
  FAILED: 1,
  /** Blocked: another runner holds the lock, or an applied migration's checksum changed. */
  BLOCKED: 2,
  /** Bad command line or environment. */
  USAGE: 64,
});

/** Where `runMigrateCli` reads its settings and writes its output; defaults are the process's own. */
export interface MigrateCliIo {
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly stdout?: (text: string) => void;
  readonly stderr?: (text: string) => void;
  /** The migrations to run. Default `BUILT_IN_MIGRATIONS`; a host CLI passes `[...BUILT_IN_MIGRATIONS, ...its own]`. */
  readonly migrations?: readonly Migration[];
  /** Extra `ctx.config` (e.g. `embeddings`) merged over what the environment gives. */
  readonly config?: MigrationConfig;
  /** Opens the manager; default: `new CSPMDatabaseManager({ uri: MONGODB_URI, prefix: CSPM_DB_PREFIX })`, connected. */
  readonly openManager?: (
    env: Readonly<Record<string, string | undefined>>,
  ) => Promise<{ manager: MigrationDatabaseManager; close(): Promise<void> }>;
}

/** The `--help` text of `cspm-migrate`. */
export const MIGRATE_USAGE = `Usage: cspm-migrate <command> [options]

Commands:
  up        Apply pending migrations in order under the migration lock; stop at the first failure.
  status    Show every migration as applied, pending, failed, checksum_mismatch, not_applicable or unknown.
  dry-run   Show what 'up' would change (documents each pending migration would touch). Writes nothing.

Options:
  --wait <ms>                Wait up to <ms> for a lock held by another runner (default 0: exit with code 2).
  --lock-ttl <ms>            Lease of the lock, renewed while running (default 60000).
  --allow-checksum-change    Accept changed checksums of applied migrations (they are not re-run).
  --delete-sources           Consolidation: delete legacy cloud accounts once marked migrated.
  --skip-invalid             Consolidation: leave unmappable legacy accounts behind instead of failing.
  --json                     Print the report as JSON.
  -h, --help                 Show this help.

Environment:
  MONGODB_URI           Connection string (required).
  CSPM_DB_PREFIX        Database name prefix (optional), e.g. "staging".
  CSPM_ENCRYPTION_KEYS  Key ring "id:base64key[,id:base64key...]" (active key first); required when
                        legacy cloud accounts carry credentials.

Exit codes: 0 done, 1 a migration failed (or MongoDB unreachable), 2 blocked (lock held or
checksum changed), 64 usage.
`;

interface ParsedArgs {
  command?: "up" | "status" | "dry-run";
  help: boolean;
  json: boolean;
  waitMs?: number;
  lockTtlMs?: number;
  allowChecksumChange: boolean;
  deleteSources: boolean;
  skipInvalid: boolean;
}

class UsageError extends Error {}

function parseArgs(argv: readonly string[]): ParsedArgs {
  const parsed: ParsedArgs = { help: false, json: false, allowChecksumChange: false, deleteSources: false, skipInvalid: false };
  const number = (flag: string, value: string | undefined): number => {
    const n = Number(value);
    if (value === undefined || value.trim() === "" || !Number.isFinite(n) || n < 0)
      throw new UsageError(`${flag} needs a number of milliseconds.`);
    return n;
  };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] as string;
    const [flag, inline] =
      arg.startsWith("--") && arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    switch (flag) {
      case "-h":
      case "--help":
        parsed.help = true;
        break;
      case "--json":
        parsed.json = true;
        break;
      case "--allow-checksum-change":
        parsed.allowChecksumChange = true;
        break;
      case "--delete-sources":
        parsed.deleteSources = true;
        break;
      case "--skip-invalid":
        parsed.skipInvalid = true;
        break;
      case "--wait":
        parsed.waitMs = number(flag, inline ?? argv[++i]);
        break;
      case "--lock-ttl":
        parsed.lockTtlMs = number(flag, inline ?? argv[++i]);
        break;
      case "up":
      case "status":
      case "dry-run":
        if (parsed.command) throw new UsageError(`Only one command, got "${parsed.command}" and "${flag}".`);
        parsed.command = flag;
        break;
      default:
        throw new UsageError(`Unknown ${flag.startsWith("-") ? "option" : "command"} "${flag}".`);
    }
  }
  return parsed;
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i] as number))
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

/** Cuts long notes so the table stays readable; `--json` has the full text. */
function clip(text: string, max = 80): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function formatCounts(counts: MigrationReport | undefined): string {
  if (!counts) return "";
  return Object.entries(counts)
    .filter(([, v]) => typeof v === "number" || typeof v === "string" || typeof v === "boolean")
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(" ");
}

function renderStatus(report: MigrationStatusReport): string {
  const rows = report.migrations.map((m) => [
    m.id,
    m.state,
    m.appliedAt ? m.appliedAt.toISOString() : "",
    m.durationMs === undefined ? "" : `${m.durationMs} ms`,
    clip(
      m.state === "failed" && m.error
        ? `${m.error.code}: ${m.error.message}`
        : m.state === "checksum_mismatch"
          ? "code changed since it was applied (--allow-checksum-change to accept)"
          : (m.reason ?? m.description),
    ),
  ]);
  const counts = Object.entries(report.counts)
    .filter(([, n]) => n > 0)
    .map(([state, n]) => `${n} ${state}`)
    .join(", ");
  const lock = report.lock ? `\nLock: held by "${report.lock.owner}" until ${report.lock.expiresAt.toISOString()} (server time)` : "";
  return `${table(["ID", "STATE", "APPLIED AT", "DURATION", "NOTE"], rows)}\n\n${counts || "no migrations"}${lock}\n`;
}

function renderDryRun(report: DryRunReport): string {
  const rows = report.migrations.map((m) => [
    m.id,
    m.state,
    m.wouldRun ? "yes" : "no",
    m.counts ? formatCounts(m.counts) : (m.reason ?? ""),
  ]);
  return `${table(["ID", "STATE", "WOULD RUN", "WOULD CHANGE"], rows)}\n\nDry run: nothing was written.\n`;
}

function renderUp(report: UpReport): string {
  const lines = report.applied.map((a) => `applied  ${a.id}  (${Math.round(a.durationMs)} ms)  ${formatCounts(a.result)}`.trimEnd());
  for (const s of report.skipped) lines.push(`skipped  ${s.id}: ${s.reason}`);
  for (const id of report.acceptedChecksums) lines.push(`accepted changed checksum of ${id}`);
  if (report.failed) lines.push(`FAILED   ${report.failed.id}  ${report.failed.error.code}: ${report.failed.error.message}`);
  const summary =
    report.outcome === "failed"
      ? `Stopped at ${report.failed?.id}; later migrations were not run.`
      : report.outcome === "up_to_date"
        ? "Nothing to apply: up to date."
        : `Applied ${report.applied.length} migration${report.applied.length === 1 ? "" : "s"}.`;
  return `${lines.length > 0 ? `${lines.join("\n")}\n` : ""}${summary}\n`;
}

function jsonReplacer(_key: string, value: unknown): unknown {
  return isCspmError(value) ? value.toJSON() : value;
}

function errorLine(error: CspmError): string {
  const hint = typeof error.details?.hint === "string" ? `\nHint: ${error.details.hint}` : "";
  return `cspm-migrate: ${error.code}: ${error.message}${hint}\n`;
}

async function defaultOpenManager(
  env: Readonly<Record<string, string | undefined>>,
): Promise<{ manager: MigrationDatabaseManager; close(): Promise<void> }> {
  const uri = env.MONGODB_URI;
  if (!uri) throw new UsageError("MONGODB_URI is not set.");
  const manager = new CSPMDatabaseManager({ uri, ...(env.CSPM_DB_PREFIX ? { prefix: env.CSPM_DB_PREFIX } : {}) });
  try {
    await manager.connect();
  } catch (error) {
    await manager.close();
    throw error;
  }
  return { manager, close: () => manager.close() };
}

/**
 * The `cspm-migrate up|status|dry-run` command, callable in-process (a host builds its own CLI by passing
 * its migrations). Resolves to the exit code (`MIGRATE_EXIT_CODES`); never throws — errors are printed as
 * `CODE: message` (with the hint, never a stack or a credential).
 */
export async function runMigrateCli(argv: readonly string[], io: MigrateCliIo = {}): Promise<number> {
  const env = io.env ?? process.env;
  const out = io.stdout ?? ((text: string) => void process.stdout.write(text));
  const err = io.stderr ?? ((text: string) => void process.stderr.write(text));
  let args: ParsedArgs;
  try {
    args = parseArgs(argv);
  } catch (error) {
    err(`cspm-migrate: ${(error as Error).message}\n\n${MIGRATE_USAGE}`);
    return MIGRATE_EXIT_CODES.USAGE;
  }
  if (args.help) {
    out(MIGRATE_USAGE);
    return MIGRATE_EXIT_CODES.OK;
  }
  if (!args.command) {
    err(`cspm-migrate: missing command.\n\n${MIGRATE_USAGE}`);
    return MIGRATE_EXIT_CODES.USAGE;
  }
  const logger: MigrationLogger = {
    info: (message) => err(`${message}\n`),
    warn: (message) => err(`warning: ${message}\n`),
    error: (message) => err(`error: ${message}\n`),
  };
  let opened: { manager: MigrationDatabaseManager; close(): Promise<void> } | undefined;
  try {
    let cipher: CredentialCipher | undefined;
    if (env.CSPM_ENCRYPTION_KEYS) cipher = new CredentialCipher(env.CSPM_ENCRYPTION_KEYS);
    opened = await (io.openManager ?? defaultOpenManager)(env);
    const cloudAccounts = {
      ...io.config?.cloudAccounts,
      ...(args.deleteSources ? { deleteSources: true } : {}),
      ...(args.skipInvalid ? { onInvalid: "skip" as const } : {}),
    };
    const runner = new MigrationRunner({
      manager: opened.manager,
      migrations: io.migrations ?? BUILT_IN_MIGRATIONS,
      logger,
      config: { ...(cipher ? { cipher } : {}), ...io.config, cloudAccounts },
      allowChecksumChange: args.allowChecksumChange,
      ...(args.waitMs === undefined ? {} : { waitForLockMs: args.waitMs }),
      ...(args.lockTtlMs === undefined ? {} : { lockTtlMs: args.lockTtlMs }),
    });
    if (args.command === "status") {
      const report = await runner.status();
      out(args.json ? `${JSON.stringify(report, jsonReplacer, 2)}\n` : renderStatus(report));
      return MIGRATE_EXIT_CODES.OK;
    }
    if (args.command === "dry-run") {
      const report = await runner.dryRun();
      out(args.json ? `${JSON.stringify(report, jsonReplacer, 2)}\n` : renderDryRun(report));
      return MIGRATE_EXIT_CODES.OK;
    }
    const report = await runner.up();
    out(args.json ? `${JSON.stringify(report, jsonReplacer, 2)}\n` : renderUp(report));
    return report.outcome === "failed" ? MIGRATE_EXIT_CODES.FAILED : MIGRATE_EXIT_CODES.OK;
  } catch (error) {
    if (error instanceof UsageError) {
      err(`cspm-migrate: ${error.message}\n\n${MIGRATE_USAGE}`);
      return MIGRATE_EXIT_CODES.USAGE;
    }
    if (isCspmError(error)) {
      err(errorLine(error));
      if (error.code === "CONFLICT") return MIGRATE_EXIT_CODES.BLOCKED;
      if (error.code === "VALIDATION_FAILED" && !opened) return MIGRATE_EXIT_CODES.USAGE;
      return MIGRATE_EXIT_CODES.FAILED;
    }
    err(`cspm-migrate: INTERNAL: an unexpected error occurred (${error instanceof Error ? error.name : typeof error}).\n`);
    return MIGRATE_EXIT_CODES.FAILED;
  } finally {
    await opened?.close().catch(() => undefined);
  }
}
