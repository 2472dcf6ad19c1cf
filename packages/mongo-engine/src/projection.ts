import type { Document } from "bson";
import type { Options } from "mingo/core";
import { compileExpression, type CompiledExpression } from "./expressionCompiler";
import { MingoQuery } from "./mingoContext";
import type { Query } from "mingo/query";
import { isPlainDocument, toNumber } from "./bsonOrder";
import { CommandError, notImplemented } from "./commandError";

type ProjectionNode =
  | { readonly kind: "include" }
  | { readonly kind: "exclude" }
  | { readonly kind: "expr"; readonly expr: unknown; readonly fn: CompiledExpression }
  | { readonly kind: "tree"; readonly children: Map<string, ProjectionNode> }
  | { readonly kind: "slice"; readonly skip: number | undefined; readonly limit: number }
  | { readonly kind: "elemMatch"; readonly query: Query }
  | { readonly kind: "positional" };

type TreeNode = Extract<ProjectionNode, { kind: "tree" }>;

/** Where a projection comes from: find projections allow `$slice`/`$elemMatch`/positional `$`. */
export type ProjectionFlavor = "find" | "aggregate";

/** Resolves the array index the query matched for a positional `field.$` projection. */
export type PositionalResolver = (doc: Document, arrayPath: string) => number | undefined;

/** A compiled projection. */
export interface CompiledProjection {
  /**
   * Applies the projection to a document (never mutates it). `options` overrides the compile-time
   * options for expression evaluation (variables of a `$lookup` sub-pipeline run).
   */
  apply(doc: Document, positional?: PositionalResolver, options?: Options): Document;
  /** Whether the projection is in inclusion mode. */
  readonly inclusion: boolean;
}

function isTruthyFlag(value: unknown): boolean | undefined {
  if (typeof value === "boolean") return value;
  if (typeof value === "number") return value !== 0;
  const tag = (value as { _bsontype?: string } | null)?._bsontype;
  if (tag === "Long" || tag === "Decimal128" || tag === "Double" || tag === "Int32") return toNumber(value) !== 0;
  return undefined;
}

function insertPath(tree: TreeNode, parts: string[], node: ProjectionNode, fullPath: string): void {
  let current = tree;
  for (let i = 0; i < parts.length - 1; i++) {
    const part = parts[i] as string;
    let next = current.children.get(part);
    if (!next) {
      next = { kind: "tree", children: new Map() };
      current.children.set(part, next);
    }
    if (next.kind !== "tree") throw new CommandError(31250, `Path collision at ${fullPath}`);
    current = next;
  }
  const last = parts[parts.length - 1] as string;
  if (current.children.has(last)) throw new CommandError(31250, `Path collision at ${fullPath}`);
  current.children.set(last, node);
}

