import { Decimal128, ObjectId, Timestamp } from "bson";
import type { Document } from "bson";
import {
  ComputeOptions,
  computeValue,
  Context,
  initOptions,
  ProcessingMode,
  type AccumulatorOperator,
  type ExpressionOperator,
  type Options,
  type PipelineOperator,
  type QueryOperator,
} from "mingo/core";
import * as accumulatorOperators from "mingo/operators/accumulator";
import * as expressionOperators from "mingo/operators/expression";
import * as pipelineOperators from "mingo/operators/pipeline";
import * as projectionOperators from "mingo/operators/projection";
import * as queryOperators from "mingo/operators/query";
import * as windowOperators from "mingo/operators/window";
import { Lazy } from "mingo/lazy";
import { resolve } from "mingo/util";
import { bsonTypeName, bsonTypeTag, compareBsonValues, isPlainDocument, typeRank, TYPE_RANK } from "./bsonOrder";
import { CommandError, notImplemented } from "./commandError";
import { COLLATION_OPTION, type Collation, collationOf } from "./collation";

export { collationOf };
import { jsonSchemaPredicate } from "./jsonSchema";
import { addToSum, averageResult, doubleValue, newSum, sumResult } from "./numbers";
import { EVALUATED_OPERATORS, numericConversion, plainArguments } from "./numericOperators";
export { MingoQuery } from "./mingoClasses";
import { createQueryOperators } from "./queryOperators";

type Stages = Record<string, PipelineOperator>;

let sharedContext: Context | undefined;

function compareExpression(test: (c: number) => boolean): ExpressionOperator {
  return (obj, expr, options) => {
    const args = computeValue(obj, expr, null, options) as unknown[];
    if (!Array.isArray(args) || args.length !== 2) throw new CommandError(16020, "Expression takes exactly 2 arguments.");
    return test(compareBsonValues(args[0], args[1], collationOf(options)));
  };
}

/** The smallest (`-1`) or largest (`1`) non-null value in BSON order; `null` when there is none. */
export function extremeOf(values: unknown[], sign: 1 | -1, collation?: Collation): unknown {
  let best: unknown = null;
  for (const v of values) {
    if (v === null || v === undefined) continue;
    if (best === null || compareBsonValues(v, best, collation) * sign > 0) best = v;
  }
  return best;
}

function extremeExpression(sign: 1 | -1): ExpressionOperator {
  return (obj, expr, options) => {
    if (Array.isArray(obj)) return extremeOf(evaluateEach(obj, expr, options), sign, collationOf(options));
    const args = computeValue(obj, expr, null, options);
    const list = Array.isArray(expr) ? (args as unknown[]) : Array.isArray(args) ? args : [args];
    return extremeOf(list, sign, collationOf(options));
  };
}

/** The command's `$$NOW` in milliseconds (from the evaluation variables; mongod fixes it once per command). */
function nowOf(options: Options): number {
  const now = (options.variables as Document | undefined)?.NOW;
  return now instanceof Date ? now.getTime() : Date.now();
}

/**
 * mingo's per-evaluation options with `doc` as root and the command's `$$NOW` (mingo would otherwise
 * take the clock afresh for every evaluation).
 */
export function computeOptions(options: Options, doc: unknown): ComputeOptions {
  if (options instanceof ComputeOptions) return ComputeOptions.init(options).update(doc);
  return ComputeOptions.init(options, doc, { now: nowOf(options) });
}

/** Evaluates an expression with `doc` as `$$ROOT`/`$$CURRENT` (keeps variables of the enclosing evaluation). */
export function evaluateOn(doc: unknown, expr: unknown, options: Options): unknown {
  if (expr === null || expr === undefined) return doc;
  if (typeof expr === "number" || typeof expr === "boolean") return expr;
  if (typeof expr === "string" && expr.charCodeAt(0) === 36 /* $ */ && expr.charCodeAt(1) !== 36 && expr.length > 1) {
    return isPlainDocument(doc) ? resolve(doc, expr.slice(1)) : undefined;
  }
  return computeValue(doc, expr, null, computeOptions(options, doc));
}

