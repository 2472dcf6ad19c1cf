import type { Document } from "bson";

/**
 * BSON value ordering, equality and canonical keys as mongod defines them: numbers compare across
 * int/long/double/decimal, types sort in the canonical order (MinKey, null, numbers, strings,
 * objects, arrays, binData, ObjectId, bool, date, timestamp, regex, ..., MaxKey).
 */

/**
 * A collation's view of strings (see collation.ts): an order, and a key that is equal for two strings
 * exactly when the collation holds them equal. Absent = simple collation (UTF-8 byte order).
 */
export interface StringCollation {
  compare(a: string, b: string): number;
  key(value: string): string;
}

/** Canonical type ranks (mongod's `canonicalizeBSONType`). */
export const TYPE_RANK = {
  minKey: -1,
  undefined: 0,
  null: 5,
  number: 10,
  string: 15,
  object: 20,
  array: 25,
  binData: 30,
  objectId: 35,
  bool: 40,
  date: 45,
  timestamp: 47,
  regex: 50,
  dbPointer: 55,
  code: 60,
  codeWScope: 65,
  maxKey: 127,
} as const;

interface BsonTagged {
  readonly _bsontype?: string;
}

/** The `_bsontype` tag of a bson class instance, if any. */
export function bsonTypeTag(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const tag = (value as BsonTagged)._bsontype;
  return typeof tag === "string" ? tag : undefined;
}

/** True for a plain (sub)document: an object that is not an array, Date, RegExp or bson class instance. */
export function isPlainDocument(value: unknown): value is Document {
  if (typeof value !== "object" || value === null) return false;
  if (Array.isArray(value) || value instanceof Date || value instanceof RegExp) return false;
  if (bsonTypeTag(value) !== undefined) return false;
  if (ArrayBuffer.isView(value)) return false;
  return true;
}

/** Canonical rank of a value's BSON type; `undefined` (missing) ranks with null. */
export function typeRank(value: unknown): number {
  switch (typeof value) {
    case "number":
    case "bigint":
      return TYPE_RANK.number;
    case "string":
      return TYPE_RANK.string;
    case "boolean":
      return TYPE_RANK.bool;
    case "undefined":
      return TYPE_RANK.null;
    case "object":
      break;
    default:
      return TYPE_RANK.maxKey;
  }
  if (value === null) return TYPE_RANK.null;
  if (Array.isArray(value)) return TYPE_RANK.array;
  if (value instanceof Date) return TYPE_RANK.date;
  if (value instanceof RegExp) return TYPE_RANK.regex;
  switch (bsonTypeTag(value)) {
    case undefined:
      return ArrayBuffer.isView(value) ? TYPE_RANK.binData : TYPE_RANK.object;
    case "Long":
    case "Double":
    case "Int32":
    case "Decimal128":
      return TYPE_RANK.number;
    case "ObjectId":
      return TYPE_RANK.objectId;
    case "Binary":
      return TYPE_RANK.binData;
    case "Timestamp":
      return TYPE_RANK.timestamp;
    case "BSONRegExp":
      return TYPE_RANK.regex;
    case "Symbol":
      return TYPE_RANK.string;
    case "Code":
      return (value as { scope?: unknown }).scope ? TYPE_RANK.codeWScope : TYPE_RANK.code;
    case "DBRef":
      return TYPE_RANK.object;
    case "MinKey":
      return TYPE_RANK.minKey;
    case "MaxKey":
      return TYPE_RANK.maxKey;
    default:
      return TYPE_RANK.object;
  }
}

/** A numeric value as a JS number (Decimal128 and unsafe Long approximated). */
export function toNumber(value: unknown): number {
  if (typeof value === "number") return value;
  if (typeof value === "bigint") return Number(value);
  const tag = bsonTypeTag(value);
  if (tag === "Long") return (value as { toNumber(): number }).toNumber();
  if (tag === "Double" || tag === "Int32") return (value as { valueOf(): number }).valueOf();
  if (tag === "Decimal128") return Number(String(value));
  return Number.NaN;
}

