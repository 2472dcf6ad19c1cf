import { UUID, type Document } from "bson";
import { canonicalKey, compareBsonValues, isPlainDocument } from "./bsonOrder";
import { type Collation, containsString, sameCollation } from "./collation";
import { CommandError } from "./commandError";
import { duplicateKeyError, type IndexStore, type FirstFieldKeys, type IndexKey, type IndexSpec } from "./indexStore";
import { comparePairs, fieldRange, type OrderedEntry, type PairRange, pairRange, partitionPoint, type ValueRange } from "./orderedIndex";
import type { SortSpec } from "./sortDocuments";

/** The `_id_` index every collection has. */
export const ID_INDEX_SPEC: IndexSpec = { v: 2, key: { _id: 1 }, name: "_id_" };

/** Collection options kept from `create` (validator and friends). */
export interface CollectionOptions {
  readonly validator?: Document;
  readonly validationLevel?: "off" | "strict" | "moderate";
  readonly validationAction?: "error" | "warn";
  /** A clustered collection's index (`{key: {_id: 1}, unique: true, name, v: 2}`): documents are kept in `_id` order. */
  readonly clusteredIndex?: Document;
}

function isEqualityValue(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  if (value instanceof RegExp || Array.isArray(value)) return false;
  const tag = (value as { _bsontype?: string })._bsontype;
  if (tag === "MinKey" || tag === "MaxKey" || tag === "BSONRegExp") return false;
  if (isPlainDocument(value)) return !Object.keys(value).some((k) => k.startsWith("$"));
  return true;
}

function isExactKeyValue(value: unknown): boolean {
  switch (typeof value) {
    case "string":
    case "boolean":
      return true;
    case "number":
      return Number.isSafeInteger(value);
    case "object": {
      if (value instanceof Date) return true;
      const tag = (value as { _bsontype?: string } | null)?._bsontype;
      if (tag === "ObjectId" || tag === "Long") return true;
      return tag === "Double" && Number.isSafeInteger((value as { valueOf(): number }).valueOf());
    }
    default:
      return false;
  }
}

/**
 * Whether an index can answer equalities under a query's collation: the same collation, or no string
 * among the values it would look up (other values have the same keys under every collation).
 */
function usableUnder(index: IndexStore, eqs: Map<string, unknown[]>, collation: Collation | undefined): boolean {
  if (!index.usableForLookup) return false;
  if (sameCollation(index.collation, collation)) return true;
  return !index.fields.some((f) => (eqs.get(f) ?? []).some(containsString));
}

/** Equality constraints a filter implies (field -> allowed values), used to pick an index. */
export function extractEqualities(filter: Document, out = new Map<string, unknown[]>()): Map<string, unknown[]> {
  for (const [key, cond] of Object.entries(filter)) {
    if (key === "$and" && Array.isArray(cond)) {
      for (const sub of cond) if (isPlainDocument(sub)) extractEqualities(sub, out);
      continue;
    }
    if (key.startsWith("$")) continue;
    let values: unknown[] | undefined;
    if (isPlainDocument(cond) && Object.keys(cond).some((k) => k.startsWith("$"))) {
      if (Object.hasOwn(cond, "$eq") && isEqualityValue(cond.$eq)) values = [cond.$eq];
      else if (Array.isArray(cond.$in) && cond.$in.every(isEqualityValue)) values = cond.$in;
    } else if (isEqualityValue(cond)) {
      values = [cond];
    }
    if (values && (!out.has(key) || (out.get(key) as unknown[]).length > values.length)) out.set(key, values);
  }
  return out;
}

/** One collection's documents (in natural order, keyed by canonical `_id`) and its secondary indexes. */
export class CollectionStore {
  readonly db: string;
  name: string;
  readonly uuid: UUID;
  readonly docs: Map<string, Document>;
  indexes: IndexStore[];
  options: CollectionOptions;
  /** Last write sequence per `_id` key (transactions use it to detect write-write conflicts). */
  readonly stamps: Map<string, number>;
  /** Insertion sequence per `_id` key: index look-ups return documents in natural order. */
  private readonly recordIds: Map<string, number>;
  private nextRecordId: number;
  /** Clustered collections: the largest `_id` inserted (an insert below it reorders the documents). */
  private largestId: unknown;

