import { describe, expect, it } from "vitest";
import { LoadFence } from "./loadFence";

describe("LoadFence", () => {
  it("tells a load whether any of its names was invalidated after it began", () => {
    const fence = new LoadFence();
    const early = fence.begin();
    fence.invalidated(["t:a"]);
    const late = fence.begin();
    expect(fence.unchangedSince(early, ["t:a"])).toBe(false);
    expect(fence.unchangedSince(early, ["t:b", "k:x"])).toBe(true);
    expect(fence.unchangedSince(late, ["t:a"])).toBe(true);
    fence.invalidated(["k:x"]);
    expect(fence.unchangedSince(late, ["t:b", "k:x"])).toBe(false);
    fence.end();
    fence.end();
  });

  it("remembers nothing while no load runs, and forgets everything when the last one ends", () => {
    const fence = new LoadFence();
    fence.invalidated(["t:a"]);
    const ticket = fence.begin();
    expect(fence.unchangedSince(ticket, ["t:a"])).toBe(true);
    fence.invalidated(["t:a"]);
    fence.end();
    const next = fence.begin();
    // A fresh load after the map was cleared is unaffected by what happened before it.
    expect(fence.unchangedSince(next, ["t:a"])).toBe(true);
    fence.end();
  });
});
