import { Long, ObjectId, type Document } from "bson";
import { canonicalKey, compareBsonValues, isPlainDocument } from "./bsonOrder";
import { badValue, CommandError, notImplemented } from "./commandError";
import type { CollectionStore } from "./collectionStore";
import {
  booleanOption,
  checkFields,
  checkHint,
  collectionArgument,
  evaluationSettings,
  integerOption,
  type CommandContext,
  type CommandHandler,
} from "./commandContext";
import { checkDocumentSize, prepareInsertDocument, validateForWrite, checkIdValue } from "./documentRules";
import { leadingMatch, runPipeline, stageName, validatePipeline } from "./aggregationPipeline";
import { assertCollationAware, parseCollation } from "./collation";
import { createMingoOptions, type EvaluationSettings } from "./mingoContext";
import { collectPathValues } from "./pathValues";
import { createPositionalResolver } from "./positionalMatch";
import { compileProjection } from "./projection";
import { compileFilter } from "./queryMatcher";
import { prepareFilter } from "./queryOperators";
import { parseSortSpec, type SortSpec, sortDocuments } from "./sortDocuments";
import { LockWaitSignal, type ReplaceKind } from "./storageCatalog";
import { applyUpdateOperators, assertIdUnchanged, documentsDiffer, idFirst, isOperatorUpdate, validateReplacement } from "./updateApplier";
import { applyOutputStage } from "./outputStages";
import { createExplainCommand, explainAggregate } from "./explain";
import { planQuery } from "./queryPlanner";
import { assertSortFits, plannedQuery, policeTableScan, sortMemoryLimit } from "./queryRules";

const LOCK_WAIT_LIMIT_MS = 60_000;

/** Runs a write statement, waiting (as mongod does) while a transaction holds a lock it needs. */
async function withLockRetry<T>(ctx: CommandContext, fn: () => T): Promise<T> {
  const limit = Number(ctx.body.maxTimeMS) > 0 ? Number(ctx.body.maxTimeMS) : LOCK_WAIT_LIMIT_MS;
  const started = Date.now();
  for (;;) {
    try {
      return fn();
    } catch (error) {
      if (!(error instanceof LockWaitSignal)) throw error;
      const left = limit - (Date.now() - started);
      if (left <= 0) throw new CommandError(50, "operation exceeded time limit");
      await ctx.catalog.waitForUnlock(Math.min(left, 250));
    }
  }
}

function statementArray(ctx: CommandContext, field: string, command: string): Document[] {
  const value = ctx.body[field];
  if (!Array.isArray(value)) throw new CommandError(14, `BSON field '${command}.${field}' is missing or not an array`);
  if (value.length > 100_000)
    throw new CommandError(10, `Write batch sizes must be between 1 and 100000. Got ${value.length} operations.`, {
      codeName: "InvalidLength",
    });
  if (value.length === 0)
    throw new CommandError(10, "Write batch sizes must be between 1 and 100000. Got 0 operations.", { codeName: "InvalidLength" });
  return value as Document[];
}

function checkStatementFields(stmt: Document, command: string, allowed: readonly string[]): void {
  for (const key of Object.keys(stmt)) {
    if (!allowed.includes(key)) throw new CommandError(40415, `BSON field '${command}.${key}' is an unknown field.`);
  }
}

/** Documents of a collection matching a filter, in natural/index order, optionally stopping early. */
function matchingDocuments(
  store: CollectionStore | undefined,
  filter: Document,
  settings: EvaluationSettings,
  stopAfter?: number,
): Document[] {
  if (!store) {
    // A collection that does not exist matches nothing, but the filter must still be valid.
    compileFilter(prepareFilter(filter), settings);
    return [];
  }
  const exact = store.exactMatches(filter, settings.collation);
  if (exact) return stopAfter !== undefined ? exact.slice(0, stopAfter) : exact;
  const prepared = prepareFilter(filter);
  const matcher = compileFilter(prepared, settings);
  const out: Document[] = [];
  for (const doc of store.candidates(prepared, settings.collation)) {
    if (!matcher(doc)) continue;
    out.push(doc);
    if (stopAfter !== undefined && out.length >= stopAfter) break;
  }
  return out;
}

/**
 * Matches in `sort` order read from an index that provides it (`CollectionStore.sortedCandidates`),
 * stopping after `stopAfter`; `undefined` when no index does (the caller sorts in memory).
 */