  constructor(
    db: string,
    name: string,
    init?: Partial<Pick<CollectionStore, "uuid" | "docs" | "indexes" | "options" | "stamps">> & {
      recordIds?: Map<string, number>;
      nextRecordId?: number;
    },
  ) {
    this.db = db;
    this.name = name;
    this.uuid = init?.uuid ?? new UUID();
    this.docs = init?.docs ?? new Map();
    this.indexes = init?.indexes ?? [];
    this.options = init?.options ?? {};
    this.stamps = init?.stamps ?? new Map();
    this.recordIds = init?.recordIds ?? new Map();
    this.nextRecordId = init?.nextRecordId ?? 1;
  }

  get ns(): string {
    return `${this.db}.${this.name}`;
  }

  /** A private copy (documents are shared: stored documents are never mutated in place). */
  clone(): CollectionStore {
    return new CollectionStore(this.db, this.name, {
      uuid: this.uuid,
      docs: new Map(this.docs),
      indexes: this.indexes.map((i) => i.clone()),
      options: this.options,
      stamps: new Map(this.stamps),
      recordIds: new Map(this.recordIds),
      nextRecordId: this.nextRecordId,
    });
  }

  /** All index specs, `_id_` (or the clustered index) first. */
  indexSpecs(): IndexSpec[] {
    const clustered = this.options.clusteredIndex;
    const first = clustered ? ({ ...clustered, clustered: true } as unknown as IndexSpec) : ID_INDEX_SPEC;
    return [first, ...this.indexes.map((i) => i.spec)];
  }

  /** A clustered collection keeps natural order = `_id` order: reorders after an out-of-order insert. */
  private keepClusteredOrder(id: unknown): void {
    if (!this.options.clusteredIndex) return;
    if (this.largestId === undefined || compareBsonValues(this.largestId, id) <= 0) {
      this.largestId = id;
      return;
    }
    const ordered = [...this.docs].sort(([, a], [, b]) => compareBsonValues(a._id, b._id));
    this.docs.clear();
    this.recordIds.clear();
    this.nextRecordId = 1;
    for (const [key, doc] of ordered) {
      this.docs.set(key, doc);
      this.recordIds.set(key, this.nextRecordId++);
    }
  }

  private recordIdOf(idKey: string): number {
    return this.recordIds.get(idKey) ?? 0;
  }

  /** `ids` sorted into natural (insertion) order, in place; each record id is looked up once, not per comparison. */
  private inNaturalOrder(ids: string[]): string[] {
    if (ids.length < 2) return ids;
    const decorated = ids.map((id) => ({ id, record: this.recordIdOf(id) }));
    decorated.sort((a, b) => a.record - b.record);
    for (let i = 0; i < ids.length; i++) ids[i] = (decorated[i] as { id: string }).id;
    return ids;
  }

  getById(idKey: string): Document | undefined {
    return this.docs.get(idKey);
  }

  private keysFor(doc: Document): (IndexKey[] | undefined)[] {
    return this.indexes.map((index) => index.keysOf(doc));
  }

  /** Inserts a document (which must carry `_id`); throws 11000 on a unique violation. */
  insert(doc: Document, seq: number): void {
    const idKey = canonicalKey(doc._id);
    if (this.docs.has(idKey)) throw duplicateKeyError(this.ns, ID_INDEX_SPEC, [doc._id]);
    const keys = this.keysFor(doc);
    this.indexes.forEach((index, i) => index.checkUnique(this.ns, idKey, keys[i]));
    this.indexes.forEach((index, i) => index.add(idKey, keys[i]));
    this.docs.set(idKey, doc);
    this.recordIds.set(idKey, this.nextRecordId++);
    this.stamps.set(idKey, seq);
    this.keepClusteredOrder(doc._id);
  }

  /** Replaces a stored document with a new version (same `_id`). */
  replace(idKey: string, next: Document, seq: number): void {
    const previous = this.docs.get(idKey);
    if (!previous) throw new CommandError(1, "replace of a missing document");
    const oldKeys = this.keysFor(previous);
    const newKeys = this.keysFor(next);
    this.indexes.forEach((index, i) => index.checkUnique(this.ns, idKey, newKeys[i]));
    this.indexes.forEach((index, i) => {
      index.remove(idKey, oldKeys[i]);
      index.add(idKey, newKeys[i]);
    });
    this.docs.set(idKey, next);
    this.stamps.set(idKey, seq);
  }

  /** Deletes a document by canonical `_id`. */
  delete(idKey: string, seq: number): Document | undefined {
    const previous = this.docs.get(idKey);
    if (!previous) return undefined;
    const oldKeys = this.keysFor(previous);
    this.indexes.forEach((index, i) => index.remove(idKey, oldKeys[i]));
    this.docs.delete(idKey);
    this.recordIds.delete(idKey);
    this.stamps.set(idKey, seq);
    return previous;
  }

