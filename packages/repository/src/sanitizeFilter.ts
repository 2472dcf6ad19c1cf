import { type FieldIssue, ValidationError } from "@cspm/errors";
import { isPlainObject } from "@cspm/registry";

export { isPlainObject };
import type { Document } from "mongodb";

/** Operators that run server-side JavaScript; refused in every filter, update, projection and pipeline. */
export const FORBIDDEN_OPERATORS: ReadonlySet<string> = new Set(["$where", "$function", "$accumulator"]);
/** Keys that could reach an object's prototype; refused at any depth of any input. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);
/** Deepest nesting accepted in code-written filters, updates, pipelines and stored free-form data. */
export const MAX_QUERY_DEPTH = 32;
/** Longest string accepted as a value in an untrusted filter. */
export const MAX_FILTER_STRING_LENGTH = 10_000;
/** Most values accepted in one "any of" array of an untrusted filter. */
export const MAX_FILTER_ARRAY_LENGTH = 1_000;

const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_FIELD_NAME_LENGTH = 128;

/** Options of `sanitizeFilter`. */
export interface SanitizeFilterOptions {
  /** Only these field names may be filtered on; any other -> `VALIDATION_FAILED`. */
  readonly allowedFields?: Iterable<string>;
  /** Longest accepted string value (default 10,000). */
  readonly maxStringLength?: number;
  /** Most values in one array (default 1,000). */
  readonly maxArrayLength?: number;
}

function fail(message: string, path: string, issueMessage = message): never {
  throw new ValidationError(message, [{ path, message: issueMessage }]);
}

/**
 * The BSON type of a real BSON value (`"ObjectId"`, `"Decimal128"` …). Read by `_bsontype` so values from
 * another copy of `bson` count, but never for a plain object: JSON such as `{"_bsontype":"ObjectId"}` is data,
 * not an ObjectId, and must be refused as input rather than fail later in serialisation.
 */
export function bsonType(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null || isPlainObject(value)) return undefined;
  const type = (value as { _bsontype?: unknown })._bsontype;
  return typeof type === "string" ? type : undefined;
}

/** Why `key` cannot come from untrusted input as a field name, or `undefined` when it can. */
function untrustedKeyProblem(key: string): string | undefined {
  if (key.startsWith("$")) return "operators are not allowed in this filter";
  if (key.includes(".")) return "dotted paths are not allowed in this filter";
  if (FORBIDDEN_KEYS.has(key)) return `"${key}" is not allowed as a field name`;
  if (key.length > MAX_FIELD_NAME_LENGTH || !FIELD_NAME.test(key)) return "is not a valid field name";
  return undefined;
}

function sanitizeScalar(value: unknown, path: string, maxStringLength: number): unknown {
  switch (typeof value) {
    case "string":
      if (value.length > maxStringLength) fail(`Filter value is longer than ${maxStringLength} characters.`, path, "too long");
      return value;
    case "number":
      if (!Number.isFinite(value)) fail("Filter numbers must be finite.", path, "must be a finite number");
      return value;
    case "boolean":
      return value;
    case "object": {
      if (value === null) return null;
      if (value instanceof Date) {
        if (Number.isNaN(value.getTime())) fail("Filter dates must be valid.", path, "invalid date");
        return value;
      }
      if (bsonType(value) === "ObjectId") return value;
      return fail(
        "Filters from input accept only plain values (no nested objects or operators); build operator queries in code with trustedFilter().",
        path,
        "nested objects and operators are not allowed",
      );
    }
    default:
      return fail("Unsupported filter value.", path, `values of type ${typeof value} are not allowed`);
  }
}

/**
 * Turns untrusted data (a request's query or body) into a safe equality filter: keys must be plain
 * field names (no leading `$`, no `.`, no `__proto__`/`constructor`/`prototype`, optionally one of
 * `allowedFields`); values must be strings (at most 10,000 characters), finite numbers, booleans, null,
 * dates or ObjectIds, or an array of those meaning "any of" (`$in`). Nested objects — and so every
 * operator such as `{"$ne": null}` — are rejected; `undefined` values are dropped.
 * Throws `VALIDATION_FAILED` naming the offending path.
 * @example sanitizeFilter({ status: "FAIL", severity: ["high", "critical"] }) // { status: "FAIL", severity: { $in: [...] } }
 */
