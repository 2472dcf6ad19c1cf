/** Small, total readers over untyped JSON: they never throw and turn blanks into `undefined`. */

/** A JSON object (not an array, not null). */
export type Json = Record<string, unknown>;

/** True for a plain JSON object. */
export function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The value at `path` of `value`, or `undefined` when any step is missing. */
export function at(value: unknown, ...path: readonly (string | number)[]): unknown {
  let current: unknown = value;
  for (const key of path) {
    if (typeof key === "number") {
      if (!Array.isArray(current)) return undefined;
      current = current[key];
    } else {
      if (!isObject(current)) return undefined;
      current = current[key];
    }
  }
  return current;
}

/** The object at `path`, or `undefined`. */
export function objectAt(value: unknown, ...path: readonly (string | number)[]): Json | undefined {
  const found = at(value, ...path);
  return isObject(found) ? found : undefined;
}

/** The array at `path` (empty when absent or not an array). */
export function arrayAt(value: unknown, ...path: readonly (string | number)[]): unknown[] {
  const found = at(value, ...path);
  return Array.isArray(found) ? found : [];
}

/** Trimmed non-empty text at `path` (numbers as text), or `undefined`. */
export function textAt(value: unknown, ...path: readonly (string | number)[]): string | undefined {
  return text(at(value, ...path));
}

/** A value as trimmed non-empty text (finite numbers and booleans as text), or `undefined`. */
export function text(value: unknown): string | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : undefined;
  if (typeof value === "boolean") return String(value);
  if (typeof value !== "string") return undefined;
  const trimmed = value.trim();
  return trimmed === "" ? undefined : trimmed;
}

/** The first non-empty text among `keys` of `value`. */
export function firstText(value: unknown, keys: readonly string[]): string | undefined {
  for (const key of keys) {
    const found = textAt(value, key);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Text cut to `max` characters (with an ellipsis) so that an over-long field does not cost the record. */
export function clip(value: string, max: number): string {
  return value.length <= max ? value : `${value.slice(0, max - 1)}…`;
}

/** An http(s) URL in normalized form, or `undefined`. */
export function httpUrl(value: string | undefined): string | undefined {
  if (value === undefined || !/^https?:\/\/[^\s]+$/i.test(value)) return undefined;
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A timestamp as a `Date`: ISO 8601 (with or without zone; without one it is read as UTC, as the tools
 * write UTC), `YYYY-MM-DD HH:MM:SS[.ffffff]`, `YYYY/MM/DD - HH:MM:SS`, RFC 1123 (`Wed, 05 May 2021 …`) or
 * Unix seconds/milliseconds. `undefined` for anything else.
 */
export function timestamp(value: unknown): Date | undefined {
  if (typeof value === "number" && Number.isFinite(value) && value > 0) {
    const date = new Date(value < 1e11 ? value * 1000 : value);
    return Number.isNaN(date.getTime()) ? undefined : date;
  }
  const raw = text(value);
  if (raw === undefined) return undefined;
  let candidate = raw;
  const humble = /^(\d{4})\/(\d{2})\/(\d{2}) - (\d{2}:\d{2}:\d{2})$/.exec(raw);
  if (humble) candidate = `${humble[1]}-${humble[2]}-${humble[3]}T${humble[4]}Z`;
  else if (/^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(raw)) candidate = `${raw.replace(" ", "T")}Z`;
  // Microseconds (Python's isoformat) are more than Date parses reliably: keep milliseconds.
  candidate = candidate.replace(/(\.\d{3})\d+/, "$1");
  const date = new Date(candidate);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** An integer in `[min, max]` from a number or numeric text, or `undefined`. */
export function integer(value: unknown, min: number, max: number): number | undefined {
  const n = typeof value === "number" ? value : typeof value === "string" && value.trim() !== "" ? Number(value) : Number.NaN;
  return Number.isInteger(n) && n >= min && n <= max ? n : undefined;
}