function sortedMatches(
  store: CollectionStore,
  filter: Document,
  sort: SortSpec,
  settings: EvaluationSettings,
  stopAfter: number | undefined,
): Document[] | undefined {
  const prepared = prepareFilter(filter);
  const walk = store.sortedCandidates(prepared, sort, settings.collation);
  if (!walk) return undefined;
  const matcher = compileFilter(prepared, settings);
  const out: Document[] = [];
  for (const doc of walk) {
    if (!matcher(doc)) continue;
    out.push(doc);
    if (stopAfter !== undefined && out.length >= stopAfter) break;
  }
  return out;
}

function writeResult(n: number, writeErrors: Document[], extra: Document = {}): Document {
  return { n, ...extra, ...(writeErrors.length ? { writeErrors } : {}), ok: 1 };
}

const insertCommand: CommandHandler = async (ctx) => {
  checkFields(ctx, "insert", ["documents", "ordered", "bypassDocumentValidation", "let"]);
  const name = collectionArgument(ctx, "insert");
  const docs = statementArray(ctx, "documents", "insert");
  const ordered = booleanOption(ctx.body, "ordered") !== false;
  const bypass = booleanOption(ctx.body, "bypassDocumentValidation") === true;
  const writeErrors: Document[] = [];
  let n = 0;
  for (let i = 0; i < docs.length; i++) {
    try {
      await withLockRetry(ctx, () => {
        const doc = prepareInsertDocument(docs[i]);
        checkDocumentSize(doc, "insert");
        const store = ctx.view.writable(ctx.db, name);
        validateForWrite(store, doc, bypass);
        ctx.view.insert(store, doc);
      });
      n += 1;
    } catch (error) {
      if (!(error instanceof CommandError) || ctx.view.transaction) throw error;
      writeErrors.push(error.toWriteError(i));
      if (ordered) break;
    }
  }
  return writeResult(n, writeErrors);
};

/** Fields an upsert copies from its query (equality conditions). */
function upsertSeed(filter: Document, out: Document = {}): Document {
  for (const [key, cond] of Object.entries(filter)) {
    if (key === "$and" && Array.isArray(cond)) {
      for (const sub of cond) if (isPlainDocument(sub)) upsertSeed(sub, out);
      continue;
    }
    if (key.startsWith("$")) continue;
    let value: unknown;
    if (isPlainDocument(cond) && Object.keys(cond).some((k) => k.startsWith("$"))) {
      if (Object.hasOwn(cond, "$eq")) value = cond.$eq;
      else if (Array.isArray(cond.$in) && cond.$in.length === 1) value = cond.$in[0];
      else continue;
    } else if (cond instanceof RegExp) {
      continue;
    } else {
      value = cond;
    }
    const parts = key.split(".");
    let cursor = out;
    for (let i = 0; i < parts.length - 1; i++) {
      const part = parts[i] as string;
      const next = cursor[part];
      if (next === undefined) cursor[part] = {};
      else if (!isPlainDocument(next)) {
        throw new CommandError(2, `cannot infer query fields to set, path '${key}' is matched twice`);
      }
      cursor = cursor[part] as Document;
    }
    const last = parts[parts.length - 1] as string;
    if (Object.hasOwn(cursor, last)) throw new CommandError(2, `cannot infer query fields to set, path '${key}' is matched twice`);
    cursor[last] = value;
  }
  return out;
}

const PIPELINE_UPDATE_STAGES = new Set(["$addFields", "$set", "$project", "$unset", "$replaceRoot", "$replaceWith"]);

interface UpdateSpec {
  readonly filter: Document;
  readonly update: Document | Document[];
  readonly arrayFilters: Document[] | undefined;
  readonly settings: EvaluationSettings;
}

