import type { Document } from "bson";
import { isPlainDocument, type StringCollation, toNumber } from "./bsonOrder";
import { CommandError, notImplemented } from "./commandError";

/**
 * Collations (`{locale, strength, caseLevel, caseFirst, numericOrdering, ...}`) on `Intl.Collator`,
 * which wraps the same ICU library mongod uses. What ICU options `Intl.Collator` cannot express
 * exactly (strength 4 and 5, `alternate: "shifted"`, `backwards`, `normalization`, a case level
 * above strength 1) is refused with 238 naming the option, never approximated.
 *
 * Hashing (index keys, `$in` sets, `$group`/`distinct` keys) needs a key that is equal exactly when
 * the collation holds two strings equal; `Intl.Collator` has no sort keys, so each collation keeps
 * the equivalence classes it has seen in a sorted list and names a string by its class (binary
 * search with the collator, so it is exact).
 */

const FIELDS = new Set([
  "locale",
  "caseLevel",
  "caseFirst",
  "strength",
  "numericOrdering",
  "alternate",
  "maxVariable",
  "normalization",
  "backwards",
  "version",
]);

/** ICU version mongod 7.0 reports for its collations. */
const ICU_VERSION = "57.1";

/** A (non-simple) collation: its spec as mongod reports it, plus string order and keys. */
export class Collation implements StringCollation {
  /** The full spec as mongod reports it (`listIndexes`, `explain`). */
  readonly spec: Document;
  /** Identity of the collation (equal for equal specs). */
  readonly id: string;
  private readonly collator: Intl.Collator;
  private readonly classes: string[] = [];
  private readonly classIds: number[] = [];

  constructor(spec: Document, collator: Intl.Collator) {
    this.spec = spec;
    this.id = JSON.stringify(spec);
    this.collator = collator;
  }

  compare(a: string, b: string): number {
    if (a === b) return 0;
    return this.collator.compare(a, b);
  }

  key(value: string): string {
    const classes = this.classes;
    let lo = 0;
    let hi = classes.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const c = this.collator.compare(classes[mid] as string, value);
      if (c === 0) return String(this.classIds[mid]);
      if (c < 0) lo = mid + 1;
      else hi = mid;
    }
    const id = classes.length;
    classes.splice(lo, 0, value);
    this.classIds.splice(lo, 0, id);
    return String(id);
  }
}

const cache = new Map<string, Collation>();

function bool(spec: Document, field: string): boolean {
  const value = spec[field];
  if (value === undefined) return false;
  if (typeof value !== "boolean") {
    throw new CommandError(14, `BSON field 'collation.${field}' is the wrong type '${typeof value}', expected type 'bool'`);
  }
  return value;
}

function choice(spec: Document, field: string, allowed: readonly string[], fallback: string): string {
  const value = spec[field];
  if (value === undefined) return fallback;
  if (typeof value !== "string" || !allowed.includes(value)) {
    throw new CommandError(2, `Field '${field}' must be one of ${allowed.map((a) => `'${a}'`).join(", ")} in: ${JSON.stringify(spec)}`, {
      codeName: "BadValue",
    });
  }
  return value;
}

/**
 * Parses a `collation` option: `undefined` for none or `{locale: "simple"}`, else the collation.
 *
 * @throws 40415/14/2 for malformed specs (as mongod), 238 for options Intl.Collator cannot honour.
 */
