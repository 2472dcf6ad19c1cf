import { isCspmError } from "@cspm/errors";
import { describe, expect, it } from "vitest";
import { assertTransition, canTransition, LIFECYCLE_STATUSES, LIFECYCLE_TRANSITIONS, sourcesOf } from "./lifecycle";

describe("LIFECYCLE_TRANSITIONS", () => {
  it("is exactly pending -> running|cancelled, running -> completed|failed|cancelled", () => {
    const legal = LIFECYCLE_STATUSES.flatMap((from) =>
      LIFECYCLE_STATUSES.filter((to) => canTransition(from, to)).map((to) => `${from}->${to}`),
    );
    expect(legal.sort()).toEqual(
      ["pending->running", "pending->cancelled", "running->completed", "running->failed", "running->cancelled"].sort(),
    );
    expect(Object.isFrozen(LIFECYCLE_TRANSITIONS)).toBe(true);
    expect(sourcesOf("cancelled")).toEqual(["pending", "running"]);
    expect(sourcesOf("pending")).toEqual([]);
  });

  it("assertTransition throws CONFLICT with details { from, to } for an illegal move", () => {
    expect(() => assertTransition("pending", "running")).not.toThrow();
    try {
      assertTransition("completed", "running", "job");
      expect.unreachable();
    } catch (error) {
      expect(isCspmError(error) && error.code).toBe("CONFLICT");
      expect(isCspmError(error) && error.details).toMatchObject({ from: "completed", to: "running" });
    }
  });
});
