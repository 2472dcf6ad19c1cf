import type { MigrationLogger } from "./migrationContext";

/** Options of a `ProgressReporter`. */
export interface ProgressReporterOptions {
  readonly migrationId: string;
  readonly logger: MigrationLogger;
  /** Minimum milliseconds between two progress lines; the first and the final line are always written. Default 2,000. */
  readonly intervalMs?: number;
  /** Monotonic clock in milliseconds (injectable for tests). Default `performance.now`. */
  readonly clock?: () => number;
}

const NUMBER_FORMAT = new Intl.NumberFormat("en-US");

/** `"[0001-consolidate-cloud-accounts] 5,000/12,000 (41%)"` — percent rounded down, 100% only when done. */
export function formatProgress(migrationId: string, done: number, total: number): string {
  const percent = total > 0 ? Math.min(100, Math.floor((done / total) * 100)) : 100;
  return `[${migrationId}] ${NUMBER_FORMAT.format(done)}/${NUMBER_FORMAT.format(total)} (${percent}%)`;
}

/**
 * Writes `[id] done/total (pct%)` lines at a bounded rate: the first call, then at most one line per
 * `intervalMs`, and always the line where `done` reaches `total` (once per phase; counting
 * down again starts a new phase). Never throws.
 */
export class ProgressReporter {
  private readonly intervalMs: number;
  private readonly clock: () => number;
  private lastAt: number | undefined;
  private lastDone = 0;
  private finishedTotal: number | undefined;

  constructor(private readonly options: ProgressReporterOptions) {
    this.intervalMs = options.intervalMs ?? 2_000;
    this.clock = options.clock ?? (() => performance.now());
  }

  /** Reports `done` of `total` units (documents, batches); negative or non-finite input is ignored. */
  report(done: number, total: number): void {
    if (!Number.isFinite(done) || !Number.isFinite(total) || done < 0 || total < 0) return;
    if (done < this.lastDone) {
      // A new phase started counting from zero: its first and final lines are written again.
      this.lastAt = undefined;
      this.finishedTotal = undefined;
    }
    this.lastDone = done;
    const final = done >= total;
    if (final && this.finishedTotal === total) return;
    const now = this.clock();
    if (!final && this.lastAt !== undefined && now - this.lastAt < this.intervalMs) return;
    this.lastAt = now;
    if (final) this.finishedTotal = total;
    this.options.logger.info(formatProgress(this.options.migrationId, done, total), {
      migration: this.options.migrationId,
      done,
      total,
    });
  }
}
