import { Long } from "bson";
import { bsonEquals, canonicalKey, isPlainDocument, type StringCollation } from "./bsonOrder";
import { CommandError } from "./commandError";
import {
  absValue,
  addValues,
  divideValues,
  doubleValue,
  modValues,
  multiplyValues,
  numberOf,
  numericKind,
  powValue,
  roundValue,
  subtractValues,
  unaryNumeric,
} from "./numbers";

/**
 * Expression operators evaluated natively on their evaluated arguments (mingo's versions know only
 * JS numbers): arithmetic with mongod's type widening (numbers.ts), the numeric conversions, and the
 * array and set operators that compare elements (BSON equality, and the command's collation).
 */

/** An operator on evaluated arguments; `collation` is the command's. */
export type EvaluatedOperator = (args: unknown, collation: StringCollation | undefined) => unknown;

function list(args: unknown, op: string, min: number, max = min): unknown[] {
  const values = Array.isArray(args) ? args : [args];
  if (values.length < min || values.length > max) {
    throw new CommandError(
      16020,
      `Expression ${op} takes ${min === max ? `exactly ${min}` : `${min} to ${max}`} arguments. ${values.length} were passed in.`,
    );
  }
  return values;
}

function single(args: unknown, op: string): unknown {
  return list(args, op, 1)[0];
}

const conversionFailure = (message: string) => new CommandError(241, message, { codeName: "ConversionFailure" });

function convertToInt(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "string") {
    if (!/^\s*[+-]?\d+\s*$/.test(value)) throw conversionFailure(`Failed to parse number '${value}' in $convert with no onError value`);
    return checkedInt(Number(value), value);
  }
  const kind = numericKind(value);
  if (kind === undefined) throw conversionFailure(`Unsupported conversion to int in $convert with no onError value`);
  return checkedInt(Math.trunc(numberOf(value)), value);
}

function checkedInt(n: number, source: unknown): number {
  if (!Number.isFinite(n) || n < -2147483648 || n > 2147483647) {
    throw conversionFailure(`Conversion would overflow target type in $convert with no onError value: ${String(source)}`);
  }
  return n;
}

function convertToLong(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === "boolean") return Long.fromNumber(value ? 1 : 0);
  if (value instanceof Date) return Long.fromNumber(value.getTime());
  if (typeof value === "string") {
    if (!/^\s*[+-]?\d+\s*$/.test(value)) throw conversionFailure(`Failed to parse number '${value}' in $convert with no onError value`);
    return Long.fromBigInt(BigInt(value.trim()));
  }
  const kind = numericKind(value);
  if (kind === undefined) throw conversionFailure(`Unsupported conversion to long in $convert with no onError value`);
  if (kind === "long") return value;
  const n = Math.trunc(numberOf(value));
  if (!Number.isFinite(n) || Math.abs(n) > 9.2e18) {
    throw conversionFailure(`Conversion would overflow target type in $convert with no onError value: ${String(value)}`);
  }
  return Long.fromNumber(n);
}

function convertToDouble(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === "boolean") return doubleValue(value ? 1 : 0);
  if (value instanceof Date) return doubleValue(value.getTime());
  if (typeof value === "string") {
    const text = value.trim();
    const n = Number(text);
    if (text === "" || (Number.isNaN(n) && !/^[+-]?nan$/i.test(text))) {
      throw conversionFailure(`Failed to parse number '${value}' in $convert with no onError value`);
    }
    return doubleValue(n);
  }
  if (numericKind(value) === undefined) throw conversionFailure(`Unsupported conversion to double in $convert with no onError value`);
  return doubleValue(numberOf(value));
}

/** `$convert`'s numeric targets (by alias or type code), or `undefined` for other targets. */
export function numericConversion(to: unknown): ((value: unknown) => unknown) | undefined {
  switch (to) {
    case "int":
    case 16:
      return convertToInt;
    case "long":
    case 18:
      return convertToLong;
    case "double":
    case 1:
      return convertToDouble;
    default:
      return undefined;
  }
}

function asArray(value: unknown, op: string): unknown[] | null {
  if (value === null || value === undefined) return null;
  if (!Array.isArray(value))
    throw new CommandError(17044, `All operands of ${op} must be arrays. One argument is of type: ${typeof value}`);
  return value;
}

function distinctBy(values: readonly unknown[], collation: StringCollation | undefined): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const v of values) {
    const k = canonicalKey(v, collation);
    if (!out.has(k)) out.set(k, v);
  }
  return out;
}

function setOperands(args: unknown, op: string, min: number): unknown[][] | null {
  const operands = list(args, op, min, min === 2 && op !== "$setUnion" && op !== "$setIntersection" ? 2 : Number.POSITIVE_INFINITY);
  const arrays: unknown[][] = [];
  for (const operand of operands) {
    const array = asArray(operand, op);
    if (array === null) return null;
    arrays.push(array);
  }
  return arrays;
}

