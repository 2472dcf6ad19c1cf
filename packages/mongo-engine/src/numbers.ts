import { type Document, Double, Long } from "bson";
import { bsonTypeTag } from "./bsonOrder";
import { CommandError, notImplemented } from "./commandError";

/**
 * BSON numbers inside the engine, kept apart the way mongod keeps them: an int32 is a JS number
 * (integral, in int32 range), a double is a JS number when the `bson` encoder would write it as a
 * double anyway (fractional, outside int32 range, NaN, infinite) and a `Double` otherwise (`1.0`,
 * `-0.0`), an int64 is always a `Long`, a decimal a `Decimal128`. So every value is stored and read
 * back with its own type, and arithmetic widens as mongod's does (int → long on overflow → double;
 * any double makes a double; `$divide` is always a double).
 */

/** The numeric BSON types. */
export type NumericKind = "int" | "long" | "double" | "decimal";

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const INT64_MIN = -(BigInt(2) ** BigInt(63));
const INT64_MAX = BigInt(2) ** BigInt(63) - BigInt(1);

function isInt32(value: number): boolean {
  return Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX && !Object.is(value, -0);
}

/** The numeric type of a value, or `undefined` for non-numbers. */
export function numericKind(value: unknown): NumericKind | undefined {
  if (typeof value === "number") return isInt32(value) ? "int" : "double";
  switch (bsonTypeTag(value)) {
    case "Long":
      return "long";
    case "Double":
      return "double";
    case "Int32":
      return "int";
    case "Decimal128":
      return "decimal";
    default:
      return undefined;
  }
}

/** A double result, represented so that it is written back as a double. */
export function doubleValue(value: number): number | Double {
  return isInt32(value) || Object.is(value, -0) ? new Double(value) : value;
}

/** An int64 result (a `Long`; beyond int64 it widens to a double, as mongod's overflow does). */
export function longValue(value: bigint): Long | number | Double {
  if (value < INT64_MIN || value > INT64_MAX) return doubleValue(Number(value));
  return Long.fromBigInt(value);
}

/** An int32 result (widening to an int64 on overflow). */
export function intValue(value: bigint): number | Long | Double {
  if (value >= BigInt(INT32_MIN) && value <= BigInt(INT32_MAX)) return Number(value);
  return longValue(value);
}

/** A numeric value as a JS number (for double arithmetic). */
export function numberOf(value: unknown): number {
  if (typeof value === "number") return value;
  switch (bsonTypeTag(value)) {
    case "Long":
      return (value as Long).toNumber();
    case "Double":
    case "Int32":
      return (value as { valueOf(): number }).valueOf();
    case "Decimal128":
      return Number(String(value));
    default:
      return Number.NaN;
  }
}

function bigOf(value: unknown): bigint {
  if (bsonTypeTag(value) === "Long") return (value as Long).toBigInt();
  return BigInt(numberOf(value));
}

/** The widest of some numeric kinds (int < long < double < decimal). */
export function widest(kinds: readonly NumericKind[]): NumericKind {
  if (kinds.includes("decimal")) return "decimal";
  if (kinds.includes("double")) return "double";
  if (kinds.includes("long")) return "long";
  return "int";
}

/** A result of `kind` from an exact integer (int/long) or a double. */
export function ofKind(kind: NumericKind, exact: bigint | undefined, double: number): unknown {
  if (kind === "double") return doubleValue(double);
  if (exact === undefined) return doubleValue(double);
  return kind === "long" ? longValue(exact) : intValue(exact);
}

type Operation = "$add" | "$subtract" | "$multiply";

function refuseDecimal(op: string): never {
  throw notImplemented(`${op} on Decimal128 values`);
}