/** Computes the new version of a document (or of an upsert seed) for an update specification. */
function computeUpdated(spec: UpdateSpec, doc: Document, isInsert: boolean): Document {
  const { update } = spec;
  if (Array.isArray(update)) {
    for (const stage of update) {
      const name = stageName(stage);
      if (!PIPELINE_UPDATE_STAGES.has(name)) {
        throw new CommandError(72, `${name} is not allowed to be used within an update`, { codeName: "InvalidOptions" });
      }
    }
    if (spec.arrayFilters?.length) throw new CommandError(72, "arrayFilters may not be specified for pipeline-style updates");
    const [result] = runPipeline([doc], update, spec.settings);
    if (!result) throw new CommandError(1, "pipeline update produced no document");
    // An upsert seed without _id stays without one here: buildUpsert assigns a new ObjectId, as mongod does.
    const out = Object.hasOwn(result, "_id") ? idFirst(result) : Object.hasOwn(doc, "_id") ? { _id: doc._id, ...result } : result;
    if (!isInsert || Object.hasOwn(doc, "_id")) assertIdUnchanged(doc, out);
    return out;
  }
  if (isOperatorUpdate(update)) {
    const positional = createPositionalResolver(spec.filter, spec.settings);
    const next = applyUpdateOperators(doc, update, {
      arrayFilters: spec.arrayFilters,
      isInsert,
      positional,
      evaluation: spec.settings,
    });
    if (!isInsert || Object.hasOwn(doc, "_id")) assertIdUnchanged(doc, next);
    return idFirst(next);
  }
  validateReplacement(update);
  if (spec.arrayFilters?.length) throw new CommandError(2, "Cannot use array filters with a replacement-style update");
  if (Object.hasOwn(update, "_id") && Object.hasOwn(doc, "_id") && compareBsonValues(update._id, doc._id) !== 0) {
    throw new CommandError(
      66,
      `After applying the update, the (immutable) field '_id' was found to have been altered to _id: ${String(update._id)}`,
    );
  }
  const out: Document = Object.hasOwn(doc, "_id") ? { _id: doc._id } : {};
  for (const [k, v] of Object.entries(update)) if (k !== "_id" || !Object.hasOwn(out, "_id")) out[k] = v;
  return idFirst(out);
}

/** Whether an update rewrites documents whole (a replacement) or changes them (operators, pipeline). */
function replaceKind(update: Document | Document[]): ReplaceKind {
  return !Array.isArray(update) && !isOperatorUpdate(update) ? "replace" : "update";
}

/** Builds the document an upsert inserts. */
function buildUpsert(spec: UpdateSpec): Document {
  const seed = upsertSeed(spec.filter);
  let doc: Document;
  if (!Array.isArray(spec.update) && !isOperatorUpdate(spec.update)) {
    doc = computeUpdated(spec, Object.hasOwn(seed, "_id") ? { _id: seed._id } : {}, true);
  } else {
    doc = computeUpdated(spec, seed, true);
  }
  if (!Object.hasOwn(doc, "_id")) doc = { _id: new ObjectId(), ...doc };
  checkIdValue(doc._id);
  return idFirst(doc);
}

interface StatementResult {
  readonly n: number;
  readonly nModified: number;
  readonly upsertedId?: unknown;
}

const UPDATE_STATEMENT_FIELDS = ["q", "u", "upsert", "multi", "arrayFilters", "hint", "collation", "c", "upsertSupplied"];

/** mongod parses a whole update command before running any statement: a malformed statement fails the command. */
function parseUpdateStatements(statements: readonly Document[]): void {
  for (const stmt of statements) {
    if (!isPlainDocument(stmt)) throw new CommandError(14, "BSON field 'update.updates' is the wrong type, expected type 'object'");
    checkStatementFields(stmt, "update.updates", UPDATE_STATEMENT_FIELDS);
    if (!isPlainDocument(stmt.q)) throw new CommandError(40414, "BSON field 'update.updates.q' is missing but a required field");
    if (!isPlainDocument(stmt.u) && !Array.isArray(stmt.u))
      throw new CommandError(40414, "BSON field 'update.updates.u' is missing but a required field");
  }
}

function readUpdateStatement(ctx: CommandContext, stmt: Document, letVars: unknown): UpdateSpec & { multi: boolean; upsert: boolean } {
  const collation = parseCollation(stmt.collation);
  if (stmt.arrayFilters !== undefined && !Array.isArray(stmt.arrayFilters)) throw badValue("arrayFilters must be an array", 14);
  if (collation && Array.isArray(stmt.u)) assertCollationAware(stmt.u, "a pipeline update");
  const base = evaluationSettings(ctx, letVars, collation);
  const constants = isPlainDocument(stmt.c) ? stmt.c : undefined;
  const settings: EvaluationSettings = constants ? { ...base, variables: { ...base.variables, ...constants } } : base;
  const multi = booleanOption(stmt, "multi") === true;
  if (multi && isPlainDocument(stmt.u) && !isOperatorUpdate(stmt.u) && Object.keys(stmt.u).length > 0) {
    throw new CommandError(9, "multi update is not supported for replacement-style update");
  }
  return {
    filter: stmt.q,
    update: stmt.u as Document | Document[],
    arrayFilters: stmt.arrayFilters as Document[] | undefined,
    settings,
    multi,
    upsert: booleanOption(stmt, "upsert") === true,
  };
}

