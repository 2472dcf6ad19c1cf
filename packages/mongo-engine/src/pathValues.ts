import type { Document } from "bson";
import { isPlainDocument } from "./bsonOrder";

/** What a dotted path reaches in a document under mongod's query rules. */
export interface PathValues {
  /** Values found at the end of the path (arrays at the leaf are listed whole and element by element when expanded). */
  readonly values: unknown[];
  /** True when some branch of the path ended without a value (the field is missing there). */
  readonly missing: boolean;
}

const INDEX_RE = /^\d+$/;

interface Walk {
  readonly parts: readonly string[];
  readonly expand: boolean;
  readonly values: unknown[];
  missing: boolean;
}

function walk(state: Walk, value: unknown, i: number): void {
  const { parts } = state;
  if (i === parts.length) {
    if (value === undefined) {
      state.missing = true;
      return;
    }
    state.values.push(value);
    if (state.expand && Array.isArray(value)) for (const el of value) state.values.push(el);
    return;
  }
  const part = parts[i] as string;
  if (Array.isArray(value)) {
    let found = false;
    if (INDEX_RE.test(part)) {
      const idx = Number(part);
      if (idx < value.length) {
        found = true;
        walk(state, value[idx], i + 1);
      }
    }
    for (const el of value) {
      if (isPlainDocument(el)) {
        if (Object.hasOwn(el, part)) {
          found = true;
          walk(state, el[part], i + 1);
        } else {
          state.missing = true;
        }
      }
    }
    if (!found) state.missing = true;
    return;
  }
  if (isPlainDocument(value)) {
    if (Object.hasOwn(value, part)) walk(state, value[part], i + 1);
    else state.missing = true;
    return;
  }
  state.missing = true;
}

/**
 * Collects the values a dotted path reaches, descending into arrays of documents as mongod does for
 * query matching and index keys. With `expandLeafArrays`, an array at the end of the path also
 * contributes its elements.
 */
export function collectPathValues(doc: unknown, path: string | readonly string[], expandLeafArrays = true): PathValues {
  const parts = typeof path === "string" ? path.split(".") : path;
  if (parts.length === 1 && isPlainDocument(doc)) {
    const key = parts[0] as string;
    const value = Object.hasOwn(doc, key) ? (doc as Document)[key] : undefined;
    if (value === undefined) return { values: [], missing: true };
    if (!expandLeafArrays || !Array.isArray(value)) return { values: [value], missing: false };
    return { values: [value, ...value], missing: false };
  }
  const state: Walk = { parts, expand: expandLeafArrays, values: [], missing: false };
  walk(state, doc, 0);
  return { values: state.values, missing: state.missing };
}

/** The value at a dotted path without array traversal (numeric parts index arrays); `undefined` when absent. */
export function getPathValue(doc: unknown, path: string | readonly string[]): unknown {
  const parts = typeof path === "string" ? path.split(".") : path;
  let value: unknown = doc;
  for (const part of parts) {
    if (Array.isArray(value)) {
      if (!INDEX_RE.test(part)) return undefined;
      value = value[Number(part)];
    } else if (isPlainDocument(value)) {
      value = Object.hasOwn(value, part) ? (value as Document)[part] : undefined;
    } else {
      return undefined;
    }
    if (value === undefined) return undefined;
  }
  return value;
}