/** Two numbers added, subtracted or multiplied with mongod's widening. */
export function arithmetic(op: Operation, a: unknown, b: unknown): unknown {
  const ka = numericKind(a);
  const kb = numericKind(b);
  if (ka === undefined || kb === undefined) throw new Error("arithmetic needs numbers");
  const kind = widest([ka, kb]);
  if (kind === "decimal") refuseDecimal(op);
  if (kind === "double") {
    const x = numberOf(a);
    const y = numberOf(b);
    return doubleValue(op === "$add" ? x + y : op === "$subtract" ? x - y : x * y);
  }
  if (typeof a === "number" && typeof b === "number") {
    // `+ 0` turns an integer -0 (0 * -1) into 0: integers have no negative zero.
    const r = (op === "$add" ? a + b : op === "$subtract" ? a - b : a * b) + 0;
    if (Number.isSafeInteger(r)) return kind === "long" || !isInt32(r) ? Long.fromNumber(r) : r;
  }
  const x = bigOf(a);
  const y = bigOf(b);
  const exact = op === "$add" ? x + y : op === "$subtract" ? x - y : x * y;
  return kind === "long" ? longValue(exact) : intValue(exact);
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (value instanceof Date) return "date";
  const tag = bsonTypeTag(value);
  if (tag) return tag.toLowerCase();
  return typeof value === "object" ? "object" : typeof value;
}

/** `$add`: numbers (and at most one date) added; null or missing make null. */
export function addValues(values: readonly unknown[]): unknown {
  let result: unknown = 0;
  let date: Date | undefined;
  for (const v of values) {
    if (v === null || v === undefined) return null;
    if (v instanceof Date) {
      if (date) throw new CommandError(16612, "only one date allowed in an $add expression");
      date = v;
      continue;
    }
    if (numericKind(v) === undefined) throw new CommandError(16554, `$add only supports numeric or date types, not ${typeName(v)}`);
    result = arithmetic("$add", result, v);
  }
  if (date) return new Date(date.getTime() + Math.round(numberOf(result)));
  return result;
}

/** `$multiply`: numbers multiplied; null or missing make null. */
export function multiplyValues(values: readonly unknown[]): unknown {
  let result: unknown = 1;
  for (const v of values) {
    if (v === null || v === undefined) return null;
    if (numericKind(v) === undefined) throw new CommandError(16555, `$multiply only supports numeric types, not ${typeName(v)}`);
    result = arithmetic("$multiply", result, v);
  }
  return result;
}

/** `$subtract`: numbers, date minus number (a date) and date minus date (milliseconds as a long). */
export function subtractValues(a: unknown, b: unknown): unknown {
  if (a === null || a === undefined || b === null || b === undefined) return null;
  if (a instanceof Date && b instanceof Date) return Long.fromNumber(a.getTime() - b.getTime());
  if (a instanceof Date && numericKind(b) !== undefined) return new Date(a.getTime() - Math.round(numberOf(b)));
  if (numericKind(a) === undefined || numericKind(b) === undefined) {
    throw new CommandError(16556, `cant $subtract a${typeName(b) === "date" ? " date" : ""} ${typeName(b)} from a ${typeName(a)}`);
  }
  return arithmetic("$subtract", a, b);
}

/** `$divide`: always a double (decimal aside). */
export function divideValues(a: unknown, b: unknown): unknown {
  if (a === null || a === undefined || b === null || b === undefined) return null;
  const ka = numericKind(a);
  const kb = numericKind(b);
  if (ka === undefined || kb === undefined) {
    throw new CommandError(16609, `$divide only supports numeric types, not ${typeName(ka === undefined ? a : b)} and ${typeName(b)}`);
  }
  if (ka === "decimal" || kb === "decimal") refuseDecimal("$divide");
  const divisor = numberOf(b);
  if (divisor === 0) throw new CommandError(2, "can't $divide by zero");
  return doubleValue(numberOf(a) / divisor);
}

/** `$mod`: the remainder in the widest type of its arguments. */
export function modValues(a: unknown, b: unknown): unknown {
  if (a === null || a === undefined || b === null || b === undefined) return null;
  const ka = numericKind(a);
  const kb = numericKind(b);
  if (ka === undefined || kb === undefined) {
    throw new CommandError(16611, `$mod only supports numeric types, not ${typeName(a)} and ${typeName(b)}`);
  }
  const kind = widest([ka, kb]);
  if (kind === "decimal") refuseDecimal("$mod");
  if (numberOf(b) === 0) throw new CommandError(16610, "can't $mod by 0");
  if (kind === "double") return doubleValue(numberOf(a) % numberOf(b));
  const r = bigOf(a) % bigOf(b);
  return kind === "long" ? longValue(r) : intValue(r);
}

