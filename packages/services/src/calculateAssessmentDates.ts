import { ValidationError, issuesFromZod } from "@cspm/errors";
import { z } from "zod";

/** How often an assessment recurs, and so how long one period is. */
export type AssessmentFrequency = "monthly" | "quarterly" | "annual";

/** Calendar months per period for each frequency. */
export const MONTHS_PER_PERIOD: Readonly<Record<AssessmentFrequency, number>> = Object.freeze({ monthly: 1, quarterly: 3, annual: 12 });

/** Days between the end of a period and the assessment's due date, unless `graceDays` says otherwise. */
export const DEFAULT_GRACE_DAYS = 14;

/** Input of `calculateAssessmentDates`. */
export interface AssessmentDatesInput {
  readonly frequency: AssessmentFrequency;
  /** Any instant of the first day of the period (a `Date` or ISO-8601 text); only its UTC calendar day counts. */
  readonly startDate: Date | string;
  /** Whole days from `period_end` to `due_date`, 0–365. Default `DEFAULT_GRACE_DAYS` (14). */
  readonly graceDays?: number;
}

/** The dates of one assessment period, all UTC. */
export interface AssessmentDates {
  /** 00:00:00.000 UTC of the start day. */
  readonly period_start: Date;
  /** The last millisecond of the period: 23:59:59.999 UTC of its last day. */
  readonly period_end: Date;
  /** `period_end` plus the grace days: 23:59:59.999 UTC of the due day. */
  readonly due_date: Date;
}

const DAY_MS = 86_400_000;

const InputSchema = z.strictObject({
  frequency: z.enum(["monthly", "quarterly", "annual"]),
  startDate: z.union(
    [
      z.date({ error: "must be a valid date" }),
      z.iso.datetime({ offset: true }).transform((text) => new Date(text)),
      z.iso.date().transform((text) => new Date(`${text}T00:00:00.000Z`)),
    ],
    { error: "must be a calendar date (YYYY-MM-DD) or an ISO-8601 date-time with offset, e.g. 2024-07-01" },
  ),
  graceDays: z.number().int().min(0).max(365).optional(),
});

function daysInUtcMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
}

/**
 * Midnight UTC of the same day-of-month `months` later, clamped to the last day of the target month, so
 * Jan 31 + 1 month is Feb 28 (Feb 29 in a leap year) rather than JavaScript's overflow into March.
 */
export function addUtcMonthsClamped(date: Date, months: number): Date {
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth() + months;
  const targetYear = year + Math.floor(month / 12);
  const targetMonth = ((month % 12) + 12) % 12;
  const day = Math.min(date.getUTCDate(), daysInUtcMonth(targetYear, targetMonth));
  return new Date(Date.UTC(targetYear, targetMonth, day));
}

/**
 * The period and due date of an assessment, in UTC and month-end safe. The period is the half-open interval
 * `[period_start, period_start + N months)` where N is 1 (monthly), 3 (quarterly) or 12 (annual) and month
 * addition clamps to the end of the target month (Jan 31 + 1 month = Feb 28/29); `period_end` is that
 * boundary minus 1 ms, i.e. 23:59:59.999 UTC of the period's last day, so consecutive periods neither
 * overlap nor leave a gap. `due_date = period_end + graceDays` (default 14). Throws `VALIDATION_FAILED`
 * for an unknown frequency, an invalid date or a grace period outside 0–365 days.
 * @example calculateAssessmentDates({ frequency: "monthly", startDate: "2024-01-01" })
 * // { period_start: 2024-01-01T00:00:00.000Z, period_end: 2024-01-31T23:59:59.999Z, due_date: 2024-02-14T23:59:59.999Z }
 */
export function calculateAssessmentDates(input: AssessmentDatesInput): AssessmentDates {
  const parsed = InputSchema.safeParse(input);
  if (!parsed.success) {
    const issues = issuesFromZod(parsed.error);
    throw new ValidationError(`Invalid assessment dates input: ${issues.map((i) => `${i.path} ${i.message}`).join("; ")}.`, issues);
  }
  const { frequency, startDate, graceDays = DEFAULT_GRACE_DAYS } = parsed.data;
  if (Number.isNaN(startDate.getTime())) {
    throw new ValidationError("Invalid assessment dates input: startDate is not a valid date.", [
      { path: "startDate", message: "must be a valid date" },
    ]);
  }
  const periodStart = new Date(Date.UTC(startDate.getUTCFullYear(), startDate.getUTCMonth(), startDate.getUTCDate()));
  const nextStart = addUtcMonthsClamped(periodStart, MONTHS_PER_PERIOD[frequency]);
  const periodEnd = new Date(nextStart.getTime() - 1);
  return { period_start: periodStart, period_end: periodEnd, due_date: new Date(periodEnd.getTime() + graceDays * DAY_MS) };
}
