import { describe, expect, it } from "vitest";
import type { MigrationLogger } from "./migrationContext";
import { formatProgress, ProgressReporter } from "./progressReporter";

function capture(): { logger: MigrationLogger; lines: string[] } {
  const lines: string[] = [];
  return { lines, logger: { info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) } };
}

describe("formatProgress", () => {
  it("formats thousands and rounds the percentage down", () => {
    expect(formatProgress("0002-consolidate-cloud-accounts", 5_000, 12_000)).toBe("[0002-consolidate-cloud-accounts] 5,000/12,000 (41%)");
    expect(formatProgress("m", 0, 0)).toBe("[m] 0/0 (100%)");
    expect(formatProgress("m", 999, 1_000)).toBe("[m] 999/1,000 (99%)");
  });
});

describe("ProgressReporter", () => {
  it("writes the first line, then at most one per interval, and always the final line once", () => {
    let now = 0;
    const { logger, lines } = capture();
    const reporter = new ProgressReporter({ migrationId: "m", logger, intervalMs: 1_000, clock: () => now });
    reporter.report(0, 100);
    for (let done = 1; done < 100; done += 1) {
      now += 10; // 10 "ms" per unit: 990 ms over the whole loop
      reporter.report(done, 100);
    }
    reporter.report(100, 100);
    reporter.report(100, 100);
    expect(lines).toEqual(["[m] 0/100 (0%)", "[m] 100/100 (100%)"]);
  });

  it("writes again once the interval has passed", () => {
    let now = 0;
    const { logger, lines } = capture();
    const reporter = new ProgressReporter({ migrationId: "m", logger, intervalMs: 100, clock: () => now });
    reporter.report(1, 10);
    now = 50;
    reporter.report(2, 10);
    now = 150;
    reporter.report(3, 10);
    expect(lines).toEqual(["[m] 1/10 (10%)", "[m] 3/10 (30%)"]);
  });

  it("starts a new phase when the count goes back down", () => {
    const { logger, lines } = capture();
    const reporter = new ProgressReporter({ migrationId: "m", logger, intervalMs: 1_000_000, clock: () => 0 });
    reporter.report(0, 2);
    reporter.report(2, 2);
    reporter.report(0, 3);
    reporter.report(3, 3);
    expect(lines).toEqual(["[m] 0/2 (0%)", "[m] 2/2 (100%)", "[m] 0/3 (0%)", "[m] 3/3 (100%)"]);
  });

  it("ignores nonsense input", () => {
    const { logger, lines } = capture();
    const reporter = new ProgressReporter({ migrationId: "m", logger });
    reporter.report(Number.NaN, 3);
    reporter.report(-1, 3);
    expect(lines).toEqual([]);
  });
});
