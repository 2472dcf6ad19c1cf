import { BSON, type Document, Double, Long } from "bson";
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

/** Key paths of the doubles in a BSON document that a JS number would turn into int32s (integral, in int32 range, or -0). */
export function integralDoublePaths(bytes: Uint8Array, start = 0): (string | number)[][] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const found: (string | number)[][] = [];
  // The enclosing element names, as byte ranges: keys are only decoded for a double that is found.
  const nameStarts: number[] = [];
  const nameEnds: number[] = [];
  const inArray: boolean[] = [];
  const keyAt = (from: number, to: number, array: boolean): string | number => {
    const text = Buffer.from(bytes.buffer, bytes.byteOffset + from, to - from).toString("utf8");
    return array ? Number(text) : text;
  };
  const walk = (offset: number, isArray: boolean): void => {
    const end = offset + view.getInt32(offset, true) - 1;
    let i = offset + 4;
    while (i < end) {
      const type = bytes[i] as number;
      let nameEnd = i + 1;
      while (bytes[nameEnd] !== 0) nameEnd += 1;
      const value = nameEnd + 1;
      switch (type) {
        case 0x01: {
          const x = view.getFloat64(value, true);
          if (Number.isInteger(x) && (x === 0 || (x >= -2147483648 && x <= 2147483647))) {
            const path = nameStarts.map((from, k) => keyAt(from, nameEnds[k] as number, inArray[k] as boolean));
            path.push(keyAt(i + 1, nameEnd, isArray));
            found.push(path);
          }
          i = value + 8;
          break;
        }
        case 0x02:
        case 0x0d:
        case 0x0e:
          i = value + 4 + view.getInt32(value, true);
          break;
        case 0x03:
        case 0x04:
          nameStarts.push(i + 1);
          nameEnds.push(nameEnd);
          inArray.push(isArray);
          walk(value, type === 0x04);
          nameStarts.pop();
          nameEnds.pop();
          inArray.pop();
          i = value + view.getInt32(value, true);
          break;
        case 0x05:
          i = value + 5 + view.getInt32(value, true);
          break;
        case 0x06:
        case 0x0a:
        case 0x7f:
        case 0xff:
          i = value;
          break;
        case 0x07:
          i = value + 12;
          break;
        case 0x08:
          i = value + 1;
          break;
        case 0x09:
        case 0x11:
        case 0x12:
          i = value + 8;
          break;
        case 0x0b: {
          let j = value;
          while (bytes[j] !== 0) j += 1;
          j += 1;
          while (bytes[j] !== 0) j += 1;
          i = j + 1;
          break;
        }
        case 0x0c:
          i = value + 4 + view.getInt32(value, true) + 12;
          break;
        case 0x0f:
          i = value + view.getInt32(value, true);
          break;
        case 0x10:
          i = value + 4;
          break;
        case 0x13:
          i = value + 16;
          break;
        default:
          // Unknown type: leave it to the decoder, which rejects it.
          return;
      }
    }
  };
  walk(start, false);
  return found;
}

/**
 * Decodes a BSON document into the engine's number representation: the `bson` decoder with numbers
 * promoted and int64 kept as `Long`, then the few doubles it would have turned into int32-looking
 * numbers (found by a scan of the bytes) put back as `Double`. Documents without such doubles — nearly
 * all — are never touched after decoding.
 */
export function decodeDocument(bytes: Uint8Array): Document {
  const doc = BSON.deserialize(bytes, { promoteLongs: false, promoteValues: true, promoteBuffers: false, bsonRegExp: false });
  for (const path of integralDoublePaths(bytes)) {
    let parent: unknown = doc;
    for (let i = 0; i < path.length - 1 && parent !== undefined; i++) {
      parent = isPlainContainer(parent) ? (parent as Record<string | number, unknown>)[path[i] as string | number] : undefined;
    }
    const last = path[path.length - 1] as string | number;
    if (!isPlainContainer(parent)) continue;
    const container = parent as Record<string | number, unknown>;
    const value = container[last];
    if (typeof value === "number") container[last] = new Double(value);
  }
  return doc;
}

function isPlainContainer(value: unknown): boolean {
  return typeof value === "object" && value !== null && (Array.isArray(value) || (value as { _bsontype?: string })._bsontype === undefined);
}