  /**
   * Applies a set of final document states (`undefined` = deleted) atomically: all old index keys
   * are removed before new ones are added, so swaps of unique values succeed. Throws 11000 (and
   * leaves the store unchanged) when the result would violate a unique index.
   */
  applyChanges(changes: Map<string, Document | undefined>, seq: number): void {
    const oldKeys = new Map<string, (IndexKey[] | undefined)[]>();
    for (const idKey of changes.keys()) {
      const doc = this.docs.get(idKey);
      if (doc) oldKeys.set(idKey, this.keysFor(doc));
    }
    for (const [idKey, keys] of oldKeys) this.indexes.forEach((index, i) => index.remove(idKey, keys[i]));
    const added: [string, (IndexKey[] | undefined)[]][] = [];
    try {
      for (const [idKey, doc] of changes) {
        if (!doc) continue;
        const keys = this.keysFor(doc);
        this.indexes.forEach((index, i) => index.checkUnique(this.ns, idKey, keys[i]));
        this.indexes.forEach((index, i) => index.add(idKey, keys[i]));
        added.push([idKey, keys]);
      }
    } catch (error) {
      for (const [idKey, keys] of added) this.indexes.forEach((index, i) => index.remove(idKey, keys[i]));
      for (const [idKey, keys] of oldKeys) this.indexes.forEach((index, i) => index.add(idKey, keys[i]));
      throw error;
    }
    for (const [idKey, doc] of changes) {
      if (doc) {
        if (!this.docs.has(idKey)) this.recordIds.set(idKey, this.nextRecordId++);
        this.docs.set(idKey, doc);
      } else {
        this.docs.delete(idKey);
        this.recordIds.delete(idKey);
      }
      this.stamps.set(idKey, seq);
    }
  }

  /**
   * For a filter that is plain equalities (no operators) with exact index-key values (string,
   * boolean, ObjectId, Date, safe integer) on `_id`, or on exactly the fields of a non-sparse,
   * non-partial index, the documents found are exactly the matches (an index holds every value of
   * an array field, as equality does); returns them in natural order, else `undefined`.
   */
  exactMatches(filter: Document, collation?: Collation): Document[] | undefined {
    const keys = Object.keys(filter);
    if (keys.length === 0) return undefined;
    for (const k of keys) {
      if (k.charCodeAt(0) === 36 || !isExactKeyValue(filter[k])) return undefined;
    }
    const strings = collation !== undefined && keys.some((k) => typeof filter[k] === "string");
    if (keys.length === 1 && keys[0] === "_id") {
      if (strings) return undefined;
      const doc = this.docs.get(canonicalKey(filter._id));
      return doc ? [doc] : [];
    }
    const index = this.indexes.find(
      (i) =>
        i.fields.length === keys.length &&
        i.usableForLookup &&
        !i.spec.sparse &&
        i.fields.every((f) => Object.hasOwn(filter, f)) &&
        (sameCollation(i.collation, collation) || !i.fields.some((f) => containsString(filter[f]))),
    );
    if (!index) return undefined;
    const ids = index.lookup(index.fields.map((f) => filter[f]));
    if (!ids) return [];
    const ordered = [...ids];
    this.inNaturalOrder(ordered);
    const out: Document[] = [];
    for (const id of ordered) {
      const doc = this.docs.get(id);
      if (doc) out.push(doc);
    }
    return out;
  }

  /** The index whose leading fields the equalities pin deepest (not all of them), as `prefixCandidates` picks it. */
  private prefixIndex(eqs: Map<string, unknown[]>, collation: Collation | undefined): { index?: IndexStore; depth: number } {
    let chosen: IndexStore | undefined;
    let depth = 0;
    for (const index of this.indexes) {
      if (!usableUnder(index, eqs, collation)) continue;
      let k = 0;
      while (k < index.fields.length && eqs.has(index.fields[k] as string)) k += 1;
      if (k === 0 || k === index.fields.length || k <= depth) continue;
      if (index.fields.slice(0, k).some((f) => (eqs.get(f) as unknown[]).length > 16)) continue;
      chosen = index;
      depth = k;
    }
    return chosen ? { index: chosen, depth } : { depth: 0 };
  }

