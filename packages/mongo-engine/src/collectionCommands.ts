import { BSON, type Document } from "bson";
import { compareStrings, isPlainDocument, toNumber } from "./bsonOrder";
import { CommandError, notImplemented } from "./commandError";
import { CollectionStore, ID_INDEX_SPEC, type CollectionOptions } from "./collectionStore";
import { parseCollation } from "./collation";
import { booleanOption, checkFields, collectionArgument, type CommandContext, type CommandHandler } from "./commandContext";
import { compileValidator } from "./documentValidator";
import { defaultIndexName, duplicateKeyError, IndexStore, validateKeyPattern, type IndexSpec } from "./indexStore";
import { compileFilter } from "./queryMatcher";

function notInTransaction(ctx: CommandContext, command: string): void {
  if (ctx.view.transaction) throw new CommandError(263, `Cannot run '${command}' in a multi-document transaction.`);
}

function readOptions(body: Document, base: CollectionOptions = {}): CollectionOptions {
  const options: { -readonly [K in keyof CollectionOptions]: CollectionOptions[K] } = { ...base };
  if (body.validator !== undefined) {
    if (!isPlainDocument(body.validator)) throw new CommandError(14, "'validator' must be an object");
    options.validator = body.validator;
  }
  if (body.validationLevel !== undefined) {
    if (!["off", "strict", "moderate"].includes(String(body.validationLevel))) {
      throw new CommandError(2, `Enumeration value '${String(body.validationLevel)}' for field 'validationLevel' is not a valid value.`);
    }
    options.validationLevel = body.validationLevel as "off" | "strict" | "moderate";
  }
  if (body.validationAction !== undefined) {
    if (!["error", "warn"].includes(String(body.validationAction))) {
      throw new CommandError(2, `Enumeration value '${String(body.validationAction)}' for field 'validationAction' is not a valid value.`);
    }
    options.validationAction = body.validationAction as "error" | "warn";
  }
  return options;
}

function optionsDocument(options: CollectionOptions): Document {
  const out: Document = {};
  if (options.clusteredIndex) out.clusteredIndex = options.clusteredIndex;
  if (options.validator) out.validator = options.validator;
  if (options.validationLevel) out.validationLevel = options.validationLevel;
  if (options.validationAction) out.validationAction = options.validationAction;
  return out;
}

/** `create`'s `clusteredIndex`: only `{key: {_id: 1}, unique: true}` (with an optional name), as mongod 7.0. */
function clusteredOption(spec: unknown): Pick<CollectionOptions, "clusteredIndex"> {
  if (spec === undefined || spec === false) return {};
  if (!isPlainDocument(spec)) throw new CommandError(14, "BSON field 'create.clusteredIndex' is the wrong type, expected type 'object'");
  for (const key of Object.keys(spec)) {
    if (!["key", "unique", "name", "v"].includes(key))
      throw new CommandError(40415, `BSON field 'clusteredIndex.${key}' is an unknown field.`);
  }
  const keys = isPlainDocument(spec.key) ? Object.entries(spec.key) : [];
  if (keys.length !== 1 || keys[0]?.[0] !== "_id" || toNumber(keys[0]?.[1]) !== 1) {
    throw new CommandError(6053701, "The clusteredIndex option is only supported for key: {_id: 1}", { codeName: "Location6053701" });
  }
  if (spec.unique !== true)
    throw new CommandError(5979700, "The clusteredIndex option requires unique: true", { codeName: "Location5979700" });
  return { clusteredIndex: { v: 2, key: { _id: 1 }, name: typeof spec.name === "string" ? spec.name : "_id_", unique: true } };
}

