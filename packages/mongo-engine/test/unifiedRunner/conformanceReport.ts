import { type TestVerdict, type Verdict, VERDICTS } from "./unifiedRunner";

/** Verdict counts of one folder. */
export type FolderCounts = Record<Verdict, number>;

/** Counts verdicts per folder (in the given folder order) plus a total row. */
export function countVerdicts(byFolder: ReadonlyMap<string, readonly TestVerdict[]>): Map<string, FolderCounts> {
  const out = new Map<string, FolderCounts>();
  const total = Object.fromEntries(VERDICTS.map((v) => [v, 0])) as FolderCounts;
  for (const [folder, verdicts] of byFolder) {
    const counts = Object.fromEntries(VERDICTS.map((v) => [v, 0])) as FolderCounts;
    for (const { verdict } of verdicts) {
      counts[verdict] += 1;
      total[verdict] += 1;
    }
    out.set(folder, counts);
  }
  out.set("total", total);
  return out;
}

/** A Markdown table: one row per folder, one column per verdict. */
export function formatTable(counts: ReadonlyMap<string, FolderCounts>): string {
  const header = ["folder", "tests", "pass", "refused", "skipped (requirements)", "unsupported (runner)", "wrong"];
  const rows = [...counts].map(([folder, c]) => [
    folder,
    String(VERDICTS.reduce((n, v) => n + c[v], 0)),
    String(c.pass),
    String(c.refused),
    String(c.skipped),
    String(c.unsupported),
    String(c.wrong),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(" | ")} |`;
  return [line(header), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.map(line)].join("\n");
}

/** The tests with one verdict, grouped by reason: `reason (n): folder/file: test; ...`. */
export function listByReason(byFolder: ReadonlyMap<string, readonly TestVerdict[]>, verdict: Verdict): string[] {
  const groups = new Map<string, string[]>();
  for (const verdicts of byFolder.values()) {
    for (const v of verdicts) {
      if (v.verdict !== verdict) continue;
      const reason = v.reason ?? "";
      const list = groups.get(reason) ?? [];
      list.push(`${v.file}: ${v.test}`);
      groups.set(reason, list);
    }
  }
  return [...groups].sort((a, b) => b[1].length - a[1].length).map(([reason, tests]) => `${reason} (${tests.length}): ${tests.join("; ")}`);
}

/** How many tests each reason covers (no test names): `n × reason`, most frequent first. */
export function countReasons(byFolder: ReadonlyMap<string, readonly TestVerdict[]>, verdict: Verdict): string[] {
  const counts = new Map<string, number>();
  for (const verdicts of byFolder.values()) {
    for (const v of verdicts) {
      if (v.verdict !== verdict) continue;
      // Requirements list one reason per alternative; the first names the kind of mismatch well enough.
      const reason = (v.reason ?? "").split("; ")[0] as string;
      counts.set(reason, (counts.get(reason) ?? 0) + 1);
    }
  }
  return [...counts].sort((a, b) => b[1] - a[1]).map(([reason, n]) => `${n} × ${reason}`);
}
