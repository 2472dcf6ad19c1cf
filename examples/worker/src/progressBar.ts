/** What one progress line shows. */
export interface ProgressState {
  readonly label: string;
  readonly done: number;
  /** Unknown totals show a count and rate without a bar. */
  readonly total?: number;
  readonly elapsedMs: number;
  /** `findings` (counts) or `bytes` (shown in MB). */
  readonly unit: "findings" | "bytes";
}

const WIDTH = 24;
const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

function amount(value: number, unit: ProgressState["unit"]): string {
  return unit === "bytes" ? `${(value / 1_048_576).toFixed(1)} MB` : integer.format(value);
}

function duration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  return seconds < 60 ? `${seconds}s` : `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, "0")}s`;
}

/**
 * One progress line: `writing    [#########---------------]  12,000/30,000  40%  5,230/s  eta 3s`.
 * Pure (no clock, no I/O), so it can be tested.
 */
export function formatProgressLine(state: ProgressState): string {
  const { label, done, total, elapsedMs, unit } = state;
  const rate = elapsedMs > 0 ? (done * 1000) / elapsedMs : 0;
  const rateText = unit === "bytes" ? `${(rate / 1_048_576).toFixed(1)} MB/s` : `${integer.format(rate)}/s`;
  const name = label.padEnd(10);
  if (total === undefined || total <= 0) return `${name} ${amount(done, unit)}  ${rateText}`;
  const ratio = Math.min(1, done / total);
  const filled = Math.round(ratio * WIDTH);
  const bar = `[${"#".repeat(filled)}${"-".repeat(WIDTH - filled)}]`;
  const eta = rate > 0 && done < total ? `  eta ${duration(((total - done) / rate) * 1000)}` : "";
  return `${name} ${bar}  ${amount(done, unit)}/${amount(total, unit)}  ${String(Math.floor(ratio * 100)).padStart(3)}%  ${rateText}${eta}`;
}

/** Where a progress bar writes: a TTY stream redraws one line; anything else gets a line now and then. */
export interface ProgressOutput {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

/**
 * A small progress bar on stderr: redrawn in place (at most 10 times a second) on a terminal, one line
 * every 2 seconds otherwise (CI logs), and a final line from `finish()`.
 */
export class ProgressBar {
  readonly #label: string;
  readonly #unit: ProgressState["unit"];
  readonly #output: ProgressOutput;
  readonly #now: () => number;
  readonly #started: number;
  #total: number | undefined;
  #done = 0;
  #lastDraw = Number.NEGATIVE_INFINITY;
  #lastDrawnDone: number | undefined;
  #finished = false;

  constructor(options: { label: string; total?: number; unit?: ProgressState["unit"]; output?: ProgressOutput; now?: () => number }) {
    this.#label = options.label;
    this.#unit = options.unit ?? "findings";
    this.#output = options.output ?? process.stderr;
    this.#now = options.now ?? Date.now;
    this.#started = this.#now();
    this.#total = options.total;
  }

  /** Sets the progress (and the total when it becomes known); redraws when due. */
  update(done: number, total?: number): void {
    if (this.#finished) return;
    this.#done = done;
    if (total !== undefined) this.#total = total;
    const now = this.#now();
    const interval = this.#output.isTTY ? 100 : 2000;
    if (now - this.#lastDraw < interval) return;
    this.#lastDraw = now;
    this.#draw(false);
  }

  /** Draws the final state and ends the line; later updates are ignored. */
  finish(done?: number): void {
    if (this.#finished) return;
    if (done !== undefined) this.#done = done;
    this.#finished = true;
    // A log (non-TTY) that already shows this exact state does not need it twice.
    if (!this.#output.isTTY && this.#lastDrawnDone === this.#done) return;
    this.#draw(true);
  }

  #draw(final: boolean): void {
    this.#lastDrawnDone = this.#done;
    const line = formatProgressLine({
      label: this.#label,
      done: this.#done,
      ...(this.#total === undefined ? {} : { total: this.#total }),
      elapsedMs: this.#now() - this.#started,
      unit: this.#unit,
    });
    if (this.#output.isTTY) this.#output.write(`\r\x1b[2K${line}${final ? "\n" : ""}`);
    else this.#output.write(`${line}\n`);
  }
}
