import type { DatabaseDefinition, DatabaseKey, DatabaseRef, IndexDefinition } from "@cspm/registry";
import type { Collection, Db, Document, IndexDescription } from "mongodb";

/** Options of `CSPMDatabaseManager.ensureIndexes`. */
export interface EnsureIndexesOptions {
  /** Databases to sync (key, alias or name); all registered databases when omitted. */
  readonly databases?: readonly DatabaseRef[];
  /** Drop indexes the catalog does not declare (never `_id_`). Default `false`: they are only reported. */
  readonly dropUndeclared?: boolean;
  /** Drop and re-create indexes whose name is declared but whose key or options differ. Default `false`. */
  readonly replaceMismatched?: boolean;
  /** Report what would change without creating or dropping anything. Default `false`. */
  readonly dryRun?: boolean;
}

/** One index (or collection) of one database that `ensureIndexes` reports about. */
export interface IndexLocation {
  /** Registry constant of the database. */
  readonly database: DatabaseKey;
  /** Physical (prefixed) database name. */
  readonly databaseName: string;
  readonly collection: string;
  readonly index: string;
}

/** An index present on the server that the catalog does not declare. */
export interface UndeclaredIndex extends IndexLocation {
  readonly key: Readonly<Record<string, unknown>>;
}

/** A declared index whose server-side twin differs (same name, different key or options; or same key, other name). */
export interface MismatchedIndex extends IndexLocation {
  /** Name of the index on the server (differs from `index` when only the key matched). */
  readonly actualName: string;
  /** What differs: `key`, `unique`, `sparse`, `partialFilterExpression`, `expireAfterSeconds`, `name`. */
  readonly differences: readonly string[];
  readonly declared: IndexDefinition;
  readonly actual: Readonly<Record<string, unknown>>;
}

/** A collection `ensureIndexes` created (or would create, in a dry run). */
export interface CreatedCollection {
  readonly database: DatabaseKey;
  readonly databaseName: string;
  readonly collection: string;
}

/** The outcome of one `ensureIndexes` run; a second run over an unchanged catalog creates nothing. */
export interface EnsureIndexesReport {
  readonly dryRun: boolean;
  readonly collectionsCreated: readonly CreatedCollection[];
  /** Declared indexes that were missing and were created (would be, in a dry run). */
  readonly created: readonly IndexLocation[];
  /** Declared indexes already present and identical. */
  readonly unchanged: readonly IndexLocation[];
  /** Present but undeclared indexes (drift); dropped only with `dropUndeclared`. */
  readonly undeclared: readonly UndeclaredIndex[];
  /** Declared but different indexes (drift); replaced only with `replaceMismatched`. */
  readonly mismatched: readonly MismatchedIndex[];
  /** Indexes dropped by `dropUndeclared` / `replaceMismatched`. */
  readonly dropped: readonly IndexLocation[];
}

interface MutableReport {
  dryRun: boolean;
  collectionsCreated: CreatedCollection[];
  created: IndexLocation[];
  unchanged: IndexLocation[];
  undeclared: UndeclaredIndex[];
  mismatched: MismatchedIndex[];
  dropped: IndexLocation[];
}

const NAMESPACE_NOT_FOUND = 26;
const NAMESPACE_EXISTS = 48;

function codeOf(error: unknown): unknown {
  return typeof error === "object" && error !== null ? (error as { code?: unknown }).code : undefined;
}

/** Equality for index specs: numbers by value (1 === 1.0), plain objects regardless of key order, arrays in order. */
function sameValue(a: unknown, b: unknown): boolean {
  if (typeof a === "number" || typeof b === "number") return Number(a) === Number(b) && typeof a === typeof b;
  if (a === b) return true;
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, i) => sameValue(item, b[i]));
  }
  if (typeof a === "object" && a !== null && typeof b === "object" && b !== null) {
    const ka = Object.keys(a).filter((k) => (a as Document)[k] !== undefined);
    const kb = Object.keys(b).filter((k) => (b as Document)[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => sameValue((a as Document)[k], (b as Document)[k]));
  }
  // ObjectId, Decimal128 …: compare their string forms.
  return a !== null && b !== null && a !== undefined && b !== undefined && String(a) === String(b);
}

