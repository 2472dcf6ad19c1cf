import type { Document } from "bson";
import type { Options, PipelineOperator } from "mingo/core";
import { Lazy } from "mingo/lazy";
import type { Query } from "mingo/query";
import {
  canonicalKey,
  cloneValue,
  compareBsonValues,
  formatBsonValue,
  isPlainDocument,
  type StringCollation,
  toNumber,
  typeRank,
} from "./bsonOrder";
import { CommandError, notImplemented } from "./commandError";
import { compileExpression, truthy, type CompiledExpression } from "./expressionCompiler";
import { compileGroup, GroupPlan, validateAccumulators, type DocumentConsumer } from "./groupAccumulators";
import { collationOf, createMingoOptions, MingoQuery, sortMemoryOf, type EvaluationSettings } from "./mingoContext";
import { collectPathValues } from "./pathValues";
import { compileAddFields, compileProjection } from "./projection";
import { evaluating } from "./queryMatcher";
import { assertSortFits } from "./queryRules";
import { prepareFilter } from "./queryOperators";
import { parseSortSpec, sortDocuments, sortTopK } from "./sortDocuments";

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
  "$changeStreamSplitLargeEvent",
  "$collStats",
  "$indexStats",
  "$currentOp",
  "$listSessions",
  "$planCacheStats",
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
    if (name === "$listLocalSessions") {
      if (!topLevel || i !== 0) throw new CommandError(40602, "$listLocalSessions is only valid as the first stage in a pipeline");
      return;
    }
    if (name === "$changeStream") {
      if (!topLevel || i !== 0) throw new CommandError(40602, "$changeStream is only valid as the first stage in a pipeline");
      return;
    }
    if (name === "$listSearchIndexes") {
      // What mongod 7.0 without Atlas Search answers.
      throw new CommandError(6047401, "$listSearchIndexes stage is only allowed on MongoDB Atlas");
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

/**
 * One compiled stage: an array of documents in, a new array out. Stages never modify their input
 * array or the documents in it (stored documents flow through unchanged), so `$facet` branches and
 * `$lookup` sub-pipelines can share one input array.
 */
interface CompiledStage {
  (docs: Document[], options: Options): Document[];
  /** Per-document form: a run of such stages is evaluated in one pass, without arrays between them. */
  readonly stream?: (run: Options, emit: Emit) => Emit;
  /** Consumer form (blocking stages such as `$group`): takes the documents of a streamed run. */
  readonly consume?: (run: Options) => DocumentConsumer;
}

type Emit = (doc: Document) => void;

function streaming(stream: (run: Options, emit: Emit) => Emit): CompiledStage {
  const all = (docs: Document[], run: Options): Document[] => {
    const out: Document[] = [];
    const push = stream(run, (doc) => {
      out.push(doc);
    });
    for (const doc of docs) push(doc);
    return out;
  };
  return Object.assign(all, { stream });
}

function consuming(consume: (run: Options) => DocumentConsumer): CompiledStage {
  const all = (docs: Document[], run: Options): Document[] => {
    const consumer = consume(run);
    for (const doc of docs) consumer.push(doc);
    return consumer.finish();
  };
  return Object.assign(all, { consume });
}

/** A compiled pipeline. */
export interface CompiledPipeline {
  run(docs: Document[], options: Options): Document[];
}

function resolverOf(options: Options): (name: string, filter?: Document) => Document[] {
  const resolver = options.collectionResolver;
  if (!resolver) throw new CommandError(1, "no collection resolver configured");
  return resolver;
}

/**
 * A pipeline's leading `$match` stages as one filter (consecutive ones combined, as mongod coalesces them) and
 * how many stages that is, or undefined when it does not start with one: what the aggregate reads its input by
 * (index, table-scan rule, explain), and what a joined collection is narrowed by before its pipeline runs.
 */
export function leadingMatch(stages: readonly Document[]): { filter: Document; stages: number } | undefined {
  const filters: Document[] = [];
  for (const stage of stages) {
    if (Object.keys(stage).length !== 1 || !isPlainDocument(stage.$match)) break;
    filters.push(stage.$match);
  }
  if (filters.length <= 1) return filters[0] === undefined ? undefined : { filter: filters[0], stages: 1 };
  const keys = filters.flatMap((filter) => Object.keys(filter));
  // Disjoint top-level fields combine into one document (an index sees every equality); else an `$and`.
  const filter = new Set(keys).size === keys.length ? Object.assign({}, ...filters) : { $and: filters };
  return { filter, stages: filters.length };
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

function lookupKeys(doc: Document, path: string, collation: StringCollation | undefined): string[] {
  const found = collectPathValues(doc, path, false);
  const keys: string[] = [];
  for (const v of found.values) {
    if (Array.isArray(v)) for (const el of v) keys.push(canonicalKey(el, collation));
    else keys.push(canonicalKey(v, collation));
  }
  if (found.missing || keys.length === 0) keys.push(canonicalKey(null));
  return keys;
}

/** Whether a filter mentions `$expr` anywhere (its result then depends on variables). */
function mentionsExpr(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(mentionsExpr);
  if (!isPlainDocument(value)) return false;
  for (const [k, v] of Object.entries(value)) {
    if (k === "$expr" || mentionsExpr(v)) return true;
  }
  return false;
}

function compileMatch(spec: unknown, options: Options): CompiledStage {
  const filter = prepareFilter(spec);
  const keys = Object.keys(filter);
  if (keys.length === 0) return (docs: Document[]) => docs;
  const exprFn: CompiledExpression | undefined = Object.hasOwn(filter, "$expr") ? compileExpression(filter.$expr) : undefined;
  const rest: Document = {};
  for (const k of keys) if (k !== "$expr") rest[k] = filter[k];
  const hasRest = Object.keys(rest).length > 0;
  if (hasRest && mentionsExpr(rest)) {
    // $expr nested in $and/$or/$nor: the query must see the run's variables.
    new MingoQuery(rest, options);
    const perRun = new WeakMap<Options, Query>();
    return streaming((run, emit) => {
      let query = perRun.get(run);
      if (!query) {
        query = new MingoQuery(rest, run);
        perRun.set(run, query);
      }
      const q = query;
      return (doc) => {
        if (q.test(doc) && (!exprFn || truthy(exprFn(doc, run)))) emit(doc);
      };
    });
  }
  const query = hasRest ? new MingoQuery(rest, options) : undefined;
  if (!exprFn) {
    const q = query as Query;
    return streaming((_run, emit) => (doc) => {
      if (q.test(doc)) emit(doc);
    });
  }
  return streaming((run, emit) => (doc) => {
    if ((!query || query.test(doc)) && truthy(exprFn(doc, run))) emit(doc);
  });
}

function compileProjectStage(expr: unknown, options: Options): CompiledStage {
  if (!isPlainDocument(expr) || Object.keys(expr).length === 0) {
    throw new CommandError(51272, "Invalid $project :: caused by :: projection specification must have at least one field");
  }
  const projection = compileProjection(expr, "aggregate", options);
  return streaming((run, emit) => (doc) => emit(projection.apply(doc, undefined, run)));
}

function compileAddFieldsStage(expr: unknown, options: Options): CompiledStage {
  if (!isPlainDocument(expr)) throw new CommandError(40272, "$addFields specification stage must be an object");
  if (Object.keys(expr).length === 0) return (docs: Document[]) => docs;
  const apply = compileAddFields(expr, options);
  return streaming((run, emit) => (doc) => emit(apply(doc, run)));
}

function compileUnset(expr: unknown, options: Options): CompiledStage {
  const fields = Array.isArray(expr) ? expr : [expr];
  if (fields.length === 0 || !fields.every((f) => typeof f === "string" && f !== "")) {
    throw new CommandError(31002, "$unset specification must be a string or an array containing only string values");
  }
  const spec: Document = {};
  for (const f of fields as string[]) spec[f] = 0;
  const projection = compileProjection(spec, "aggregate", options);
  return streaming((_run, emit) => (doc) => emit(projection.apply(doc)));
}

function compileGroupStage(expr: unknown): CompiledStage {
  if (!isPlainDocument(expr) || !Object.hasOwn(expr, "_id")) {
    throw new CommandError(15955, "a group specification must include an _id");
  }
  validateAccumulators(expr, "_id");
  return consuming(compileGroup(expr));
}

function positiveInteger(name: string, value: unknown, allowZero: boolean): number {
  const n = toNumber(value);
  if (!Number.isInteger(n) || n < 0 || (!allowZero && n === 0)) {
    throw new CommandError(
      15958,
      `invalid argument to ${name} stage: Expected an integer${allowZero ? " >= 0" : " > 0"}: ${formatBsonValue(value)}`,
    );
  }
  return n;
}

function compileSort(expr: unknown, limit: number | undefined): CompiledStage {
  const spec = parseSortSpec(expr);
  return (docs: Document[], run: Options) => {
    const memory = sortMemoryOf(run);
    if (memory !== undefined) assertSortFits(docs, memory, limit, "aggregate");
    if (limit !== undefined) return sortTopK(docs, spec, limit, collationOf(run));
    return sortDocuments(docs.slice(), spec, collationOf(run));
  };
}

/** `$unwind` with mongod's rules (no array traversal in the path; scalars unwind to themselves). */
function compileUnwind(expr: unknown): CompiledStage {
  const spec: Document = typeof expr === "string" ? { path: expr } : isPlainDocument(expr) ? expr : {};
  if (typeof expr !== "string" && !isPlainDocument(expr)) {
    throw new CommandError(15981, `expected either a string or an object as specification for $unwind stage, got ${typeof expr}`);
  }
  for (const key of Object.keys(spec)) {
    if (!["path", "includeArrayIndex", "preserveNullAndEmptyArrays"].includes(key)) {
      throw new CommandError(28811, `unrecognized option to $unwind stage: ${key}`);
    }
  }
  const path = spec.path;
  if (typeof path !== "string") throw new CommandError(28812, "no path specified to $unwind stage");
  if (!path.startsWith("$") || path.length < 2) {
    throw new CommandError(28818, `path option to $unwind stage should be prefixed with a '$': ${path}`);
  }
  const indexField = spec.includeArrayIndex;
  if (indexField !== undefined && (typeof indexField !== "string" || indexField === "")) {
    throw new CommandError(
      28810,
      `expected a non-empty string for the includeArrayIndex option to $unwind stage, got ${formatBsonValue(indexField)}`,
    );
  }
  if (typeof indexField === "string" && indexField.startsWith("$")) {
    throw new CommandError(28822, `includeArrayIndex option to $unwind stage should not be prefixed with a '$': ${indexField}`);
  }
  const preserve = spec.preserveNullAndEmptyArrays;
  if (preserve !== undefined && typeof preserve !== "boolean") {
    throw new CommandError(
      28809,
      `expected a boolean for the preserveNullAndEmptyArrays option to $unwind stage, got ${formatBsonValue(preserve)}`,
    );
  }
  const parts = path.slice(1).split(".");
  const get = (doc: Document): unknown => {
    let value: unknown = doc;
    for (const part of parts) {
      if (!isPlainDocument(value)) return undefined;
      value = Object.hasOwn(value, part) ? (value as Document)[part] : undefined;
    }
    return value;
  };
  const withValue = (doc: Document, value: unknown, remove: boolean): Document => {
    const out: Document = { ...doc };
    let cursor = out;
    for (let i = 0; i < parts.length - 1; i++) {
      const next = { ...(cursor[parts[i] as string] as Document) };
      cursor[parts[i] as string] = next;
      cursor = next;
    }
    const last = parts[parts.length - 1] as string;
    if (remove) delete cursor[last];
    else cursor[last] = value;
    return out;
  };
  const withIndex = (doc: Document, index: number | null): Document => {
    if (typeof indexField !== "string") return doc;
    return setPath(doc, indexField, index);
  };
  return streaming((_run, emit) => (doc) => {
    const value = get(doc);
    if (Array.isArray(value)) {
      if (value.length === 0) {
        if (preserve === true) emit(withIndex(withValue(doc, undefined, true), null));
        return;
      }
      for (let i = 0; i < value.length; i++) emit(withIndex(withValue(doc, value[i], false), i));
    } else if (value === null || value === undefined) {
      if (preserve === true) emit(withIndex(doc, null));
    } else {
      emit(withIndex(doc, null));
    }
  });
}

function compileFacet(expr: unknown, options: Options): CompiledStage {
  if (!isPlainDocument(expr) || Object.keys(expr).length === 0) {
    throw new CommandError(40169, "the $facet specification must be a non-empty object");
  }
  const branches: [string, CompiledPipeline][] = [];
  for (const [name, sub] of Object.entries(expr)) {
    if (!Array.isArray(sub)) throw new CommandError(40170, `arguments to $facet must be arrays, ${name} is type ${typeof sub}`);
    branches.push([name, compilePipeline(sub as Document[], options)]);
  }
  return (docs: Document[], run: Options) => {
    const out: Document = {};
    for (const [name, branch] of branches) out[name] = branch.run(docs, run);
    return [out];
  };
}

/** Leading `$match` stages that do not depend on variables: the same for every outer document. */
function splitInvariantPrefix(pipeline: Document[]): [Document[], Document[]] {
  let i = 0;
  while (i < pipeline.length) {
    const stage = pipeline[i] as Document;
    if (!Object.hasOwn(stage, "$match") || mentionsExpr(stage.$match)) break;
    i += 1;
  }
  return [pipeline.slice(0, i), pipeline.slice(i)];
}

function compileLookup(expr: unknown, options: Options): CompiledStage {
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
  if (from === undefined && !(pipeline?.[0] && "$documents" in pipeline[0])) {
    throw new CommandError(40320, "$lookup requires 'from' unless the pipeline starts with $documents");
  }
  const letSpec = isPlainDocument(expr.let) ? expr.let : undefined;
  const letVars = letSpec ? Object.entries(letSpec).map(([name, e]) => [name, compileExpression(e)] as const) : [];
  const hasPipeline = Array.isArray(pipeline) && pipeline.length > 0;
  const [invariant, perDoc] = hasPipeline ? splitInvariantPrefix(pipeline as Document[]) : [[], []];
  const invariantPipeline = compilePipeline(invariant, options);
  const perDocPipeline = compilePipeline(perDoc, options);
  const joinLocal = typeof localField === "string" ? localField : undefined;
  const joinForeign = typeof foreignField === "string" ? foreignField : undefined;
  // The invariant prefix's leading `$match` narrows the foreign collection by index (the tenant scope of a
  // joined collection comes as one), as mongod plans the inner pipeline's first stage.
  const foreignFilter = leadingMatch(invariant)?.filter;
  return (docs: Document[], run: Options) => {
    const foreign = typeof from === "string" ? resolverOf(run)(from, foreignFilter) : [];
    let byKey: Map<string, number[]> | undefined;
    if (joinLocal !== undefined && joinForeign !== undefined) {
      byKey = new Map();
      foreign.forEach((doc, i) => {
        for (const k of new Set(lookupKeys(doc, joinForeign, collationOf(run)))) {
          const list = byKey?.get(k);
          if (list) list.push(i);
          else byKey?.set(k, [i]);
        }
      });
    }
    // Without a join the invariant prefix gives the same documents for every input document.
    let shared: Document[] | undefined;
    return docs.map((doc) => {
      let joined: Document[];
      if (byKey && joinLocal !== undefined) {
        const hits = new Set<number>();
        for (const k of lookupKeys(doc, joinLocal, collationOf(run))) for (const i of byKey.get(k) ?? []) hits.add(i);
        joined = [...hits].sort((a, b) => a - b).map((i) => foreign[i] as Document);
      } else {
        joined = foreign;
      }
      let result: Document[];
      if (hasPipeline) {
        const vars: Document = {};
        for (const [name, fn] of letVars) vars[name] = fn(doc, run);
        const nested = { ...run, variables: { ...run.variables, ...vars } } as Options;
        let input: Document[];
        if (byKey) {
          input = invariantPipeline.run(joined, nested);
        } else {
          shared ??= invariantPipeline.run(joined, nested);
          input = shared;
        }
        result = perDocPipeline.run(input, nested);
      } else {
        result = joined;
      }
      return setPath(doc, as, result);
    });
  };
}

function compileUnionWith(expr: unknown, options: Options): CompiledStage {
  const spec = typeof expr === "string" ? { coll: expr } : (expr as Document);
  if (!isPlainDocument(spec) || (typeof spec.coll !== "string" && spec.pipeline === undefined)) {
    throw new CommandError(40626, "the $unionWith stage specification must be an object or string");
  }
  const nested = Array.isArray(spec.pipeline) ? compilePipeline(spec.pipeline as Document[], options) : undefined;
  // The pipeline's leading `$match` narrows the collection by index before the pipeline runs on it.
  const filter = Array.isArray(spec.pipeline) ? leadingMatch(spec.pipeline as Document[])?.filter : undefined;
  return (docs: Document[], run: Options) => {
    const base = typeof spec.coll === "string" ? resolverOf(run)(spec.coll, filter) : [];
    const extra = nested ? nested.run(base, run) : base;
    return [...docs, ...extra];
  };
}

function compileCount(expr: unknown): CompiledStage {
  if (typeof expr !== "string" || expr === "") throw new CommandError(40156, "the count field must be a non-empty string");
  if (expr.startsWith("$")) throw new CommandError(40158, "the count field cannot be a $-prefixed path");
  if (expr.includes(".")) throw new CommandError(40160, "the count field cannot contain '.'");
  return consuming(() => {
    let n = 0;
    return {
      push() {
        n += 1;
      },
      finish: () => (n ? [{ [expr]: n }] : []),
    };
  });
}

function compileSortByCount(expr: unknown): CompiledStage {
  const fn = compileExpression(expr);
  return consuming((run) => {
    const groups = new Map<string, { _id: unknown; count: number }>();
    return {
      push(doc) {
        let value = fn(doc, run);
        if (value === undefined) value = null;
        const k = canonicalKey(value, collationOf(run));
        const g = groups.get(k);
        if (g) g.count += 1;
        else groups.set(k, { _id: value, count: 1 });
      },
      finish: () => [...groups.values()].sort((a, b) => b.count - a.count),
    };
  });
}

function compileBucket(expr: unknown): CompiledStage {
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
  if (
    hasDefault &&
    typeRank(def) === typeRank(boundaries[0]) &&
    compareBsonValues(def, boundaries[0]) >= 0 &&
    compareBsonValues(def, boundaries[boundaries.length - 1]) < 0
  ) {
    throw new CommandError(
      40199,
      "The $bucket 'default' field must be less than the lowest boundary or greater than or equal to the highest boundary.",
    );
  }
  const output = isPlainDocument(expr.output) ? expr.output : { count: { $sum: 1 } };
  validateAccumulators(output, "");
  const plan = new GroupPlan(output);
  const groupBy = compileExpression(expr.groupBy);
  return consuming((run) => {
    const buckets = new Map<number, { states: unknown[]; members: Document[] | undefined }>();
    const push = (doc: Document): void => {
      const value = groupBy(doc, run);
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
      let bucket = buckets.get(slot);
      if (!bucket) {
        bucket = { states: plan.init(), members: plan.needsMembers ? [] : undefined };
        buckets.set(slot, bucket);
      }
      plan.step(bucket.states, doc, run);
      bucket.members?.push(doc);
    };
    const finish = (): Document[] => {
      const out: Document[] = [];
      const order = [...buckets.keys()].sort((a, b) => (a === -1 ? 1 : b === -1 ? -1 : a - b));
      for (const slot of order) {
        const bucket = buckets.get(slot) as { states: unknown[]; members: Document[] | undefined };
        const id = slot === -1 ? def : boundaries[slot];
        out.push(plan.finish({ _id: id }, bucket.states, bucket.members, id, run));
      }
      return out;
    };
    return { push, finish };
  });
}

function compileReplaceRoot(field: "newRoot" | "replacement", expr: unknown): CompiledStage {
  const target = field === "newRoot" ? (isPlainDocument(expr) ? expr.newRoot : undefined) : expr;
  if (target === undefined) throw new CommandError(40231, "no newRoot specified for the $replaceRoot stage");
  const fn = compileExpression(target);
  return streaming((run, emit) => (doc) => {
    const value = fn(doc, run);
    if (!isPlainDocument(value)) {
      throw new CommandError(
        40228,
        `'${field}' expression must evaluate to an object, but resulting value was: ${formatBsonValue(value)}. Type of resulting value: '${value === undefined ? "missing" : typeof value}'.`,
      );
    }
    emit(value);
  });
}

const MUTATING_STAGES = new Set(["$setWindowFields"]);

/** A stage mingo runs: it gets a private copy of the array (and of the documents when it edits them). */
function compileMingoStage(name: string, spec: unknown): CompiledStage {
  return (docs: Document[], run: Options) => {
    const op = run.context?.getOperator("pipeline" as never, name) as PipelineOperator | null | undefined;
    if (!op) throw notImplemented(`aggregation stage ${name}`);
    const input = MUTATING_STAGES.has(name) ? docs.map(cloneValue) : docs.slice();
    // mingo's $redact maps a pruned top-level document to `undefined` instead of dropping it.
    return (op(Lazy(input), spec, run).value() as (Document | undefined)[]).filter((doc): doc is Document => doc !== undefined);
  };
}

function compileStage(stage: Document, options: Options, limitAfter: number | undefined): CompiledStage {
  const name = stageName(stage);
  const spec = stage[name];
  switch (name) {
    case "$match":
      return compileMatch(spec, options);
    case "$project":
      return compileProjectStage(spec, options);
    case "$addFields":
    case "$set":
      return compileAddFieldsStage(spec, options);
    case "$unset":
      return compileUnset(spec, options);
    case "$group":
      return compileGroupStage(spec);
    case "$sort":
      return compileSort(spec, limitAfter);
    case "$limit": {
      const n = positiveInteger("$limit", spec, false);
      return (docs: Document[]) => (docs.length > n ? docs.slice(0, n) : docs);
    }
    case "$skip": {
      const n = positiveInteger("$skip", spec, true);
      return (docs: Document[]) => (n === 0 ? docs : docs.slice(n));
    }
    case "$unwind":
      return compileUnwind(spec);
    case "$facet":
      return compileFacet(spec, options);
    case "$lookup":
      return compileLookup(spec, options);
    case "$unionWith":
      return compileUnionWith(spec, options);
    case "$count":
      return compileCount(spec);
    case "$sortByCount":
      return compileSortByCount(spec);
    case "$bucket":
      return compileBucket(spec);
    case "$replaceRoot":
      return compileReplaceRoot("newRoot", spec);
    case "$replaceWith":
      return compileReplaceRoot("replacement", spec);
    case "$out":
    case "$merge":
      throw new CommandError(40601, `${name} can only be the final stage in the pipeline`);
    default:
      return compileMingoStage(name, spec);
  }
}

/**
 * Compiles a (validated) pipeline once: specifications are parsed, expressions compiled and
 * `$sort` + `$limit` fused into a top-k selection.
 */
export function compilePipeline(pipeline: Document[], options: Options): CompiledPipeline {
  const stages: CompiledStage[] = [];
  for (let i = 0; i < pipeline.length; i++) {
    const stage = pipeline[i] as Document;
    const next = pipeline[i + 1];
    let limitAfter: number | undefined;
    if (stageName(stage) === "$sort" && next && stageName(next) === "$limit") {
      limitAfter = positiveInteger("$limit", next.$limit, false);
    }
    stages.push(compileStage(stage, options, limitAfter));
    if (limitAfter !== undefined) i += 1;
  }
  return {
    run(docs, run) {
      let current = docs;
      let i = 0;
      while (i < stages.length) {
        const stage = stages[i] as CompiledStage;
        let end = i;
        while (end < stages.length && (stages[end] as CompiledStage).stream) end += 1;
        const consumer = end > i ? stages[end]?.consume?.(run) : undefined;
        if (end - i < 2 && !consumer) {
          current = stage(current, run);
          i += 1;
          continue;
        }
        // A run of per-document stages (and the blocking stage after it) in one pass.
        const out: Document[] = [];
        let emit: Emit = consumer
          ? (doc) => consumer.push(doc)
          : (doc) => {
              out.push(doc);
            };
        for (let k = end - 1; k >= i; k--) emit = ((stages[k] as CompiledStage).stream as (run: Options, emit: Emit) => Emit)(run, emit);
        for (const doc of current) emit(doc);
        current = consumer ? consumer.finish() : out;
        i = consumer ? end + 1 : end;
      }
      return current;
    },
  };
}

/**
 * Runs an aggregation pipeline (without a trailing `$out`/`$merge`) over documents with mongod
 * semantics. Stored documents are never touched: stages build new documents instead of editing
 * their input.
 */
export function runPipeline(input: Iterable<Document>, pipeline: Document[], settings: EvaluationSettings): Document[] {
  validatePipeline(pipeline, false);
  const options = createMingoOptions(settings);
  return evaluating(() => {
    const source = Array.isArray(input) ? (input as Document[]) : [...input];
    return compilePipeline(pipeline, options).run(source, options);
  });
}
