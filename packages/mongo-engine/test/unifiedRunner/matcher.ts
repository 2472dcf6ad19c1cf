import { type Binary, EJSON, type Document } from "bson";

/**
 * "Evaluating Matches" of the Unified Test Format: expected values (with `$$` operators) against
 * what the driver returned. Numbers compare by value across int/long/double (flexible numerics),
 * root-level documents may carry extra fields, nested ones may not, arrays match element by element.
 */

/** A failed match: the message names the path (`result.0.x`) and both values. */
export class MatchFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MatchFailure";
  }
}

/** What the `$$` operators that refer to entities need. */
export interface MatchEntities {
  /** A BSON value saved with `saveResultAsEntity` (`$$matchesEntity`). */
  value(name: string): unknown;
  /** The logical session id of a session entity (`$$sessionLsid`). */
  sessionLsid(name: string): Document;
}

interface Tagged {
  readonly _bsontype?: string;
}

function tagOf(value: unknown): string | undefined {
  return typeof value === "object" && value !== null ? (value as Tagged)._bsontype : undefined;
}

/** A plain (sub)document: not an array, Date, RegExp, Buffer or bson class instance. */
export function isDocument(value: unknown): value is Document {
  if (typeof value !== "object" || value === null) return false;
  if (Array.isArray(value) || value instanceof Date || value instanceof RegExp || ArrayBuffer.isView(value)) return false;
  return tagOf(value) === undefined;
}

function isNumeric(value: unknown): boolean {
  if (typeof value === "number" || typeof value === "bigint") return true;
  const tag = tagOf(value);
  return tag === "Int32" || tag === "Double" || tag === "Long";
}

function numericValue(value: unknown): number {
  if (typeof value === "number") return value;
  if (typeof value === "bigint") return Number(value);
  const tag = tagOf(value);
  if (tag === "Long") return (value as { toNumber(): number }).toNumber();
  return (value as { valueOf(): number }).valueOf();
}

function show(value: unknown): string {
  try {
    return EJSON.stringify(value as never, { relaxed: true });
  } catch {
    return String(value);
  }
}

function fail(path: string, message: string): never {
  throw new MatchFailure(`${path || "(root)"}: ${message}`);
}

/** The `$type` alias of a value as the driver returned it (numbers promoted by the driver allow int/long/double). */
function typeAliases(value: unknown): string[] {
  switch (typeof value) {
    case "number": {
      const out = ["double"];
      if (Number.isInteger(value)) {
        out.push("long");
        if (value >= -2147483648 && value <= 2147483647) out.push("int");
      }
      return out;
    }
    case "bigint":
      return ["long"];
    case "string":
      return ["string"];
    case "boolean":
      return ["bool"];
    case "undefined":
      return [];
    default:
      break;
  }
  if (value === null) return ["null"];
  if (Array.isArray(value)) return ["array"];
  if (value instanceof Date) return ["date"];
  if (value instanceof RegExp) return ["regex"];
  if (ArrayBuffer.isView(value)) return ["binData"];
  switch (tagOf(value)) {
    case undefined:
      return ["object"];
    case "ObjectId":
      return ["objectId"];
    case "Int32":
      return ["int"];
    case "Double":
      return ["double"];
    case "Long":
      return ["long"];
    case "Decimal128":
      return ["decimal"];
    case "Binary":
      return ["binData"];
    case "Timestamp":
      return ["timestamp"];
    case "BSONRegExp":
      return ["regex"];
    case "Code":
      return [(value as { scope?: unknown }).scope ? "javascriptWithScope" : "javascript"];
    case "BSONSymbol":
      return ["symbol"];
    case "MinKey":
      return ["minKey"];
    case "MaxKey":
      return ["maxKey"];
    case "DBRef":
      return ["object"];
    default:
      return ["object"];
  }
}

function bytesOf(value: unknown): Buffer | undefined {
  if (ArrayBuffer.isView(value)) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (tagOf(value) === "Binary") {
    const b = value as Binary;
    return Buffer.from(b.buffer.subarray(0, b.position));
  }
  return undefined;
}

function isOperatorDocument(value: unknown): value is Document {
  if (!isDocument(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] as string).startsWith("$$");
}

/** Equality of two non-document, non-array values (flexible numerics; bson types by value). */
function scalarEquals(expected: unknown, actual: unknown): boolean {
  if (isNumeric(expected) && isNumeric(actual)) {
    const a = numericValue(expected);
    const b = numericValue(actual);
    return a === b || (Number.isNaN(a) && Number.isNaN(b));
  }
  if (expected === null || expected === undefined || typeof expected !== "object") return expected === actual;
  if (expected instanceof Date) return actual instanceof Date && expected.getTime() === actual.getTime();
  if (expected instanceof RegExp || tagOf(expected) === "BSONRegExp") {
    const [ep, ef] = regexParts(expected);
    const other = actual instanceof RegExp || tagOf(actual) === "BSONRegExp" ? regexParts(actual) : undefined;
    return other !== undefined && other[0] === ep && [...other[1]].sort().join("") === [...ef].sort().join("");
  }
  const eb = bytesOf(expected);
  if (eb) {
    const ab = bytesOf(actual);
    const subtypeOf = (v: unknown) => (tagOf(v) === "Binary" ? (v as Binary).sub_type : 0);
    return ab !== undefined && eb.equals(ab) && subtypeOf(expected) === subtypeOf(actual);
  }
  const tag = tagOf(expected);
  if (tag !== tagOf(actual)) return false;
  switch (tag) {
    case "ObjectId":
    case "Decimal128":
    case "Timestamp":
      return String(expected) === String(actual) && show(expected) === show(actual);
    case "MinKey":
    case "MaxKey":
      return true;
    default:
      return show(expected) === show(actual);
  }
}