function executeUpdate(ctx: CommandContext, name: string, stmt: Document, letVars: unknown, bypass: boolean): StatementResult {
  const spec = readUpdateStatement(ctx, stmt, letVars);
  const existing = ctx.view.collection(ctx.db, name);
  checkHint(existing, stmt.hint);
  policeTableScan(ctx, name, existing, { filter: stmt.q, hint: stmt.hint, collation: stmt.collation });
  const targets = matchingDocuments(existing, spec.filter, spec.settings, spec.multi ? undefined : 1);
  if (targets.length && existing) {
    const planned: [string, Document, Document][] = [];
    for (const doc of targets) {
      const next = computeUpdated(spec, doc, false);
      if (documentsDiffer(doc, next)) {
        checkDocumentSize(next, "update");
        validateForWrite(existing, next, bypass, doc);
        planned.push([canonicalKey(doc._id), doc, next]);
      }
    }
    ctx.view.assertWritable(
      existing,
      planned.map(([k]) => k),
    );
    const store = ctx.view.writable(ctx.db, name);
    for (const [idKey, , next] of planned) ctx.view.replace(store, idKey, next, replaceKind(spec.update));
    return { n: targets.length, nModified: planned.length };
  }
  if (!spec.upsert) return { n: 0, nModified: 0 };
  const doc = buildUpsert(spec);
  checkDocumentSize(doc, "update");
  const store = ctx.view.writable(ctx.db, name);
  validateForWrite(store, doc, bypass);
  ctx.view.insert(store, doc);
  return { n: 1, nModified: 0, upsertedId: doc._id };
}

const updateCommand: CommandHandler = async (ctx) => {
  checkFields(ctx, "update", ["updates", "ordered", "bypassDocumentValidation", "let"]);
  const name = collectionArgument(ctx, "update");
  const statements = statementArray(ctx, "updates", "update");
  parseUpdateStatements(statements);
  const ordered = booleanOption(ctx.body, "ordered") !== false;
  const bypass = booleanOption(ctx.body, "bypassDocumentValidation") === true;
  const writeErrors: Document[] = [];
  const upserted: Document[] = [];
  let n = 0;
  let nModified = 0;
  for (let i = 0; i < statements.length; i++) {
    try {
      const result = await withLockRetry(ctx, () => executeUpdate(ctx, name, statements[i] as Document, ctx.body.let, bypass));
      n += result.n;
      nModified += result.nModified;
      if (result.upsertedId !== undefined) upserted.push({ index: i, _id: result.upsertedId });
    } catch (error) {
      if (!(error instanceof CommandError) || ctx.view.transaction) throw error;
      writeErrors.push(error.toWriteError(i));
      if (ordered) break;
    }
  }
  return writeResult(n, writeErrors, { nModified, ...(upserted.length ? { upserted } : {}) });
};

const deleteCommand: CommandHandler = async (ctx) => {
  checkFields(ctx, "delete", ["deletes", "ordered", "let"]);
  const name = collectionArgument(ctx, "delete");
  const statements = statementArray(ctx, "deletes", "delete");
  for (const stmt of statements) {
    if (!isPlainDocument(stmt)) throw new CommandError(14, "BSON field 'delete.deletes' is the wrong type, expected type 'object'");
    checkStatementFields(stmt, "delete.deletes", ["q", "limit", "hint", "collation"]);
    if (!isPlainDocument(stmt.q)) throw new CommandError(40414, "BSON field 'delete.deletes.q' is missing but a required field");
  }
  const ordered = booleanOption(ctx.body, "ordered") !== false;
  const writeErrors: Document[] = [];
  let n = 0;
  for (let i = 0; i < statements.length; i++) {
    const stmt = statements[i] as Document;
    try {
      n += await withLockRetry(ctx, () => {
        const limit = integerOption(stmt, "limit", "delete.deletes");
        if (limit !== 0 && limit !== 1) throw new CommandError(9, `The limit field in delete objects must be 0 or 1. Got ${String(limit)}`);
        const collation = parseCollation(stmt.collation);
        const store = ctx.view.collection(ctx.db, name);
        checkHint(store, stmt.hint);
        const settings = evaluationSettings(ctx, ctx.body.let, collation);
        policeTableScan(ctx, name, store, { filter: stmt.q, hint: stmt.hint, collation: stmt.collation });
        const targets = matchingDocuments(store, stmt.q, settings, limit === 1 ? 1 : undefined);
        if (!store || targets.length === 0) return 0;
        const ids = targets.map((d) => canonicalKey(d._id));
        ctx.view.assertWritable(store, ids);
        const writable = ctx.view.writable(ctx.db, name);
        for (const id of ids) ctx.view.remove(writable, id);
        return ids.length;
      });
    } catch (error) {
      if (!(error instanceof CommandError) || ctx.view.transaction) throw error;
      writeErrors.push(error.toWriteError(i));
      if (ordered) break;
    }
  }
  return writeResult(n, writeErrors);
};

