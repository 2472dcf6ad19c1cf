/**
 * Captures everything a test run logs: console methods, direct writes to stdout/stderr, and any logger
 * given `capture.line` as its sink. Nothing is forwarded while capturing (the lines are kept for scanning).
 */
import { format } from "node:util";

/** A running capture. */
export interface LogCapture {
  /** Every captured line, in order. */
  readonly lines: readonly string[];
  /** A sink for loggers (Fastify streams, migration loggers …). */
  line(text: string): void;
  /** Restores console and the streams; idempotent. */
  stop(): void;
}

const METHODS = ["log", "info", "warn", "error", "debug", "trace"] as const;

/** Starts capturing console output and process stdout/stderr writes. */
export function captureLogs(): LogCapture {
  const lines: string[] = [];
  const originals = METHODS.map((method) => [method, console[method]] as const);
  for (const method of METHODS) {
    console[method] = (...args: unknown[]) => {
      lines.push(`console.${method}: ${format(...args)}`);
    };
  }
  const stdoutWrite = process.stdout.write;
  const stderrWrite = process.stderr.write;
  const grab =
    (name: string) =>
    (chunk: unknown, ...rest: unknown[]): boolean => {
      lines.push(`${name}: ${typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString("utf8")}`);
      const callback = rest.find((r): r is () => void => typeof r === "function");
      callback?.();
      return true;
    };
  process.stdout.write = grab("stdout") as typeof process.stdout.write;
  process.stderr.write = grab("stderr") as typeof process.stderr.write;
  let stopped = false;
  return {
    lines,
    line(text: string) {
      lines.push(text);
    },
    stop() {
      if (stopped) return;
      stopped = true;
      for (const [method, original] of originals) console[method] = original as never;
      process.stdout.write = stdoutWrite;
      process.stderr.write = stderrWrite;
    },
  };
}
