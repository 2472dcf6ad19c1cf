import type { Document } from "bson";
import type { Options, QueryOperator } from "mingo/core";
import {
  BSON_TYPE_CODES,
  bsonEquals,
  bsonTypeName,
  canonicalKey,
  compareBsonValues,
  isPlainDocument,
  toNumber,
  typeRank,
  TYPE_RANK,
} from "./bsonOrder";
import { badValue, CommandError, notImplemented } from "./commandError";
import { type Collation, collationOf } from "./collation";
import { MingoQuery } from "./mingoClasses";
import { collectPathValues } from "./pathValues";

type Predicate = (doc: Document) => boolean;

function isNullish(value: unknown): boolean {
  return (
    value === null || value === undefined || (typeof value === "object" && (value as { _bsontype?: string })._bsontype === "Undefined")
  );
}

function regexTest(re: RegExp, candidate: unknown): boolean {
  if (typeof candidate === "string") {
    re.lastIndex = 0;
    return re.test(candidate);
  }
  if (candidate instanceof RegExp) return candidate.source === re.source && candidate.flags === re.flags;
  return false;
}

/** Builds the `$eq` test for one value (null matches missing, arrays match by element or whole). */
function equalityMatcher(selector: string, value: unknown, collation?: Collation): Predicate {
  const parts = selector.split(".");
  if (isNullish(value)) {
    return (doc) => {
      const found = collectPathValues(doc, parts);
      return found.missing || found.values.some(isNullish);
    };
  }
  if (parts.length === 1 && typeof value !== "object") {
    const field = parts[0] as string;
    return (doc) => {
      const v = Object.hasOwn(doc, field) ? doc[field] : undefined;
      if (v === value) return true;
      if (v === undefined || v === null) return false;
      if (Array.isArray(v)) return v.some((el) => bsonEquals(el, value, collation));
      return bsonEquals(v, value, collation);
    };
  }
  return (doc) => collectPathValues(doc, parts).values.some((v) => bsonEquals(v, value, collation));
}

function comparisonMatcher(
  selector: string,
  value: unknown,
  test: (c: number) => boolean,
  inclusive: boolean,
  collation: Collation | undefined,
): Predicate {
  const parts = selector.split(".");
  if (value instanceof RegExp) throw badValue(`Can't have RegEx as arg to predicate over field '${selector}'.`);
  if (isNullish(value)) {
    if (!inclusive) return () => false;
    return equalityMatcher(selector, null);
  }
  const rank = typeRank(value);
  if (rank === TYPE_RANK.minKey || rank === TYPE_RANK.maxKey) {
    return (doc) => collectPathValues(doc, parts).values.some((v) => test(compareBsonValues(v, value, collation)));
  }
  const general: Predicate = (doc) =>
    collectPathValues(doc, parts).values.some((v) => typeRank(v) === rank && test(compareBsonValues(v, value, collation)));
  if (parts.length !== 1) return general;
  const field = parts[0] as string;
  return (doc) => {
    // A top-level scalar: its only path value is itself.
    const v = Object.hasOwn(doc, field) ? doc[field] : undefined;
    if (v === undefined || Array.isArray(v)) return general(doc);
    return typeRank(v) === rank && test(compareBsonValues(v, value, collation));
  };
}

function inMatcher(selector: string, list: unknown, collation?: Collation): Predicate {
  if (!Array.isArray(list)) throw badValue("$in needs an array");
  const parts = selector.split(".");
  const keys = new Set<string>();
  const regexes: RegExp[] = [];
  let matchNull = false;
  for (const item of list) {
    if (item instanceof RegExp) regexes.push(item);
    else if (isPlainDocument(item) && Object.keys(item).some((k) => k.startsWith("$"))) {
      throw badValue("cannot nest $ under $in");
    } else if (isNullish(item)) matchNull = true;
    else keys.add(canonicalKey(item, collation));
  }
  const single = parts.length === 1 ? (parts[0] as string) : undefined;
  return (doc) => {
    if (single !== undefined) {
      // A top-level scalar: its only path value is itself.
      const v = Object.hasOwn(doc, single) ? doc[single] : undefined;
      if (v !== undefined && !Array.isArray(v)) {
        if (matchNull && isNullish(v)) return true;
        if (keys.size && keys.has(canonicalKey(v, collation))) return true;
        return regexes.length > 0 && regexes.some((re) => regexTest(re, v));
      }
    }
    const found = collectPathValues(doc, parts);
    if (matchNull && (found.missing || found.values.some(isNullish))) return true;
    for (const v of found.values) {
      if (keys.size && keys.has(canonicalKey(v, collation))) return true;
      if (regexes.length && regexes.some((re) => regexTest(re, v))) return true;
    }
    return false;
  };
}

function typeMatches(value: unknown, spec: unknown): boolean {
  if (spec === "number") return typeRank(value) === TYPE_RANK.number;
  const name = bsonTypeName(value);
  if (typeof spec === "string") {
    if (!(spec in BSON_TYPE_CODES)) throw badValue(`Unknown type name alias: ${spec}`);
    return name === spec;
  }
  const code = toNumber(spec);
  if (!Number.isInteger(code)) throw badValue(`type must be represented as a number or a string`, 14);
  return BSON_TYPE_CODES[name] === code;
}

function elementsOrSelf(parts: string[], doc: Document): unknown[] {
  return collectPathValues(doc, parts, false).values;
}

function hasOperatorKeys(value: unknown): boolean {
  return isPlainDocument(value) && Object.keys(value).length > 0 && Object.keys(value).every((k) => k.startsWith("$"));
}

