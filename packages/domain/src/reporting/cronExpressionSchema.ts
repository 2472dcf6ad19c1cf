import { z } from "zod";

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
const MACROS = new Set(["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"]);

interface FieldSpec {
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
}

/** minute, hour, day of month, month, day of week (0 and 7 are Sunday). */
const FIELDS: readonly FieldSpec[] = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12, names: MONTHS },
  { min: 0, max: 7, names: DAYS },
];

function value(text: string, spec: FieldSpec): number | undefined {
  const named = spec.names?.indexOf(text.toUpperCase()) ?? -1;
  if (named >= 0) return spec.names === MONTHS ? named + 1 : named;
  if (!/^\d{1,2}$/.test(text)) return undefined;
  const n = Number(text);
  return n >= spec.min && n <= spec.max ? n : undefined;
}

function validPart(part: string, spec: FieldSpec): boolean {
  const [range, step, ...rest] = part.split("/");
  if (rest.length > 0 || range === undefined || range === "") return false;
  if (step !== undefined && !(/^\d{1,2}$/.test(step) && Number(step) >= 1 && Number(step) <= spec.max)) return false;
  if (range === "*") return true;
  const bounds = range.split("-");
  if (bounds.length === 1) return value(range, spec) !== undefined;
  if (bounds.length !== 2) return false;
  const low = value(bounds[0] as string, spec);
  const high = value(bounds[1] as string, spec);
  return low !== undefined && high !== undefined && low <= high;
}

/** True when `expression` is a five-field cron expression (or a macro such as `@daily`). */
export function isValidCronExpression(expression: string): boolean {
  const text = expression.trim();
  if (MACROS.has(text)) return true;
  const fields = text.split(/\s+/);
  return fields.length === 5 && fields.every((field, i) => field.split(",").every((part) => validPart(part, FIELDS[i] as FieldSpec)));
}

/** A five-field cron expression (`0 6 * * MON`) or macro (`@daily`). */
export const CronExpressionSchema = z
  .string()
  .max(200)
  .refine(isValidCronExpression, "must be a five-field cron expression such as '0 6 * * MON' or a macro such as @daily");