const createCommand: CommandHandler = (ctx) => {
  checkFields(ctx, "create", [
    "capped",
    "size",
    "max",
    "validator",
    "validationLevel",
    "validationAction",
    "collation",
    "timeseries",
    "clusteredIndex",
    "viewOn",
    "pipeline",
    "expireAfterSeconds",
    "changeStreamPreAndPostImages",
    "storageEngine",
    "indexOptionDefaults",
    "autoIndexId",
    "idIndex",
    "encryptedFields",
    "flags",
  ]);
  const name = collectionArgument(ctx, "create");
  const body = ctx.body;
  if (booleanOption(body, "capped")) throw notImplemented("capped collections");
  for (const option of ["timeseries", "viewOn", "expireAfterSeconds", "encryptedFields"]) {
    if (body[option] !== undefined) throw notImplemented(`create option '${option}'`);
  }
  if (parseCollation(body.collation))
    throw notImplemented("a collection default collation (create with 'collation'); pass the collation per operation or index");
  const options = { ...readOptions(body), ...clusteredOption(body.clusteredIndex) };
  if (options.validator) compileValidator(new CollectionStore(ctx.db, name, { options }));
  if (ctx.view.collection(ctx.db, name)) throw new CommandError(48, `Collection ${ctx.db}.${name} already exists.`);
  const store = ctx.view.writable(ctx.db, name);
  store.options = options;
  return { ok: 1 };
};

const dropCommand: CommandHandler = (ctx) => {
  checkFields(ctx, "drop", []);
  notInTransaction(ctx, "drop");
  const name = collectionArgument(ctx, "drop");
  const store = ctx.catalog.get(ctx.db, name);
  if (!store) return { ok: 1 };
  const nIndexesWas = store.indexes.length + 1;
  ctx.catalog.dropCollection(ctx.db, name);
  return { nIndexesWas, ns: store.ns, ok: 1 };
};

function collectionInfo(store: CollectionStore): Document {
  return {
    name: store.name,
    type: "collection",
    options: optionsDocument(store.options),
    info: { readOnly: false, uuid: store.uuid },
    ...(store.options.clusteredIndex ? {} : { idIndex: { ...ID_INDEX_SPEC } }),
  };
}

const listCollectionsCommand: CommandHandler = (ctx) => {
  checkFields(ctx, "listCollections", ["filter", "nameOnly", "authorizedCollections", "cursor"]);
  const body = ctx.body;
  const filter = body.filter ?? {};
  if (!isPlainDocument(filter)) throw new CommandError(14, "BSON field 'listCollections.filter' is the wrong type, expected type 'object'");
  const matcher = compileFilter(filter);
  const nameOnly = booleanOption(body, "nameOnly") === true;
  const names = ctx.view.collectionNames(ctx.db).sort(compareStrings);
  const out: Document[] = [];
  for (const name of names) {
    const store = ctx.view.collection(ctx.db, name);
    if (!store) continue;
    const info = collectionInfo(store);
    if (!matcher(info)) continue;
    out.push(nameOnly ? { name: info.name, type: info.type } : info);
  }
  const ns = `${ctx.db}.$cmd.listCollections`;
  const cursorOptions = isPlainDocument(body.cursor) ? body.cursor : {};
  const batchSize = cursorOptions.batchSize === undefined ? undefined : toNumber(cursorOptions.batchSize);
  const { batch, id } = ctx.cursors.open(ns, out, batchSize, false);
  return { cursor: { id, ns, firstBatch: batch }, ok: 1 };
};

function splitNamespace(value: unknown, field: string): [string, string] {
  if (typeof value !== "string" || !value.includes(".")) {
    throw new CommandError(73, `Invalid namespace specified '${String(value)}'`, { codeName: "InvalidNamespace" });
  }
  const dot = value.indexOf(".");
  const db = value.slice(0, dot);
  const coll = value.slice(dot + 1);
  if (!db || !coll) throw new CommandError(73, `Invalid ${field} namespace '${value}'`);
  return [db, coll];
}