export function sanitizeFilter(untrusted: unknown, options: SanitizeFilterOptions = {}): Document {
  if (untrusted === undefined || untrusted === null) return {};
  if (!isPlainObject(untrusted)) fail("A filter must be a plain object of field values.", "", "must be a plain object");
  const allowed = options.allowedFields === undefined ? undefined : toSet(options.allowedFields);
  const maxStringLength = options.maxStringLength ?? MAX_FILTER_STRING_LENGTH;
  const maxArrayLength = options.maxArrayLength ?? MAX_FILTER_ARRAY_LENGTH;
  const clean: Document = {};
  for (const key of Object.keys(untrusted)) {
    const problem = untrustedKeyProblem(key);
    if (problem !== undefined) fail(`Filter key "${truncate(key)}" is not allowed: ${problem}.`, key, problem);
    if (allowed !== undefined && !allowed.has(key)) fail(`Unknown filter field "${key}".`, key, "unknown field");
    const value = untrusted[key];
    if (value === undefined) continue;
    if (Array.isArray(value)) {
      if (value.length > maxArrayLength) fail(`A filter list may hold at most ${maxArrayLength} values.`, key, "too many values");
      clean[key] = { $in: value.map((item, index) => sanitizeScalar(item, `${key}.${index}`, maxStringLength)) };
    } else {
      clean[key] = sanitizeScalar(value, key, maxStringLength);
    }
  }
  return clean;
}

const setCache = new WeakMap<object, ReadonlySet<string>>();
function toSet(fields: Iterable<string>): ReadonlySet<string> {
  if (fields instanceof Set) return fields as ReadonlySet<string>;
  const cached = setCache.get(fields);
  if (cached) return cached;
  const set = new Set(fields);
  setCache.set(fields, set);
  return set;
}

function truncate(text: string): string {
  return text.length > 64 ? `${text.slice(0, 64)}…` : text;
}

/**
 * Checks a code-written MongoDB expression (filter, update, projection, pipeline) at every depth:
 * `$where`, `$function`, `$accumulator`, server-side `Code` values and `__proto__`/`constructor`/
 * `prototype` keys are refused, and nesting deeper than 32 levels. Throws `VALIDATION_FAILED`.
 */
export function assertSafeExpression(value: unknown, path = "", depth = 0): void {
  if (typeof value !== "object" || value === null) {
    if (typeof value === "function") fail("Functions are not allowed in queries.", path, "functions are not allowed");
    return;
  }
  if (depth > MAX_QUERY_DEPTH) fail(`Queries may nest at most ${MAX_QUERY_DEPTH} levels.`, path, "nested too deeply");
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) assertSafeExpression(value[i], path === "" ? String(i) : `${path}.${i}`, depth + 1);
    return;
  }
  if (!isPlainObject(value)) {
    const type = bsonType(value);
    if (type === "Code") fail("Server-side JavaScript is not allowed.", path, "Code values are not allowed");
    return; // Date, ObjectId, RegExp, Binary …: leaves
  }
  for (const key of Object.keys(value)) {
    const keyPath = path === "" ? key : `${path}.${key}`;
    if (FORBIDDEN_OPERATORS.has(key)) fail(`The ${key} operator is not allowed.`, keyPath, "operator not allowed");
    if (FORBIDDEN_KEYS.has(key)) fail(`"${key}" is not allowed as a key.`, keyPath, "key not allowed");
    assertSafeExpression(value[key], keyPath, depth + 1);
  }
}

/**
 * Checks data about to be stored (free-form parts of a document): every key at every depth must be a
 * storable field name — no leading `$`, no `.`, no NUL, not `__proto__`/`constructor`/`prototype` — and
 * nesting is bounded. Returns the problems found (empty when safe; at most 20); never throws.
 */
export function storedDataIssues(value: unknown, path = "", depth = 0, issues: FieldIssue[] = []): FieldIssue[] {
  if (typeof value !== "object" || value === null) return issues;
  const segments: string[] = path === "" ? [] : [path];
  scanStored(value, segments, depth, issues);
  return issues;
}

function storedKeyProblem(key: string): string | undefined {
  if (key.startsWith("$")) return "keys must not start with '$'";
  if (key.includes(".")) return "keys must not contain '.'";
  if (key.includes("\0")) return "keys must not contain NUL";
  if (FORBIDDEN_KEYS.has(key)) return `key "${key}" is not allowed`;
  return undefined;
}

/** The walk behind `storedDataIssues`; paths are joined only when a problem is found (the hot path allocates nothing). */
function scanStored(value: object, segments: string[], depth: number, issues: FieldIssue[]): void {
  if (issues.length >= 20) return;
  if (depth > MAX_QUERY_DEPTH) {
    issues.push({ path: segments.join("."), message: `nested deeper than ${MAX_QUERY_DEPTH} levels` });
    return;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      if (typeof item !== "object" || item === null) continue;
      segments.push(String(i));
      scanStored(item, segments, depth + 1, issues);
      segments.pop();
    }
    return;
  }
  if (!isPlainObject(value)) return;
  for (const key of Object.keys(value)) {
    const problem = storedKeyProblem(key);
    if (problem !== undefined) {
      issues.push({ path: [...segments, key].join("."), message: problem });
      continue;
    }
    const child = value[key];
    if (typeof child !== "object" || child === null) continue;
    segments.push(key);
    scanStored(child, segments, depth + 1, issues);
    segments.pop();
  }
}
