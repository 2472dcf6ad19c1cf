import { describe, expect, it } from "vitest";
import { formatProgressLine, ProgressBar } from "./progressBar";

describe("formatProgressLine", () => {
  it("shows a bar, done/total, percent, rate and eta", () => {
    expect(formatProgressLine({ label: "writing", done: 12_000, total: 30_000, elapsedMs: 2_000, unit: "findings" })).toBe(
      "writing    [##########--------------]  12,000/30,000   40%  6,000/s  eta 3s",
    );
  });

  it("drops the eta when done, shows MB for bytes and only a count when the total is unknown", () => {
    expect(formatProgressLine({ label: "writing", done: 10, total: 10, elapsedMs: 1_000, unit: "findings" })).toBe(
      "writing    [########################]  10/10  100%  10/s",
    );
    expect(formatProgressLine({ label: "reading", done: 3 * 1_048_576, total: 6 * 1_048_576, elapsedMs: 1_000, unit: "bytes" })).toBe(
      "reading    [############------------]  3.0 MB/6.0 MB   50%  3.0 MB/s  eta 1s",
    );
    expect(formatProgressLine({ label: "reading", done: 500, elapsedMs: 0, unit: "findings" })).toBe("reading    500  0/s");
  });
});

describe("ProgressBar", () => {
  it("writes a line at most every 2 s to a log, and a final line unless the log already shows it", () => {
    let now = 0;
    const lines: string[] = [];
    const bar = new ProgressBar({
      label: "writing",
      total: 100,
      output: { write: (t: string) => lines.push(t), isTTY: false },
      now: () => now,
    });
    bar.update(10);
    now = 1_000;
    bar.update(20); // throttled
    now = 2_500;
    bar.update(30);
    bar.finish(100);
    bar.update(50); // after finish: ignored
    expect(lines.map((l) => l.match(/ (\d+)\/100/)?.[1])).toEqual(["10", "30", "100"]);
    expect(lines.every((l) => l.endsWith("\n"))).toBe(true);

    const again: string[] = [];
    const done = new ProgressBar({ label: "x", total: 5, output: { write: (t: string) => again.push(t), isTTY: false }, now: () => 0 });
    done.update(5);
    done.finish(5);
    expect(again).toHaveLength(1);
  });

  it("redraws one line in place on a terminal", () => {
    let now = 0;
    const writes: string[] = [];
    const bar = new ProgressBar({
      label: "writing",
      total: 4,
      output: { write: (t: string) => writes.push(t), isTTY: true },
      now: () => now,
    });
    bar.update(1);
    now = 150;
    bar.update(2);
    bar.finish(4);
    expect(writes).toHaveLength(3);
    expect(writes.every((w) => w.startsWith("\r\x1b[2K"))).toBe(true);
    expect(writes.slice(0, 2).some((w) => w.endsWith("\n"))).toBe(false);
    expect(writes[2]?.endsWith("\n")).toBe(true);
  });
});