  /**
   * Ids (in natural order) of the documents whose index keys start with the values a filter pins by
   * equality on the leading fields of a compound index; `undefined` when no index has such a prefix
   * or when the prefix selects more than half of the collection (a scan is then cheaper).
   */
  private prefixCandidates(
    eqs: Map<string, unknown[]>,
    collation: Collation | undefined,
    choice = this.prefixIndex(eqs, collation),
  ): string[] | undefined {
    const { index: chosen, depth } = choice;
    if (!chosen) return undefined;
    const limit = this.docs.size / 2;
    const firstValues = eqs.get(chosen.fields[0] as string) as unknown[];
    const groups = firstValues.map((v) => chosen.keysWithFirst(v));
    if (groups.some((g) => g === undefined)) return undefined;
    // An equality on the first field alone selects exactly the documents under its values.
    let bound = 0;
    for (const g of groups) bound += (g as FirstFieldKeys).size;
    if (depth === 1 && bound > limit) return undefined;
    let tuples: unknown[][] = [[]];
    for (const f of chosen.fields.slice(0, depth)) {
      const next: unknown[][] = [];
      for (const t of tuples) for (const v of eqs.get(f) as unknown[]) next.push([...t, v]);
      tuples = next;
    }
    // An orderable index seeks each tuple's key range (as a B-tree would: O(log n + matches)) instead of
    // visiting every key under the first value; only for exact key values, whose index order is their equality.
    if (chosen.orderable && collation === undefined && tuples.every((t) => t.every(isExactKeyValue))) {
      const ids = new Set<string>();
      for (const t of tuples) {
        const { entries, start, end } = this.orderedSlice(chosen, t, { range: {} });
        for (let i = start; i < end; i++) ids.add((entries[i] as OrderedEntry).id);
        if (ids.size > limit) return undefined;
      }
      return this.inNaturalOrder([...ids]);
    }
    const prefixes = tuples.map((t) => `${t.map((v) => canonicalKey(v, chosen.collation)).join("|")}|`);
    const ids = new Set<string>();
    for (const g of groups) {
      for (const key of (g as FirstFieldKeys).keys) {
        if (!prefixes.some((p) => key.startsWith(p))) continue;
        for (const id of chosen.entries.get(key) ?? []) ids.add(id);
        if (ids.size > limit) return undefined;
      }
    }
    const ordered = [...ids];
    return this.inNaturalOrder(ordered);
  }

  /**
   * Documents that may match `filter`: an index look-up when the filter pins `_id` or every field of
   * an index by equality, else every document (in natural order).
   */
  candidates(filter: Document, collation?: Collation): Iterable<Document> {
    const eqs = extractEqualities(filter);
    if (eqs.size === 0) {
      const ranged = Object.keys(filter).length === 0 ? undefined : this.rangeCandidates(filter, eqs, collation);
      return ranged ? this.documentsOf(ranged) : this.docs.values();
    }
    const ids = eqs.get("_id");
    if (ids && (collation === undefined || !ids.some(containsString))) {
      const out: Document[] = [];
      const seen = new Set<string>();
      const sorted = ids.length > 1 ? [...ids].sort(compareBsonValues) : ids;
      for (const v of sorted) {
        const k = canonicalKey(v);
        if (seen.has(k)) continue;
        seen.add(k);
        const doc = this.docs.get(k);
        if (doc) out.push(doc);
      }
      return out;
    }
    // Of the indexes whose every field the filter pins, the one whose look-ups hold the fewest entries;
    // only its hits are gathered and ordered.
    let fewest: { hits: Set<string>[]; size: number } | undefined;
    for (const index of this.indexes) {
      if (!usableUnder(index, eqs, collation) || !index.fields.every((f) => eqs.has(f))) continue;
      if (index.fields.some((f) => (eqs.get(f) as unknown[]).length > 64)) continue;
      let tuples: unknown[][] = [[]];
      for (const f of index.fields) {
        const next: unknown[][] = [];
        for (const t of tuples) for (const v of eqs.get(f) as unknown[]) next.push([...t, v]);
        tuples = next;
      }
      if (tuples.length > 1) tuples.sort(compareBsonValues);
      const hits: Set<string>[] = [];
      let size = 0;
      for (const t of tuples) {
        const found = index.lookup(t);
        if (!found) continue;
        hits.push(found);
        size += found.size;
      }
      if (!fewest || size < fewest.size) fewest = { hits, size };
      if (size === 0) break;
    }
    let best: string[] | undefined;
    if (fewest) {
      best = [];
      const seen = new Set<string>();
      for (const found of fewest.hits) {
        const group = [...found].filter((id) => !seen.has(id));
        this.inNaturalOrder(group);
        for (const id of group) {
          seen.add(id);
          best.push(id);
        }
      }
    }
    // A range on the field after an equality prefix as deep as any index's equality prefix is the narrower bound.
    if (!best) {
      const prefix = this.prefixIndex(eqs, collation);
      best =
        this.rangeCandidates(filter, eqs, collation, prefix.depth) ??
        this.prefixCandidates(eqs, collation, prefix) ??
        this.rangeCandidates(filter, eqs, collation);
    }
    if (!best) return this.docs.values();
    return this.documentsOf(best);
  }