const FIND_FIELDS = [
  "filter",
  "sort",
  "projection",
  "hint",
  "skip",
  "limit",
  "batchSize",
  "singleBatch",
  "max",
  "min",
  "returnKey",
  "showRecordId",
  "tailable",
  "oplogReplay",
  "noCursorTimeout",
  "awaitData",
  "allowPartialResults",
  "collation",
  "allowDiskUse",
  "let",
  "readOnce",
];

const findCommand: CommandHandler = (ctx) => {
  checkFields(ctx, "find", FIND_FIELDS);
  const name = collectionArgument(ctx, "find");
  const body = ctx.body;
  for (const flag of ["returnKey", "showRecordId", "tailable", "awaitData", "oplogReplay"]) {
    if (booleanOption(body, flag)) throw notImplemented(`find option '${flag}'`);
  }
  for (const field of ["min", "max"]) {
    if (isPlainDocument(body[field]) && Object.keys(body[field] as Document).length) throw notImplemented(`find option '${field}'`);
  }
  const collation = parseCollation(body.collation);
  const filter = body.filter ?? {};
  if (!isPlainDocument(filter)) throw new CommandError(14, "BSON field 'find.filter' is the wrong type, expected type 'object'");
  const store = ctx.view.collection(ctx.db, name);
  checkHint(store, body.hint);
  const skip = integerOption(body, "skip", "find") ?? 0;
  if (skip < 0) throw new CommandError(51024, `BSON field 'skip' value must be >= 0, actual value '${skip}'`);
  let limit = integerOption(body, "limit", "find") ?? 0;
  let singleBatch = booleanOption(body, "singleBatch") === true;
  if (limit < 0) {
    limit = -limit;
    singleBatch = true;
  }
  const batchSize = integerOption(body, "batchSize", "find");
  if (batchSize !== undefined && batchSize < 0)
    throw new CommandError(51024, `BSON field 'batchSize' value must be >= 0, actual value '${batchSize}'`);
  const settings = evaluationSettings(ctx, body.let, collation);
  let sortBody = isPlainDocument(body.sort) && Object.keys(body.sort).length ? body.sort : undefined;
  let reverse = false;
  if (sortBody && Object.keys(sortBody).length === 1 && Object.hasOwn(sortBody, "$natural")) {
    reverse = Number(sortBody.$natural) === -1;
    sortBody = undefined;
  }
  const sortSpec = sortBody ? parseSortSpec(sortBody) : undefined;
  const queryFields = { filter, sort: body.sort, hint: body.hint, collation: body.collation };
  policeTableScan(ctx, name, store, queryFields);
  const memory = sortMemoryLimit(ctx);
  const sorted =
    sortSpec && !reverse && store && (memory === undefined || !planQuery(store, plannedQuery(queryFields)).blockingSort)
      ? sortedMatches(store, filter, sortSpec, settings, limit > 0 ? skip + limit : undefined)
      : undefined;
  let docs = sorted ?? matchingDocuments(store, filter, settings, !sortSpec && !reverse && limit > 0 ? skip + limit : undefined);
  if (reverse) docs.reverse();
  if (sortSpec && !sorted) {
    if (memory !== undefined && store && planQuery(store, plannedQuery(queryFields)).blockingSort) {
      assertSortFits(docs, memory, limit ? skip + limit : undefined, "find");
    }
    sortDocuments(docs, sortSpec, collation);
  }
  if (skip || limit) docs = docs.slice(skip, limit ? skip + limit : undefined);
  let transform: ((doc: Document) => Document) | undefined;
  if (isPlainDocument(body.projection) && Object.keys(body.projection).length) {
    const projection = compileProjection(body.projection, "find", createMingoOptions(settings));
    const positional = createPositionalResolver(prepareFilter(filter), settings);
    transform = (doc) => projection.apply(doc, positional);
  }
  const ns = `${ctx.db}.${name}`;
  const { batch, id } = ctx.cursors.open(ns, docs, batchSize, singleBatch, transform);
  return { cursor: { firstBatch: batch, id, ns }, ok: 1 };
};