/**
 * The key of an index as declared: a text index is stored as `{ _fts: "text", _ftsx: 1 }` plus
 * `weights`, so it is rebuilt as `{ field: "text", … }` (text fields sorted) to compare with a declaration.
 */
function normalizedKey(index: Document): [string, unknown][] {
  const key = (index.key ?? {}) as Document;
  const entries: [string, unknown][] = [];
  for (const [field, direction] of Object.entries(key)) {
    if (field === "_ftsx") continue;
    if (field === "_fts") {
      const weights = Object.keys((index.weights ?? {}) as Document).sort();
      for (const textField of weights) entries.push([textField, "text"]);
      continue;
    }
    entries.push([field, direction]);
  }
  return entries;
}

function declaredKey(definition: IndexDefinition): [string, unknown][] {
  const entries = Object.entries(definition.key) as [string, unknown][];
  const text = entries.filter(([, direction]) => direction === "text").sort(([a], [b]) => a.localeCompare(b));
  if (text.length === 0) return entries;
  // Text fields collapse to one slot at the position of the first one.
  const first = entries.findIndex(([, direction]) => direction === "text");
  const others = entries.filter(([, direction]) => direction !== "text");
  return [...others.slice(0, first), ...text, ...others.slice(first)];
}

function sameKey(a: [string, unknown][], b: [string, unknown][]): boolean {
  return a.length === b.length && a.every(([field, direction], i) => b[i]?.[0] === field && sameValue(direction, b[i]?.[1]));
}

/** What differs between a declaration and an index on the server (empty when they match). */
export function indexDifferences(declared: IndexDefinition, actual: Document): string[] {
  const differences: string[] = [];
  if (!sameKey(declaredKey(declared), normalizedKey(actual))) differences.push("key");
  if ((declared.unique === true) !== (actual.unique === true)) differences.push("unique");
  if ((declared.sparse === true) !== (actual.sparse === true)) differences.push("sparse");
  const declaredFilter = declared.partialFilterExpression;
  const actualFilter = actual.partialFilterExpression as unknown;
  if (
    (declaredFilter === undefined) !== (actualFilter === undefined) ||
    (declaredFilter !== undefined && !sameValue(declaredFilter, actualFilter))
  ) {
    differences.push("partialFilterExpression");
  }
  const declaredTtl = declared.expireAfterSeconds;
  const actualTtl = actual.expireAfterSeconds as unknown;
  if ((declaredTtl === undefined) !== (actualTtl === undefined) || (declaredTtl !== undefined && Number(actualTtl) !== declaredTtl)) {
    differences.push("expireAfterSeconds");
  }
  return differences;
}

/** The `createIndexes` spec of a declaration. */
function indexSpec(definition: IndexDefinition): IndexDescription {
  const spec: IndexDescription = { key: { ...definition.key }, name: definition.name };
  if (definition.unique !== undefined) spec.unique = definition.unique;
  if (definition.sparse !== undefined) spec.sparse = definition.sparse;
  if (definition.partialFilterExpression !== undefined) spec.partialFilterExpression = { ...definition.partialFilterExpression };
  if (definition.expireAfterSeconds !== undefined) spec.expireAfterSeconds = definition.expireAfterSeconds;
  return spec;
}

/** Only the comparable parts of a server index, for the report. */
function describeActual(actual: Document): Record<string, unknown> {
  const out: Record<string, unknown> = { name: actual.name, key: actual.key };
  for (const option of ["unique", "sparse", "partialFilterExpression", "expireAfterSeconds"] as const) {
    if (actual[option] !== undefined) out[option] = actual[option];
  }
  return out;
}

async function listIndexes(collection: Collection): Promise<Document[]> {
  try {
    return await collection.listIndexes().toArray();
  } catch (error) {
    if (codeOf(error) === NAMESPACE_NOT_FOUND) return [];
    throw error;
  }
}