const renameCollectionCommand: CommandHandler = (ctx) => {
  checkFields(ctx, "renameCollection", ["to", "dropTarget", "stayTemp", "collectionUUID"]);
  notInTransaction(ctx, "renameCollection");
  const [fromDb, fromName] = splitNamespace(ctx.body.renameCollection, "source");
  const [toDb, toName] = splitNamespace(ctx.body.to, "target");
  if (fromDb === toDb && fromName === toName) throw new CommandError(20, "Can't rename a collection to itself");
  const source = ctx.catalog.get(fromDb, fromName);
  if (!source) throw new CommandError(26, `Source collection ${fromDb}.${fromName} does not exist`);
  if (ctx.catalog.get(toDb, toName)) {
    if (booleanOption(ctx.body, "dropTarget") !== true) throw new CommandError(48, "target namespace exists");
    ctx.catalog.dropCollection(toDb, toName);
  }
  const renamed = new CollectionStore(toDb, toName, {
    docs: source.docs,
    indexes: source.indexes,
    options: source.options,
    stamps: new Map(),
  });
  const seq = ctx.catalog.nextSeq();
  for (const idKey of renamed.docs.keys()) {
    renamed.stamps.set(idKey, seq);
    source.stamps.set(idKey, seq);
  }
  const rebuilt = renamed.clone();
  ctx.catalog.dropCollection(fromDb, fromName, false);
  ctx.catalog.install(rebuilt, { operationType: "rename", db: fromDb, coll: fromName, to: { db: toDb, coll: toName } });
  return { ok: 1 };
};

function sizeOf(store: CollectionStore | undefined): number {
  let size = 0;
  for (const doc of store?.docs.values() ?? []) size += BSON.calculateObjectSize(doc);
  return size;
}

const collStatsCommand: CommandHandler = (ctx) => {
  checkFields(ctx, "collStats", ["scale", "verbose"]);
  const name = collectionArgument(ctx, "collStats");
  const store = ctx.view.collection(ctx.db, name);
  const scale = Math.max(1, toNumber(ctx.body.scale ?? 1) || 1);
  const count = store?.docs.size ?? 0;
  const size = sizeOf(store);
  const indexSizes: Document = {};
  for (const spec of store?.indexSpecs() ?? []) indexSizes[spec.name] = 4096;
  const nindexes = store ? store.indexes.length + 1 : 0;
  return {
    ns: `${ctx.db}.${name}`,
    size: Math.floor(size / scale),
    count,
    avgObjSize: count ? Math.floor(size / count) : 0,
    storageSize: Math.floor(size / scale),
    freeStorageSize: 0,
    capped: false,
    nindexes,
    indexBuilds: [],
    totalIndexSize: Math.floor((nindexes * 4096) / scale),
    totalSize: Math.floor((size + nindexes * 4096) / scale),
    indexSizes,
    scaleFactor: scale,
    ok: 1,
  };
};

const dbStatsCommand: CommandHandler = (ctx) => {
  checkFields(ctx, "dbStats", ["scale", "freeStorage"]);
  const names = ctx.view.collectionNames(ctx.db);
  let objects = 0;
  let dataSize = 0;
  let indexes = 0;
  for (const name of names) {
    const store = ctx.view.collection(ctx.db, name);
    objects += store?.docs.size ?? 0;
    dataSize += sizeOf(store);
    indexes += store ? store.indexes.length + 1 : 0;
  }
  return {
    db: ctx.db,
    collections: names.length,
    views: 0,
    objects,
    avgObjSize: objects ? dataSize / objects : 0,
    dataSize,
    storageSize: dataSize,
    indexes,
    indexSize: indexes * 4096,
    totalSize: dataSize + indexes * 4096,
    scaleFactor: 1,
    fsUsedSize: 0,
    fsTotalSize: 0,
    ok: 1,
  };
};

const INDEX_OPTIONS = new Set([
  "key",
  "name",
  "unique",
  "sparse",
  "partialFilterExpression",
  "expireAfterSeconds",
  "background",
  "hidden",
  "collation",
  "v",
  "storageEngine",
  "ns",
]);

const UNSUPPORTED_INDEX_OPTIONS = new Set([
  "weights",
  "default_language",
  "language_override",
  "textIndexVersion",
  "2dsphereIndexVersion",
  "bits",
  "min",
  "max",
  "bucketSize",
  "wildcardProjection",
  "clustered",
  "prepareUnique",
]);

