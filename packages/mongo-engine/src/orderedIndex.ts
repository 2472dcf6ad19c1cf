import type { Document } from "bson";
import { compareBsonValues, isPlainDocument } from "./bsonOrder";

/**
 * The key order of an index. mongod walks a B-tree; the engine keeps each index as a hash map of key
 * tuples (indexStore.ts), which answers equalities but neither ranges nor sorts. This is the order those
 * need: an array of (key values, `_id` key) sorted by the index's key pattern, built on the first ordered
 * read and kept current by the writes made after it (collected, then merged on the next ordered read), so
 * an equality prefix plus a range on the next field, or a sort the index provides, costs the entries it
 * walks instead of the collection. Only indexes whose keys are plain values of top-level fields qualify
 * (`IndexStore.orderable`): no array values, no sparse or partial filter, simple collation.
 */

/** One index entry: the key values (one per indexed field, missing as null) and the document's `_id` key. */
export interface OrderedEntry {
  readonly id: string;
  readonly values: readonly unknown[];
}

/** Pending writes beyond this share of the entries drop the order (the next read rebuilds it from scratch). */
const MAX_PENDING_SHARE = 0.25;
const MIN_PENDING = 1_024;

/** The sorted entries of one index and the writes not merged into them yet. */
export class OrderedIndex {
  readonly directions: readonly number[];
  #sorted: OrderedEntry[] | undefined;
  #added = new Map<string, OrderedEntry>();
  #removed = new Set<string>();

  constructor(directions: readonly number[], sorted?: OrderedEntry[], added?: Map<string, OrderedEntry>, removed?: Set<string>) {
    this.directions = directions;
    this.#sorted = sorted;
    if (added) this.#added = added;
    if (removed) this.#removed = removed;
  }

  /** Index order of two key tuples over their first `length` fields. */
  compareValues(a: readonly unknown[], b: readonly unknown[], length = this.directions.length): number {
    for (let i = 0; i < length; i++) {
      const c = compareBsonValues(a[i], b[i]);
      if (c !== 0) return c * (this.directions[i] as number);
    }
    return 0;
  }

