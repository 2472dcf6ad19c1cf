import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { redactConnectionString } from "@cspm/crypto";
import { ConflictError, type CspmError, InternalError, isCspmError, ValidationError } from "@cspm/errors";
import { mapMongoError } from "@cspm/mongo";
import { consoleMigrationLogger } from "./consoleMigrationLogger";
import type { Migration, MigrationReport } from "./defineMigration";
import type { MigrationConfig, MigrationContext, MigrationLogger } from "./migrationContext";
import type { MigrationDatabaseManager } from "./migrationDatabaseManager";
import { type LedgerEntry, MigrationLedger } from "./migrationLedger";
import { lockHeldError, MigrationLock, type MigrationLockDocument, type MigrationLockHolder } from "./migrationLock";
import { ProgressReporter } from "./progressReporter";

/** Options of a `MigrationRunner`. */
export interface MigrationRunnerOptions {
  /** The database manager (`CSPMDatabaseManager` from `@cspm/mongo`). */
  readonly manager: MigrationDatabaseManager;
  /** Every migration, in the order they apply. Ids must be unique. */
  readonly migrations: readonly Migration[];
  /** Default: a console logger. */
  readonly logger?: MigrationLogger;
  /** Lease of the lock in ms, renewed every third of it while running. Default 60,000. */
  readonly lockTtlMs?: number;
  /** Name of this runner in the lock and the ledger. Default `"<hostname>:<pid>:<random>"`. */
  readonly owner?: string;
  /** How long `up` waits for a lock held by another runner before giving up with `CONFLICT`. Default 0 (no wait). */
  readonly waitForLockMs?: number;
  /** Pause between two attempts to take a held lock while waiting. Default 1,000 ms. */
  readonly lockPollMs?: number;
  /** Lets `up` proceed when an applied migration's checksum changed; the new checksum is recorded, the migration is not re-run. */
  readonly allowChecksumChange?: boolean;
  /** Minimum ms between two progress lines of one migration. Default 2,000. */
  readonly progressIntervalMs?: number;
  /** Services and settings handed to migrations as `ctx.config`. */
  readonly config?: MigrationConfig;
}

/** Where a migration stands. `failed` ones are retried by the next `up`; `not_applicable` ones stay pending. */
export type MigrationState = "applied" | "pending" | "failed" | "checksum_mismatch" | "not_applicable" | "unknown";

/** One line of `status()`. */
export interface MigrationStatusEntry {
  readonly id: string;
  readonly description: string;
  readonly state: MigrationState;
  /** Checksum of the migration in code (absent for `unknown`: recorded but no longer registered). */
  readonly checksum?: string;
  /** Checksum the ledger holds, when there is an entry. */
  readonly recordedChecksum?: string;
  readonly appliedAt?: Date;
  readonly durationMs?: number;
  readonly attempts?: number;
  readonly error?: { readonly code: string; readonly message: string };
  /** Why a `not_applicable` migration cannot run here. */
  readonly reason?: string;
}

/** What `status()` returns. */
export interface MigrationStatusReport {
  readonly migrations: readonly MigrationStatusEntry[];
  /** The current lock holder, if any (possibly expired: expiry is judged by the server when someone takes it). */
  readonly lock?: MigrationLockHolder;
  readonly counts: Readonly<Record<MigrationState, number>>;
}

/** One line of `dryRun()`. */
export interface DryRunEntry {
  readonly id: string;
  readonly description: string;
  readonly state: MigrationState;
  /** Whether `up` would run it now. */
  readonly wouldRun: boolean;
  /** What its `dryRun` counted (documents it would touch); absent when it has none or would not run. */
  readonly counts?: MigrationReport;
  readonly reason?: string;
}

/** What `dryRun()` returns. Nothing was written to get it. */
export interface DryRunReport {
  readonly migrations: readonly DryRunEntry[];
}

/** One migration applied by `up`. */
export interface AppliedMigration {
  readonly id: string;
  readonly durationMs: number;
  readonly result?: MigrationReport;
}

/** What `up()` returns. `outcome: "failed"` means it stopped at `failed.id`; later migrations were not run. */
export interface UpReport {
  readonly outcome: "applied" | "up_to_date" | "failed";
  readonly owner: string;
  readonly applied: readonly AppliedMigration[];
  /** Pending migrations that cannot run in this host (not recorded, still pending). */
  readonly skipped: readonly { readonly id: string; readonly reason: string }[];
  /** Applied migrations whose changed checksum was accepted (`allowChecksumChange`). */
  readonly acceptedChecksums: readonly string[];
  readonly failed?: { readonly id: string; readonly durationMs: number; readonly error: CspmError };
}

