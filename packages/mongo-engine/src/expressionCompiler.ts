import type { Document } from "bson";
import { computeValue, type Options } from "mingo/core";
import { bsonEquals, compareBsonValues, toNumber } from "./bsonOrder";
import { averageValues, collationOf, computeOptions, extremeOf, sumValues } from "./mingoContext";

/**
 * Aggregation expressions compiled once into closures, evaluated per document with the same results
 * as the engine's mingo-based evaluation (`evaluateOn`): the common operators are implemented here,
 * a set of "strict" operators (all arguments evaluated up front) get their arguments from compiled
 * code and run mingo's (or the engine's) operator on them, and anything else is handed, whole, to
 * mingo — so an expression the compiler does not know is evaluated exactly as before.
 */

/** A compiled expression: `doc` is `$$ROOT`/`$$CURRENT`; `options` carries the variables. */
export type CompiledExpression = (doc: unknown, options: Options) => unknown;

const DIGITS = /^\d+$/;
const OPERATOR_NAME = /^\$[a-zA-Z0-9_]+$/;
const REDACT_ACTIONS = new Set(["$$KEEP", "$$PRUNE", "$$DESCEND"]);

/** mingo's operator-name test (`$` followed by letters, digits or `_`). */
export function isOperatorName(name: string): boolean {
  return name.charCodeAt(0) === 36 && OPERATOR_NAME.test(name);
}

/** mingo's `typeOf(v) === "object"`: a plain or null-prototype object (not arrays, dates, bson classes). */
export function isMingoObject(value: unknown): value is Document {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  if (value instanceof Date || value instanceof RegExp) return false;
  if (Object.prototype.toString.call(value) !== "[object Object]") return false;
  const ctor = (value as { constructor?: { name?: string } }).constructor;
  const name = ctor?.name?.toLowerCase() ?? "object";
  return name === "object";
}

function isScalar(value: unknown): boolean {
  return (typeof value !== "object" && typeof value !== "function") || value === null || value instanceof Date || value instanceof RegExp;
}

function isObjectLike(value: unknown): value is Record<string, unknown> {
  return (typeof value === "object" && value !== null) || typeof value === "function";
}

interface ResolveState {
  depth: number;
}

/** mingo's `resolve` (field paths in expressions), walking `parts` from `start`. */
function resolveFrom(value: unknown, parts: readonly string[], text: readonly boolean[], start: number, state: ResolveState): unknown {
  for (let i = start; i < parts.length; i++) {
    if (text[i] && Array.isArray(value)) {
      if (i === start && state.depth > 0) break;
      state.depth += 1;
      const acc: unknown[] = [];
      for (const item of value) {
        const v = resolveFrom(item, parts, text, i, state);
        if (v !== undefined) acc.push(v);
      }
      return acc;
    }
    value = isObjectLike(value) ? value[parts[i] as string] : undefined;
    if (value === undefined) break;
  }
  return value;
}

/** Compiles a dotted path into mingo's `resolve(obj, path)`. */
export function compileResolve(path: string): (obj: unknown) => unknown {
  const parts = path.split(".");
  const text = parts.map((p) => !DIGITS.test(p));
  if (parts.length === 1 && text[0]) {
    const field = parts[0] as string;
    return (obj) => {
      if (isScalar(obj)) return obj;
      if (Array.isArray(obj)) return resolveFrom(obj, parts, text, 0, { depth: 0 });
      return (obj as Record<string, unknown>)[field];
    };
  }
  if (parts.length === 2 && text[0] && text[1]) {
    const [a, b] = parts as [string, string];
    return (obj) => {
      if (isScalar(obj)) return obj;
      if (!Array.isArray(obj)) {
        const mid = (obj as Record<string, unknown>)[a];
        if (mid === undefined) return undefined;
        if (!Array.isArray(mid)) return isObjectLike(mid) ? mid[b] : undefined;
      }
      return resolveFrom(obj, parts, text, 0, { depth: 0 });
    };
  }
  return (obj) => (isScalar(obj) ? obj : resolveFrom(obj, parts, text, 0, { depth: 0 }));
}

/** mingo's strict-mode truthiness (`""` is true). */
export function truthy(value: unknown): boolean {
  return !!value || value === "";
}

function fallback(expr: unknown): CompiledExpression {
  return (doc, options) => computeValue(doc, expr, null, computeOptions(options, doc));
}

function constant(value: unknown): CompiledExpression {
  return () => value;
}