const getMoreCommand: CommandHandler = (ctx) => {
  checkFields(ctx, "getMore", ["collection", "batchSize", "term", "lastKnownCommittedOpTime"]);
  const id = ctx.body.getMore;
  if (!Long.isLong(id) && typeof id !== "number") throw new CommandError(14, "getMore id must be a long");
  const collection = ctx.body.collection;
  if (typeof collection !== "string") throw new CommandError(40414, "BSON field 'getMore.collection' is missing but a required field");
  const ns = `${ctx.db}.${collection}`;
  const batchSize = integerOption(ctx.body, "batchSize", "getMore");
  if (ctx.streams.owns(id)) {
    const maxTimeMS = integerOption(ctx.body, "maxTimeMS", "getMore");
    return ctx.streams.getMore(id, ns, batchSize, maxTimeMS, runPipeline);
  }
  const { batch, id: next } = ctx.cursors.getMore(id, ns, batchSize);
  return { cursor: { nextBatch: batch, id: next, ns }, ok: 1 };
};

const killCursorsCommand: CommandHandler = (ctx) => {
  checkFields(ctx, "killCursors", ["cursors"]);
  collectionArgument(ctx, "killCursors");
  const ids = ctx.body.cursors;
  if (!Array.isArray(ids)) throw new CommandError(40414, "BSON field 'killCursors.cursors' is missing but a required field");
  const streamsKilled = ctx.streams.kill(ids);
  const { killed, notFound } = ctx.cursors.kill(ids.filter((id) => !streamsKilled.some((k) => k.toString() === String(id))));
  return { cursorsKilled: [...streamsKilled, ...killed], cursorsNotFound: notFound, cursorsAlive: [], cursorsUnknown: [], ok: 1 };
};

const countCommand: CommandHandler = (ctx) => {
  checkFields(ctx, "count", ["query", "limit", "skip", "hint", "collation", "fields", "readConcern"]);
  const name = collectionArgument(ctx, "count");
  const collation = parseCollation(ctx.body.collation);
  const store = ctx.view.collection(ctx.db, name);
  checkHint(store, ctx.body.hint);
  const query = ctx.body.query ?? {};
  if (!isPlainDocument(query)) throw new CommandError(14, "BSON field 'count.query' is the wrong type, expected type 'object'");
  const skip = Math.max(0, integerOption(ctx.body, "skip", "count") ?? 0);
  const limit = Math.abs(integerOption(ctx.body, "limit", "count") ?? 0);
  policeTableScan(ctx, name, store, { filter: query, hint: ctx.body.hint, collation: ctx.body.collation });
  let n: number;
  if (!store) n = 0;
  else if (Object.keys(query).length === 0) n = store.docs.size;
  else n = matchingDocuments(store, query, evaluationSettings(ctx, undefined, collation)).length;
  n = Math.max(0, n - skip);
  if (limit) n = Math.min(n, limit);
  return { n, ok: 1 };
};

const distinctCommand: CommandHandler = (ctx) => {
  checkFields(ctx, "distinct", ["key", "query", "collation", "hint"]);
  const name = collectionArgument(ctx, "distinct");
  const key = ctx.body.key;
  if (typeof key !== "string") throw new CommandError(40414, "BSON field 'distinct.key' is missing but a required field");
  const collation = parseCollation(ctx.body.collation);
  const store = ctx.view.collection(ctx.db, name);
  checkHint(store, ctx.body.hint);
  const query = ctx.body.query ?? {};
  if (!isPlainDocument(query)) throw new CommandError(14, "BSON field 'distinct.query' is the wrong type, expected type 'object'");
  policeTableScan(ctx, name, store, { filter: query, hint: ctx.body.hint, collation: ctx.body.collation });
  const seen = new Map<string, unknown>();
  for (const doc of matchingDocuments(store, query, evaluationSettings(ctx, undefined, collation))) {
    for (const v of collectPathValues(doc, key, false).values) {
      const items = Array.isArray(v) ? v : [v];
      for (const item of items) {
        const k = canonicalKey(item, collation);
        if (!seen.has(k)) seen.set(k, item);
      }
    }
  }
  const values = [...seen.values()].sort((a, b) => compareBsonValues(a, b, collation));
  return { values, ok: 1 };
};

