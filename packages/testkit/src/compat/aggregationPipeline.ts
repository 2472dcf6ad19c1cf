import type { Document } from "bson";
import { computeValue, type Options, type PipelineOperator } from "mingo/core";
import { $group as mingoGroup } from "mingo/operators/pipeline";
import { canonicalKey, cloneValue, compareBsonValues, formatBsonValue, isPlainDocument, toNumber, typeRank } from "./bsonOrder";
import { CommandError, notImplemented } from "./commandError";
import { createMingoOptions, evaluateOn, MingoAggregator, MingoQuery, registerEngineStages, type EvaluationSettings } from "./mingoContext";
import { collectPathValues } from "./pathValues";
import { compileAddFields, compileProjection } from "./projection";
import { evaluating } from "./queryMatcher";
import { prepareFilter } from "./queryOperators";
import { parseSortSpec, sortDocuments } from "./sortDocuments";

const SUPPORTED_STAGES = new Set([
  "$match",
  "$project",
  "$addFields",
  "$set",
  "$unset",
  "$group",
  "$sort",
  "$limit",
  "$skip",
  "$unwind",
  "$facet",
  "$lookup",
  "$count",
  "$bucket",
  "$sortByCount",
  "$replaceRoot",
  "$replaceWith",
  "$unionWith",
  "$sample",
  "$redact",
  "$setWindowFields",
  "$documents",
]);

const UNSUPPORTED_STAGES = new Set([
  "$bucketAuto",
  "$graphLookup",
  "$densify",
  "$fill",
  "$geoNear",
  "$search",
  "$searchMeta",
  "$vectorSearch",
  "$changeStream",
  "$changeStreamSplitLargeEvent",
  "$collStats",
  "$indexStats",
  "$currentOp",
  "$listSessions",
  "$listLocalSessions",
  "$planCacheStats",
  "$listSearchIndexes",
  "$shardedDataDistribution",
  "$listSampledQueries",
  "$queryStats",
]);

/** Name of a pipeline stage (throws 40323 when the stage is not a one-field document). */
export function stageName(stage: unknown): string {
  if (!isPlainDocument(stage) || Object.keys(stage).length !== 1) {
    throw new CommandError(40323, "A pipeline stage specification object must contain exactly one field.");
  }
  return Object.keys(stage)[0] as string;
}

/**
 * Checks every stage (nested pipelines included) is implemented; unknown stages answer 40324 and
 * known-but-unimplemented ones 238 naming the stage. `$out`/`$merge` are accepted only as the last
 * top-level stage.
 */
export function validatePipeline(pipeline: unknown, topLevel: boolean): Document[] {
  if (!Array.isArray(pipeline)) throw new CommandError(14, "'pipeline' option must be specified as an array");
  pipeline.forEach((stage, i) => {
    const name = stageName(stage);
    const spec = (stage as Document)[name];
    if (name === "$out" || name === "$merge") {
      if (!topLevel || i !== pipeline.length - 1) {
        throw new CommandError(40601, `${name} can only be the final stage in the pipeline`);
      }
      return;
    }
    if (UNSUPPORTED_STAGES.has(name)) throw notImplemented(`aggregation stage ${name}`);
    if (!SUPPORTED_STAGES.has(name)) throw new CommandError(40324, `Unrecognized pipeline stage name: '${name}'`);
    if (name === "$documents" && (i !== 0 || topLevel === false)) {
      // allowed as first stage of a $lookup/$unionWith pipeline too
      if (i !== 0) throw new CommandError(40602, "$documents is only valid as the first stage in a pipeline");
    }
    if (name === "$facet") {
      if (!isPlainDocument(spec)) throw new CommandError(40169, "the $facet specification must be a non-empty object");
      for (const sub of Object.values(spec)) validatePipeline(sub, false);
    }
    if (name === "$lookup" && isPlainDocument(spec) && spec.pipeline !== undefined) validatePipeline(spec.pipeline, false);
    if (name === "$unionWith" && isPlainDocument(spec) && spec.pipeline !== undefined) validatePipeline(spec.pipeline, false);
  });
  return pipeline as Document[];
}

function resolverOf(options: Options): (name: string) => Document[] {
  const resolver = options.collectionResolver;
  if (!resolver) throw new CommandError(1, "no collection resolver configured");
  return resolver;
}

function runNested(pipeline: Document[], docs: Document[], options: Options): Document[] {
  return new MingoAggregator(pipeline, options).run(docs) as Document[];
}

function setPath(doc: Document, path: string, value: unknown): Document {
  const parts = path.split(".");
  const out: Document = { ...doc };
  let cursor = out;
  for (let i = 0; i < parts.length - 1; i++) {
    const part = parts[i] as string;
    const child = cursor[part];
    const next: Document = isPlainDocument(child) ? { ...child } : {};
    cursor[part] = next;
    cursor = next;
  }
  cursor[parts[parts.length - 1] as string] = value;
  return out;
}