  readonly #compareEntries = (a: OrderedEntry, b: OrderedEntry): number => {
    const c = this.compareValues(a.values, b.values);
    if (c !== 0) return c;
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  };

  /** Records an added entry (nothing to do while the order is not built). */
  noteAdd(id: string, values: readonly unknown[]): void {
    if (!this.#sorted) return;
    this.#added.set(id, { id, values });
    this.#dropWhenStale();
  }

  /** Records that the document `id` no longer has the entry it had. */
  noteRemove(id: string): void {
    if (!this.#sorted) return;
    this.#added.delete(id);
    this.#removed.add(id);
    this.#dropWhenStale();
  }

  /** Forgets the order (after a clear, or when the index stops qualifying). */
  invalidate(): void {
    this.#sorted = undefined;
    this.#added = new Map();
    this.#removed = new Set();
  }

  #dropWhenStale(): void {
    const sorted = this.#sorted as OrderedEntry[];
    if (this.#added.size + this.#removed.size > Math.max(MIN_PENDING, sorted.length * MAX_PENDING_SHARE)) this.invalidate();
  }

  /**
   * The entries in index order (ties by `_id` key), built from `build` (every entry of the index) when not
   * kept, else the kept order with the pending writes merged in. The array is never changed afterwards.
   */
  entries(build: () => OrderedEntry[]): readonly OrderedEntry[] {
    if (!this.#sorted) {
      const fresh = build();
      fresh.sort(this.#compareEntries);
      this.#sorted = fresh;
      return fresh;
    }
    if (this.#added.size === 0 && this.#removed.size === 0) return this.#sorted;
    const removed = this.#removed;
    const kept = removed.size === 0 ? this.#sorted : this.#sorted.filter((e) => !removed.has(e.id));
    const added = [...this.#added.values()].sort(this.#compareEntries);
    const merged: OrderedEntry[] = new Array(kept.length + added.length);
    let i = 0;
    let j = 0;
    let k = 0;
    while (i < kept.length && j < added.length) {
      merged[k++] =
        this.#compareEntries(kept[i] as OrderedEntry, added[j] as OrderedEntry) <= 0
          ? (kept[i++] as OrderedEntry)
          : (added[j++] as OrderedEntry);
    }
    while (i < kept.length) merged[k++] = kept[i++] as OrderedEntry;
    while (j < added.length) merged[k++] = added[j++] as OrderedEntry;
    this.#sorted = merged;
    this.#added = new Map();
    this.#removed = new Set();
    return merged;
  }

  /** A copy for a cloned index (the sorted array is shared: it is never changed in place). */
  clone(): OrderedIndex {
    return new OrderedIndex(this.directions, this.#sorted, new Map(this.#added), new Set(this.#removed));
  }
}

/** A value range on one field; bounds absent = open. */
export interface ValueRange {
  readonly low?: RangeBound | undefined;
  readonly high?: RangeBound | undefined;
}

/** One end of a `ValueRange`. */
export interface RangeBound {
  readonly value: unknown;
  readonly inclusive: boolean;
}

/** Bound values a range may use: scalars and BSON scalars (not arrays, documents or regular expressions). */
function isBoundValue(value: unknown): boolean {
  if (value === undefined || Array.isArray(value) || value instanceof RegExp) return false;
  if (value === null || typeof value !== "object") return true;
  if (value instanceof Date) return true;
  const tag = (value as { _bsontype?: string })._bsontype;
  return tag !== undefined && tag !== "BSONRegExp" && tag !== "Code" && tag !== "DBRef" && !isPlainDocument(value);
}

function tighterLow(a: RangeBound | undefined, b: RangeBound | undefined): RangeBound | undefined {
  if (!a) return b;
  if (!b) return a;
  const c = compareBsonValues(a.value, b.value);
  return c > 0 || (c === 0 && !a.inclusive) ? a : b;
}

function tighterHigh(a: RangeBound | undefined, b: RangeBound | undefined): RangeBound | undefined {
  if (!a) return b;
  if (!b) return a;
  const c = compareBsonValues(a.value, b.value);
  return c < 0 || (c === 0 && !a.inclusive) ? a : b;
}

function looserLow(a: RangeBound | undefined, b: RangeBound | undefined): RangeBound | undefined {
  if (!a || !b) return undefined;
  const c = compareBsonValues(a.value, b.value);
  return c < 0 || (c === 0 && a.inclusive) ? a : b;
}

function looserHigh(a: RangeBound | undefined, b: RangeBound | undefined): RangeBound | undefined {
  if (!a || !b) return undefined;
  const c = compareBsonValues(a.value, b.value);
  return c > 0 || (c === 0 && a.inclusive) ? a : b;
}

/**
 * The range of `field` values outside which no document can match `filter` (in BSON order: a superset of
 * the matches, which the caller still filters): comparisons and equalities on the field at the top level
 * and under `$and` narrow it; an `$or` narrows it to the hull of its clauses' ranges when every clause
 * bounds the field on that side.
 */
export function fieldRange(filter: Document, field: string): ValueRange {
  let range: ValueRange = {};
  const narrow = (next: ValueRange): void => {
    range = { low: tighterLow(range.low, next.low), high: tighterHigh(range.high, next.high) };
  };
  for (const [key, cond] of Object.entries(filter)) {
    if (key === "$and" && Array.isArray(cond)) {
      for (const sub of cond) if (isPlainDocument(sub)) narrow(fieldRange(sub, field));
      continue;
    }
    if (key === "$or" && Array.isArray(cond) && cond.length > 0) {
      let hull: ValueRange | undefined;
      for (const sub of cond) {
        const clause = isPlainDocument(sub) ? fieldRange(sub, field) : {};
        hull = hull === undefined ? clause : { low: looserLow(hull.low, clause.low), high: looserHigh(hull.high, clause.high) };
      }
      if (hull) narrow(hull);
      continue;
    }
    if (key !== field) continue;
    if (isPlainDocument(cond) && Object.keys(cond).some((k) => k.startsWith("$"))) {
      for (const [op, value] of Object.entries(cond)) {
        if (!isBoundValue(value)) continue;
        if (op === "$eq") narrow({ low: { value, inclusive: true }, high: { value, inclusive: true } });
        else if (op === "$gt" || op === "$gte") narrow({ low: { value, inclusive: op === "$gte" } });
        else if (op === "$lt" || op === "$lte") narrow({ high: { value, inclusive: op === "$lte" } });
      }
      const values = cond.$in;
      if (Array.isArray(values) && values.length > 0 && values.every(isBoundValue)) {
        const sorted = [...values].sort(compareBsonValues);
        narrow({ low: { value: sorted[0], inclusive: true }, high: { value: sorted[sorted.length - 1], inclusive: true } });
      }
    } else if (isBoundValue(cond)) {
      narrow({ low: { value: cond, inclusive: true }, high: { value: cond, inclusive: true } });
    }
  }
  return range;
}

/** First position in [from, to) where `before` turns false (`before` is true on a prefix of the range). */
export function partitionPoint(from: number, to: number, before: (i: number) => boolean): number {
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (before(mid)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Below and above every value of a pair's second field (open ends of a `PairRange`). */
const LOWEST = Symbol("lowest");
const HIGHEST = Symbol("highest");

/** One end of a `PairRange`: a (first, second) pair, lexicographic. */
export interface PairBound {
  readonly value: readonly [unknown, unknown];
  readonly inclusive: boolean;
}

/** A range of (first field, second field) pairs; bounds absent = open. */
export interface PairRange {
  readonly low?: PairBound | undefined;
  readonly high?: PairBound | undefined;
}

function compareSecond(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === LOWEST || b === HIGHEST) return -1;
  if (a === HIGHEST || b === LOWEST) return 1;
  return compareBsonValues(a, b);
}

/** Lexicographic order of two pairs (the second values may be the open ends). */
export function comparePairs(a: readonly [unknown, unknown], b: readonly [unknown, unknown]): number {
  return compareBsonValues(a[0], b[0]) || compareSecond(a[1], b[1]);
}

function pairLow(a: PairBound | undefined, b: PairBound | undefined, tighter: boolean): PairBound | undefined {
  if (!a || !b) return tighter ? (a ?? b) : undefined;
  const c = comparePairs(a.value, b.value);
  if (c === 0) return a.inclusive === tighter ? b : a;
  return c > 0 === tighter ? a : b;
}

function pairHigh(a: PairBound | undefined, b: PairBound | undefined, tighter: boolean): PairBound | undefined {
  if (!a || !b) return tighter ? (a ?? b) : undefined;
  const c = comparePairs(a.value, b.value);
  if (c === 0) return a.inclusive === tighter ? b : a;
  return c < 0 === tighter ? a : b;
}

/**
 * The range of (`first`, `second`) pairs outside which no document can match `filter` (a superset of the
 * matches, in BSON order), so a keyset condition `{$or: [{f: {$lt: v}}, {f: v, _id: {$lt: id}}, ...]}`
 * bounds a walk of an index on (f, _id) at (v, id) instead of at v: within a conjunction an equality on
 * `first` combines with the range on `second`; `$and` intersects, `$or` takes the hull of its clauses.
 */
export function pairRange(filter: Document, first: string, second: string): PairRange {
  const own = (field: string): ValueRange => (Object.hasOwn(filter, field) ? fieldRange({ [field]: filter[field] }, field) : {});
  const f = own(first);
  let range: PairRange;
  if (f.low && f.high && f.low.inclusive && f.high.inclusive && compareBsonValues(f.low.value, f.high.value) === 0) {
    const s = own(second);
    range = {
      low: { value: [f.low.value, s.low ? s.low.value : LOWEST], inclusive: s.low ? s.low.inclusive : true },
      high: { value: [f.high.value, s.high ? s.high.value : HIGHEST], inclusive: s.high ? s.high.inclusive : true },
    };
  } else {
    range = {
      low: f.low ? { value: [f.low.value, f.low.inclusive ? LOWEST : HIGHEST], inclusive: true } : undefined,
      high: f.high ? { value: [f.high.value, f.high.inclusive ? HIGHEST : LOWEST], inclusive: true } : undefined,
    };
  }
  const intersect = (next: PairRange): void => {
    range = { low: pairLow(range.low, next.low, true), high: pairHigh(range.high, next.high, true) };
  };
  const and = filter.$and;
  if (Array.isArray(and)) for (const sub of and) if (isPlainDocument(sub)) intersect(pairRange(sub, first, second));
  const or = filter.$or;
  if (Array.isArray(or) && or.length > 0) {
    let hull: PairRange | undefined;
    for (const sub of or) {
      const clause = isPlainDocument(sub) ? pairRange(sub, first, second) : {};
      hull = hull === undefined ? clause : { low: pairLow(hull.low, clause.low, false), high: pairHigh(hull.high, clause.high, false) };
    }
    if (hull) intersect(hull);
  }
  return range;
}