const findAndModifyCommand: CommandHandler = (ctx) =>
  withLockRetry(ctx, () => {
    checkFields(ctx, "findAndModify", [
      "query",
      "sort",
      "remove",
      "update",
      "new",
      "fields",
      "upsert",
      "bypassDocumentValidation",
      "arrayFilters",
      "hint",
      "collation",
      "let",
    ]);
    const name = collectionArgument(ctx, "findAndModify");
    const body = ctx.body;
    const remove = booleanOption(body, "remove") === true;
    const returnNew = booleanOption(body, "new") === true;
    const upsert = booleanOption(body, "upsert") === true;
    if (remove && body.update !== undefined) throw new CommandError(9, "Cannot specify both an update and remove=true");
    if (remove && returnNew)
      throw new CommandError(9, "Cannot specify both new=true and remove=true; 'remove' always returns the deleted document");
    if (remove && upsert) throw new CommandError(9, "Cannot specify both upsert=true and remove=true ");
    if (!remove && body.update === undefined) throw new CommandError(9, "Either an update or remove=true must be specified");
    const collation = parseCollation(body.collation);
    const query = body.query ?? {};
    if (!isPlainDocument(query)) throw new CommandError(14, "BSON field 'findAndModify.query' is the wrong type, expected type 'object'");
    const store = ctx.view.collection(ctx.db, name);
    checkHint(store, body.hint);
    if (collation && Array.isArray(body.update)) assertCollationAware(body.update, "a pipeline update");
    const settings = evaluationSettings(ctx, body.let, collation);
    const sortSpec = isPlainDocument(body.sort) && Object.keys(body.sort).length ? parseSortSpec(body.sort) : undefined;
    policeTableScan(ctx, name, store, { filter: query, sort: body.sort, hint: body.hint, collation: body.collation });
    let candidates = matchingDocuments(store, query, settings, sortSpec ? undefined : 1);
    if (sortSpec) candidates = sortDocuments(candidates, sortSpec, collation);
    const target = candidates[0];
    const project = (doc: Document | undefined): Document | null => {
      if (!doc) return null;
      if (!isPlainDocument(body.fields) || Object.keys(body.fields).length === 0) return doc;
      const projection = compileProjection(body.fields, "find", createMingoOptions(settings));
      return projection.apply(doc, createPositionalResolver(prepareFilter(query), settings));
    };
    if (remove) {
      if (!target || !store) return { lastErrorObject: { n: 0 }, value: null, ok: 1 };
      const idKey = canonicalKey(target._id);
      ctx.view.assertWritable(store, [idKey]);
      ctx.view.remove(ctx.view.writable(ctx.db, name), idKey);
      return { lastErrorObject: { n: 1 }, value: project(target), ok: 1 };
    }
    if (!isPlainDocument(body.update) && !Array.isArray(body.update)) {
      throw new CommandError(14, "BSON field 'findAndModify.update' is the wrong type, expected type 'object' or 'array'");
    }
    const spec: UpdateSpec = {
      filter: query,
      update: body.update as Document | Document[],
      arrayFilters: Array.isArray(body.arrayFilters) ? (body.arrayFilters as Document[]) : undefined,
      settings,
    };
    const bypass = booleanOption(body, "bypassDocumentValidation") === true;
    if (target && store) {
      const next = computeUpdated(spec, target, false);
      const idKey = canonicalKey(target._id);
      if (documentsDiffer(target, next)) {
        checkDocumentSize(next, "update");
        validateForWrite(store, next, bypass, target);
        ctx.view.assertWritable(store, [idKey]);
        ctx.view.replace(ctx.view.writable(ctx.db, name), idKey, next, replaceKind(spec.update));
      }
      return { lastErrorObject: { n: 1, updatedExisting: true }, value: project(returnNew ? next : target), ok: 1 };
    }
    if (!upsert) return { lastErrorObject: { n: 0, updatedExisting: false }, value: null, ok: 1 };
    const doc = buildUpsert(spec);
    checkDocumentSize(doc, "update");
    const writable = ctx.view.writable(ctx.db, name);
    validateForWrite(writable, doc, bypass);
    ctx.view.insert(writable, doc);
    return {
      lastErrorObject: { n: 1, updatedExisting: false, upserted: doc._id },
      value: returnNew ? project(doc) : null,
      ok: 1,
    };
  });

/** `$listLocalSessions`: the sessions this server has seen (no authentication: every session belongs to the empty user). */
function listLocalSessions(ctx: CommandContext, spec: unknown): Document[] {
  if (!isPlainDocument(spec)) throw new CommandError(50753, "$listLocalSessions options must be specified in an object");
  for (const key of Object.keys(spec)) {
    if (key !== "allUsers" && key !== "users") throw new CommandError(40415, `BSON field '$listLocalSessions.${key}' is an unknown field.`);
  }
  const users = Array.isArray(spec.users) ? spec.users : undefined;
  if (users && users.length > 0 && spec.allUsers === true) {
    throw new CommandError(31106, "The 'allUsers' and 'users' options are mutually exclusive");
  }
  if (users && users.length > 0) return [];
  return ctx.localSessions();
}