/** Builds the mongod-semantics query operators the compat engine registers with mingo. */
export function createQueryOperators(): Record<string, QueryOperator> {
  const eq: QueryOperator = (selector, value, options) => equalityMatcher(selector, value, collationOf(options));
  const ops: Record<string, QueryOperator> = {
    $eq: eq,
    $ne: (selector, value, options) => {
      const m = equalityMatcher(selector, value, collationOf(options));
      return (doc) => !m(doc);
    },
    $gt: (selector, value, options) => comparisonMatcher(selector, value, (c) => c > 0, false, collationOf(options)),
    $gte: (selector, value, options) => comparisonMatcher(selector, value, (c) => c >= 0, true, collationOf(options)),
    $lt: (selector, value, options) => comparisonMatcher(selector, value, (c) => c < 0, false, collationOf(options)),
    $lte: (selector, value, options) => comparisonMatcher(selector, value, (c) => c <= 0, true, collationOf(options)),
    $in: (selector, value, options) => inMatcher(selector, value, collationOf(options)),
    $nin: (selector, value, options) => {
      const m = inMatcher(selector, value, collationOf(options));
      return (doc) => !m(doc);
    },
    $exists: (selector, value) => {
      const parts = selector.split(".");
      const want = Boolean(value);
      return (doc) => collectPathValues(doc, parts, false).values.length > 0 === want;
    },
    $type: (selector, value) => {
      const parts = selector.split(".");
      const specs = Array.isArray(value) ? value : [value];
      for (const spec of specs) typeMatches(null, spec);
      return (doc) => {
        const found = collectPathValues(doc, parts, false).values;
        return found.some((v) => {
          if (specs.some((s) => typeMatches(v, s))) return true;
          return Array.isArray(v) && v.some((el) => specs.some((s) => typeMatches(el, s)));
        });
      };
    },
    $size: (selector, value) => {
      const parts = selector.split(".");
      const n = toNumber(value);
      if (!Number.isInteger(n) || n < 0) throw badValue("$size needs a non-negative integer");
      return (doc) => elementsOrSelf(parts, doc).some((v) => Array.isArray(v) && v.length === n);
    },
    $all: (selector, value, options) => {
      if (!Array.isArray(value)) throw badValue("$all needs an array");
      if (value.length === 0) return () => false;
      const tests = value.map((item): Predicate => {
        if (isPlainDocument(item) && Object.hasOwn(item, "$elemMatch")) {
          const inner = ops.$elemMatch as QueryOperator;
          return inner(selector, item.$elemMatch, options);
        }
        if (item instanceof RegExp) {
          const parts = selector.split(".");
          return (doc) => collectPathValues(doc, parts).values.some((v) => regexTest(item, v));
        }
        return equalityMatcher(selector, item, collationOf(options));
      });
      return (doc) => tests.every((t) => t(doc));
    },
    $elemMatch: (selector, value, options) => {
      if (!isPlainDocument(value)) throw badValue("$elemMatch needs an Object");
      const parts = selector.split(".");
      const valueForm = hasOperatorKeys(value) && !["$and", "$or", "$nor", "$where", "$expr"].some((k) => k in value);
      const query = valueForm ? new MingoQuery({ __elem: value }, options) : new MingoQuery(value, options);
      return (doc) =>
        elementsOrSelf(parts, doc).some(
          (arr) => Array.isArray(arr) && arr.some((el) => (valueForm ? query.test({ __elem: el }) : isPlainDocument(el) && query.test(el))),
        );
    },
    $regex: (selector, value) => {
      const re = value instanceof RegExp ? value : new RegExp(String(value));
      const parts = selector.split(".");
      return (doc) => collectPathValues(doc, parts).values.some((v) => regexTest(re, v));
    },
    $mod: (selector, value) => {
      if (!Array.isArray(value) || value.length !== 2) {
        throw badValue("malformed mod, needs to be an array of two numbers");
      }
      const divisor = Math.trunc(toNumber(value[0]));
      const remainder = Math.trunc(toNumber(value[1]));
      if (divisor === 0) throw badValue("divisor cannot be 0");
      const parts = selector.split(".");
      return (doc) =>
        collectPathValues(doc, parts).values.some(
          (v) => typeRank(v) === TYPE_RANK.number && Math.trunc(toNumber(v)) % divisor === remainder,
        );
    },
  };
  for (const name of ["$near", "$nearSphere", "$geoWithin", "$geoIntersects", "$within", "$box", "$center"]) {
    ops[name] = () => {
      throw notImplemented(`query operator ${name}`);
    };
  }
  return ops;
}

const TOP_LEVEL_UNSUPPORTED = ["$where", "$text", "$sampleRate", "$isolated", "$atomic"];

/**
 * Checks a filter for operators the engine does not evaluate and strips `$comment`; throws a
 * mongod-style error naming what is unsupported.
 */
export function prepareFilter(filter: unknown): Document {
  if (filter === undefined || filter === null) return {};
  if (!isPlainDocument(filter)) throw new CommandError(2, "filter must be an object");
  let out: Document | undefined;
  for (const [key, value] of Object.entries(filter)) {
    if (key === "$comment") {
      out ??= { ...filter };
      delete out[key];
      continue;
    }
    if (TOP_LEVEL_UNSUPPORTED.includes(key)) throw notImplemented(`query operator ${key}`);
    if ((key === "$and" || key === "$or" || key === "$nor") && Array.isArray(value)) {
      const mapped = value.map((sub) => prepareFilter(sub));
      out ??= { ...filter };
      out[key] = mapped;
    } else if (key.startsWith("$") && !["$expr", "$jsonSchema", "$and", "$or", "$nor"].includes(key)) {
      throw new CommandError(2, `unknown top level operator: ${key}`);
    }
  }
  return out ?? filter;
}

/** Options type re-exported for modules that build matchers. */
export type { Options as MingoOptions };
