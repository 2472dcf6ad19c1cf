/**
 * Validation messages say what is wrong — the field, the limit, the expected format — instead of zod's
 * generic "Invalid input" or a type message for a length problem.
 */
import { isCspmError } from "@cspm/errors";
import { parseInput, stringInput } from "@cspm/repository";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { calculateAssessmentDates } from "./calculateAssessmentDates";

function issuesOf(fn: () => unknown): { path: string; message: string }[] {
  try {
    fn();
  } catch (error) {
    if (isCspmError(error)) return (error.details?.["issues"] ?? []) as { path: string; message: string }[];
    throw error;
  }
  throw new Error("expected VALIDATION_FAILED");
}

describe("input messages", () => {
  const Name = z.strictObject({ name: stringInput().trim().min(1).max(200) });

  it("names the length limit of a string, not its type", () => {
    expect(issuesOf(() => parseInput(Name, { name: "x".repeat(256) }, ""))).toEqual([
      { path: "name", message: "must be at most 200 characters" },
    ]);
    expect(issuesOf(() => parseInput(Name, { name: "   " }, ""))).toEqual([{ path: "name", message: "must not be empty" }]);
    expect(issuesOf(() => parseInput(Name, { name: 5 }, ""))).toEqual([{ path: "name", message: "must be a string" }]);
    expect(issuesOf(() => parseInput(Name, {}, ""))).toEqual([{ path: "name", message: "is required" }]);
  });

  it("names the expected date format", () => {
    const [issue] = issuesOf(() => calculateAssessmentDates({ frequency: "monthly", startDate: "2024-13-45" }));
    expect(issue?.path).toBe("startDate");
    expect(issue?.message).toContain("YYYY-MM-DD");
  });
});