const aggregateCommand: CommandHandler = async (ctx) => {
  checkFields(ctx, "aggregate", [
    "pipeline",
    "cursor",
    "explain",
    "allowDiskUse",
    "hint",
    "collation",
    "let",
    "bypassDocumentValidation",
    "fromMongos",
    "needsMerge",
  ]);
  const body = ctx.body;
  if (body.explain === true) return explainAggregate(ctx, body);
  if (!isPlainDocument(body.cursor)) {
    throw new CommandError(9, "The 'cursor' option is required, except for aggregate with the explain argument");
  }
  const collation = parseCollation(body.collation);
  const pipeline = validatePipeline(body.pipeline, true);
  if (collation) assertCollationAware(pipeline, "aggregate");
  const last = pipeline[pipeline.length - 1];
  const outStage = last && (stageName(last) === "$out" || stageName(last) === "$merge") ? last : undefined;
  const stages = outStage ? pipeline.slice(0, -1) : pipeline;
  if (outStage && ctx.view.transaction) {
    throw new CommandError(263, `${stageName(outStage)} cannot be used in a transaction`);
  }
  const settings = evaluationSettings(ctx, body.let, collation);
  const first = stages[0];
  if (first && stageName(first) === "$changeStream") {
    if (ctx.view.transaction) throw new CommandError(263, "$changeStream is not allowed within a multi-document transaction");
    const collection = body.aggregate === 1 ? undefined : collectionArgument(ctx, "aggregate");
    return ctx.streams.open({
      db: ctx.db,
      collection,
      spec: first.$changeStream,
      stages: stages.slice(1),
      settings,
      batchSize: integerOption(body.cursor as Document, "batchSize", "aggregate.cursor"),
      runStages: runPipeline,
    });
  }
  let input: Iterable<Document> = [];
  let rest = stages;
  let nsName: string;
  if (body.aggregate === 1 || (typeof body.aggregate === "number" && body.aggregate === 1)) {
    nsName = "$cmd.aggregate";
    if (first && stageName(first) === "$listLocalSessions") {
      input = listLocalSessions(ctx, first.$listLocalSessions);
      rest = stages.slice(1);
    } else if (!first || stageName(first) !== "$documents") {
      throw notImplemented("database-level aggregate other than $documents, $listLocalSessions and $changeStream");
    }
  } else {
    nsName = collectionArgument(ctx, "aggregate");
    const store = ctx.view.collection(ctx.db, nsName);
    checkHint(store, body.hint);
    const match = leadingMatch(stages);
    if (match) {
      const next = stages[match.stages];
      const sort = next && stageName(next) === "$sort" ? next.$sort : undefined;
      policeTableScan(ctx, nsName, store, { filter: match.filter, sort, hint: body.hint, collation: body.collation });
      input = matchingDocuments(store, match.filter, settings);
      rest = stages.slice(match.stages);
    } else {
      input = store ? store.docs.values() : [];
    }
  }
  const memory = sortMemoryLimit(ctx);
  const results = runPipeline(input, rest, memory === undefined ? settings : { ...settings, sortMemoryLimit: memory });
  const ns = `${ctx.db}.${nsName}`;
  if (outStage) {
    await applyOutputStage(ctx, outStage, results, booleanOption(body, "bypassDocumentValidation") === true);
    return { cursor: { firstBatch: [], id: Long.ZERO, ns }, ok: 1 };
  }
  const batchSize = integerOption(body.cursor as Document, "batchSize", "aggregate.cursor");
  const { batch, id } = ctx.cursors.open(ns, results, batchSize, false);
  return { cursor: { firstBatch: batch, id, ns }, ok: 1 };
};

/** CRUD and query commands. */
export const CRUD_COMMANDS: Readonly<Record<string, CommandHandler>> = {
  insert: insertCommand,
  update: updateCommand,
  delete: deleteCommand,
  find: findCommand,
  getMore: getMoreCommand,
  killCursors: killCursorsCommand,
  count: countCommand,
  distinct: distinctCommand,
  findAndModify: findAndModifyCommand,
  findandmodify: findAndModifyCommand,
  aggregate: aggregateCommand,
  explain: createExplainCommand({ find: findCommand, count: countCommand }),
};