/** True for int64 values held as bson `Long` (only those outside the safe-integer range stay `Long`). */
function isLong(value: unknown): value is { toBigInt(): bigint } {
  return bsonTypeTag(value) === "Long";
}

function compareNumbers(a: unknown, b: unknown): number {
  if ((isLong(a) || isLong(b)) && bothIntegral(a, b)) {
    const x = toBigInt(a);
    const y = toBigInt(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  const x = toNumber(a);
  const y = toNumber(b);
  const xn = Number.isNaN(x);
  const yn = Number.isNaN(y);
  if (xn || yn) return xn && yn ? 0 : xn ? -1 : 1;
  return x < y ? -1 : x > y ? 1 : 0;
}

function bothIntegral(a: unknown, b: unknown): boolean {
  return [a, b].every((v) => isLong(v) || (typeof v === "number" && Number.isInteger(v)));
}

function toBigInt(value: unknown): bigint {
  return isLong(value) ? value.toBigInt() : BigInt(value as number);
}

/** Compares strings by UTF-8 byte order, as mongod's simple collation does. */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x < 0xd800 && y < 0xd800) return x < y ? -1 : 1;
    return Buffer.compare(Buffer.from(a.slice(i)), Buffer.from(b.slice(i)));
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

function bytesOf(value: unknown): Uint8Array {
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  const binary = value as { buffer: Uint8Array; position?: number };
  return binary.buffer.subarray(0, binary.position ?? binary.buffer.length);
}

function compareBinary(a: unknown, b: unknown): number {
  const x = bytesOf(a);
  const y = bytesOf(b);
  if (x.length !== y.length) return x.length < y.length ? -1 : 1;
  const sa = (a as { sub_type?: number }).sub_type ?? 0;
  const sb = (b as { sub_type?: number }).sub_type ?? 0;
  if (sa !== sb) return sa < sb ? -1 : 1;
  return Buffer.compare(x, y);
}

function entriesOf(value: unknown): [string, unknown][] {
  if (bsonTypeTag(value) === "DBRef") {
    return Object.entries((value as { toJSON(): Document }).toJSON());
  }
  return Object.entries(value as Document);
}

function compareDocuments(a: unknown, b: unknown, collation: StringCollation | undefined): number {
  const x = entriesOf(a);
  const y = entriesOf(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const [ka, va] = x[i] as [string, unknown];
    const [kb, vb] = y[i] as [string, unknown];
    const ra = typeRank(va);
    const rb = typeRank(vb);
    if (ra !== rb) return ra < rb ? -1 : 1;
    const kc = compareStrings(ka, kb);
    if (kc !== 0) return kc;
    const vc = compareBsonValues(va, vb, collation);
    if (vc !== 0) return vc;
  }
  return x.length === y.length ? 0 : x.length < y.length ? -1 : 1;
}

function compareArrays(a: unknown[], b: unknown[], collation: StringCollation | undefined): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = compareBsonValues(a[i], b[i], collation);
    if (c !== 0) return c;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/** Total order over BSON values, as mongod compares them (strings by `collation`, else by UTF-8 bytes). */
export function compareBsonValues(a: unknown, b: unknown, collation?: StringCollation): number {
  if (a === b) return 0;
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  switch (ra) {
    case TYPE_RANK.number:
      return compareNumbers(a, b);
    case TYPE_RANK.string:
      return collation ? collation.compare(String(a), String(b)) : compareStrings(String(a), String(b));
    case TYPE_RANK.object:
      return compareDocuments(a, b, collation);
    case TYPE_RANK.array:
      return compareArrays(a as unknown[], b as unknown[], collation);
    case TYPE_RANK.binData:
      return compareBinary(a, b);
    case TYPE_RANK.objectId:
      return Buffer.compare(bytesOfObjectId(a), bytesOfObjectId(b));
    case TYPE_RANK.bool:
      return a === b ? 0 : a ? 1 : -1;
    case TYPE_RANK.date: {
      const x = (a as Date).getTime();
      const y = (b as Date).getTime();
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case TYPE_RANK.timestamp: {
      const x = (a as { toBigInt(): bigint }).toBigInt();
      const y = (b as { toBigInt(): bigint }).toBigInt();
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case TYPE_RANK.regex: {
      const [sa, fa] = regexParts(a);
      const [sb, fb] = regexParts(b);
      return compareStrings(sa, sb) || compareStrings(fa, fb);
    }
    case TYPE_RANK.code:
    case TYPE_RANK.codeWScope:
      return compareStrings(String((a as { code: unknown }).code), String((b as { code: unknown }).code));
    default:
      return 0;
  }
}

function bytesOfObjectId(value: unknown): Uint8Array {
  return (value as { id: Uint8Array }).id;
}

function regexParts(value: unknown): [string, string] {
  if (value instanceof RegExp) return [value.source, value.flags];
  const r = value as { pattern: string; options: string };
  return [r.pattern, r.options];
}

/** Equality as mongod's `$eq` sees it: same canonical type and equal value (1 == 1.0 == Long(1)). */
export function bsonEquals(a: unknown, b: unknown, collation?: StringCollation): boolean {
  if (a === b) return true;
  const ra = typeRank(a);
  if (ra !== typeRank(b)) return false;
  return compareBsonValues(a, b, collation) === 0;
}

function numberKey(value: unknown): string {
  if (typeof value === "number") {
    if (Number.isNaN(value)) return "nNaN";
    if (Object.is(value, -0)) return "n0";
    if (Number.isInteger(value) && !Number.isSafeInteger(value) && Number.isFinite(value)) {
      return `n${BigInt(value).toString()}`;
    }
    return `n${value}`;
  }
  if (isLong(value)) return `n${value.toBigInt().toString()}`;
  const n = toNumber(value);
  return numberKey(n);
}

/**
 * A string that is equal for two values exactly when `bsonEquals` holds (up to Decimal128 precision):
 * the key of hash indexes, `$in` sets and grouping.
 */
export function canonicalKey(value: unknown, collation?: StringCollation): string {
  switch (typeof value) {
    case "string":
      return collation ? `s~${collation.key(value)}` : `s${value.length}:${value}`;
    case "number":
      return numberKey(value);
    case "boolean":
      return value ? "b1" : "b0";
    case "undefined":
      return "N";
    default:
      break;
  }
  if (value === null) return "N";
  if (Array.isArray(value)) return `[${value.map((v) => canonicalKey(v, collation)).join(",")}]`;
  if (value instanceof Date) return `d${value.getTime()}`;
  if (value instanceof RegExp) return `r${value.source.length}:${value.source}/${value.flags}`;
  const tag = bsonTypeTag(value);
  switch (tag) {
    case undefined:
      if (ArrayBuffer.isView(value)) return `x0:${Buffer.from(bytesOf(value)).toString("base64")}`;
      return plainDocumentKey(value as Document, collation);
    case "ObjectId":
      return `o${(value as { toHexString(): string }).toHexString()}`;
    case "Long":
    case "Double":
    case "Int32":
    case "Decimal128":
      return numberKey(value);
    case "Binary":
      return `x${(value as { sub_type: number }).sub_type}:${Buffer.from(bytesOf(value)).toString("base64")}`;
    case "Timestamp":
      return `t${(value as { toBigInt(): bigint }).toBigInt().toString()}`;
    case "Symbol":
      return canonicalKey(String(value), collation);
    case "DBRef":
      return documentKey(entriesOf(value), collation);
    case "MinKey":
      return "m-";
    case "MaxKey":
      return "m+";
    case "BSONRegExp": {
      const [s, f] = regexParts(value);
      return `r${s.length}:${s}/${f}`;
    }
    case "Code":
      return `c${String((value as { code: unknown }).code)}`;
    default:
      return `?${tag}:${String(value)}`;
  }
}

function documentKey(entries: [string, unknown][], collation: StringCollation | undefined): string {
  let out = "{";
  for (const [k, v] of entries) out += `${k.length}:${k}=${canonicalKey(v, collation)},`;
  return `${out}}`;
}

function plainDocumentKey(doc: Document, collation: StringCollation | undefined): string {
  let out = "{";
  for (const k of Object.keys(doc)) out += `${k.length}:${k}=${canonicalKey(doc[k], collation)},`;
  return `${out}}`;
}

/** Deep copy of a document tree: plain objects, arrays and Dates are copied, bson class instances shared. */
export function cloneValue<T>(value: T): T {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) return value.map(cloneValue) as T;
  if (value instanceof Date) return new Date(value.getTime()) as T;
  if (!isPlainDocument(value)) return value;
  const out: Document = {};
  for (const key of Object.keys(value)) out[key] = cloneValue((value as Document)[key]);
  return out as T;
}

/** mongod's BSON type name (`$type` alias) of a stored value. */
export function bsonTypeName(value: unknown): string {
  switch (typeof value) {
    case "number":
      return Number.isInteger(value) && value >= -2147483648 && value <= 2147483647 ? "int" : "double";
    case "string":
      return "string";
    case "boolean":
      return "bool";
    case "undefined":
      return "missing";
    case "bigint":
      return "long";
    default:
      break;
  }
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (value instanceof Date) return "date";
  if (value instanceof RegExp) return "regex";
  switch (bsonTypeTag(value)) {
    case undefined:
      return ArrayBuffer.isView(value) ? "binData" : "object";
    case "ObjectId":
      return "objectId";
    case "Long":
      return "long";
    case "Double":
      return "double";
    case "Int32":
      return "int";
    case "Decimal128":
      return "decimal";
    case "Binary":
      return "binData";
    case "Timestamp":
      return "timestamp";
    case "BSONRegExp":
      return "regex";
    case "Symbol":
      return "symbol";
    case "Code":
      return (value as { scope?: unknown }).scope ? "javascriptWithScope" : "javascript";
    case "DBRef":
      return "object";
    case "MinKey":
      return "minKey";
    case "MaxKey":
      return "maxKey";
    default:
      return "object";
  }
}

/** `$type` numeric codes by alias. */
export const BSON_TYPE_CODES: Readonly<Record<string, number>> = {
  double: 1,
  string: 2,
  object: 3,
  array: 4,
  binData: 5,
  undefined: 6,
  objectId: 7,
  bool: 8,
  date: 9,
  null: 10,
  regex: 11,
  dbPointer: 12,
  javascript: 13,
  symbol: 14,
  javascriptWithScope: 15,
  int: 16,
  timestamp: 17,
  long: 18,
  decimal: 19,
  minKey: -1,
  maxKey: 127,
};

/** Renders a value the way mongod prints it in error messages (`{ email: "a@b.c" }`). */
export function formatBsonValue(value: unknown): string {
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "number":
      return Number.isInteger(value) || !Number.isFinite(value) ? String(value) : String(value);
    case "boolean":
      return String(value);
    case "undefined":
      return "undefined";
    default:
      break;
  }
  if (value === null) return "null";
  if (Array.isArray(value)) return value.length ? `[ ${value.map(formatBsonValue).join(", ")} ]` : "[]";
  if (value instanceof Date) return `new Date(${value.getTime()})`;
  if (value instanceof RegExp) return `/${value.source}/${value.flags}`;
  switch (bsonTypeTag(value)) {
    case undefined: {
      const entries = Object.entries(value as Document);
      if (!entries.length) return "{}";
      return `{ ${entries.map(([k, v]) => `${k}: ${formatBsonValue(v)}`).join(", ")} }`;
    }
    case "ObjectId":
      return `ObjectId('${(value as { toHexString(): string }).toHexString()}')`;
    case "Long":
    case "Decimal128":
      return String(value);
    case "Binary":
      return `BinData(${(value as { sub_type: number }).sub_type}, ${Buffer.from(bytesOf(value)).toString("hex").toUpperCase()})`;
    case "Timestamp": {
      const ts = value as { t: number; i: number };
      return `Timestamp(${ts.t}, ${ts.i})`;
    }
    case "MinKey":
      return "MinKey";
    case "MaxKey":
      return "MaxKey";
    default:
      return String(value);
  }
}