function compileVariablePath(expr: string): CompiledExpression {
  if (REDACT_ACTIONS.has(expr)) return constant(expr);
  const dot = expr.indexOf(".");
  const head = dot === -1 ? expr : expr.slice(0, dot);
  const rest = dot === -1 ? "" : expr.slice(dot + 1);
  const name = head.slice(2);
  if (head === "$$ROOT" || head === "$$CURRENT") {
    if (rest === "") return (doc) => doc;
    const resolve = compileResolve(rest);
    return (doc) => resolve(doc);
  }
  if (head === "$$REMOVE") return constant(undefined);
  if (head === "$$NOW") {
    // The command's $$NOW (one value for the whole command, as in mongod).
    const resolveRest = rest === "" ? undefined : compileResolve(rest);
    return (_doc, options) => {
      const now = (options.variables as Document | undefined)?.NOW ?? new Date();
      return resolveRest ? resolveRest(now) : now;
    };
  }
  if (name === "" || name === "this") return fallback(expr);
  // A user variable: mingo resolves "name.rest" over { ...variables, this: doc }.
  const parts = [name, ...(rest === "" ? [] : rest.split("."))];
  const text = parts.map((p) => !DIGITS.test(p));
  const slow = fallback(expr);
  return (doc, options) => {
    const vars = options.variables as Record<string, unknown> | undefined;
    if (!vars || !Object.hasOwn(vars, name)) return slow(doc, options);
    const value = vars[name];
    if (parts.length === 1) return value;
    return resolveFrom(value, parts, text, 1, { depth: 0 });
  };
}

type OperatorCompiler = (args: unknown, whole: Document) => CompiledExpression | undefined;

function compileArgs(args: unknown): CompiledExpression[] | undefined {
  if (!Array.isArray(args)) return undefined;
  return args.map((a) => compileNode(a));
}

function comparison(test: (c: number) => boolean, equality?: boolean): OperatorCompiler {
  return (args) => {
    const list = compileArgs(args);
    if (list?.length !== 2) return undefined;
    const [a, b] = list as [CompiledExpression, CompiledExpression];
    const [, right] = args as [unknown, unknown];
    if (equality !== undefined && typeof right === "string" && right.charCodeAt(0) !== 36) {
      // `{$eq: [expr, "text"]}`: without a collation a string compares equal only to the same string.
      return (doc, options) => {
        const v = a(doc, options);
        const collation = collationOf(options);
        if (typeof v === "string" && !collation) return (v === right) === equality;
        return test(compareBsonValues(v, right, collation));
      };
    }
    return (doc, options) => test(compareBsonValues(a(doc, options), b(doc, options), collationOf(options)));
  };
}

/** Runs a registered expression operator on already evaluated arguments. */
function delegateStrict(name: string, args: unknown): CompiledExpression {
  const compiled = compileNode(args);
  return (doc, options) => {
    const value = compiled(doc, options);
    const op = options.context?.getOperator("expression" as never, name) as
      | ((obj: unknown, expr: unknown, options: Options) => unknown)
      | null
      | undefined;
    if (!op) return computeValue(doc, { [name]: args }, null, computeOptions(options, doc));
    return op(doc, { $literal: value }, computeOptions(options, doc));
  };
}

const SIMPLE_DATE_PARTS: Record<string, [(d: Date) => number, number]> = {
  "%Y": [(d) => d.getUTCFullYear(), 4],
  "%m": [(d) => d.getUTCMonth() + 1, 2],
  "%d": [(d) => d.getUTCDate(), 2],
  "%H": [(d) => d.getUTCHours(), 2],
  "%M": [(d) => d.getUTCMinutes(), 2],
  "%S": [(d) => d.getUTCSeconds(), 2],
  "%L": [(d) => d.getUTCMilliseconds(), 3],
};

function pad(n: number, width: number): string {
  const s = String(n);
  return s.length >= width ? s : "0".repeat(width - s.length) + s;
}