const ZERO_COUNTS: Record<MigrationState, number> = {
  applied: 0,
  pending: 0,
  failed: 0,
  checksum_mismatch: 0,
  not_applicable: 0,
  unknown: 0,
};

const NEVER_ABORTED = new AbortController().signal;

function defaultOwner(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

/** A CSPM error for anything a migration threw; driver errors are mapped, others become `INTERNAL` with the cause kept. */
function toCspmError(error: unknown, migrationId: string): CspmError {
  if (isCspmError(error)) return error;
  const name = typeof error === "object" && error !== null ? String((error as { name?: unknown }).name ?? "") : "";
  if (name.startsWith("Mongo") || name === "BSONError") return mapMongoError(error, { operation: `migration ${migrationId}` });
  return new InternalError(`Migration "${migrationId}" failed with an unexpected error.`, { cause: error });
}

/** `Name: message` of the underlying cause, connection-string passwords removed, at most 300 characters. */
function causeSummary(error: CspmError): string | undefined {
  const cause = error.cause;
  if (!(cause instanceof Error)) return undefined;
  const text = redactConnectionString(`${cause.name}: ${cause.message}`).replace(/\s+/g, " ");
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/**
 * Applies migrations once each, in order, under a lease lock, and records them in `migration_ledger`.
 * `up()` takes the lock before reading what is pending, so of two runners started together exactly one applies;
 * the other waits (`waitForLockMs`) or throws `CONFLICT` naming the holder and its expiry. An applied migration
 * whose checksum changed is reported (`checksum_mismatch`) and blocks `up()` with `CONFLICT` unless
 * `allowChecksumChange`. The constructor throws `VALIDATION_FAILED` for duplicate or malformed migrations.
 * @example
 * const runner = new MigrationRunner({ manager, migrations: BUILT_IN_MIGRATIONS, config: { cipher } });
 * const report = await runner.up();
 * if (report.failed) throw report.failed.error;
 */
export class MigrationRunner {
  readonly owner: string;
  private readonly manager: MigrationDatabaseManager;
  private readonly migrations: readonly Migration[];
  private readonly logger: MigrationLogger;
  private readonly lockTtlMs: number;
  private readonly waitForLockMs: number;
  private readonly lockPollMs: number;
  private readonly allowChecksumChange: boolean;
  private readonly progressIntervalMs: number;
  private readonly config: MigrationConfig;

  constructor(options: MigrationRunnerOptions) {
    const issues: { path: string; message: string }[] = [];
    const seen = new Set<string>();
    const migrations = Array.isArray(options?.migrations) ? options.migrations : [];
    if (!Array.isArray(options?.migrations)) issues.push({ path: "migrations", message: "must be an array of migrations" });
    migrations.forEach((migration, index) => {
      if (typeof migration?.id !== "string" || typeof migration.up !== "function" || typeof migration.checksum !== "string") {
        issues.push({ path: `migrations.${index}`, message: "must be created with defineMigration" });
      } else if (seen.has(migration.id)) {
        issues.push({ path: `migrations.${index}.id`, message: `duplicate migration id "${migration.id}"` });
      } else {
        seen.add(migration.id);
      }
    });
    if (!options?.manager) issues.push({ path: "manager", message: "is required" });
    for (const [key, value] of [
      ["lockTtlMs", options?.lockTtlMs],
      ["waitForLockMs", options?.waitForLockMs],
      ["lockPollMs", options?.lockPollMs],
      ["progressIntervalMs", options?.progressIntervalMs],
    ] as const) {
      if (value !== undefined && (typeof value !== "number" || !Number.isFinite(value) || value < 0)) {
        issues.push({ path: key, message: "must be a non-negative number" });
      }
    }
    if (options?.lockTtlMs !== undefined && options.lockTtlMs < 100) issues.push({ path: "lockTtlMs", message: "must be >= 100" });
    if (issues.length > 0) throw new ValidationError("Invalid migration runner options.", issues);

    this.manager = options.manager;
    this.migrations = [...migrations];
    this.logger = options.logger ?? consoleMigrationLogger;
    this.lockTtlMs = Math.round(options.lockTtlMs ?? 60_000);
    this.owner = options.owner ?? defaultOwner();
    this.waitForLockMs = options.waitForLockMs ?? 0;
    this.lockPollMs = Math.max(10, options.lockPollMs ?? 1_000);
    this.allowChecksumChange = options.allowChecksumChange ?? false;
    this.progressIntervalMs = options.progressIntervalMs ?? 2_000;
    this.config = options.config ?? {};
  }

  /** Lists every migration as applied, pending, failed, checksum_mismatch, not_applicable or unknown. Writes nothing. */
  async status(): Promise<MigrationStatusReport> {
    const entries = await this.ledger().list();
    const holder = await this.lock().holder();
    const migrations = this.describe(entries);
    const counts = { ...ZERO_COUNTS };
    for (const entry of migrations) counts[entry.state] += 1;
    return { migrations, counts, ...(holder ? { lock: holder } : {}) };
  }

  /**
   * Asks each migration `up` would run for the counts of documents it would touch (its `dryRun`).
   * Takes no lock and writes nothing, not even the ledger's index.
   */
  async dryRun(): Promise<DryRunReport> {
    const entries = await this.ledger().list();
    const byId = new Map(this.migrations.map((m) => [m.id, m]));
    const result: DryRunEntry[] = [];
    for (const entry of this.describe(entries)) {
      const migration = byId.get(entry.id);
      const wouldRun = migration !== undefined && (entry.state === "pending" || entry.state === "failed");
      if (!migration || !wouldRun) {
        result.push({
          id: entry.id,
          description: entry.description,
          state: entry.state,
          wouldRun: false,
          ...(entry.reason === undefined ? {} : { reason: entry.reason }),
        });
        continue;
      }
      const ctx = this.context(migration, true, NEVER_ABORTED);
      const counts = migration.dryRun
        ? await this.guard(migration.id, () => (migration.dryRun as NonNullable<Migration["dryRun"]>)(ctx))
        : undefined;
      result.push({
        id: entry.id,
        description: entry.description,
        state: entry.state,
        wouldRun: true,
        ...(counts === undefined ? { reason: "this migration has no dry run" } : { counts }),
      });
    }
    return { migrations: result };
  }

  /**
   * Takes the lock, then applies every pending (or previously failed) migration in order and records each
   * in the ledger; stops at the first failure (recorded as `failed`, returned in `failed`). Throws `CONFLICT`
   * when another runner holds the lock (after `waitForLockMs`), when an applied migration's checksum changed
   * (unless `allowChecksumChange`), or when the lock is lost; `UNAVAILABLE` when MongoDB cannot be reached.
   */
  async up(): Promise<UpReport> {
    const lock = this.lock();
    await this.acquire(lock);
    const controller = new AbortController();
    const heartbeat = this.startHeartbeat(lock, controller);
    try {
      return await this.applyPending(lock, controller);
    } finally {
      await heartbeat.stop();
      try {
        await lock.release();
      } catch (error) {
        // The lease expires on its own; a failed release must not hide the run's own outcome.
        this.logger.warn("Could not release the migration lock; it expires on its own.", {
          owner: this.owner,
          code: toCspmError(error, "release").code,
        });
      }
    }
  }

  private async applyPending(lock: MigrationLock, controller: AbortController): Promise<UpReport> {
    const signal = controller.signal;
    const ledger = this.ledger();
    await ledger.ensureIndex();
    const entries = await ledger.list();
    const described = this.describe(entries);

    const mismatched = described.filter((d) => d.state === "checksum_mismatch");
    const acceptedChecksums: string[] = [];
    if (mismatched.length > 0) {
      if (!this.allowChecksumChange) {
        throw new ConflictError(
          `Applied migration${mismatched.length > 1 ? "s" : ""} changed since they ran: ${mismatched.map((m) => m.id).join(", ")}. ` +
            "Restore the original code, or accept the change with allowChecksumChange (--allow-checksum-change); it will not be re-run.",
          {
            reason: "CHECKSUM_MISMATCH",
            details: {
              migrations: mismatched.map((m) => ({ id: m.id, recorded: m.recordedChecksum, current: m.checksum })),
            },
          },
        );
      }
      for (const entry of mismatched) {
        await ledger.acceptChecksum(entry.id, entry.recordedChecksum as string, entry.checksum as string);
        acceptedChecksums.push(entry.id);
        this.logger.warn(`[${entry.id}] checksum changed; accepted without re-running.`, { migration: entry.id });
      }
    }

    const applied: AppliedMigration[] = [];
    const skipped: { id: string; reason: string }[] = [];
    const stateOf = new Map(described.map((d) => [d.id, d.state]));
    for (const migration of this.migrations) {
      const state = stateOf.get(migration.id);
      if (state !== "pending" && state !== "failed" && state !== "not_applicable") continue;
      this.throwIfLost(signal);
      const ctx = this.context(migration, false, signal);
      const reason = this.applicability(migration, ctx);
      if (reason !== true) {
        skipped.push({ id: migration.id, reason });
        this.logger.warn(`[${migration.id}] skipped: ${reason}`, { migration: migration.id });
        continue;
      }
      this.logger.info(`[${migration.id}] applying: ${migration.description}`, { migration: migration.id });
      const started = performance.now();
      try {
        const result = (await migration.up(ctx)) ?? undefined;
        const durationMs = performance.now() - started;
        await this.confirmLock(lock, controller);
        await ledger.recordApplied({
          id: migration.id,
          checksum: migration.checksum,
          description: migration.description,
          durationMs,
          owner: this.owner,
          ...(result === undefined ? {} : { result }),
        });
        applied.push({ id: migration.id, durationMs, ...(result === undefined ? {} : { result }) });
        this.logger.info(`[${migration.id}] applied in ${Math.round(durationMs)} ms`, {
          migration: migration.id,
          duration_ms: Math.round(durationMs),
        });
      } catch (thrown) {
        const durationMs = performance.now() - started;
        const error = toCspmError(thrown, migration.id);
        // After losing the lock another runner owns the ledger: record nothing and say why.
        if (signal.aborted) throw signal.reason as CspmError;
        await this.confirmLock(lock, controller);
        const cause = causeSummary(error);
        await ledger.recordFailed({
          id: migration.id,
          checksum: migration.checksum,
          description: migration.description,
          durationMs,
          owner: this.owner,
          error: { code: error.code, message: error.message, ...(cause === undefined ? {} : { cause }) },
        });
        this.logger.error(`[${migration.id}] failed: ${error.code} ${error.message}`, { migration: migration.id, code: error.code });
        return {
          outcome: "failed",
          owner: this.owner,
          applied,
          skipped,
          acceptedChecksums,
          failed: { id: migration.id, durationMs, error },
        };
      }
    }
    return { outcome: applied.length > 0 ? "applied" : "up_to_date", owner: this.owner, applied, skipped, acceptedChecksums };
  }

  private describe(entries: readonly LedgerEntry[]): MigrationStatusEntry[] {
    const recorded = new Map(entries.map((e) => [e.id, e]));
    const lines: MigrationStatusEntry[] = this.migrations.map((migration) => {
      const entry = recorded.get(migration.id);
      const base = { id: migration.id, description: migration.description, checksum: migration.checksum };
      if (!entry) {
        const reason = this.applicability(migration, this.context(migration, true, NEVER_ABORTED));
        return reason === true ? { ...base, state: "pending" as const } : { ...base, state: "not_applicable" as const, reason };
      }
      const recordedFacts = {
        recordedChecksum: entry.checksum,
        appliedAt: entry.applied_at,
        durationMs: entry.duration_ms,
        attempts: entry.attempts,
      };
      if (entry.outcome === "failed") {
        return {
          ...base,
          ...recordedFacts,
          state: "failed" as const,
          ...(entry.error ? { error: { code: entry.error.code, message: entry.error.message } } : {}),
        };
      }
      if (entry.checksum === migration.checksum) return { ...base, ...recordedFacts, state: "applied" as const };
      if (migration.repeatable)
        return { ...base, ...recordedFacts, state: "pending" as const, reason: "repeatable migration changed since its last run" };
      return { ...base, ...recordedFacts, state: "checksum_mismatch" as const };
    });
    const known = new Set(this.migrations.map((m) => m.id));
    for (const entry of entries) {
      if (known.has(entry.id)) continue;
      lines.push({
        id: entry.id,
        description: entry.description ?? "",
        state: "unknown",
        recordedChecksum: entry.checksum,
        appliedAt: entry.applied_at,
        durationMs: entry.duration_ms,
        attempts: entry.attempts,
      });
    }
    return lines;
  }

  private applicability(migration: Migration, ctx: MigrationContext): string | true {
    if (!migration.applicable) return true;
    try {
      const answer = migration.applicable(ctx);
      return answer === true ? true : String(answer);
    } catch (error) {
      return `applicability check failed: ${toCspmError(error, migration.id).message}`;
    }
  }

  private context(migration: Migration, dryRun: boolean, signal: AbortSignal): MigrationContext {
    const reporter = new ProgressReporter({ migrationId: migration.id, logger: this.logger, intervalMs: this.progressIntervalMs });
    const throwIfAborted = (): void => this.throwIfLost(signal);
    return {
      migrationId: migration.id,
      manager: this.manager,
      config: this.config,
      logger: this.logger,
      dryRun,
      signal,
      progress: (done, total) => {
        throwIfAborted();
        reporter.report(done, total);
      },
      throwIfAborted,
      hasApplied: (id) => this.ledger().isApplied(id),
    };
  }

  private throwIfLost(signal: AbortSignal): void {
    if (signal.aborted) throw signal.reason as CspmError;
  }

  private async guard<T>(migrationId: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw toCspmError(error, migrationId);
    }
  }

  private async acquire(lock: MigrationLock): Promise<void> {
    const deadline = performance.now() + this.waitForLockMs;
    let announced = false;
    for (;;) {
      const attempt = await lock.tryAcquire();
      if (attempt.acquired) return;
      const remaining = deadline - performance.now();
      if (remaining <= 0) throw lockHeldError(attempt.holder);
      if (!announced) {
        this.logger.info(
          `Waiting for the migration lock held by "${attempt.holder.owner}" (until ${attempt.holder.expiresAt.toISOString()}).`,
          {
            owner: attempt.holder.owner,
          },
        );
        announced = true;
      }
      await sleep(Math.min(this.lockPollMs, remaining));
    }
  }

  /** Renews the lease right before a ledger write; aborts the run and throws `CONFLICT` if the lock is gone. */
  private async confirmLock(lock: MigrationLock, controller: AbortController): Promise<void> {
    this.throwIfLost(controller.signal);
    if (!(await lock.renew())) this.loseLock(controller);
    this.throwIfLost(controller.signal);
  }

  private loseLock(controller: AbortController): void {
    if (controller.signal.aborted) return;
    this.logger.error(`Runner "${this.owner}" lost the migration lock; stopping without recording.`, { owner: this.owner });
    controller.abort(this.lockLostError());
  }

  private lockLostError(): ConflictError {
    return new ConflictError(
      `Runner "${this.owner}" lost the migration lock (its lease expired and another runner took it); stopped without recording.`,
      { reason: "MIGRATION_LOCK_LOST", details: { owner: this.owner } },
    );
  }

  private startHeartbeat(lock: MigrationLock, controller: AbortController): { stop(): Promise<void> } {
    const intervalMs = Math.max(50, Math.floor(this.lockTtlMs / 3));
    let lastRenewed = performance.now();
    let inFlight: Promise<void> | undefined;
    const beat = async (): Promise<void> => {
      try {
        if (await lock.renew()) lastRenewed = performance.now();
        else this.loseLock(controller);
      } catch (error) {
        // A blip is tolerated while the lease can still be alive; past it, assume another runner took over.
        if (performance.now() - lastRenewed >= this.lockTtlMs) this.loseLock(controller);
        this.logger.warn("Could not renew the migration lock.", { owner: this.owner, code: toCspmError(error, "heartbeat").code });
      }
    };
    const timer = setInterval(() => {
      if (inFlight === undefined && !controller.signal.aborted) inFlight = beat().finally(() => (inFlight = undefined));
    }, intervalMs);
    timer.unref();
    return {
      stop: async () => {
        clearInterval(timer);
        await inFlight;
      },
    };
  }

  private ledger(): MigrationLedger {
    return new MigrationLedger(this.manager.getCollection<LedgerEntry>("PLATFORM", "migration_ledger"));
  }

  private lock(): MigrationLock {
    return new MigrationLock({
      collection: this.manager.getCollection<MigrationLockDocument>("PLATFORM", "migration_locks"),
      owner: this.owner,
      ttlMs: this.lockTtlMs,
    });
  }
}
