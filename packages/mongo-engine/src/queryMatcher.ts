import type { Document } from "bson";
import { CommandError, notImplemented } from "./commandError";
import { createMingoOptions, MingoQuery, type EvaluationSettings } from "./mingoContext";
import { prepareFilter } from "./queryOperators";

/** A compiled filter. */
export type DocumentMatcher = (doc: Document) => boolean;

const MONGOD_OPERATORS = new Set([
  "$abs",
  "$acos",
  "$acosh",
  "$add",
  "$addToSet",
  "$allElementsTrue",
  "$and",
  "$anyElementTrue",
  "$arrayElemAt",
  "$arrayToObject",
  "$asin",
  "$asinh",
  "$atan",
  "$atan2",
  "$atanh",
  "$avg",
  "$binarySize",
  "$bitAnd",
  "$bitNot",
  "$bitOr",
  "$bitXor",
  "$bottom",
  "$bottomN",
  "$bsonSize",
  "$ceil",
  "$cmp",
  "$concat",
  "$concatArrays",
  "$cond",
  "$convert",
  "$cos",
  "$cosh",
  "$count",
  "$covariancePop",
  "$covarianceSamp",
  "$dateAdd",
  "$dateDiff",
  "$dateFromParts",
  "$dateFromString",
  "$dateSubtract",
  "$dateToParts",
  "$dateToString",
  "$dateTrunc",
  "$dayOfMonth",
  "$dayOfWeek",
  "$dayOfYear",
  "$degreesToRadians",
  "$denseRank",
  "$derivative",
  "$divide",
  "$documentNumber",
  "$eq",
  "$exp",
  "$expMovingAvg",
  "$filter",
  "$first",
  "$firstN",
  "$floor",
  "$function",
  "$getField",
  "$gt",
  "$gte",
  "$hour",
  "$ifNull",
  "$in",
  "$indexOfArray",
  "$indexOfBytes",
  "$indexOfCP",
  "$integral",
  "$isArray",
  "$isNumber",
  "$isoDayOfWeek",
  "$isoWeek",
  "$isoWeekYear",
  "$last",
  "$lastN",
  "$let",
  "$linearFill",
  "$literal",
  "$ln",
  "$locf",
  "$log",
  "$log10",
  "$lt",
  "$lte",
  "$ltrim",
  "$map",
  "$max",
  "$maxN",
  "$median",
  "$mergeObjects",
  "$meta",
  "$millisecond",
  "$min",
  "$minN",
  "$minute",
  "$mod",
  "$month",
  "$multiply",
  "$ne",
  "$not",
  "$objectToArray",
  "$or",
  "$percentile",
  "$pow",
  "$push",
  "$radiansToDegrees",
  "$rand",
  "$range",
  "$rank",
  "$reduce",
  "$regexFind",
  "$regexFindAll",
  "$regexMatch",
  "$replaceAll",
  "$replaceOne",
  "$reverseArray",
  "$round",
  "$rtrim",
  "$sampleRate",
  "$second",
  "$setDifference",
  "$setEquals",
  "$setField",
  "$setIntersection",
  "$setIsSubset",
  "$setUnion",
  "$shift",
  "$sin",
  "$sinh",
  "$size",
  "$slice",
  "$sortArray",
  "$split",
  "$sqrt",
  "$stdDevPop",
  "$stdDevSamp",
  "$strcasecmp",
  "$strLenBytes",
  "$strLenCP",
  "$substr",
  "$substrBytes",
  "$substrCP",
  "$subtract",
  "$sum",
  "$switch",
  "$tan",
  "$tanh",
  "$toBool",
  "$toDate",
  "$toDecimal",
  "$toDouble",
  "$toHashedIndexKey",
  "$toInt",
  "$toLong",
  "$toLower",
  "$toObjectId",
  "$top",
  "$topN",
  "$toString",
  "$toUpper",
  "$trim",
  "$trunc",
  "$tsIncrement",
  "$tsSecond",
  "$type",
  "$unsetField",
  "$week",
  "$year",
  "$zip",
  "$elemMatch",
  "$exists",
  "$all",
  "$regex",
  "$nin",
  "$nor",
  "$bitsAllSet",
  "$bitsAnySet",
  "$bitsAllClear",
  "$bitsAnyClear",
  "$jsonSchema",
  "$expr",
  "$text",
  "$where",
  "$near",
  "$geoWithin",
  "$geoIntersects",
  "$nearSphere",
  "$accumulator",
  "$lookup",
  "$graphLookup",
  "$setWindowFields",
  "$densify",
  "$fill",
  "$bucketAuto",
  "$geoNear",
  "$search",
  "$searchMeta",
  "$vectorSearch",
  "$changeStream",
  "$collStats",
  "$indexStats",
  "$currentOp",
  "$listSessions",
  "$listLocalSessions",
  "$planCacheStats",
  "$documents",
  "$out",
  "$merge",
  "$unionWith",
  "$redact",
  "$sample",
  "$replaceWith",
  "$replaceRoot",
]);

/** Turns an exception from mingo into the mongod error the driver should see. */
export function translateEvaluationError(error: unknown): CommandError {
  if (error instanceof CommandError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const named =
    /'(\$[A-Za-z0-9_]+)' is not registered/.exec(message) ??
    /unregistered pipeline operator (\$[A-Za-z0-9_]+)/.exec(message) ??
    /unknown query operator (\$[A-Za-z0-9_]+)/.exec(message) ??
    /unknown top level operator:? (\$[A-Za-z0-9_]+)/.exec(message);
  if (named) {
    const op = named[1] as string;
    if (MONGOD_OPERATORS.has(op)) return notImplemented(`operator ${op}`);
    if (message.includes("query operator")) return new CommandError(2, `unknown operator: ${op}`);
    return new CommandError(168, `Unrecognized expression '${op}'`);
  }
  if (/Use of undefined variable: (\S+)/.test(message)) {
    return new CommandError(17276, message);
  }
  return new CommandError(2, message.replace(/^mingo: /, ""));
}

/** Runs evaluation code, converting mingo exceptions into mongod-style errors. */
export function evaluating<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw translateEvaluationError(error);
  }
}

/** Whether a mongod operator name is known (used to tell 238 from "unrecognized"). */
export function isKnownMongodOperator(name: string): boolean {
  return MONGOD_OPERATORS.has(name);
}

/** Compiles a query filter with mongod semantics (BSON-aware comparison, array and null rules). */
export function compileFilter(filter: unknown, settings: EvaluationSettings = {}): DocumentMatcher {
  const prepared = prepareFilter(filter);
  if (Object.keys(prepared).length === 0) return () => true;
  const query = evaluating(() => new MingoQuery(prepared, createMingoOptions(settings)));
  return (doc) => {
    try {
      return query.test(doc);
    } catch (error) {
      throw translateEvaluationError(error);
    }
  };
}
