import type { Document } from "bson";
import { canonicalKey, formatBsonValue, isPlainDocument, toNumber } from "./bsonOrder";
import { type Collation, parseCollation } from "./collation";
import { CommandError } from "./commandError";
import { OrderedIndex } from "./orderedIndex";
import { collectPathValues } from "./pathValues";

/** An index as `listIndexes` reports it. */
export interface IndexSpec {
  readonly v: number;
  readonly key: Document;
  readonly name: string;
  readonly unique?: boolean;
  readonly sparse?: boolean;
  readonly partialFilterExpression?: Document;
  readonly expireAfterSeconds?: number;
  readonly hidden?: boolean;
  /** The index's collation as mongod reports it (absent = simple). */
  readonly collation?: Document;
}

/** One key tuple of a document in an index. */
export interface IndexKey {
  /** Canonical encoding (the Map key). */
  readonly key: string;
  /** The values, one per indexed field (for error messages). */
  readonly values: readonly unknown[];
}

const EMPTY_ARRAY_KEY = Symbol("emptyArray");

function valueKey(value: unknown, collation?: Collation): string {
  return value === EMPTY_ARRAY_KEY ? "U" : canonicalKey(value, collation);
}

function fieldValues(doc: Document, path: string, collation: Collation | undefined): unknown[] {
  const found = collectPathValues(doc, path, false);
  const out: unknown[] = [];
  const seen = new Set<string>();
  const push = (v: unknown): void => {
    const k = valueKey(v, collation);
    if (seen.has(k)) return;
    seen.add(k);
    out.push(v);
  };
  for (const v of found.values) {
    if (Array.isArray(v)) {
      if (v.length === 0) push(EMPTY_ARRAY_KEY);
      else for (const el of v) push(el);
    } else push(v);
  }
  if (found.missing || out.length === 0) push(null);
  return out;
}

/** Renders `{ field: value, ... }` the way mongod prints a duplicate key. */
export function formatDupKey(fields: readonly string[], values: readonly unknown[]): string {
  const parts = fields.map((f, i) => `${f}: ${formatBsonValue(values[i] === EMPTY_ARRAY_KEY ? undefined : values[i])}`);
  return `{ ${parts.join(", ")} }`;
}

/** Builds the 11000 DuplicateKey error exactly as mongod shapes it. */
export function duplicateKeyError(ns: string, spec: IndexSpec, values: readonly unknown[]): CommandError {
  const fields = Object.keys(spec.key);
  const keyValue: Document = {};
  fields.forEach((f, i) => {
    const v = values[i];
    keyValue[f] = v === EMPTY_ARRAY_KEY ? undefined : v;
  });
  const keyPattern: Document = {};
  for (const [f, dir] of Object.entries(spec.key)) keyPattern[f] = dir;
  return new CommandError(
    11000,
    `E11000 duplicate key error collection: ${ns} index: ${spec.name} dup key: ${formatDupKey(fields, values)}`,
    { extra: { keyPattern, keyValue } },
  );
}

/** The keys of a compound index sharing one first-field value. */
export interface FirstFieldKeys {
  readonly keys: Set<string>;
  /** (key, document) pairs under those keys. */
  size: number;
}

/** A secondary index: a Map from canonical key tuples to the `_id` keys of the documents holding them. */
export class IndexStore {
  readonly spec: IndexSpec;
  readonly fields: readonly string[];
  readonly entries: Map<string, Set<string>>;
  /** True once a document gave more than one key or an array value (mongod's `isMultiKey`). */
  multiKey = false;
  /** The index's collation: string keys are its equivalence classes (absent = simple). */
  readonly collation: Collation | undefined;
  private readonly partial: ((doc: Document) => boolean) | undefined;
  /** True when every indexed field is a top-level field (no dotted path). */
  private readonly topLevel: boolean;
  /** True once a document held an array in an indexed field (its keys are then no plain values). */
  private arrayValued = false;
  /** The key order (orderedIndex.ts), for indexes that qualify (`orderable`). */
  readonly order: OrderedIndex;

  /**
   * Compound indexes only: for each value of the first field, the full keys holding it and how many
   * (key, document) pairs they hold — so an equality on leading fields visits only its own keys.
   */
  private readonly byFirst: Map<string, FirstFieldKeys> | undefined;