function readIndexSpec(raw: unknown): IndexSpec {
  if (!isPlainDocument(raw)) throw new CommandError(14, "index specification must be an object");
  for (const key of Object.keys(raw)) {
    if (UNSUPPORTED_INDEX_OPTIONS.has(key)) throw notImplemented(`index option '${key}'`);
    if (!INDEX_OPTIONS.has(key)) {
      throw new CommandError(197, `The field '${key}' is not valid for an index specification. Specification: ${JSON.stringify(raw)}`);
    }
  }
  const key = validateKeyPattern(raw.key);
  const collation = parseCollation(raw.collation);
  const name = typeof raw.name === "string" ? raw.name : defaultIndexName(key);
  const spec: { -readonly [K in keyof IndexSpec]: IndexSpec[K] } = { v: 2, key, name };
  if (collation) spec.collation = collation.spec;
  if (booleanOption(raw, "unique")) spec.unique = true;
  if (booleanOption(raw, "sparse")) spec.sparse = true;
  if (raw.partialFilterExpression !== undefined) {
    if (!isPlainDocument(raw.partialFilterExpression)) throw new CommandError(14, "partialFilterExpression must be an object");
    if (spec.sparse) throw new CommandError(67, 'cannot mix "partialFilterExpression" and "sparse" options');
    spec.partialFilterExpression = raw.partialFilterExpression;
  }
  if (raw.expireAfterSeconds !== undefined) {
    const seconds = toNumber(raw.expireAfterSeconds);
    if (!Number.isFinite(seconds) || seconds < 0)
      throw new CommandError(67, "TTL index 'expireAfterSeconds' option must be a non-negative number");
    if (Object.keys(key).length !== 1)
      throw new CommandError(67, "TTL indexes are single-field indexes, compound indexes do not support TTL.");
    spec.expireAfterSeconds = seconds;
  }
  if (booleanOption(raw, "hidden")) spec.hidden = true;
  if (name === "_id_" || (Object.keys(key).length === 1 && Object.hasOwn(key, "_id"))) {
    if (spec.unique || spec.sparse || spec.partialFilterExpression || spec.expireAfterSeconds !== undefined) {
      throw new CommandError(197, "The field 'unique' is not valid for an _id index specification.");
    }
  }
  return spec;
}

function sameKey(a: Document, b: Document): boolean {
  const ea = Object.entries(a);
  const eb = Object.entries(b);
  return (
    ea.length === eb.length &&
    ea.every(([k, v], i) => {
      const other = eb[i];
      return other !== undefined && other[0] === k && String(toNumber(v) || v) === String(toNumber(other[1]) || other[1]);
    })
  );
}

function sameOptions(a: IndexSpec, b: IndexSpec): boolean {
  return (
    JSON.stringify(a.collation ?? null) === JSON.stringify(b.collation ?? null) &&
    Boolean(a.unique) === Boolean(b.unique) &&
    Boolean(a.sparse) === Boolean(b.sparse) &&
    JSON.stringify(a.partialFilterExpression ?? null) === JSON.stringify(b.partialFilterExpression ?? null) &&
    (a.expireAfterSeconds ?? null) === (b.expireAfterSeconds ?? null)
  );
}

/** Builds an index over a collection's current documents (11000 on duplicates for unique indexes). */
export function buildIndex(store: CollectionStore, spec: IndexSpec): IndexStore {
  const partial = spec.partialFilterExpression ? compileFilter(spec.partialFilterExpression) : undefined;
  const index = new IndexStore(spec, partial);
  for (const [idKey, doc] of store.docs) {
    const keys = index.keysOf(doc);
    if (index.unique && keys) {
      for (const k of keys) {
        if (index.entries.has(k.key)) throw duplicateKeyError(store.ns, spec, k.values);
      }
    }
    index.add(idKey, keys);
  }
  return index;
}