  private documentsOf(ids: readonly string[]): Document[] {
    const out: Document[] = [];
    for (const id of ids) {
      const doc = this.docs.get(id);
      if (doc) out.push(doc);
    }
    return out;
  }

  /** The entries of an orderable index in key order (orderedIndex.ts). */
  private orderedEntries(index: IndexStore): readonly OrderedEntry[] {
    return index.order.entries(() => {
      const fields = index.fields;
      const out: OrderedEntry[] = [];
      for (const [id, doc] of this.docs) {
        const values: unknown[] = new Array(fields.length);
        for (let i = 0; i < fields.length; i++) {
          const v = doc[fields[i] as string];
          values[i] = v === undefined ? null : v;
        }
        out.push({ id, values });
      }
      return out;
    });
  }

  /**
   * The slice of an orderable index's entries with `prefix` (values of its first `prefix.length` fields)
   * and the next field within `range` (or, for `pair`, the next two fields within a pair range: their
   * directions must agree), as [start, end) positions in index order.
   */
  private orderedSlice(
    index: IndexStore,
    prefix: readonly unknown[],
    bounds: { readonly range: ValueRange } | { readonly pair: PairRange },
  ): { entries: readonly OrderedEntry[]; start: number; end: number } {
    const entries = this.orderedEntries(index);
    const order = index.order;
    const k = prefix.length;
    const cmpPrefix = (i: number): number => order.compareValues((entries[i] as OrderedEntry).values, prefix, k);
    let start = partitionPoint(0, entries.length, (i) => cmpPrefix(i) < 0);
    let end = partitionPoint(start, entries.length, (i) => cmpPrefix(i) <= 0);
    if (k >= index.fields.length) return { entries, start, end };
    let compare: (i: number, bound: unknown) => number;
    let low: { readonly value: unknown; readonly inclusive: boolean } | undefined;
    let high: { readonly value: unknown; readonly inclusive: boolean } | undefined;
    if ("pair" in bounds) {
      compare = (i, bound) => {
        const values = (entries[i] as OrderedEntry).values;
        return comparePairs([values[k], values[k + 1]], bound as readonly [unknown, unknown]);
      };
      ({ low, high } = bounds.pair);
    } else {
      compare = (i, bound) => compareBsonValues((entries[i] as OrderedEntry).values[k], bound);
      ({ low, high } = bounds.range);
    }
    if (!low && !high) return { entries, start, end };
    const belowLow = (i: number): boolean => {
      if (!low) return false;
      const c = compare(i, low.value);
      return c < 0 || (c === 0 && !low.inclusive);
    };
    const aboveHigh = (i: number): boolean => {
      if (!high) return false;
      const c = compare(i, high.value);
      return c > 0 || (c === 0 && !high.inclusive);
    };
    if ((order.directions[k] as number) > 0) {
      start = partitionPoint(start, end, belowLow);
      end = partitionPoint(start, end, (i) => !aboveHigh(i));
    } else {
      start = partitionPoint(start, end, aboveHigh);
      end = partitionPoint(start, end, (i) => !belowLow(i));
    }
    return { entries, start, end };
  }

  /** The single-value equalities on an index's leading fields (how many, and their values). */
  private static equalityPrefix(index: IndexStore, eqs: Map<string, unknown[]>): unknown[] {
    const prefix: unknown[] = [];
    for (const f of index.fields) {
      const values = eqs.get(f);
      if (values?.length !== 1) break;
      prefix.push(values[0]);
    }
    return prefix;
  }

