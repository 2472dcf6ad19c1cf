import type { Document } from "bson";
import { isPlainDocument } from "./bsonOrder";
import type { EvaluationSettings } from "./mingoContext";
import { getPathValue } from "./pathValues";
import { compileFilter, type DocumentMatcher } from "./queryMatcher";

/** Resolves which array element a query matched, for positional `$` in projections and updates. */
export type PositionalIndexResolver = (doc: Document, arrayPath: string) => number | undefined;

function conditionsOn(filter: Document, arrayPath: string, out: Document[]): void {
  for (const [key, cond] of Object.entries(filter)) {
    if (key === "$and" && Array.isArray(cond)) {
      for (const sub of cond) if (isPlainDocument(sub)) conditionsOn(sub, arrayPath, out);
    } else if (key === arrayPath || key.startsWith(`${arrayPath}.`)) {
      out.push({ [key]: cond });
    }
  }
}

function withValueAt(doc: Document, parts: readonly string[], value: unknown): Document {
  const [head, ...rest] = parts;
  if (head === undefined) return doc;
  const copy: Document = { ...doc };
  if (rest.length === 0) copy[head] = value;
  else {
    const child = copy[head];
    copy[head] = withValueAt(isPlainDocument(child) ? child : {}, rest, value);
  }
  return copy;
}

/**
 * Builds a resolver that finds the first element of the array at `arrayPath` satisfying the
 * filter's conditions on that array (mongod's positional `$` rule).
 */
export function createPositionalResolver(filter: Document, settings: EvaluationSettings = {}): PositionalIndexResolver {
  const cache = new Map<string, DocumentMatcher | null>();
  return (doc, arrayPath) => {
    let matcher = cache.get(arrayPath);
    if (matcher === undefined) {
      const conditions: Document[] = [];
      conditionsOn(filter, arrayPath, conditions);
      matcher = conditions.length ? compileFilter({ $and: conditions }, settings) : null;
      cache.set(arrayPath, matcher);
    }
    if (!matcher) return undefined;
    const array = getPathValue(doc, arrayPath);
    if (!Array.isArray(array)) return undefined;
    const parts = arrayPath.split(".");
    for (let i = 0; i < array.length; i++) {
      if (matcher(withValueAt(doc, parts, [array[i]]))) return i;
    }
    return undefined;
  };
}