const createIndexesCommand: CommandHandler = (ctx) => {
  checkFields(ctx, "createIndexes", ["indexes", "commitQuorum", "ignoreUnknownIndexOptions"]);
  const name = collectionArgument(ctx, "createIndexes");
  const rawSpecs = ctx.body.indexes;
  if (!Array.isArray(rawSpecs) || rawSpecs.length === 0) throw new CommandError(2, "Must specify at least one index to create");
  const specs = rawSpecs.map(readIndexSpec);
  const existed = ctx.view.collection(ctx.db, name);
  if (ctx.view.transaction && existed && existed.docs.size > 0) {
    throw new CommandError(263, "Cannot create new indexes on existing collection in a multi-document transaction.");
  }
  const store = ctx.view.writable(ctx.db, name);
  const numIndexesBefore = store.indexes.length + 1;
  const created: IndexStore[] = [];
  for (const spec of specs) {
    if (sameKey(spec.key, { _id: 1 }) && !spec.unique) {
      if (spec.name !== "_id_" && spec.name !== defaultIndexName(spec.key)) {
        throw new CommandError(85, `Index already exists with a different name: _id_`);
      }
      continue;
    }
    const byName = [...store.indexes, ...created].find((i) => i.spec.name === spec.name);
    if (byName) {
      if (sameKey(byName.spec.key, spec.key) && sameOptions(byName.spec, spec)) continue;
      throw new CommandError(
        86,
        `An existing index has the same name as the requested index. When index names are not specified, they are auto generated and can cause conflicts. Please refer to our documentation. Requested index: ${JSON.stringify(spec)}, existing index: ${JSON.stringify(byName.spec)}`,
      );
    }
    const byKey = [...store.indexes, ...created].find(
      (i) =>
        sameKey(i.spec.key, spec.key) &&
        JSON.stringify(i.spec.partialFilterExpression ?? null) === JSON.stringify(spec.partialFilterExpression ?? null) &&
        JSON.stringify(i.spec.collation ?? null) === JSON.stringify(spec.collation ?? null),
    );
    if (byKey) {
      if (sameOptions(byKey.spec, spec)) {
        throw new CommandError(85, `Index already exists with a different name: ${byKey.spec.name}`);
      }
      throw new CommandError(
        85,
        `An equivalent index already exists with the same name but different options. Requested index: ${JSON.stringify(spec)}, existing index: ${JSON.stringify(byKey.spec)}`,
      );
    }
    if (store.indexes.length + created.length >= 63) throw new CommandError(67, "add index fails, too many indexes");
    created.push(buildIndex(store, spec));
  }
  if (created.length) {
    if (!ctx.view.transaction) ctx.catalog.beforeMutation(store.ns);
    store.indexes = [...store.indexes, ...created];
  }
  const reply: Document = {
    numIndexesBefore,
    numIndexesAfter: store.indexes.length + 1,
    createdCollectionAutomatically: !existed,
    ok: 1,
  };
  if (!created.length) return { numIndexesBefore, numIndexesAfter: numIndexesBefore, note: "all indexes already exist", ok: 1 };
  return reply;
};

const listIndexesCommand: CommandHandler = (ctx) => {
  checkFields(ctx, "listIndexes", ["cursor", "includeBuildUUIDs", "includeIndexBuildInfo"]);
  const name = collectionArgument(ctx, "listIndexes");
  const store = ctx.view.collection(ctx.db, name);
  if (!store) throw new CommandError(26, `ns does not exist: ${ctx.db}.${name}`);
  const ns = `${ctx.db}.$cmd.listIndexes.${name}`;
  const specs = store.indexSpecs().map((s) => ({ ...s }));
  const cursorOptions = isPlainDocument(ctx.body.cursor) ? ctx.body.cursor : {};
  const batchSize = cursorOptions.batchSize === undefined ? undefined : toNumber(cursorOptions.batchSize);
  const { batch, id } = ctx.cursors.open(ns, specs, batchSize, false);
  return { cursor: { id, ns, firstBatch: batch }, ok: 1 };
};

const dropIndexesCommand: CommandHandler = (ctx) => {
  checkFields(ctx, "dropIndexes", ["index"]);
  notInTransaction(ctx, "dropIndexes");
  const name = collectionArgument(ctx, "dropIndexes");
  const store = ctx.catalog.get(ctx.db, name);
  if (!store) throw new CommandError(26, `ns not found ${ctx.db}.${name}`);
  const nIndexesWas = store.indexes.length + 1;
  const target = ctx.body.index;
  let remaining = store.indexes;
  if (target === "*") {
    remaining = [];
  } else {
    const names = Array.isArray(target) ? target : [target];
    for (const t of names) {
      if (t === "_id_" || (isPlainDocument(t) && sameKey(t, { _id: 1 }))) throw new CommandError(72, "cannot drop _id index");
      const found = remaining.find((i) => (typeof t === "string" ? i.spec.name === t : isPlainDocument(t) && sameKey(i.spec.key, t)));
      if (!found) {
        if (typeof t === "string") throw new CommandError(27, `index not found with name [${t}]`);
        throw new CommandError(27, `can't find index with key: ${JSON.stringify(t)}`);
      }
      remaining = remaining.filter((i) => i !== found);
    }
  }
  ctx.catalog.beforeMutation(store.ns);
  store.indexes = remaining;
  return { nIndexesWas, ok: 1 };
};