/** A one-argument numeric function; `exactForIntegers` keeps int/long inputs of `round`-like ops as they are. */
export function unaryNumeric(op: string, value: unknown, fn: (x: number) => number, keepIntegers: boolean): unknown {
  if (value === null || value === undefined) return null;
  const kind = numericKind(value);
  if (kind === undefined) throw new CommandError(28765, `${op} only supports numeric types, not ${typeName(value)}`);
  if (kind === "decimal") refuseDecimal(op);
  if (keepIntegers && (kind === "int" || kind === "long")) return value;
  const result = fn(numberOf(value));
  if (Number.isNaN(result) && !Number.isNaN(numberOf(value)) && (op === "$sqrt" || op === "$ln" || op === "$log10")) {
    throw new CommandError(28714, `${op}'s argument must be greater than or equal to 0`);
  }
  return doubleValue(result);
}

/** `$abs`: same type (the int32 minimum widens to a long). */
export function absValue(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  const kind = numericKind(value);
  if (kind === undefined) throw new CommandError(28765, `$abs only supports numeric types, not ${typeName(value)}`);
  if (kind === "decimal") refuseDecimal("$abs");
  if (kind === "double") return doubleValue(Math.abs(numberOf(value)));
  const x = bigOf(value);
  const r = x < BigInt(0) ? -x : x;
  return kind === "long" ? longValue(r) : intValue(r);
}

/** `$round`/`$trunc` to `place` digits: integers stay integers (rounded at negative places), doubles stay doubles. */
export function roundValue(op: "$round" | "$trunc", value: unknown, place: unknown): unknown {
  if (value === null || value === undefined) return null;
  const kind = numericKind(value);
  if (kind === undefined) throw new CommandError(51081, `${op} only supports numeric types, not ${typeName(value)}`);
  if (kind === "decimal") refuseDecimal(op);
  const digits = place === undefined || place === null ? 0 : numberOf(place);
  if (!Number.isInteger(digits) || digits < -20 || digits > 100) {
    throw new CommandError(51083, `cannot apply ${op} with precision value ${String(place)} value must be in [-20, 100]`);
  }
  const factor = 10 ** Math.abs(digits);
  const apply = (x: number): number => {
    const scaled = digits >= 0 ? x * factor : x / factor;
    let r: number;
    if (op === "$trunc") r = Math.trunc(scaled);
    else {
      // Round half to even, as mongod does.
      const floor = Math.floor(scaled);
      const diff = scaled - floor;
      r = diff > 0.5 ? floor + 1 : diff < 0.5 ? floor : floor % 2 === 0 ? floor : floor + 1;
    }
    return digits >= 0 ? r / factor : r * factor;
  };
  if (kind === "double") return doubleValue(apply(numberOf(value)));
  if (digits >= 0) return value;
  const rounded = BigInt(Math.round(apply(numberOf(value))));
  return kind === "long" ? longValue(rounded) : intValue(rounded);
}

/** `$pow`: integers to non-negative integer powers stay integral (widening as needed), else a double. */
export function powValue(base: unknown, exponent: unknown): unknown {
  if (base === null || base === undefined || exponent === null || exponent === undefined) return null;
  const kb = numericKind(base);
  const ke = numericKind(exponent);
  if (kb === undefined || ke === undefined) throw new CommandError(28762, `$pow's base must be numeric, not ${typeName(base)}`);
  if (kb === "decimal" || ke === "decimal") refuseDecimal("$pow");
  const x = numberOf(base);
  const y = numberOf(exponent);
  if (x === 0 && y < 0) throw new CommandError(28764, "$pow cannot take a base of 0 and a negative exponent");
  if ((kb === "int" || kb === "long") && (ke === "int" || ke === "long") && y >= 0) {
    const exact = bigOf(base) ** bigOf(exponent);
    return widest([kb, ke]) === "long" ? longValue(exact) : intValue(exact);
  }
  return doubleValue(x ** y);
}