  constructor(
    spec: IndexSpec,
    partial?: (doc: Document) => boolean,
    entries?: Map<string, Set<string>>,
    byFirst?: Map<string, FirstFieldKeys>,
    order?: OrderedIndex,
  ) {
    this.spec = spec;
    this.collation = parseCollation(spec.collation);
    this.fields = Object.keys(spec.key);
    this.partial = partial;
    this.entries = entries ?? new Map();
    this.topLevel = this.fields.every((f) => !f.includes("."));
    this.byFirst = this.fields.length > 1 ? (byFirst ?? new Map()) : undefined;
    this.order = order ?? new OrderedIndex(this.fields.map((f) => (toNumber(spec.key[f]) < 0 ? -1 : 1)));
  }

  /**
   * Whether the index's key order can serve ranges and sorts: every field top-level with a numeric
   * direction, no sparse or partial filter, simple collation, not hidden, and no document ever held an
   * array in an indexed field.
   */
  get orderable(): boolean {
    return (
      this.topLevel &&
      this.partial === undefined &&
      this.spec.sparse !== true &&
      this.spec.hidden !== true &&
      this.collation === undefined &&
      !this.arrayValued &&
      !this.multiKey &&
      this.fields.every((f) => typeof this.spec.key[f] !== "string")
    );
  }

  get unique(): boolean {
    return this.spec.unique === true;
  }

  /** Whether equality look-ups may use this index (partial indexes may miss documents). */
  get usableForLookup(): boolean {
    return this.partial === undefined;
  }

  /** The key tuples of a document, or `undefined` when the index does not cover it (sparse/partial). */
  keysOf(doc: Document): IndexKey[] | undefined {
    if (this.partial && !this.partial(doc)) return undefined;
    if (this.topLevel) {
      // Common case: top-level fields holding no arrays give exactly one key.
      const fields = this.fields;
      const values: unknown[] = new Array(fields.length);
      let present = false;
      let key = "";
      let simple = true;
      for (let i = 0; i < fields.length; i++) {
        const f = fields[i] as string;
        const v = Object.hasOwn(doc, f) ? doc[f] : undefined;
        if (Array.isArray(v)) {
          simple = false;
          if (!this.arrayValued) {
            this.arrayValued = true;
            this.order.invalidate();
          }
          break;
        }
        if (v !== undefined) present = true;
        const value = v === undefined ? null : v;
        values[i] = value;
        const part = canonicalKey(value, this.collation);
        key = i === 0 ? part : `${key}|${part}`;
      }
      if (simple) {
        if (this.spec.sparse && !present) return undefined;
        return [{ key, values }];
      }
    }
    const perField = this.fields.map((f) => fieldValues(doc, f, this.collation));
    if (perField.some((vals) => vals.length > 1)) this.multiKey = true;
    if (this.spec.sparse && this.fields.every((f) => collectPathValues(doc, f, false).values.length === 0)) return undefined;
    const multi = perField.filter((vals) => vals.length > 1);
    if (multi.length > 1) {
      const names = this.fields.filter((_, i) => (perField[i] as unknown[]).length > 1);
      throw new CommandError(171, `cannot index parallel arrays [${names[0]}] [${names[1]}]`);
    }
    let tuples: unknown[][] = [[]];
    for (const vals of perField) {
      const next: unknown[][] = [];
      for (const t of tuples) for (const v of vals) next.push([...t, v]);
      tuples = next;
    }
    return tuples.map((values) => ({ key: values.map((v) => valueKey(v, this.collation)).join("|"), values }));
  }

  /** Throws 11000 when a key of `doc` is held by another document (unique indexes only). */
  checkUnique(ns: string, idKey: string, keys: IndexKey[] | undefined): void {
    if (!this.unique || !keys) return;
    for (const k of keys) {
      const holders = this.entries.get(k.key);
      if (!holders) continue;
      for (const holder of holders) if (holder !== idKey) throw duplicateKeyError(ns, this.spec, k.values);
    }
  }