function lookupKeys(doc: Document, path: string): string[] {
  const found = collectPathValues(doc, path, false);
  const keys: string[] = [];
  for (const v of found.values) {
    if (Array.isArray(v)) for (const el of v) keys.push(canonicalKey(el));
    else keys.push(canonicalKey(v));
  }
  if (found.missing || keys.length === 0) keys.push(canonicalKey(null));
  return keys;
}

const lookupStage: PipelineOperator = (collection, expr, options) => {
  if (!isPlainDocument(expr)) throw new CommandError(40319, "the $lookup stage specification must be an object");
  const { from, localField, foreignField, as } = expr;
  if (typeof as !== "string") throw new CommandError(40321, "must specify 'as' field for a $lookup");
  if (from !== undefined && typeof from !== "string") throw notImplemented("$lookup with 'from' naming another database");
  const pipeline = expr.pipeline as Document[] | undefined;
  if ((localField === undefined) !== (foreignField === undefined)) {
    throw new CommandError(40322, "$lookup requires both or neither of 'localField' and 'foreignField' to be specified");
  }
  if (localField === undefined && pipeline === undefined) {
    throw new CommandError(40322, "$lookup requires either 'pipeline' or both 'localField' and 'foreignField' to be specified");
  }
  if (from === undefined && !(pipeline && pipeline[0] && "$documents" in pipeline[0])) {
    throw new CommandError(40320, "$lookup requires 'from' unless the pipeline starts with $documents");
  }
  const foreign = typeof from === "string" ? resolverOf(options)(from) : [];
  let byKey: Map<string, number[]> | undefined;
  if (typeof localField === "string" && typeof foreignField === "string") {
    byKey = new Map();
    foreign.forEach((doc, i) => {
      for (const k of new Set(lookupKeys(doc, foreignField))) {
        const list = byKey?.get(k);
        if (list) list.push(i);
        else byKey?.set(k, [i]);
      }
    });
  }
  const letSpec = isPlainDocument(expr.let) ? expr.let : undefined;
  return collection.map((raw) => {
    const doc = raw as Document;
    let joined: Document[] = foreign;
    if (byKey && typeof localField === "string") {
      const hits = new Set<number>();
      for (const k of lookupKeys(doc, localField)) for (const i of byKey.get(k) ?? []) hits.add(i);
      joined = [...hits].sort((a, b) => a - b).map((i) => foreign[i] as Document);
    }
    let result: Document[];
    if (pipeline && pipeline.length) {
      const vars: Document = {};
      if (letSpec) for (const [name, e] of Object.entries(letSpec)) vars[name] = evaluateOn(doc, e, options);
      const nestedOptions = { ...options, variables: { ...options.variables, ...vars } } as Options;
      result = runNested(pipeline, joined.map(cloneValue), nestedOptions);
    } else {
      result = joined.map(cloneValue);
    }
    return setPath(doc, as, result);
  });
};

const unionWithStage: PipelineOperator = (collection, expr, options) => {
  const spec = typeof expr === "string" ? { coll: expr } : (expr as Document);
  if (!isPlainDocument(spec) || (typeof spec.coll !== "string" && spec.pipeline === undefined)) {
    throw new CommandError(40626, "the $unionWith stage specification must be an object or string");
  }
  return collection.transform((docs: unknown[]) => {
    const base = typeof spec.coll === "string" ? resolverOf(options)(spec.coll).map(cloneValue) : [];
    const extra = Array.isArray(spec.pipeline) ? runNested(spec.pipeline as Document[], base, options) : base;
    return [...docs, ...extra];
  });
};

const sortStage: PipelineOperator = (collection, expr) => {
  const spec = parseSortSpec(expr);
  return collection.transform((docs: unknown[]) => sortDocuments(docs as Document[], spec));
};

const projectStage: PipelineOperator = (collection, expr, options) => {
  if (!isPlainDocument(expr) || Object.keys(expr).length === 0) {
    throw new CommandError(51272, "Invalid $project :: caused by :: projection specification must have at least one field");
  }
  const projection = compileProjection(expr, "aggregate", options);
  return collection.map((doc) => projection.apply(doc as Document));
};

const countStage: PipelineOperator = (collection, expr) => {
  if (typeof expr !== "string" || expr === "") throw new CommandError(40156, "the count field must be a non-empty string");
  if (expr.startsWith("$")) throw new CommandError(40158, "the count field cannot be a $-prefixed path");
  if (expr.includes(".")) throw new CommandError(40160, "the count field cannot contain '.'");
  return collection.transform((docs: unknown[]) => (docs.length ? [{ [expr]: docs.length }] : []));
};