async function syncCollection(
  db: Db,
  database: DatabaseDefinition<DatabaseKey>,
  collectionName: string,
  declaredIndexes: readonly IndexDefinition[],
  exists: boolean,
  options: EnsureIndexesOptions,
  report: MutableReport,
): Promise<void> {
  const dryRun = options.dryRun === true;
  const at = (index: string): IndexLocation => ({
    database: database.key,
    databaseName: db.databaseName,
    collection: collectionName,
    index,
  });
  if (!exists) {
    report.collectionsCreated.push({ database: database.key, databaseName: db.databaseName, collection: collectionName });
    if (!dryRun) {
      try {
        await db.createCollection(collectionName);
      } catch (error) {
        // Another process created it between our listCollections and now: that is the state we want.
        if (codeOf(error) !== NAMESPACE_EXISTS) throw error;
      }
    }
  }
  const collection = db.collection(collectionName);
  const actualIndexes = exists || !dryRun ? await listIndexes(collection) : [];
  const byName = new Map(actualIndexes.map((index) => [String(index.name), index]));
  const declaredNames = new Set(declaredIndexes.map((index) => index.name));
  const accountedFor = new Set<string>(["_id_"]);
  const toCreate: IndexDefinition[] = [];
  const toDrop: string[] = [];

  for (const declared of declaredIndexes) {
    const actual = byName.get(declared.name);
    if (actual) {
      accountedFor.add(declared.name);
      const differences = indexDifferences(declared, actual);
      if (differences.length === 0) {
        report.unchanged.push(at(declared.name));
        continue;
      }
      report.mismatched.push({ ...at(declared.name), actualName: declared.name, differences, declared, actual: describeActual(actual) });
      if (options.replaceMismatched) {
        toDrop.push(declared.name);
        toCreate.push(declared);
      }
      continue;
    }
    // Same key under another (undeclared) name: creating ours would fail with IndexOptionsConflict.
    const twin = actualIndexes.find(
      (index) => !declaredNames.has(String(index.name)) && index.name !== "_id_" && sameKey(declaredKey(declared), normalizedKey(index)),
    );
    if (twin) {
      const twinName = String(twin.name);
      accountedFor.add(twinName);
      report.mismatched.push({
        ...at(declared.name),
        actualName: twinName,
        differences: ["name", ...indexDifferences(declared, twin).filter((d) => d !== "key")],
        declared,
        actual: describeActual(twin),
      });
      if (options.replaceMismatched) {
        toDrop.push(twinName);
        toCreate.push(declared);
      }
      continue;
    }
    toCreate.push(declared);
  }

  for (const actual of actualIndexes) {
    const name = String(actual.name);
    if (accountedFor.has(name)) continue;
    report.undeclared.push({ ...at(name), key: (actual.key ?? {}) as Record<string, unknown> });
    if (options.dropUndeclared) toDrop.push(name);
  }

  for (const name of toDrop) {
    if (!dryRun) await collection.dropIndex(name);
    report.dropped.push(at(name));
  }
  if (toCreate.length > 0) {
    if (!dryRun) await collection.createIndexes(toCreate.map(indexSpec));
    for (const declared of toCreate) report.created.push(at(declared.name));
  }
}

/**
 * Makes the server's collections and indexes match the registry's catalog for the given databases
 * and reports drift. Driver errors propagate raw: the caller maps them.
 * @internal
 */
export async function syncIndexes(
  databases: readonly DatabaseDefinition<DatabaseKey>[],
  dbFor: (database: DatabaseDefinition<DatabaseKey>) => Db,
  options: EnsureIndexesOptions,
): Promise<EnsureIndexesReport> {
  const report: MutableReport = {
    dryRun: options.dryRun === true,
    collectionsCreated: [],
    created: [],
    unchanged: [],
    undeclared: [],
    mismatched: [],
    dropped: [],
  };
  for (const database of databases) {
    const db = dbFor(database);
    const existing = new Set((await db.listCollections({}, { nameOnly: true }).toArray()).map((collection) => String(collection.name)));
    // One database at a time, its collections in parallel: a bounded burst of round trips.
    await Promise.all(
      database.collections.map((collection) =>
        syncCollection(db, database, collection.name, collection.indexes, existing.has(collection.name), options, report),
      ),
    );
  }
  const order = (a: { databaseName: string; collection: string; index?: string }, b: typeof a): number =>
    a.databaseName.localeCompare(b.databaseName) ||
    a.collection.localeCompare(b.collection) ||
    (a.index ?? "").localeCompare(b.index ?? "");
  for (const list of [report.collectionsCreated, report.created, report.unchanged, report.undeclared, report.mismatched, report.dropped]) {
    list.sort(order);
  }
  return report;
}