  add(idKey: string, keys: IndexKey[] | undefined): void {
    if (!keys) return;
    if (keys.length === 1) this.order.noteAdd(idKey, (keys[0] as IndexKey).values);
    for (const k of keys) {
      let set = this.entries.get(k.key);
      if (!set) {
        set = new Set();
        this.entries.set(k.key, set);
      }
      if (set.has(idKey)) continue;
      set.add(idKey);
      if (this.byFirst) {
        const first = valueKey(k.values[0], this.collation);
        let group = this.byFirst.get(first);
        if (!group) {
          group = { keys: new Set(), size: 0 };
          this.byFirst.set(first, group);
        }
        group.keys.add(k.key);
        group.size += 1;
      }
    }
  }

  remove(idKey: string, keys: IndexKey[] | undefined): void {
    if (!keys) return;
    this.order.noteRemove(idKey);
    for (const k of keys) {
      const set = this.entries.get(k.key);
      if (!set?.delete(idKey)) continue;
      if (set.size === 0) this.entries.delete(k.key);
      if (this.byFirst) {
        const first = valueKey(k.values[0], this.collation);
        const group = this.byFirst.get(first);
        if (!group) continue;
        group.size -= 1;
        if (set.size === 0) group.keys.delete(k.key);
        if (group.keys.size === 0) this.byFirst.delete(first);
      }
    }
  }

  /** Removes every entry. */
  clear(): void {
    this.entries.clear();
    this.byFirst?.clear();
    this.order.invalidate();
  }

  /**
   * Compound indexes: the full keys whose first value is `first` (any BSON value) and how many
   * (key, document) pairs they hold; `undefined` for single-field indexes.
   */
  keysWithFirst(first: unknown): FirstFieldKeys | undefined {
    if (!this.byFirst) return undefined;
    return this.byFirst.get(valueKey(first, this.collation)) ?? { keys: new Set(), size: 0 };
  }

  /** Ids holding an exact key tuple. */
  lookup(values: readonly unknown[]): Set<string> | undefined {
    return this.entries.get(values.map((v) => valueKey(v, this.collation)).join("|"));
  }

  clone(): IndexStore {
    const entries = new Map<string, Set<string>>();
    for (const [k, set] of this.entries) entries.set(k, new Set(set));
    let byFirst: Map<string, FirstFieldKeys> | undefined;
    if (this.byFirst) {
      byFirst = new Map();
      for (const [k, group] of this.byFirst) byFirst.set(k, { keys: new Set(group.keys), size: group.size });
    }
    const copy = new IndexStore(this.spec, this.partial, entries, byFirst, this.order.clone());
    copy.multiKey = this.multiKey;
    copy.arrayValued = this.arrayValued;
    return copy;
  }

  /** Same spec with a changed option (`collMod`). */
  withSpec(spec: IndexSpec): IndexStore {
    const copy = new IndexStore(spec, this.partial, this.entries, this.byFirst, this.order);
    copy.multiKey = this.multiKey;
    copy.arrayValued = this.arrayValued;
    return copy;
  }
}

const ALLOWED_KEY_TYPES = new Set(["hashed"]);

/** Validates an index key pattern; returns it unchanged or throws a mongod-style error. */
export function validateKeyPattern(key: unknown): Document {
  if (!isPlainDocument(key) || Object.keys(key).length === 0) {
    throw new CommandError(67, "Index keys cannot be empty.");
  }
  for (const [field, dir] of Object.entries(key)) {
    if (typeof dir === "string") {
      if (!ALLOWED_KEY_TYPES.has(dir)) {
        throw new CommandError(238, `index type '${dir}' (on field '${field}') is not implemented by the @cspm/mongo-engine`);
      }
      continue;
    }
    const n = toNumber(dir);
    if (!Number.isFinite(n) || n === 0) throw new CommandError(67, `Values in the index key pattern can't be 0 or non-numeric: ${field}`);
    if (field === "$**" || field.endsWith(".$**")) {
      throw new CommandError(238, "wildcard indexes are not implemented by the @cspm/mongo-engine");
    }
  }
  return key;
}

/** mongod's default index name for a key pattern (`a_1_b_-1`). */
export function defaultIndexName(key: Document): string {
  return Object.entries(key)
    .map(([f, d]) => `${f}_${String(d)}`)
    .join("_");
}