function evaluateEach(collection: unknown[], expr: unknown, options: Options): unknown[] {
  return collection.map((o) => evaluateOn(o, expr, options));
}

function extremeAccumulator(sign: 1 | -1): AccumulatorOperator {
  return (collection, expr, options) => extremeOf(evaluateEach(collection, expr, options), sign, collationOf(options));
}

/** `$sum` over values: the type widens as mongod's does (int → long → double); non-numbers are skipped. */
export function sumValues(values: unknown[]): unknown {
  const state = newSum();
  for (const v of values) addToSum(state, v);
  return sumResult(state);
}

/** `$avg` over values (a double; null when none is numeric). */
export function averageValues(values: unknown[]): unknown {
  const state = newSum();
  for (const v of values) addToSum(state, v);
  return averageResult(state);
}

const sumAccumulator: AccumulatorOperator = (collection, expr, options) => sumValues(evaluateEach(collection, expr, options));

const avgAccumulator: AccumulatorOperator = (collection, expr, options) => averageValues(evaluateEach(collection, expr, options));

const sumExpression: ExpressionOperator = (obj, expr, options) => {
  if (Array.isArray(obj)) return sumAccumulator(obj, expr, options);
  const args = computeValue(obj, expr, null, options);
  if (Array.isArray(expr)) return sumValues(args as unknown[]);
  return Array.isArray(args) ? sumValues(args) : sumValues([args]);
};

const avgExpression: ExpressionOperator = (obj, expr, options) => {
  if (Array.isArray(obj)) return avgAccumulator(obj, expr, options);
  const args = computeValue(obj, expr, null, options);
  const values = Array.isArray(expr) ? (args as unknown[]) : Array.isArray(args) ? args : [args];
  return averageValues(values);
};

function toDecimal(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (bsonTypeTag(value) === "Decimal128") return value;
  if (typeof value === "boolean") return Decimal128.fromString(value ? "1" : "0");
  if (value instanceof Date) return Decimal128.fromString(String(value.getTime()));
  if (typeof value === "number" || bsonTypeTag(value) === "Long") return Decimal128.fromString(String(value));
  if (typeof value === "string") {
    try {
      return Decimal128.fromString(value.trim());
    } catch {
      throw new CommandError(241, `Failed to parse number '${value}' in $convert with no onError value`, { codeName: "ConversionFailure" });
    }
  }
  throw new CommandError(241, `Unsupported conversion from ${bsonTypeName(value)} to decimal in $convert with no onError value`, {
    codeName: "ConversionFailure",
  });
}

function toObjectId(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (bsonTypeTag(value) === "ObjectId") return value;
  if (typeof value === "string" && /^[0-9a-fA-F]{24}$/.test(value)) return new ObjectId(value);
  throw new CommandError(241, `Failed to parse objectId '${String(value)}' in $convert with no onError value`, {
    codeName: "ConversionFailure",
  });
}

const convertExpression =
  (original: ExpressionOperator): ExpressionOperator =>
  (obj, expr, options) => {
    const args = computeValue(obj, expr, null, options) as Document;
    const to = args.to;
    const custom = to === "objectId" || to === 7 ? toObjectId : to === "decimal" || to === 19 ? toDecimal : numericConversion(to);
    if (!custom) return original(obj, { ...args, input: { $literal: plainArguments(args.input) } }, options);
    if (args.input === null || args.input === undefined) return args.onNull === undefined ? null : args.onNull;
    try {
      return custom(args.input);
    } catch (error) {
      if (args.onError !== undefined) return args.onError;
      throw error;
    }
  };

/**
 * mingo's own sorting (used by $setWindowFields, $top/$bottom(N), $minN/$maxN, $sortArray) agrees
 * with mongod only when the compared values share one BSON type (nulls aside) and are plain JS
 * numbers/strings/dates/...; anything else is refused rather than ordered differently.
 */