const sortByCountStage: PipelineOperator = (collection, expr, options) =>
  collection.transform((docs: unknown[]) => {
    const groups = new Map<string, { _id: unknown; count: number }>();
    for (const doc of docs) {
      let value = evaluateOn(doc, expr, options);
      if (value === undefined) value = null;
      const k = canonicalKey(value);
      const g = groups.get(k);
      if (g) g.count += 1;
      else groups.set(k, { _id: value, count: 1 });
    }
    return [...groups.values()].sort((a, b) => b.count - a.count);
  });

const bucketStage: PipelineOperator = (collection, expr, options) => {
  if (!isPlainDocument(expr)) throw new CommandError(40201, "Argument to $bucket stage must be an object");
  const boundaries = expr.boundaries;
  if (!Array.isArray(boundaries) || boundaries.length < 2) {
    throw new CommandError(40192, "The $bucket 'boundaries' field must be an array of at least 2 values");
  }
  for (let i = 1; i < boundaries.length; i++) {
    if (typeRank(boundaries[i]) !== typeRank(boundaries[0])) {
      throw new CommandError(40193, "All values in the 'boundaries' option to $bucket must have the same type");
    }
    if (compareBsonValues(boundaries[i - 1], boundaries[i]) >= 0) {
      throw new CommandError(40194, "The 'boundaries' option to $bucket must be sorted in ascending order");
    }
  }
  const hasDefault = Object.hasOwn(expr, "default");
  const def = expr.default;
  if (hasDefault && typeRank(def) === typeRank(boundaries[0]) &&
    compareBsonValues(def, boundaries[0]) >= 0 && compareBsonValues(def, boundaries[boundaries.length - 1]) < 0) {
    throw new CommandError(40199, "The $bucket 'default' field must be less than the lowest boundary or greater than or equal to the highest boundary.");
  }
  const output = isPlainDocument(expr.output) ? expr.output : { count: { $sum: 1 } };
  return collection.transform((docs: unknown[]) => {
    const buckets = new Map<number, unknown[]>();
    for (const doc of docs) {
      const value = evaluateOn(doc, expr.groupBy, options);
      let slot = -1;
      if (typeRank(value) === typeRank(boundaries[0])) {
        for (let i = 0; i < boundaries.length - 1; i++) {
          if (compareBsonValues(value, boundaries[i]) >= 0 && compareBsonValues(value, boundaries[i + 1]) < 0) {
            slot = i;
            break;
          }
        }
      }
      if (slot === -1 && !hasDefault) {
        throw new CommandError(40066, `$switch could not find a matching branch for an input, and no default was specified.`);
      }
      const list = buckets.get(slot);
      if (list) list.push(doc);
      else buckets.set(slot, [doc]);
    }
    const out: Document[] = [];
    const order = [...buckets.keys()].sort((a, b) => (a === -1 ? 1 : b === -1 ? -1 : a - b));
    for (const slot of order) {
      const members = buckets.get(slot) as unknown[];
      const id = slot === -1 ? def : boundaries[slot];
      out.push({ _id: id, ...(computeValue(members, output, null, options) as Document) });
    }
    return out;
  });
};

const matchStage: PipelineOperator = (collection, expr, options) => {
  const query = new MingoQuery(prepareFilter(expr), options);
  return collection.filter((doc) => query.test(doc as Document));
};

const groupStage: PipelineOperator = (collection, expr, options) => {
  if (!isPlainDocument(expr) || !Object.hasOwn(expr, "_id")) {
    throw new CommandError(15955, "a group specification must include an _id");
  }
  for (const [field, acc] of Object.entries(expr)) {
    if (field === "_id") continue;
    if (field.includes(".")) throw new CommandError(40235, `The field name '${field}' cannot contain '.'`);
    if (!isPlainDocument(acc) || Object.keys(acc).length !== 1 || !(Object.keys(acc)[0] as string).startsWith("$")) {
      throw new CommandError(40234, `The field '${field}' must be an accumulator object`);
    }
  }
  return mingoGroup(collection, expr, options);
};

function positiveInteger(name: string, value: unknown, allowZero: boolean): number {
  const n = toNumber(value);
  if (!Number.isInteger(n) || n < 0 || (!allowZero && n === 0)) {
    throw new CommandError(15958, `invalid argument to ${name} stage: Expected an integer${allowZero ? " >= 0" : " > 0"}: ${formatBsonValue(value)}`);
  }
  return n;
}