export function parseCollation(value: unknown): Collation | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isPlainDocument(value)) throw new CommandError(14, "BSON field 'collation' is the wrong type, expected type 'object'");
  for (const key of Object.keys(value)) {
    if (!FIELDS.has(key)) throw new CommandError(40415, `BSON field 'collation.${key}' is an unknown field.`);
  }
  const locale = value.locale;
  if (typeof locale !== "string") throw new CommandError(40414, "BSON field 'collation.locale' is missing but a required field");
  if (locale === "simple") {
    if (Object.keys(value).length > 1) {
      throw new CommandError(2, `If "locale" is set to "simple", then no other fields may be set: ${JSON.stringify(value)}`, {
        codeName: "BadValue",
      });
    }
    return undefined;
  }
  const strength = value.strength === undefined ? 3 : toNumber(value.strength);
  if (!Number.isInteger(strength) || strength < 1 || strength > 5) {
    throw new CommandError(2, `Field 'strength' must be an integer 1 through 5. Got: ${String(value.strength)}`, { codeName: "BadValue" });
  }
  const caseLevel = bool(value, "caseLevel");
  const numericOrdering = bool(value, "numericOrdering");
  const normalization = bool(value, "normalization");
  const backwards = bool(value, "backwards");
  const caseFirst = choice(value, "caseFirst", ["upper", "lower", "off"], "off");
  const alternate = choice(value, "alternate", ["non-ignorable", "shifted"], "non-ignorable");
  const maxVariable = choice(value, "maxVariable", ["punct", "space"], "punct");
  const spec: Document = {
    locale,
    caseLevel,
    caseFirst,
    strength,
    numericOrdering,
    alternate,
    maxVariable,
    normalization,
    backwards,
    version: ICU_VERSION,
  };
  const id = JSON.stringify(spec);
  const known = cache.get(id);
  if (known) return known;
  if (strength > 3) throw notImplemented(`collation strength ${strength} (Intl.Collator compares up to tertiary strength)`);
  if (alternate === "shifted") throw notImplemented(`collation alternate "shifted"`);
  if (backwards) throw notImplemented("collation backwards: true");
  if (normalization) throw notImplemented("collation normalization: true");
  if (caseLevel && strength > 1) throw notImplemented(`collation caseLevel: true with strength ${strength}`);
  const tag = locale.replace(/_/g, "-");
  let supported: string[];
  try {
    supported = Intl.Collator.supportedLocalesOf([tag]);
  } catch {
    supported = [];
  }
  if (supported.length === 0 && locale !== "root") {
    throw new CommandError(2, `Field 'locale' is invalid in: { locale: "${locale}" }`, { codeName: "BadValue" });
  }
  const sensitivity = strength === 1 ? (caseLevel ? "case" : "base") : strength === 2 ? "accent" : "variant";
  const collator = new Intl.Collator(locale === "root" ? "und" : tag, {
    usage: "sort",
    sensitivity,
    numeric: numericOrdering,
    caseFirst: caseFirst === "off" ? "false" : (caseFirst as "upper" | "lower"),
    ignorePunctuation: false,
  });
  const collation = new Collation(spec, collator);
  cache.set(id, collation);
  return collation;
}

/** Whether two optional collations are the same (both simple, or equal specs). */
export function sameCollation(a: Collation | undefined, b: Collation | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && a.id === b.id);
}

/** Whether a value (deeply) holds a string, so that comparing it depends on the collation. */
export function containsString(value: unknown): boolean {
  if (typeof value === "string") return true;
  if (Array.isArray(value)) return value.some(containsString);
  if (isPlainDocument(value)) return Object.values(value).some(containsString);
  return false;
}

/**
 * Evaluation options (mingo's) carry the command's collation in mingo's own `collation` field, so it
 * survives mingo's per-evaluation wrappers; mingo itself only reads specs with a string `locale`.
 */
export const COLLATION_OPTION = "collation";

/** The collation an evaluation runs under (`undefined` = simple). */
export function collationOf(options: unknown): Collation | undefined {
  const value = (options as { collation?: unknown } | undefined)?.collation;
  return value instanceof Collation ? value : undefined;
}

/**
 * Operators and stages that compare values but that the engine evaluates without the command's
 * collation (mingo's implementations): refused under a non-simple collation instead of answering
 * by simple (binary) comparison.
 */
const COLLATION_UNAWARE = new Set([
  "$setEquals",
  "$setIntersection",
  "$setUnion",
  "$setDifference",
  "$setIsSubset",
  "$indexOfArray",
  "$sortArray",
  "$bucket",
  "$bucketAuto",
  "$graphLookup",
  "$setWindowFields",
  "$top",
  "$bottom",
  "$topN",
  "$bottomN",
  "$minN",
  "$maxN",
]);

function unawareOperator(value: unknown): string | undefined {
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = unawareOperator(item);
      if (found) return found;
    }
    return undefined;
  }
  if (!isPlainDocument(value)) return undefined;
  for (const [key, child] of Object.entries(value)) {
    if (COLLATION_UNAWARE.has(key)) return key;
    const found = unawareOperator(child);
    if (found) return found;
  }
  return undefined;
}

/** Refuses (238) a pipeline or expression under a collation when it uses an operator evaluated without it. */
export function assertCollationAware(value: unknown, where: string): void {
  const found = unawareOperator(value);
  if (found) throw notImplemented(`${found} under a non-simple collation (in ${where})`);
}