/** The state of a `$sum` over values (mongod's: non-numbers are skipped, the type widens as needed). */
export interface SumState {
  kind: NumericKind;
  /** Exact total while the kind is int or long. */
  exact: bigint;
  /** Running double total (used once a double is seen). */
  double: number;
  /** Fast path: plain int32 inputs summed as a JS number (safe up to 2^53). */
  small: number;
  count: number;
}

/** A fresh `$sum` state. */
export function newSum(): SumState {
  return { kind: "int", exact: BigInt(0), double: 0, small: 0, count: 0 };
}

/** Adds one value to a `$sum` (non-numeric values are ignored, as mongod does). */
export function addToSum(state: SumState, value: unknown): void {
  if (typeof value === "number" && state.kind === "int" && isInt32(value)) {
    state.small += value;
    state.count += 1;
    return;
  }
  const kind = numericKind(value);
  if (kind === undefined) return;
  state.count += 1;
  if (kind === "decimal") refuseDecimal("$sum/$avg");
  if (kind === "double" || state.kind === "double") {
    if (state.kind !== "double") {
      state.double = Number(state.exact) + state.small;
      state.kind = "double";
    }
    state.double += numberOf(value);
    return;
  }
  if (kind === "long") state.kind = "long";
  state.exact += bigOf(value);
}

/** The `$sum` result, in the widened type. */
export function sumResult(state: SumState): unknown {
  if (state.kind === "double") return doubleValue(state.double);
  const total = state.exact + BigInt(state.small);
  return state.kind === "long" ? longValue(total) : intValue(total);
}

/** The `$avg` result (a double; null when no value was numeric). */
export function averageResult(state: SumState): unknown {
  if (state.count === 0) return null;
  const total = state.kind === "double" ? state.double : Number(state.exact + BigInt(state.small));
  return doubleValue(total / state.count);
}

/**
 * Converts the wire decoder's number wrappers (bson `promoteValues: false`) into the engine's
 * representation, in place: `Int32` → number, a `Double` the encoder would write as a double anyway
 * → number; integral doubles and every `Long` keep their wrapper; symbols become strings.
 */
export function normalizeNumbers<T>(value: T): T {
  return (typeof value === "object" && value !== null ? normalizeObject(value) : value) as T;
}

function normalizeObject(value: object): unknown {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const child = value[i];
      if (typeof child === "object" && child !== null) {
        const next = normalizeObject(child);
        if (next !== child) value[i] = next;
      }
    }
    return value;
  }
  const tag = (value as { _bsontype?: string })._bsontype;
  if (tag !== undefined) {
    if (tag === "Int32") return (value as { value: number }).value;
    if (tag === "Double") {
      const x = (value as { value: number }).value;
      return isInt32(x) || Object.is(x, -0) ? value : x;
    }
    // The deprecated symbol type is read as a string (as the default decoder did).
    if (tag === "BSONSymbol") return (value as { value: string }).value;
    return value;
  }
  if (value instanceof Date || ArrayBuffer.isView(value)) return value;
  const doc = value as Document;
  for (const key in doc) {
    const child = doc[key];
    if (typeof child === "object" && child !== null) {
      const next = normalizeObject(child);
      if (next !== child) doc[key] = next;
    }
  }
  return value;
}

/** A number value as the driver would send it from JS (for mingo's operators, which know only JS numbers). */
export function plainNumber(value: unknown): unknown {
  const tag = bsonTypeTag(value);
  if (tag === "Double" || tag === "Int32") return (value as { valueOf(): number }).valueOf();
  if (tag === "Long") {
    const n = (value as Long).toNumber();
    return Number.isSafeInteger(n) ? n : value;
  }
  return value;
}