const limitStage: PipelineOperator = (collection, expr) => collection.take(positiveInteger("$limit", expr, false));
const skipStage: PipelineOperator = (collection, expr) => collection.drop(positiveInteger("$skip", expr, true));

const replaceRootStage = (field: "newRoot" | "replacement"): PipelineOperator => (collection, expr, options) => {
  const target = field === "newRoot" ? (expr as Document).newRoot : expr;
  if (target === undefined) throw new CommandError(40231, "no newRoot specified for the $replaceRoot stage");
  return collection.map((doc) => {
    const value = evaluateOn(doc, target, options);
    if (!isPlainDocument(value)) {
      throw new CommandError(40228, `'${field}' expression must evaluate to an object, but resulting value was: ${formatBsonValue(value)}. Type of resulting value: '${value === undefined ? "missing" : typeof value}'.`);
    }
    return value;
  });
};

const MUTATING_STAGES = new Set(["$setWindowFields"]);

/** Whether a pipeline (nested pipelines included) has a mingo stage that edits documents in place. */
export function containsMutatingStage(pipeline: readonly unknown[]): boolean {
  return pipeline.some((stage) => {
    if (!isPlainDocument(stage)) return false;
    const name = Object.keys(stage)[0] as string;
    if (MUTATING_STAGES.has(name)) return true;
    const spec = stage[name];
    if (name === "$facet" && isPlainDocument(spec)) {
      return Object.values(spec).some((sub) => Array.isArray(sub) && containsMutatingStage(sub));
    }
    if ((name === "$lookup" || name === "$unionWith") && isPlainDocument(spec) && Array.isArray(spec.pipeline)) {
      return containsMutatingStage(spec.pipeline);
    }
    return false;
  });
}

const facetStage: PipelineOperator = (collection, expr, options) => {
  if (!isPlainDocument(expr) || Object.keys(expr).length === 0) {
    throw new CommandError(40169, "the $facet specification must be a non-empty object");
  }
  return collection.transform((docs: unknown[]) => {
    const out: Document = {};
    for (const [name, sub] of Object.entries(expr)) {
      if (!Array.isArray(sub)) throw new CommandError(40170, `arguments to $facet must be arrays, ${name} is type ${typeof sub}`);
      const input = containsMutatingStage(sub) ? (docs as Document[]).map(cloneValue) : [...(docs as Document[])];
      out[name] = runNested(sub as Document[], input, options);
    }
    return [out];
  });
};

const addFieldsStage: PipelineOperator = (collection, expr, options) => {
  if (!isPlainDocument(expr)) throw new CommandError(40272, "$addFields specification stage must be an object");
  if (Object.keys(expr).length === 0) return collection;
  const apply = compileAddFields(expr, options);
  return collection.map((doc) => apply(doc as Document));
};

const unsetStage: PipelineOperator = (collection, expr, options) => {
  const fields = Array.isArray(expr) ? expr : [expr];
  if (fields.length === 0 || !fields.every((f) => typeof f === "string" && f !== "")) {
    throw new CommandError(31002, "$unset specification must be a string or an array containing only string values");
  }
  const spec: Document = {};
  for (const f of fields as string[]) spec[f] = 0;
  const projection = compileProjection(spec, "aggregate", options);
  return collection.map((doc) => projection.apply(doc as Document));
};

const terminalStage = (name: string): PipelineOperator => () => {
  throw new CommandError(40601, `${name} can only be the final stage in the pipeline`);
};

registerEngineStages({
  $addFields: addFieldsStage,
  $set: addFieldsStage,
  $facet: facetStage,
  $unset: unsetStage,
  $lookup: lookupStage,
  $unionWith: unionWithStage,
  $sort: sortStage,
  $project: projectStage,
  $count: countStage,
  $sortByCount: sortByCountStage,
  $bucket: bucketStage,
  $match: matchStage,
  $group: groupStage,
  $limit: limitStage,
  $skip: skipStage,
  $replaceRoot: replaceRootStage("newRoot"),
  $replaceWith: replaceRootStage("replacement"),
  $out: terminalStage("$out"),
  $merge: terminalStage("$merge"),
});

/**
 * Runs an aggregation pipeline (without a trailing `$out`/`$merge`) over documents with mongod
 * semantics. Stored documents are never touched: inputs are cloned whenever a stage could edit
 * documents in place.
 */
export function runPipeline(input: Iterable<Document>, pipeline: Document[], settings: EvaluationSettings): Document[] {
  validatePipeline(pipeline, false);
  const options = createMingoOptions(settings);
  return evaluating(() => {
    const clone = containsMutatingStage(pipeline);
    const source: Document[] = [];
    for (const doc of input) source.push(clone ? cloneValue(doc) : doc);
    return new MingoAggregator(pipeline, options).run(source) as Document[];
  });
}