  /**
   * Ids (in natural order) of the documents an orderable index bounds by equalities on its leading fields
   * and a range on the next one (`fieldRange`), when that selects at most half the collection.
   */
  private rangeCandidates(
    filter: Document,
    eqs: Map<string, unknown[]>,
    collation: Collation | undefined,
    boundedFrom?: number,
  ): string[] | undefined {
    if (collation !== undefined) return undefined;
    let chosen: { index: IndexStore; prefix: unknown[]; range: ValueRange } | undefined;
    for (const index of this.indexes) {
      if (!index.orderable) continue;
      const prefix = CollectionStore.equalityPrefix(index, eqs);
      if (prefix.length >= index.fields.length) continue;
      const range = fieldRange(filter, index.fields[prefix.length] as string);
      const bounded = range.low !== undefined || range.high !== undefined;
      if (!bounded && prefix.length === 0) continue;
      // Only a bounded range after at least `boundedFrom` pinned fields, when asked.
      if (boundedFrom !== undefined && (!bounded || prefix.length < boundedFrom)) continue;
      const score = prefix.length * 2 + (bounded ? 1 : 0);
      const best = chosen ? chosen.prefix.length * 2 + (chosen.range.low || chosen.range.high ? 1 : 0) : -1;
      if (score > best) chosen = { index, prefix, range };
    }
    if (!chosen) return undefined;
    const { entries, start, end } = this.orderedSlice(chosen.index, chosen.prefix, { range: chosen.range });
    if (end - start > this.docs.size / 2) return undefined;
    const ids: string[] = new Array(end - start);
    for (let i = start; i < end; i++) ids[i - start] = (entries[i] as OrderedEntry).id;
    return this.inNaturalOrder(ids);
  }

  /**
   * Documents that may match `filter`, already in `sort` order, when an orderable index provides that
   * order after the single-value equalities the filter pins on its leading fields (directions all as the
   * index or all reversed) and the sort ends in `_id` (no ties), and no other index pins more leading
   * fields by equality; walks only the entries of the prefix within the filter's range on the first sort
   * field. `undefined` when no index qualifies (the caller sorts in memory).
   */
  sortedCandidates(filter: Document, sort: SortSpec, collation?: Collation): Iterable<Document> | undefined {
    if (collation !== undefined || sort.length === 0 || (sort[sort.length - 1] as readonly [string, number])[0] !== "_id") return undefined;
    const eqs = extractEqualities(filter);
    if (eqs.has("_id")) return undefined;
    let chosen: { index: IndexStore; prefix: unknown[]; forward: boolean } | undefined;
    let pinnedElsewhere = 0;
    for (const index of this.indexes) {
      let pinned = 0;
      while (pinned < index.fields.length && eqs.has(index.fields[pinned] as string)) pinned += 1;
      if (!index.orderable) {
        if (index.usableForLookup) pinnedElsewhere = Math.max(pinnedElsewhere, pinned);
        continue;
      }
      const prefix = CollectionStore.equalityPrefix(index, eqs);
      const k = prefix.length;
      if (k + sort.length > index.fields.length) {
        pinnedElsewhere = Math.max(pinnedElsewhere, pinned);
        continue;
      }
      let sign = 0;
      let provides = true;
      for (let i = 0; i < sort.length; i++) {
        const [path, dir] = sort[i] as readonly [string, number];
        const s = dir * (index.order.directions[k + i] as number);
        if (index.fields[k + i] !== path || (sign !== 0 && s !== sign)) {
          provides = false;
          break;
        }
        sign = s;
      }
      if (!provides) {
        pinnedElsewhere = Math.max(pinnedElsewhere, pinned);
        continue;
      }
      if (!chosen || k > chosen.prefix.length) chosen = { index, prefix, forward: sign > 0 };
    }
    if (!chosen || pinnedElsewhere > chosen.prefix.length) return undefined;
    const { index, prefix, forward } = chosen;
    const k = prefix.length;
    const first = index.fields[k] as string;
    // A keyset cursor bounds the (sort key, _id) pair: start at the cursor, not at the first entry of its key.
    const byPair = sort.length >= 2 && index.fields[k + 1] === sort[1]?.[0] && index.order.directions[k] === index.order.directions[k + 1];
    const { entries, start, end } = this.orderedSlice(
      index,
      prefix,
      byPair ? { pair: pairRange(filter, first, index.fields[k + 1] as string) } : { range: fieldRange(filter, first) },
    );
    const docs = this.docs;
    return {
      *[Symbol.iterator](): Iterator<Document> {
        if (forward) {
          for (let i = start; i < end; i++) {
            const doc = docs.get((entries[i] as OrderedEntry).id);
            if (doc) yield doc;
          }
        } else {
          for (let i = end - 1; i >= start; i--) {
            const doc = docs.get((entries[i] as OrderedEntry).id);
            if (doc) yield doc;
          }
        }
      },
    };
  }
}