function parseSpec(spec: Document, flavor: ProjectionFlavor, options: Options, tree: TreeNode, prefix: string): void {
  for (const [rawKey, value] of Object.entries(spec)) {
    if (rawKey.startsWith("$")) {
      throw new CommandError(31252, `Field names may not start with '$' (found '${rawKey}' in the projection)`);
    }
    let key = rawKey;
    let positional = false;
    if (key.endsWith(".$")) {
      if (flavor !== "find") throw new CommandError(31324, "Cannot use positional projection in aggregation projection");
      positional = true;
      key = key.slice(0, -2);
    }
    if (key.includes("$")) throw notImplemented(`projection path '${rawKey}'`);
    const fullPath = prefix ? `${prefix}.${key}` : key;
    const parts = key.split(".");
    if (positional) {
      if (isTruthyFlag(value) !== true) throw new CommandError(31308, "positional projection cannot be used with exclusion");
      insertPath(tree, parts, { kind: "positional" }, fullPath);
      continue;
    }
    const flag = isTruthyFlag(value);
    if (flag !== undefined) {
      insertPath(tree, parts, { kind: flag ? "include" : "exclude" }, fullPath);
      continue;
    }
    if (isPlainDocument(value)) {
      const keys = Object.keys(value);
      if (keys.length === 0) {
        throw new CommandError(51270, `An empty sub-projection is not a valid value. Found empty object at path ${fullPath}`);
      }
      const op = keys[0] as string;
      if (op.startsWith("$")) {
        if (keys.length !== 1) throw new CommandError(31325, `Expression with more than one operator at ${fullPath}`);
        if (op === "$meta") throw notImplemented(`projection $meta ('${fullPath}')`);
        if (flavor === "find" && op === "$slice" && (typeof value.$slice === "number" || isNumberPair(value.$slice))) {
          insertPath(tree, parts, parseSlice(value.$slice), fullPath);
          continue;
        }
        if (flavor === "find" && op === "$elemMatch") {
          if (parts.length > 1) throw new CommandError(31275, "Cannot use $elemMatch projection on a nested field.");
          if (!isPlainDocument(value.$elemMatch)) throw new CommandError(2, "elemMatch: Invalid argument, object required.");
          insertPath(tree, parts, { kind: "elemMatch", query: new MingoQuery(value.$elemMatch, options) }, fullPath);
          continue;
        }
        insertPath(tree, parts, { kind: "expr", expr: value, fn: compileExpression(value) }, fullPath);
        continue;
      }
      const sub: TreeNode = { kind: "tree", children: new Map() };
      parseSpec(value, flavor, options, sub, fullPath);
      insertPath(tree, parts, sub, fullPath);
      continue;
    }
    insertPath(tree, parts, { kind: "expr", expr: value, fn: compileExpression(value) }, fullPath);
  }
}

function isNumberPair(value: unknown): value is [number, number] {
  return Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === "number");
}

function parseSlice(value: unknown): ProjectionNode {
  if (typeof value === "number") return { kind: "slice", skip: undefined, limit: Math.trunc(value) };
  const [skip, limit] = value as [number, number];
  if (limit <= 0) throw new CommandError(28724, "Second argument to $slice must be a positive number");
  return { kind: "slice", skip: Math.trunc(skip), limit: Math.trunc(limit) };
}

function sliceArray(value: unknown, node: Extract<ProjectionNode, { kind: "slice" }>): unknown {
  if (!Array.isArray(value)) return value;
  if (node.skip === undefined) {
    return node.limit >= 0 ? value.slice(0, node.limit) : value.slice(Math.max(0, value.length + node.limit));
  }
  const start = node.skip < 0 ? Math.max(0, value.length + node.skip) : Math.min(node.skip, value.length);
  return value.slice(start, start + node.limit);
}

interface Modes {
  inclusion: boolean;
  exclusion: boolean;
}

function scanModes(tree: TreeNode, top: boolean, modes: Modes, path: string): void {
  for (const [key, node] of tree.children) {
    const here = path ? `${path}.${key}` : key;
    if (top && key === "_id" && (node.kind === "include" || node.kind === "exclude")) continue;
    switch (node.kind) {
      case "include":
      case "expr":
      case "elemMatch":
      case "positional":
        if (modes.exclusion) throw new CommandError(31253, `Cannot do inclusion on field ${here} in exclusion projection`);
        modes.inclusion = true;
        break;
      case "exclude":
        if (modes.inclusion) throw new CommandError(31254, `Cannot do exclusion on field ${here} in inclusion projection`);
        modes.exclusion = true;
        break;
      case "tree":
        scanModes(node, false, modes, here);
        break;
      default:
        break;
    }
  }
}

const computedCache = new WeakMap<TreeNode, boolean>();

function hasComputed(node: TreeNode): boolean {
  const cached = computedCache.get(node);
  if (cached !== undefined) return cached;
  let found = false;
  for (const child of node.children.values()) {
    if (child.kind === "expr" || (child.kind === "tree" && hasComputed(child))) {
      found = true;
      break;
    }
  }
  computedCache.set(node, found);
  return found;
}