function regexParts(value: unknown): [string, string] {
  if (value instanceof RegExp) return [value.source, value.flags];
  const r = value as { pattern: string; options: string };
  return [r.pattern, r.options];
}

function matchOperator(op: Document, actual: unknown, present: boolean, entities: MatchEntities, path: string, root: boolean): void {
  const [name, arg] = Object.entries(op)[0] as [string, unknown];
  switch (name) {
    case "$$type": {
      if (!present) fail(path, `expected a value of type ${show(arg)}, found nothing`);
      const wanted = Array.isArray(arg) ? (arg as string[]) : [arg as string];
      const have = typeAliases(actual);
      if (!wanted.some((t) => have.includes(t) || (t === "number" && isNumeric(actual)))) {
        fail(path, `expected type ${show(wanted)}, got ${show(actual)} (${have.join("/")})`);
      }
      return;
    }
    case "$$unsetOrMatches":
      if (!present || actual === undefined) return;
      matchValue(arg, actual, entities, path, root);
      return;
    case "$$exists":
      if (Boolean(arg) !== present) fail(path, arg ? "expected the field to exist" : `expected no field, got ${show(actual)}`);
      return;
    case "$$matchesEntity":
      matchValue(entities.value(String(arg)), actual, entities, path, root);
      return;
    case "$$matchesHexBytes": {
      const want = Buffer.from(String(arg), "hex");
      const got = typeof actual === "string" ? Buffer.from(actual, "hex") : bytesOf(actual);
      if (!got?.equals(want)) fail(path, `expected bytes ${String(arg)}, got ${show(actual)}`);
      return;
    }
    case "$$sessionLsid":
      if (!present) fail(path, "expected a session id, found nothing");
      matchValue(entities.sessionLsid(String(arg)), actual, entities, path, false);
      return;
    case "$$lte":
      if (!present || !isNumeric(actual) || numericValue(actual) > numericValue(arg)) {
        fail(path, `expected a number <= ${show(arg)}, got ${show(actual)}`);
      }
      return;
    case "$$matchAsDocument": {
      if (typeof actual !== "string") fail(path, `expected an extended JSON string, got ${show(actual)}`);
      matchValue(arg, EJSON.parse(actual, { relaxed: true }), entities, path, false);
      return;
    }
    case "$$matchAsRoot":
      matchValue(arg, actual, entities, path, true);
      return;
    default:
      throw new Error(`unknown matching operator ${name} at ${path || "(root)"}`);
  }
}

/**
 * Asserts that `actual` matches `expected`; throws {@link MatchFailure} naming the first difference.
 * `root` marks a root-level document (extra fields allowed).
 */
export function matchValue(expected: unknown, given: unknown, entities: MatchEntities, path = "", root = true): void {
  // The driver sends some documents (sort specifications) as Maps.
  const actual = given instanceof Map ? Object.fromEntries(given) : given;
  if (isOperatorDocument(expected)) {
    matchOperator(expected, actual, actual !== undefined, entities, path, root);
    return;
  }
  if (isDocument(expected)) {
    if (!isDocument(actual)) fail(path, `expected a document ${show(expected)}, got ${show(actual)}`);
    for (const [key, value] of Object.entries(expected)) {
      const child = path ? `${path}.${key}` : key;
      const present = Object.hasOwn(actual, key) && actual[key] !== undefined;
      if (isOperatorDocument(value)) {
        matchOperator(value, actual[key], present, entities, child, false);
        continue;
      }
      if (!present) fail(child, `expected ${show(value)}, the field is missing`);
      matchValue(value, actual[key], entities, child, false);
    }
    if (!root) {
      for (const key of Object.keys(actual)) {
        if (!Object.hasOwn(expected, key) && actual[key] !== undefined) {
          fail(path ? `${path}.${key}` : key, `unexpected field with value ${show(actual[key])}`);
        }
      }
    }
    return;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) fail(path, `expected an array ${show(expected)}, got ${show(actual)}`);
    if (actual.length !== expected.length) {
      fail(path, `expected ${expected.length} elements ${show(expected)}, got ${actual.length} ${show(actual)}`);
    }
    expected.forEach((value, i) => matchValue(value, actual[i], entities, `${path}.${i}`, false));
    return;
  }
  if (!scalarEquals(expected, actual)) fail(path, `expected ${show(expected)}, got ${show(actual)}`);
}

/**
 * Exact comparison of stored documents (test `outcome`): no `$$` operators, no extra fields at any
 * level, key order free, numbers compared by value.
 */
export function matchExactly(expected: unknown, given: unknown, path = ""): void {
  const actual = given instanceof Map ? Object.fromEntries(given) : given;
  if (isDocument(expected)) {
    if (!isDocument(actual)) fail(path, `expected a document ${show(expected)}, got ${show(actual)}`);
    const ek = Object.keys(expected).filter((k) => expected[k] !== undefined);
    const ak = Object.keys(actual).filter((k) => actual[k] !== undefined);
    for (const key of ak) if (!ek.includes(key)) fail(path ? `${path}.${key}` : key, `unexpected field ${show(actual[key])}`);
    for (const key of ek) {
      const child = path ? `${path}.${key}` : key;
      if (!ak.includes(key)) fail(child, `expected ${show(expected[key])}, the field is missing`);
      matchExactly(expected[key], actual[key], child);
    }
    return;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) fail(path, `expected ${show(expected)}, got ${show(actual)}`);
    expected.forEach((value, i) => matchExactly(value, actual[i], `${path}.${i}`));
    return;
  }
  if (!scalarEquals(expected, actual)) fail(path, `expected ${show(expected)}, got ${show(actual)}`);
}