/** `$dateToString` with a constant format of %Y %m %d %H %M %S %L and no timezone, on a Date. */
function compileDateToString(args: unknown): CompiledExpression | undefined {
  if (!isMingoObject(args)) return undefined;
  const keys = Object.keys(args);
  if (!keys.every((k) => k === "date" || k === "format")) return undefined;
  const format = args.format;
  if (typeof format !== "string" || format === "" || format.startsWith("$")) return undefined;
  const pieces: (string | [(d: Date) => number, number])[] = [];
  const re = /%./g;
  let last = 0;
  for (let m = re.exec(format); m; m = re.exec(format)) {
    const part = SIMPLE_DATE_PARTS[m[0]];
    if (!part) return undefined;
    if (m.index > last) pieces.push(format.slice(last, m.index));
    pieces.push(part);
    last = m.index + 2;
  }
  if (last < format.length) pieces.push(format.slice(last));
  if (format.slice(last).includes("%")) return undefined;
  const date = compileNode(args.date);
  const general = delegateStrict("$dateToString", args);
  return (doc, options) => {
    const value = date(doc, options);
    if (!(value instanceof Date)) return general(doc, options);
    const year = value.getUTCFullYear();
    if (!(year >= 0 && year <= 9999)) return general(doc, options);
    let out = "";
    for (const p of pieces) out += typeof p === "string" ? p : pad(p[0](value), p[1]);
    return out;
  };
}

function sumLike(kind: "sum" | "avg" | "min" | "max"): OperatorCompiler {
  return (args) => {
    const reduce = (values: unknown[], options: Options): unknown => {
      switch (kind) {
        case "sum":
          return sumValues(values);
        case "avg":
          return averageValues(values);
        case "min":
          return extremeOf(values, -1, collationOf(options));
        default:
          return extremeOf(values, 1, collationOf(options));
      }
    };
    if (Array.isArray(args)) {
      const list = args.map((a) => compileNode(a));
      return (doc, options) =>
        reduce(
          list.map((f) => f(doc, options)),
          options,
        );
    }
    const single = compileNode(args);
    return (doc, options) => {
      const v = single(doc, options);
      return reduce(Array.isArray(v) ? v : [v], options);
    };
  };
}

const OPERATORS: Record<string, OperatorCompiler> = {
  $literal: (args) => constant(args),
  $eq: comparison((c) => c === 0, true),
  $ne: comparison((c) => c !== 0, false),
  $gt: comparison((c) => c > 0),
  $gte: comparison((c) => c >= 0),
  $lt: comparison((c) => c < 0),
  $lte: comparison((c) => c <= 0),
  $cmp: (args) => {
    const list = compileArgs(args);
    if (list?.length !== 2) return undefined;
    const [a, b] = list as [CompiledExpression, CompiledExpression];
    return (doc, options) => Math.sign(compareBsonValues(a(doc, options), b(doc, options), collationOf(options)));
  },
  $cond: (args) => {
    let parts: unknown[];
    if (Array.isArray(args)) {
      if (args.length !== 3) return undefined;
      parts = args;
    } else if (isMingoObject(args)) {
      parts = [args.if, args.then, args.else];
    } else {
      return undefined;
    }
    const [test, yes, no] = parts.map((p) => compileNode(p)) as [CompiledExpression, CompiledExpression, CompiledExpression];
    return (doc, options) => (truthy(test(doc, options)) ? yes(doc, options) : no(doc, options));
  },
  $ifNull: (args) => {
    const list = compileArgs(args);
    if (!list || list.length === 0) return undefined;
    return (doc, options) => {
      const values = list.map((f) => f(doc, options));
      return values.find((v) => v !== null && v !== undefined) ?? values[values.length - 1];
    };
  },
  $and: (args) => {
    const list = compileArgs(args);
    if (!list) return undefined;
    return (doc, options) => list.map((f) => f(doc, options)).every(truthy);
  },
  $or: (args) => {
    const list = compileArgs(args);
    if (!list) return undefined;
    return (doc, options) => list.map((f) => f(doc, options)).some(truthy);
  },
  $not: (args) => {
    if (Array.isArray(args)) {
      if (args.length === 0) return constant(false);
      if (args.length !== 1) return undefined;
      const inner = compileNode(args[0]);
      return (doc, options) => !inner(doc, options);
    }
    const inner = compileNode(args);
    return (doc, options) => !inner(doc, options);
  },
  $in: (args, whole) => {
    const list = compileArgs(args);
    if (list?.length !== 2) return undefined;
    const [item, array] = list as [CompiledExpression, CompiledExpression];
    const slow = fallback(whole);
    return (doc, options) => {
      const v = item(doc, options);
      const arr = array(doc, options);
      if (!Array.isArray(arr)) return slow(doc, options);
      const collation = collationOf(options);
      return arr.some((el) => bsonEquals(el, v, collation));
    };
  },
  $size: (args) => {
    const inner = compileNode(args);
    return (doc, options) => {
      const v = inner(doc, options);
      return Array.isArray(v) ? v.length : undefined;
    };
  },
  $concat: (args, whole) => {
    const list = compileArgs(args);
    if (!list) return undefined;
    const slow = fallback(whole);
    return (doc, options) => {
      const values = list.map((f) => f(doc, options));
      let nil = false;
      for (const v of values) {
        if (v === null || v === undefined) nil = true;
        else if (typeof v !== "string") return slow(doc, options);
      }
      return nil ? null : values.join("");
    };
  },
  $toString: (args) => {
    const inner = compileNode(args);
    const general = delegateStrict("$toString", args);
    return (doc, options) => {
      const v = inner(doc, options);
      if (v === null || v === undefined) return null;
      if (typeof v === "string") return v;
      if (typeof v === "number" || typeof v === "boolean") return v.toString();
      const tag = (v as { _bsontype?: string } | null)?._bsontype;
      if (tag === "Long") return String(v);
      if (tag === "Double") return String(toNumber(v));
      return general(doc, options);
    };
  },
  $dateToString: compileDateToString,
  $sum: sumLike("sum"),
  $avg: sumLike("avg"),
  $min: sumLike("min"),
  $max: sumLike("max"),
};