export function assertMingoComparable(values: readonly unknown[], where: string): void {
  let rank: number | undefined;
  for (const v of values) {
    if (v === null || v === undefined) continue;
    const tag = bsonTypeTag(v);
    if (Array.isArray(v) || tag === "Decimal128" || tag === "Long" || tag === "Double" || tag === "MinKey" || tag === "MaxKey") {
      throw notImplemented(`${where} ordering arrays, Decimal128, 64-bit integers, integral doubles or Min/MaxKey values`);
    }
    const r = typeRank(v);
    if (rank === undefined) rank = r;
    else if (rank !== r) throw notImplemented(`${where} ordering values of mixed BSON types`);
  }
}

function sortKeyValues(docs: readonly unknown[], sortBy: unknown, options: Options): unknown[][] {
  if (!sortBy || typeof sortBy !== "object") return [docs.map((d) => d)];
  return Object.keys(sortBy as Document).map((path) => docs.map((d) => evaluateOn(d, `$${path}`, options)));
}

function guardSortedAccumulator(name: string, original: AccumulatorOperator | undefined): AccumulatorOperator | undefined {
  if (!original) return undefined;
  return (collection, expr, options) => {
    const sortBy = (expr as Document | null)?.sortBy;
    for (const values of sortKeyValues(collection, sortBy, options)) assertMingoComparable(values, name);
    return original(collection, expr, options);
  };
}

function guardExtremeN(name: string, original: AccumulatorOperator | undefined): AccumulatorOperator | undefined {
  if (!original) return undefined;
  return (collection, expr, options) => {
    const input = (expr as Document | null)?.input;
    assertMingoComparable(evaluateEach(collection, input, options), name);
    return original(collection, expr, options);
  };
}

const _ARITHMETIC = [
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
] as const;

/** Expression operators mingo lacks or gets wrong for BSON types, in mongod semantics. */
function expressionOverrides(): Record<string, ExpressionOperator> {
  const base = expressionOperators as unknown as Record<string, ExpressionOperator>;
  const out: Record<string, ExpressionOperator> = {
    $eq: compareExpression((c) => c === 0),
    $ne: compareExpression((c) => c !== 0),
    $gt: compareExpression((c) => c > 0),
    $gte: compareExpression((c) => c >= 0),
    $lt: compareExpression((c) => c < 0),
    $lte: compareExpression((c) => c <= 0),
    $cmp: (obj, expr, options) => {
      const args = computeValue(obj, expr, null, options) as unknown[];
      return Math.sign(compareBsonValues(args[0], args[1], collationOf(options)));
    },
    $min: extremeExpression(-1),
    $max: extremeExpression(1),
    $sum: sumExpression,
    $avg: avgExpression,
    $type: (obj, expr, options) => bsonTypeName(computeValue(obj, expr, null, options)),
    $isNumber: (obj, expr, options) => typeRank(computeValue(obj, expr, null, options)) === TYPE_RANK.number,
    $toDecimal: (obj, expr, options) => toDecimal(computeValue(obj, expr, null, options)),
    $toObjectId: (obj, expr, options) => toObjectId(computeValue(obj, expr, null, options)),
    $convert: convertExpression(base.$convert as ExpressionOperator),
    $sortArray: sortArrayExpression,
    $function: (obj, expr, options) => {
      // mingo's own stages ($setWindowFields) call $function with a JS body; clients cannot send one.
      const fn = computeValue(obj, expr, null, options) as { body?: unknown; args?: unknown[] } | undefined;
      if (typeof fn?.body !== "function") throw notImplemented("expression operator $function");
      return (fn.body as (...args: unknown[]) => unknown)(...(fn.args ?? []));
    },
    $accumulator: () => {
      throw notImplemented("expression operator $accumulator");
    },
  };
  for (const [name, fn] of Object.entries(EVALUATED_OPERATORS)) {
    out[name] = (obj, expr, options) => fn(computeValue(obj, expr, null, options), collationOf(options));
  }
  for (const name of NUMERIC_PARAMETER_OPERATORS) {
    const original = base[name];
    if (!original) continue;
    out[name] = (obj, expr, options) => original(obj, { $literal: plainArguments(computeValue(obj, expr, null, options)) }, options);
  }
  out.$__plainNumber = (obj, expr, options) => plainArguments(computeValue(obj, expr, null, options));
  return out;
}