/**
 * Compiles a projection (find or `$project`) into mongod semantics: inclusion keeps document order
 * and appends computed fields in spec order; `_id` is kept unless excluded.
 */
export function compileProjection(spec: Document, flavor: ProjectionFlavor, options: Options): CompiledProjection {
  const tree: TreeNode = { kind: "tree", children: new Map() };
  parseSpec(spec, flavor, options, tree, "");
  const modes: Modes = { inclusion: false, exclusion: false };
  scanModes(tree, true, modes, "");
  const idNode = tree.children.get("_id");
  const inclusion =
    modes.inclusion ||
    (!modes.exclusion && idNode?.kind === "include") ||
    (!modes.exclusion && !modes.inclusion && [...tree.children.values()].every((n) => n.kind === "include"));
  // Children an inclusion visits after copying the document's fields: computed fields, and
  // sub-trees with computed fields (they are built even when the document lacks the field).
  const post = new Map<TreeNode, [string, ProjectionNode][]>();
  const postProcessed = (node: TreeNode): [string, ProjectionNode][] => {
    let list = post.get(node);
    if (!list) {
      list = [...node.children].filter(([, child]) => child.kind === "expr" || (child.kind === "tree" && hasComputed(child)));
      post.set(node, list);
    }
    return list;
  };

  const includeValue = (
    value: unknown,
    node: TreeNode,
    root: Document,
    positional: PositionalResolver | undefined,
    path: string,
    run: Options,
  ): unknown => {
    if (isPlainDocument(value)) return includeDocument(value, node, root, false, positional, path, run);
    if (Array.isArray(value)) {
      const out: unknown[] = [];
      for (const el of value) {
        if (isPlainDocument(el) || Array.isArray(el)) out.push(includeValue(el, node, root, positional, path, run));
        else if (hasComputed(node)) out.push(includeDocument({}, node, root, false, positional, path, run));
      }
      return out;
    }
    return hasComputed(node) ? includeDocument({}, node, root, false, positional, path, run) : undefined;
  };

  const includeDocument = (
    doc: Document,
    node: TreeNode,
    root: Document,
    top: boolean,
    positional: PositionalResolver | undefined,
    path: string,
    run: Options,
  ): Document => {
    const out: Document = {};
    for (const key of Object.keys(doc)) {
      const child = node.children.get(key);
      const value = doc[key];
      if (!child) {
        if (top && key === "_id") out[key] = value;
        continue;
      }
      switch (child.kind) {
        case "include":
          out[key] = value;
          break;
        case "tree": {
          const projected = includeValue(value, child, root, positional, positional ? (path ? `${path}.${key}` : key) : "", run);
          if (projected !== undefined) out[key] = projected;
          break;
        }
        case "slice":
          out[key] = sliceArray(value, child);
          break;
        case "elemMatch":
          if (Array.isArray(value)) {
            const hit = value.find((el) => isPlainDocument(el) && child.query.test(el));
            if (hit !== undefined) out[key] = [hit];
          }
          break;
        case "positional": {
          if (!Array.isArray(value)) {
            out[key] = value;
            break;
          }
          const index = positional?.(root, path ? `${path}.${key}` : key);
          if (index === undefined) {
            throw new CommandError(
              51246,
              "Executor error during find command :: caused by :: positional operator '.$' couldn't find a matching element in the array",
            );
          }
          out[key] = [value[index]];
          break;
        }
        default:
          break;
      }
    }
    for (const [key, child] of postProcessed(node)) {
      if (child.kind === "expr") {
        const value = child.fn(root, run);
        if (value === undefined) delete out[key];
        else out[key] = value;
      } else if (child.kind === "tree" && !Object.hasOwn(doc, key)) {
        out[key] = includeDocument({}, child, root, false, positional, path ? `${path}.${key}` : key, run);
      }
    }
    return out;
  };

  const excludeValue = (value: unknown, node: TreeNode): unknown => {
    if (isPlainDocument(value)) return excludeDocument(value, node);
    if (Array.isArray(value)) return value.map((el) => (isPlainDocument(el) || Array.isArray(el) ? excludeValue(el, node) : el));
    return value;
  };

  const excludeDocument = (doc: Document, node: TreeNode): Document => {
    const out: Document = {};
    for (const key of Object.keys(doc)) {
      const child = node.children.get(key);
      const value = doc[key];
      if (!child) {
        out[key] = value;
        continue;
      }
      switch (child.kind) {
        case "exclude":
          break;
        case "tree":
          out[key] = excludeValue(value, child);
          break;
        case "slice":
          out[key] = sliceArray(value, child);
          break;
        default:
          out[key] = value;
      }
    }
    return out;
  };

  return {
    inclusion,
    apply(doc, positional, run = options) {
      return inclusion ? includeDocument(doc, tree, doc, true, positional, "", run) : excludeDocument(doc, tree);
    },
  };
}