/**
 * Operators whose whole argument is evaluated first (`computeValue(obj, expr)`) and then only that
 * value is used: they can run on arguments computed by compiled code.
 */
const STRICT_OPERATORS = new Set([
  "$add",
  "$subtract",
  "$multiply",
  "$divide",
  "$mod",
  "$abs",
  "$ceil",
  "$floor",
  "$round",
  "$trunc",
  "$sqrt",
  "$pow",
  "$exp",
  "$ln",
  "$log",
  "$log10",
  "$arrayElemAt",
  "$arrayToObject",
  "$concatArrays",
  "$indexOfArray",
  "$range",
  "$reverseArray",
  "$slice",
  "$setDifference",
  "$setEquals",
  "$setIntersection",
  "$setIsSubset",
  "$setUnion",
  "$allElementsTrue",
  "$anyElementTrue",
  "$indexOfBytes",
  "$replaceAll",
  "$replaceOne",
  "$split",
  "$strLenCP",
  "$strcasecmp",
  "$substr",
  "$substrBytes",
  "$toLower",
  "$toUpper",
  "$objectToArray",
  "$type",
  "$isNumber",
  "$toDecimal",
  "$toObjectId",
  "$convert",
  "$toInt",
  "$toLong",
  "$toDouble",
  "$atan2",
  "$sin",
  "$cos",
  "$tan",
  "$asin",
  "$acos",
  "$atan",
  "$sinh",
  "$cosh",
  "$tanh",
  "$asinh",
  "$acosh",
  "$atanh",
  "$degreesToRadians",
  "$radiansToDegrees",
]);

function compileNode(expr: unknown): CompiledExpression {
  if (typeof expr === "string") {
    if (expr.charCodeAt(0) !== 36) return constant(expr);
    if (expr.charCodeAt(1) === 36) return compileVariablePath(expr);
    if (expr.length === 1) return fallback(expr);
    const resolve = compileResolve(expr.slice(1));
    return (doc) => resolve(doc);
  }
  if (Array.isArray(expr)) {
    const list = expr.map((e) => compileNode(e));
    return (doc, options) => list.map((f) => f(doc, options));
  }
  if (!isMingoObject(expr)) return constant(expr);
  const keys = Object.keys(expr);
  if (keys.some(isOperatorName)) {
    const name = keys[0] as string;
    if (keys.length !== 1) return fallback(expr);
    const own = OPERATORS[name];
    return (own ? own(expr[name], expr) : undefined) ?? (STRICT_OPERATORS.has(name) ? delegateStrict(name, expr[name]) : fallback(expr));
  }
  const names = keys;
  const fns = keys.map((k) => compileNode(expr[k]));
  return (doc, options) => {
    const out: Document = {};
    for (let i = 0; i < names.length; i++) {
      const v = (fns[i] as CompiledExpression)(doc, options);
      if (v !== undefined) out[names[i] as string] = v;
    }
    return out;
  };
}

/**
 * Compiles an aggregation expression; it evaluates as mingo's `computeValue` with the document as
 * `$$ROOT` (a bare `null` is the value null, as in mongod).
 */
export function compileExpression(expr: unknown): CompiledExpression {
  return compileNode(expr);
}
