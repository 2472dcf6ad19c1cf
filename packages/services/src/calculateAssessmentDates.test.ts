import { isCspmError } from "@cspm/errors";
import { describe, expect, it } from "vitest";
import { addUtcMonthsClamped, calculateAssessmentDates, DEFAULT_GRACE_DAYS } from "./calculateAssessmentDates";

const iso = (d: Date): string => d.toISOString();

describe("calculateAssessmentDates", () => {
  it.each([
    // frequency, start, period_end, due_date (default 14 grace days)
    ["monthly", "2024-01-01", "2024-01-31T23:59:59.999Z", "2024-02-14T23:59:59.999Z"],
    ["monthly", "2023-01-31", "2023-02-27T23:59:59.999Z", "2023-03-13T23:59:59.999Z"], // Jan 31 + 1 month = Feb 28
    ["monthly", "2024-01-31", "2024-02-28T23:59:59.999Z", "2024-03-13T23:59:59.999Z"], // leap: Jan 31 + 1 month = Feb 29
    ["monthly", "2024-02-01", "2024-02-29T23:59:59.999Z", "2024-03-14T23:59:59.999Z"], // whole leap February
    ["monthly", "2023-02-01", "2023-02-28T23:59:59.999Z", "2023-03-14T23:59:59.999Z"],
    ["monthly", "2024-12-15", "2025-01-14T23:59:59.999Z", "2025-01-28T23:59:59.999Z"], // year boundary
    ["quarterly", "2024-01-01", "2024-03-31T23:59:59.999Z", "2024-04-14T23:59:59.999Z"],
    ["quarterly", "2023-11-30", "2024-02-28T23:59:59.999Z", "2024-03-13T23:59:59.999Z"], // Nov 30 + 3 = Feb 29 (leap)
    ["quarterly", "2022-11-30", "2023-02-27T23:59:59.999Z", "2023-03-13T23:59:59.999Z"], // Nov 30 + 3 = Feb 28
    ["annual", "2024-01-01", "2024-12-31T23:59:59.999Z", "2025-01-14T23:59:59.999Z"],
    ["annual", "2024-02-29", "2025-02-27T23:59:59.999Z", "2025-03-13T23:59:59.999Z"], // Feb 29 + 1 year = Feb 28
    ["annual", "2023-03-01", "2024-02-29T23:59:59.999Z", "2024-03-14T23:59:59.999Z"], // period ends on a leap day
  ] as const)("%s from %s ends %s, due %s", (frequency, start, end, due) => {
    const dates = calculateAssessmentDates({ frequency, startDate: start });
    expect(iso(dates.period_start)).toBe(`${start}T00:00:00.000Z`);
    expect(iso(dates.period_end)).toBe(end);
    expect(iso(dates.due_date)).toBe(due);
  });

  it("uses the UTC calendar day of the start instant and ignores its time", () => {
    const dates = calculateAssessmentDates({ frequency: "monthly", startDate: new Date("2024-03-10T23:30:00-05:00") });
    // 23:30 at UTC-5 is 04:30 UTC on March 11.
    expect(iso(dates.period_start)).toBe("2024-03-11T00:00:00.000Z");
    expect(iso(dates.period_end)).toBe("2024-04-10T23:59:59.999Z");
  });

  it("accepts ISO date-time text with an offset", () => {
    const dates = calculateAssessmentDates({ frequency: "quarterly", startDate: "2024-04-01T12:00:00Z" });
    expect(iso(dates.period_start)).toBe("2024-04-01T00:00:00.000Z");
    expect(iso(dates.period_end)).toBe("2024-06-30T23:59:59.999Z");
  });

  it("makes consecutive periods adjoin without gap or overlap", () => {
    let start = new Date("2024-01-01T00:00:00.000Z");
    for (let i = 0; i < 24; i += 1) {
      const dates = calculateAssessmentDates({ frequency: "monthly", startDate: start });
      expect(dates.period_start.getTime()).toBe(start.getTime());
      start = new Date(dates.period_end.getTime() + 1);
      expect(start.getUTCDate()).toBe(1);
      expect(start.getUTCHours()).toBe(0);
    }
    expect(iso(start)).toBe("2026-01-01T00:00:00.000Z");
  });

  it("applies the grace period and keeps due_date >= period_end", () => {
    const none = calculateAssessmentDates({ frequency: "monthly", startDate: "2024-05-01", graceDays: 0 });
    expect(none.due_date.getTime()).toBe(none.period_end.getTime());
    const thirty = calculateAssessmentDates({ frequency: "monthly", startDate: "2024-05-01", graceDays: 30 });
    expect(iso(thirty.due_date)).toBe("2024-06-30T23:59:59.999Z");
    const byDefault = calculateAssessmentDates({ frequency: "monthly", startDate: "2024-05-01" });
    expect(byDefault.due_date.getTime() - byDefault.period_end.getTime()).toBe(DEFAULT_GRACE_DAYS * 86_400_000);
  });

  it.each([
    [{ frequency: "weekly", startDate: "2024-01-01" }, "frequency"],
    [{ frequency: "monthly", startDate: "not a date" }, "startDate"],
    [{ frequency: "monthly", startDate: new Date("invalid") }, "startDate"],
    [{ frequency: "monthly", startDate: "2024-02-30" }, "startDate"],
    [{ frequency: "monthly" }, "startDate"],
    [{ frequency: "monthly", startDate: "2024-01-01", graceDays: -1 }, "graceDays"],
    [{ frequency: "monthly", startDate: "2024-01-01", graceDays: 1.5 }, "graceDays"],
    [{ frequency: "monthly", startDate: "2024-01-01", extra: true }, ""],
  ])("rejects %o with VALIDATION_FAILED at %s", (input, path) => {
    try {
      calculateAssessmentDates(input as never);
      expect.unreachable("should have thrown");
    } catch (error) {
      expect(isCspmError(error) && error.code).toBe("VALIDATION_FAILED");
      const issues = (isCspmError(error) ? error.details?.issues : []) as Array<{ path: string }>;
      expect(issues.map((i) => i.path)).toContain(path);
    }
  });
});

describe("addUtcMonthsClamped", () => {
  it.each([
    ["2023-01-31", 1, "2023-02-28"],
    ["2024-01-31", 1, "2024-02-29"],
    ["2024-03-31", 1, "2024-04-30"],
    ["2024-08-31", 1, "2024-09-30"],
    ["2024-12-31", 2, "2025-02-28"],
    ["2024-05-31", -3, "2024-02-29"],
    ["2024-01-15", 24, "2026-01-15"],
  ] as const)("%s + %i months = %s", (from, months, to) => {
    expect(iso(addUtcMonthsClamped(new Date(`${from}T00:00:00Z`), months))).toBe(`${to}T00:00:00.000Z`);
  });
});