/** mingo operators whose numeric parameters must be plain JS numbers (mingo knows no bson number classes). */
const NUMERIC_PARAMETER_OPERATORS = [
  "$arrayElemAt",
  "$range",
  "$slice",
  "$indexOfBytes",
  "$indexOfCP",
  "$substr",
  "$substrBytes",
  "$substrCP",
  "$toBool",
  "$toDate",
  "$dateAdd",
  "$dateSubtract",
  "$dateTrunc",
  "$dateFromParts",
  "$bitAnd",
  "$bitOr",
  "$bitXor",
  "$bitNot",
];

/** mingo accumulators over numbers: their input is made of plain numbers, their result is a double. */
function numericAccumulator(original: AccumulatorOperator | undefined, kind: "plain" | "input" | "pair"): AccumulatorOperator | undefined {
  if (!original) return undefined;
  return (collection, expr, options) => {
    const wrap = (e: unknown) => ({ $__plainNumber: e });
    const wrapped =
      kind === "plain"
        ? wrap(expr)
        : kind === "pair" && Array.isArray(expr)
          ? expr.map(wrap)
          : { ...(expr as Document), input: wrap((expr as Document).input) };
    const result = original(collection, wrapped, options);
    if (typeof result === "number") return doubleValue(result);
    if (Array.isArray(result)) return result.map((v) => (typeof v === "number" ? doubleValue(v) : v));
    return result;
  };
}

function guardedAccumulators(): Record<string, AccumulatorOperator> {
  const base = accumulatorOperators as unknown as Record<string, AccumulatorOperator>;
  const out: Record<string, AccumulatorOperator> = {};
  for (const name of ["$top", "$bottom", "$topN", "$bottomN"]) {
    const wrapped = guardSortedAccumulator(name, base[name]);
    if (wrapped) out[name] = wrapped;
  }
  for (const name of ["$minN", "$maxN"]) {
    const wrapped = guardExtremeN(name, base[name]);
    if (wrapped) out[name] = wrapped;
  }
  for (const [name, kind] of [
    ["$stdDevPop", "plain"],
    ["$stdDevSamp", "plain"],
    ["$median", "input"],
    ["$percentile", "input"],
    ["$covariancePop", "pair"],
    ["$covarianceSamp", "pair"],
  ] as const) {
    const wrapped = numericAccumulator(base[name], kind);
    if (wrapped) out[name] = wrapped;
  }
  return out;
}

const setWindowFieldsStage: PipelineOperator = (collection, expr, options) => {
  const docs = collection.value() as Document[];
  const sortBy = (expr as Document | null)?.sortBy;
  if (sortBy) for (const values of sortKeyValues(docs, sortBy, options)) assertMingoComparable(values, "$setWindowFields sortBy");
  const original = (pipelineOperators as unknown as Stages).$setWindowFields as PipelineOperator;
  return original(Lazy(docs), expr, options);
};

const sortArrayExpression: ExpressionOperator = (obj, expr, options) => {
  const args = computeValue(obj, expr, null, options) as Document;
  if (Array.isArray(args?.input)) {
    for (const values of sortKeyValues(args.input, typeof args.sortBy === "object" ? args.sortBy : undefined, options)) {
      assertMingoComparable(values, "$sortArray");
    }
  }
  const original = (expressionOperators as unknown as Record<string, ExpressionOperator>).$sortArray as ExpressionOperator;
  return original(obj, { input: { $literal: args?.input }, sortBy: args?.sortBy }, options);
};

