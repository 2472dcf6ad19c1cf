import type { Document } from "bson";
import { compareBsonValues, isPlainDocument, toNumber } from "./bsonOrder";
import { CommandError, notImplemented } from "./commandError";
import { collectPathValues } from "./pathValues";

const EMPTY_ARRAY = Symbol("emptyArray");

function compareKeys(a: unknown, b: unknown): number {
  if (a === EMPTY_ARRAY || b === EMPTY_ARRAY) return a === b ? 0 : a === EMPTY_ARRAY ? -1 : 1;
  return compareBsonValues(a, b);
}

function sortKey(doc: Document, path: string, direction: number): unknown {
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
    const c = compareKeys(candidates[i], best);
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

function keyOf<T extends Document>(doc: T, index: number, spec: SortSpec): Keyed<T> {
  const keys: unknown[] = new Array(spec.length);
  for (let i = 0; i < spec.length; i++) {
    const [path, dir] = spec[i] as readonly [string, 1 | -1];
    keys[i] = sortKey(doc, path, dir);
  }
  return { doc, keys, index };
}

function comparator<T>(spec: SortSpec): (x: Keyed<T>, y: Keyed<T>) => number {
  const dirs = spec.map(([, dir]) => dir);
  return (x, y) => {
    for (let i = 0; i < dirs.length; i++) {
      const c = compareKeys(x.keys[i], y.keys[i]);
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
export function sortDocuments<T extends Document>(docs: T[], spec: SortSpec): T[] {
  if (docs.length < 2) return docs;
  const keyed = docs.map((doc, i) => keyOf(doc, i, spec));
  keyed.sort(comparator<T>(spec));
  for (let i = 0; i < keyed.length; i++) docs[i] = (keyed[i] as Keyed<T>).doc;
  return docs;
}

/**
 * The first `k` documents of `docs` in sort order (as `sortDocuments(copy).slice(0, k)`), without
 * sorting everything: candidates are kept in a buffer that is sorted and cut back to `k` whenever it
 * fills up. Never modifies `docs`.
 */
export function sortTopK<T extends Document>(docs: readonly T[], spec: SortSpec, k: number): T[] {
  if (k <= 0) return [];
  const compare = comparator<T>(spec);
  if (docs.length <= k * 4) return sortDocuments([...docs], spec).slice(0, k);
  const limit = Math.max(k * 2, 256);
  let buffer: Keyed<T>[] = [];
  let worst: Keyed<T> | undefined;
  for (let i = 0; i < docs.length; i++) {
    const entry = keyOf(docs[i] as T, i, spec);
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