const collModCommand: CommandHandler = (ctx) => {
  checkFields(ctx, "collMod", [
    "validator",
    "validationLevel",
    "validationAction",
    "index",
    "changeStreamPreAndPostImages",
    "expireAfterSeconds",
    "timeseries",
    "viewOn",
    "pipeline",
    "cappedSize",
    "cappedMax",
    "dryRun",
  ]);
  notInTransaction(ctx, "collMod");
  const name = collectionArgument(ctx, "collMod");
  const store = ctx.catalog.get(ctx.db, name);
  if (!store) throw new CommandError(26, `ns does not exist: ${ctx.db}.${name}`);
  for (const option of ["expireAfterSeconds", "timeseries", "viewOn", "pipeline", "cappedSize", "cappedMax", "dryRun"]) {
    if (ctx.body[option] !== undefined) throw notImplemented(`collMod option '${option}'`);
  }
  ctx.catalog.beforeMutation(store.ns);
  const options = readOptions(ctx.body, store.options);
  if (options.validator) compileValidator(new CollectionStore(ctx.db, name, { options }));
  store.options = options;
  const reply: Document = { ok: 1 };
  if (ctx.body.index !== undefined) {
    const spec = ctx.body.index;
    if (!isPlainDocument(spec)) throw new CommandError(14, "'index' option must be an object");
    const index = store.indexes.find((i) =>
      typeof spec.name === "string" ? i.spec.name === spec.name : isPlainDocument(spec.keyPattern) && sameKey(i.spec.key, spec.keyPattern),
    );
    if (!index) throw new CommandError(27, "cannot find index for collMod");
    const changes: Document = {};
    let next: IndexSpec = index.spec;
    if (spec.expireAfterSeconds !== undefined) {
      if (index.spec.expireAfterSeconds === undefined) throw new CommandError(72, "no expireAfterSeconds field to update");
      changes.expireAfterSeconds_old = index.spec.expireAfterSeconds;
      next = { ...next, expireAfterSeconds: toNumber(spec.expireAfterSeconds) };
      changes.expireAfterSeconds_new = next.expireAfterSeconds;
    }
    if (spec.hidden !== undefined) {
      changes.hidden_old = Boolean(index.spec.hidden);
      const { hidden: _hidden, ...rest } = next;
      next = spec.hidden ? { ...rest, hidden: true } : rest;
      changes.hidden_new = Boolean(spec.hidden);
    }
    for (const key of Object.keys(spec)) {
      if (!["name", "keyPattern", "expireAfterSeconds", "hidden"].includes(key)) throw notImplemented(`collMod index option '${key}'`);
    }
    store.indexes = store.indexes.map((i) => (i === index ? i.withSpec(next) : i));
    Object.assign(reply, changes);
  }
  return reply;
};

/** mongod 7.0 without Atlas Search answers every search index command this way. */
const searchIndexCommand: CommandHandler = () => {
  throw new CommandError(115, "Search index commands are only supported with Atlas.");
};

/** Collection and index management commands. */
export const COLLECTION_COMMANDS: Readonly<Record<string, CommandHandler>> = {
  create: createCommand,
  drop: dropCommand,
  listCollections: listCollectionsCommand,
  renameCollection: renameCollectionCommand,
  collStats: collStatsCommand,
  dbStats: dbStatsCommand,
  createIndexes: createIndexesCommand,
  listIndexes: listIndexesCommand,
  dropIndexes: dropIndexesCommand,
  deleteIndexes: dropIndexesCommand,
  collMod: collModCommand,
  createSearchIndexes: searchIndexCommand,
  dropSearchIndex: searchIndexCommand,
  updateSearchIndex: searchIndexCommand,
};