export const EVALUATED_OPERATORS: Readonly<Record<string, EvaluatedOperator>> = {
  $add: (args) => addValues(Array.isArray(args) ? args : [args]),
  $multiply: (args) => multiplyValues(Array.isArray(args) ? args : [args]),
  $subtract: (args) => {
    const [a, b] = list(args, "$subtract", 2);
    return subtractValues(a, b);
  },
  $divide: (args) => {
    const [a, b] = list(args, "$divide", 2);
    return divideValues(a, b);
  },
  $mod: (args) => {
    const [a, b] = list(args, "$mod", 2);
    return modValues(a, b);
  },
  $abs: (args) => absValue(single(args, "$abs")),
  $ceil: (args) => unaryNumeric("$ceil", single(args, "$ceil"), Math.ceil, true),
  $floor: (args) => unaryNumeric("$floor", single(args, "$floor"), Math.floor, true),
  $sqrt: (args) => unaryNumeric("$sqrt", single(args, "$sqrt"), Math.sqrt, false),
  $exp: (args) => unaryNumeric("$exp", single(args, "$exp"), Math.exp, false),
  $ln: (args) => unaryNumeric("$ln", single(args, "$ln"), Math.log, false),
  $log10: (args) => unaryNumeric("$log10", single(args, "$log10"), Math.log10, false),
  $log: (args) => {
    const [x, base] = list(args, "$log", 2);
    if (x === null || x === undefined || base === null || base === undefined) return null;
    return unaryNumeric("$log", x, (v) => Math.log(v) / Math.log(numberOf(base)), false);
  },
  $pow: (args) => {
    const [a, b] = list(args, "$pow", 2);
    return powValue(a, b);
  },
  $round: (args) => {
    const [value, place] = list(args, "$round", 1, 2);
    return roundValue("$round", value, place);
  },
  $trunc: (args) => {
    const [value, place] = list(args, "$trunc", 1, 2);
    return roundValue("$trunc", value, place);
  },
  ...Object.fromEntries(
    (
      [
        ["$sin", Math.sin],
        ["$cos", Math.cos],
        ["$tan", Math.tan],
        ["$asin", Math.asin],
        ["$acos", Math.acos],
        ["$atan", Math.atan],
        ["$sinh", Math.sinh],
        ["$cosh", Math.cosh],
        ["$tanh", Math.tanh],
        ["$asinh", Math.asinh],
        ["$acosh", Math.acosh],
        ["$atanh", Math.atanh],
        ["$degreesToRadians", (x: number) => (x * Math.PI) / 180],
        ["$radiansToDegrees", (x: number) => (x * 180) / Math.PI],
      ] as const
    ).map(([op, fn]) => [op, (args: unknown) => unaryNumeric(op, single(args, op), fn, false)]),
  ),
  $atan2: (args) => {
    const [y, x] = list(args, "$atan2", 2);
    if (y === null || y === undefined || x === null || x === undefined) return null;
    return unaryNumeric("$atan2", y, (v) => Math.atan2(v, numberOf(x)), false);
  },
  $toInt: (args) => convertToInt(single(args, "$toInt")),
  $toLong: (args) => convertToLong(single(args, "$toLong")),
  $toDouble: (args) => convertToDouble(single(args, "$toDouble")),
  $indexOfArray: (args, collation) => {
    const [array, search, start, end] = list(args, "$indexOfArray", 2, 4);
    if (array === null || array === undefined) return null;
    if (!Array.isArray(array)) throw new CommandError(40090, `$indexOfArray requires an array as a first argument, found: ${typeof array}`);
    const from = start === undefined ? 0 : numberOf(start);
    const to = end === undefined ? array.length : Math.min(numberOf(end), array.length);
    for (let i = from; i < to; i++) if (bsonEquals(array[i], search, collation)) return i;
    return -1;
  },
  $setUnion: (args, collation) => {
    const arrays = setOperands(args, "$setUnion", 0);
    return arrays === null ? null : [...distinctBy(arrays.flat(), collation).values()];
  },
  $setIntersection: (args, collation) => {
    const arrays = setOperands(args, "$setIntersection", 0);
    if (arrays === null) return null;
    if (arrays.length === 0) return [];
    let result = distinctBy(arrays[0] as unknown[], collation);
    for (const array of arrays.slice(1)) {
      const keys = new Set(array.map((v) => canonicalKey(v, collation)));
      result = new Map([...result].filter(([k]) => keys.has(k)));
    }
    return [...result.values()];
  },
  $setDifference: (args, collation) => {
    const arrays = setOperands(args, "$setDifference", 2);
    if (arrays === null) return null;
    const [a, b] = arrays as [unknown[], unknown[]];
    const drop = new Set(b.map((v) => canonicalKey(v, collation)));
    return [...distinctBy(a, collation)].filter(([k]) => !drop.has(k)).map(([, v]) => v);
  },
  $setEquals: (args, collation) => {
    const operands = list(args, "$setEquals", 2, Number.POSITIVE_INFINITY);
    const keys = operands.map((operand) => {
      if (!Array.isArray(operand)) throw new CommandError(17044, "All operands of $setEquals must be arrays.");
      return [...distinctBy(operand, collation).keys()].sort();
    });
    const first = JSON.stringify(keys[0]);
    return keys.every((k) => JSON.stringify(k) === first);
  },
  $setIsSubset: (args, collation) => {
    const [a, b] = list(args, "$setIsSubset", 2);
    if (!Array.isArray(a) || !Array.isArray(b)) throw new CommandError(17046, "both operands of $setIsSubset must be arrays.");
    const have = new Set(b.map((v) => canonicalKey(v, collation)));
    return a.every((v) => have.has(canonicalKey(v, collation)));
  },
};

/** Top-level numeric arguments as plain JS numbers, for mingo operators that take numeric parameters. */
export function plainArguments(args: unknown): unknown {
  const unwrap = (v: unknown): unknown => {
    const kind = numericKind(v);
    if (kind === "double" || kind === "int") return numberOf(v);
    if (kind === "long") {
      const n = numberOf(v);
      return Number.isSafeInteger(n) ? n : v;
    }
    return v;
  };
  if (Array.isArray(args)) return args.map(unwrap);
  if (isPlainDocument(args)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(args)) out[k] = unwrap(v);
    return out;
  }
  return unwrap(args);
}
