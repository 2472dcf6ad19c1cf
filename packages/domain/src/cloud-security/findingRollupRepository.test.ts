import { describe, expect, it } from "vitest";
import { packAccounts } from "./findingRollupRepository";

describe("packAccounts", () => {
  it("cuts the accounts, in order, into groups of at most max findings; a larger account stands alone", () => {
    const sizes = new Map([
      ["a", 30],
      ["b", 30],
      ["c", 120],
      ["d", 10],
      ["e", 0],
      ["f", 50],
    ]);
    expect(packAccounts(["a", "b", "c", "d", "e", "f"], sizes, 60)).toEqual([["a", "b"], ["c"], ["d", "e", "f"]]);
    expect(packAccounts(["a", "b", "c", "d", "e", "f"], sizes, 1_000)).toEqual([["a", "b", "c", "d", "e", "f"]]);
    expect(packAccounts(["c", "a"], sizes, 60)).toEqual([["c"], ["a"]]);
  });

  it("keeps every account exactly once, unknown ones counted as empty", () => {
    const ids = Array.from({ length: 50 }, (_, i) => `acct-${i}`);
    const sizes = new Map(ids.map((id, i) => [id, (i * 37) % 23]));
    const groups = packAccounts([...ids, "unknown"], sizes, 40);
    expect(groups.flat()).toEqual([...ids, "unknown"]);
    for (const group of groups) {
      const held = group.reduce((n, id) => n + (sizes.get(id) ?? 0), 0);
      expect(group.length === 1 || held <= 40).toBe(true);
    }
    expect(packAccounts([], sizes, 40)).toEqual([]);
  });
});
