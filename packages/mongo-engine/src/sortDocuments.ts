import type { Document } from "bson";
import { compareBsonValues, isPlainDocument, type StringCollation, toNumber } from "./bsonOrder";
import { CommandError, notImplemented } from "./commandError";
import { collectPathValues } from "./pathValues";

const EMPTY_ARRAY = Symbol("emptyArray");

function compareKeys(a: unknown, b: unknown, collation: StringCollation | undefined): number {
  if (a === EMPTY_ARRAY || b === EMPTY_ARRAY) return a === b ? 0 : a === EMPTY_ARRAY ? -1 : 1;
  return compareBsonValues(a, b, collation);
}

function sortKey(doc: Document, path: string, direction: number, collation: StringCollation | undefined): unknown {
  const found = collectPathValues(doc, path, false);
  const candidates: unknown[] = [];
  for (const v of found.values) {
    if (Array.isArray(v)) {
      if (v.length === 0) candidates.push(EMPTY_ARRAY);
      else candidates.push(...v);
    } else candidates.push(v);
  }
  if (found.missing || candidates.length === 0) candidates.push(null);
  let best = candidates[0];
  for (let i = 1; i < candidates.length; i++) {
    const c = compareKeys(candidates[i], best, collation);
    if (direction > 0 ? c < 0 : c > 0) best = candidates[i];
  }
  return best;
}

/** A parsed sort specification. */
export type SortSpec = readonly (readonly [path: string, direction: 1 | -1])[];

/** Parses `{ field: 1 | -1 }` into a sort spec (mongod errors for bad values). */
export function parseSortSpec(spec: unknown): SortSpec {
  if (!isPlainDocument(spec)) throw new CommandError(2, "sort must be an object");
  const out: [string, 1 | -1][] = [];
  for (const [path, dir] of Object.entries(spec)) {
    if (isPlainDocument(dir)) {
      if (Object.hasOwn(dir, "$meta")) throw notImplemented(`sort by {$meta: ${JSON.stringify(dir.$meta)}}`);
      throw new CommandError(17312, `Invalid sort spec for field ${path}`);
    }
    const n = toNumber(dir);
    if (n !== 1 && n !== -1) throw new CommandError(15975, "$sort key ordering must be 1 (for ascending) or -1 (for descending)");
    out.push([path, n]);
  }
  if (out.length === 0) throw new CommandError(15976, "$sort stage must have at least one sort key");
  return out;
}

interface Keyed<T> {
  readonly doc: T;
  readonly keys: unknown[];
  readonly index: number;
}

function keyOf<T extends Document>(doc: T, index: number, spec: SortSpec, collation: StringCollation | undefined): Keyed<T> {
  const keys: unknown[] = new Array(spec.length);
  for (let i = 0; i < spec.length; i++) {
    const [path, dir] = spec[i] as readonly [string, 1 | -1];
    keys[i] = sortKey(doc, path, dir, collation);
  }
  return { doc, keys, index };
}

function comparator<T>(spec: SortSpec, collation: StringCollation | undefined): (x: Keyed<T>, y: Keyed<T>) => number {
  const dirs = spec.map(([, dir]) => dir);
  return (x, y) => {
    for (let i = 0; i < dirs.length; i++) {
      const c = compareKeys(x.keys[i], y.keys[i], collation);
      if (c !== 0) return c * (dirs[i] as number);
    }
    return x.index - y.index;
  };
}

/**
 * Sorts documents in place by mongod's rules: BSON type order, missing as null, arrays by their
 * smallest (ascending) or largest (descending) element, empty arrays before null. Stable. Each
 * document's sort keys are computed once.
 */
export function sortDocuments<T extends Document>(docs: T[], spec: SortSpec, collation?: StringCollation): T[] {
  if (docs.length < 2) return docs;
  const keyed = docs.map((doc, i) => keyOf(doc, i, spec, collation));
  keyed.sort(comparator<T>(spec, collation));
  for (let i = 0; i < keyed.length; i++) docs[i] = (keyed[i] as Keyed<T>).doc;
  return docs;
}

/**
 * The first `k` documents of `docs` in sort order (as `sortDocuments(copy).slice(0, k)`), without
 * sorting everything: candidates are kept in a buffer that is sorted and cut back to `k` whenever it
 * fills up. Never modifies `docs`.
 */
export function sortTopK<T extends Document>(docs: readonly T[], spec: SortSpec, k: number, collation?: StringCollation): T[] {
  if (k <= 0) return [];
  const compare = comparator<T>(spec, collation);
  if (docs.length <= k * 4) return sortDocuments([...docs], spec, collation).slice(0, k);
  const limit = Math.max(k * 2, 256);
  let buffer: Keyed<T>[] = [];
  let worst: Keyed<T> | undefined;
  for (let i = 0; i < docs.length; i++) {
    const entry = keyOf(docs[i] as T, i, spec, collation);
    if (worst && compare(entry, worst) >= 0) continue;
    buffer.push(entry);
    if (buffer.length >= limit) {
      buffer.sort(compare);
      buffer = buffer.slice(0, k);
      worst = buffer[k - 1];
    }
  }
  buffer.sort(compare);
  return buffer.slice(0, k).map((e) => e.doc);
}