function buildContext(): Context {
  return Context.init({
    accumulator: {
      ...(accumulatorOperators as unknown as Record<string, AccumulatorOperator>),
      ...guardedAccumulators(),
      $min: extremeAccumulator(-1),
      $max: extremeAccumulator(1),
      $sum: sumAccumulator,
      $avg: avgAccumulator,
      $accumulator: () => {
        throw notImplemented("accumulator $accumulator");
      },
    },
    expression: { ...(expressionOperators as unknown as Record<string, ExpressionOperator>), ...expressionOverrides() },
    // The engine runs pipelines itself (aggregationPipeline.ts); mingo's stages are used only for
    // $documents, $sample, $redact and (guarded) $setWindowFields.
    pipeline: { ...(pipelineOperators as unknown as Stages), $setWindowFields: setWindowFieldsStage },
    projection: projectionOperators as never,
    query: {
      ...(queryOperators as unknown as Record<string, QueryOperator>),
      ...createQueryOperators(),
      // mingo's own $expr would take $$NOW afresh per document; mongod fixes it per command.
      $expr: (_selector, expr, options) => (obj: unknown) => {
        const value = computeValue(obj, expr, null, computeOptions(options, obj));
        return !!value || value === "";
      },
    },
    window: windowOperators as never,
  });
}

/** Per-call settings for expression evaluation. */
export interface EvaluationSettings {
  /** The command's collation (absent = simple): string comparisons, keys and sorts follow it. */
  readonly collation?: Collation;
  /** Bytes an in-memory `$sort` may hold (absent = it may spill to disk, so it never fails). */
  readonly sortMemoryLimit?: number;
  /** `let` variables (plus `$$NOW`/`$$CLUSTER_TIME` supplied by the engine). */
  readonly variables?: Document;
  /**
   * Resolver for `$lookup`/`$unionWith` targets within the current database: every document, or with a
   * `filter`, at least those matching it (the resolver may narrow by index and return more).
   */
  readonly collectionResolver?: (name: string, filter?: Document) => Document[];
}

let baseOptions: Options | undefined;

/** Where pipeline run options carry the blocking-sort memory limit. */
const SORT_MEMORY = Symbol("sortMemoryLimit");

/** The blocking-sort memory limit of a pipeline run (`undefined` = sorts may spill). */
export function sortMemoryOf(options: Options): number | undefined {
  return (options as { [SORT_MEMORY]?: number })[SORT_MEMORY];
}

const optionsCache = new WeakMap<EvaluationSettings, Options>();
const NO_SETTINGS: EvaluationSettings = {};

/**
 * Builds mingo options wired to the engine's operators (no fallback to mingo's global registry).
 * One settings object (one command) always gets the same options, `$$CLUSTER_TIME` included.
 */
export function createMingoOptions(settings: EvaluationSettings = NO_SETTINGS): Options {
  const cached = settings === NO_SETTINGS ? undefined : optionsCache.get(settings);
  if (cached && cached.context === sharedContext) return cached;
  const built = buildMingoOptions(settings);
  if (settings !== NO_SETTINGS) optionsCache.set(settings, built);
  return built;
}

function buildMingoOptions(settings: EvaluationSettings): Options {
  sharedContext ??= buildContext();
  baseOptions ??= initOptions({
    context: sharedContext,
    useGlobalContext: false,
    useStrictMode: true,
    scriptEnabled: false,
    processingMode: ProcessingMode.CLONE_OFF,
    jsonSchemaValidator: jsonSchemaPredicate as never,
  });
  if (baseOptions.context !== sharedContext) baseOptions = { ...baseOptions, context: sharedContext };
  const variables = { NOW: new Date(), CLUSTER_TIME: new Timestamp({ t: Math.floor(Date.now() / 1000), i: 1 }), ...settings.variables };
  return Object.freeze({
    ...baseOptions,
    variables,
    ...(settings.collectionResolver ? { collectionResolver: settings.collectionResolver } : {}),
    // Our Collation rides in mingo's `collation` field (see collation.ts); mingo ignores it.
    ...(settings.collation ? { [COLLATION_OPTION]: settings.collation as unknown as Options["collation"] } : {}),
    ...(settings.sortMemoryLimit === undefined ? {} : { [SORT_MEMORY]: settings.sortMemoryLimit }),
  }) as Options;
}