type AddFieldsNode =
  | { readonly kind: "expr"; readonly expr: unknown; readonly fn: CompiledExpression }
  | { readonly kind: "tree"; readonly children: Map<string, AddFieldsNode> };

function parseAddFields(spec: Document, into: Map<string, AddFieldsNode>, path: string): void {
  for (const [rawKey, value] of Object.entries(spec)) {
    if (rawKey.startsWith("$"))
      throw new CommandError(16410, `FieldPath field names may not start with '$'. Consider using $getField or $setField.`);
    const parts = rawKey.split(".");
    if (parts.some((p) => p === "")) throw new CommandError(15998, `FieldPath field names may not be empty strings.`);
    let level = into;
    for (let i = 0; i < parts.length - 1; i++) {
      const part = parts[i] as string;
      let next = level.get(part);
      if (!next) {
        next = { kind: "tree", children: new Map() };
        level.set(part, next);
      }
      if (next.kind !== "tree") throw new CommandError(40176, `specification contains two conflicting paths at ${path}${rawKey}`);
      level = next.children;
    }
    const last = parts[parts.length - 1] as string;
    const isNested = isPlainDocument(value) && Object.keys(value).length > 0 && !Object.keys(value).some((k) => k.startsWith("$"));
    if (isNested) {
      let node = level.get(last);
      if (!node) {
        node = { kind: "tree", children: new Map() };
        level.set(last, node);
      }
      if (node.kind !== "tree") throw new CommandError(40176, `specification contains two conflicting paths at ${path}${rawKey}`);
      parseAddFields(value, node.children, `${path}${rawKey}.`);
    } else {
      if (level.has(last)) throw new CommandError(40176, `specification contains two conflicting paths at ${path}${rawKey}`);
      level.set(last, { kind: "expr", expr: value, fn: compileExpression(value) });
    }
  }
}

/**
 * Compiles an `$addFields`/`$set` stage with mongod semantics: existing fields keep their place,
 * new ones are appended, nested specs merge into sub-documents (and into every document of an
 * array), a missing result removes the field. Never mutates its input.
 */
export function compileAddFields(spec: Document, options: Options): (doc: Document, run?: Options) => Document {
  const root = new Map<string, AddFieldsNode>();
  parseAddFields(spec, root, "");
  const applyTree = (target: unknown, children: Map<string, AddFieldsNode>, rootDoc: Document, run: Options): unknown => {
    if (Array.isArray(target)) return target.map((el) => applyTree(el, children, rootDoc, run));
    const out: Document = isPlainDocument(target) ? { ...target } : {};
    for (const [key, node] of children) {
      if (node.kind === "expr") {
        const value = node.fn(rootDoc, run);
        if (value === undefined) delete out[key];
        else out[key] = value;
      } else {
        out[key] = applyTree(out[key], node.children, rootDoc, run);
      }
    }
    return out;
  };
  return (doc, run = options) => applyTree(doc, root, doc, run) as Document;
}
