import { Long, Timestamp, type Document } from "bson";
import {
  bsonEquals,
  bsonTypeName,
  canonicalKey,
  cloneValue,
  compareBsonValues,
  formatBsonValue,
  isPlainDocument,
  typeRank,
  TYPE_RANK,
} from "./bsonOrder";
import { CommandError } from "./commandError";
import type { Collation } from "./collation";
import type { EvaluationSettings } from "./mingoContext";
import { arithmetic as numericArithmetic, numericKind } from "./numbers";
import { getPathValue } from "./pathValues";
import { compileFilter, type DocumentMatcher } from "./queryMatcher";

/** How an update is being applied. */
export interface UpdateSettings {
  /** `arrayFilters` of the update statement. */
  readonly arrayFilters?: readonly Document[] | undefined;
  /** True when the update builds an upserted document (`$setOnInsert` applies). */
  readonly isInsert: boolean;
  /** Resolves the array index matched by the query, for positional `$`. */
  readonly positional?: ((doc: Document, arrayPath: string) => number | undefined) | undefined;
  /** Expression/query evaluation settings (variables). */
  readonly evaluation?: EvaluationSettings;
}

const UPDATE_OPERATORS = new Set([
  "$set",
  "$unset",
  "$inc",
  "$mul",
  "$min",
  "$max",
  "$rename",
  "$setOnInsert",
  "$currentDate",
  "$push",
  "$addToSet",
  "$pop",
  "$pull",
  "$pullAll",
  "$bit",
]);

const IDENT_RE = /^\$\[([a-z][a-zA-Z0-9]*)?\]$/;
const INDEX_RE = /^\d+$/;

/** True when an update document uses operators (`{ $set: ... }`) rather than being a replacement. */
export function isOperatorUpdate(update: Document): boolean {
  const keys = Object.keys(update);
  return keys.length > 0 && (keys[0] as string).startsWith("$");
}

/** Validates a replacement document (no `$`-prefixed top-level fields). */
export function validateReplacement(update: Document): void {
  for (const key of Object.keys(update)) {
    if (key.startsWith("$")) {
      throw new CommandError(52, `The dollar ($) prefixed field '${key}' in '${key}' is not valid for storage.`);
    }
  }
}

function describeDoc(doc: Document): string {
  return `{_id: ${formatBsonValue(doc._id)}}`;
}

/** Throws 40 ConflictingUpdateOperators when two paths of an update are equal or nested. */
function checkPathConflicts(steps: readonly { op: string; path: string; arg: unknown }[]): void {
  // Fast check: no duplicates and no path that is a dotted prefix of another.
  const all = new Set<string>();
  let conflict = false;
  for (const step of steps) {
    const paths = step.op === "$rename" ? [step.path, step.arg as string] : [step.path];
    for (const p of paths) {
      if (all.has(p)) conflict = true;
      all.add(p);
    }
  }
  if (!conflict) {
    for (const p of all) {
      for (let dot = p.indexOf("."); dot !== -1; dot = p.indexOf(".", dot + 1)) {
        if (all.has(p.slice(0, dot))) conflict = true;
      }
    }
  }
  if (!conflict) return;
  // Report the conflict exactly as mongod does (first offending path in statement order).
  const claimed: string[] = [];
  for (const step of steps) {
    const paths = step.op === "$rename" ? [step.path, step.arg as string] : [step.path];
    for (const p of paths) {
      for (const other of claimed) {
        if (p === other || p.startsWith(`${other}.`) || other.startsWith(`${p}.`)) {
          throw new CommandError(40, `Updating the path '${p}' would create a conflict at '${p.length < other.length ? p : other}'`);
        }
      }
      claimed.push(p);
    }
  }
}

function compareParts(pa: readonly string[], pb: readonly string[]): number {
  const n = Math.min(pa.length, pb.length);
  for (let i = 0; i < n; i++) {
    const x = pa[i] as string;
    const y = pb[i] as string;
    if (x === y) continue;
    if (INDEX_RE.test(x) && INDEX_RE.test(y)) return Number(x) - Number(y);
    return x < y ? -1 : 1;
  }
  return pa.length - pb.length;
}

interface Target {
  readonly parent: Document | unknown[];
  readonly key: string | number;
}

function readTarget(t: Target): unknown {
  return Array.isArray(t.parent) ? t.parent[t.key as number] : (t.parent as Document)[t.key as string];
}

function writeTarget(t: Target, value: unknown): void {
  if (Array.isArray(t.parent)) {
    const idx = t.key as number;
    while (t.parent.length < idx) t.parent.push(null);
    t.parent[idx] = value;
  } else {
    (t.parent as Document)[t.key as string] = value;
  }
}

class UpdateRun {
  private readonly filters = new Map<string, DocumentMatcher>();
  private readonly usedFilters = new Set<string>();
  /** The statement's collation ($min/$max, $addToSet, $pull, $push $sort compare under it). */
  readonly collation: Collation | undefined;
  readonly evaluation: EvaluationSettings;

  constructor(
    private readonly root: Document,
    private readonly original: Document,
    private readonly settings: UpdateSettings,
  ) {
    this.evaluation = settings.evaluation ?? {};
    this.collation = this.evaluation.collation;
    for (const filter of settings.arrayFilters ?? []) {
      if (!isPlainDocument(filter)) throw new CommandError(9, "arrayFilters must be objects");
      const first = Object.keys(filter)[0];
      if (first === undefined) throw new CommandError(9, "Cannot use an expression without a top-level field name in arrayFilters");
      const ident = first.split(".")[0] as string;
      if (this.filters.has(ident)) {
        throw new CommandError(9, `Found multiple array filters with the same top-level field name ${ident}`);
      }
      this.filters.set(ident, compileFilter(filter, settings.evaluation ?? {}));
    }
  }

  checkFiltersUsed(update: Document): void {
    for (const ident of this.filters.keys()) {
      if (!this.usedFilters.has(ident)) {
        throw new CommandError(9, `The array filter for identifier '${ident}' was not used in the update ${formatBsonValue(update)}`);
      }
    }
  }

  /** Finds (and with `create`, builds) the containers a path addresses. */
  targets(path: string, create: boolean): Target[] {
    if (!path.includes(".") && !path.includes("$")) return [{ parent: this.root, key: path }];
    const parts = path.split(".");
    const out: Target[] = [];
    const walk = (container: unknown, i: number, prefix: string): void => {
      let part = parts[i] as string;
      const last = i === parts.length - 1;
      const here = prefix ? `${prefix}.${part}` : part;
      if (part === "$") {
        const index = this.settings.positional?.(this.original, prefix);
        if (index === undefined) throw new CommandError(2, "The positional operator did not find the match needed from the query.");
        part = String(index);
      }
      const ident = IDENT_RE.exec(part);
      if (ident) {
        if (!Array.isArray(container)) {
          throw new CommandError(2, `Cannot apply array updates to non-array element ${prefix}: ${formatBsonValue(container)}`);
        }
        const name = ident[1];
        let matcher: DocumentMatcher | undefined;
        if (name !== undefined) {
          matcher = this.filters.get(name);
          if (!matcher) throw new CommandError(2, `No array filter found for identifier '${name}' in path '${path}'`);
          this.usedFilters.add(name);
        }
        container.forEach((el, idx) => {
          if (matcher && !matcher({ [name as string]: el })) return;
          if (last) out.push({ parent: container, key: idx });
          else descend(container, idx, i, here);
        });
        return;
      }
      if (Array.isArray(container)) {
        if (!INDEX_RE.test(part)) {
          if (!create) return;
          throw new CommandError(28, `Cannot create field '${part}' in element {${prefix}: ${formatBsonValue(container)}}`);
        }
        const idx = Number(part);
        if (last) out.push({ parent: container, key: idx });
        else descend(container, idx, i, here);
        return;
      }
      if (isPlainDocument(container)) {
        if (last) out.push({ parent: container, key: part });
        else descend(container, part, i, here);
        return;
      }
      if (create) {
        throw new CommandError(28, `Cannot create field '${part}' in element {${prefix}: ${formatBsonValue(container)}}`);
      }
    };
    const descend = (container: Document | unknown[], key: string | number, i: number, here: string): void => {
      const t = { parent: container, key };
      let child = readTarget(t);
      if (child === undefined) {
        if (!create) return;
        child = {};
        writeTarget(t, child);
      }
      walk(child, i + 1, here);
    };
    walk(this.root, 0, "");
    return out;
  }
}

function requireNumeric(op: string, field: string, value: unknown): void {
  if (typeRank(value) !== TYPE_RANK.number) {
    const verb = op === "$inc" ? "increment" : "multiply";
    throw new CommandError(14, `Cannot ${verb} with non-numeric argument: {${field}: ${formatBsonValue(value)}}`);
  }
}

function arithmetic(op: "$inc" | "$mul", current: unknown, arg: unknown): unknown {
  return numericArithmetic(op === "$inc" ? "$add" : "$multiply", current, arg);
}

function isModifierDoc(value: unknown): value is Document {
  return isPlainDocument(value) && Object.hasOwn(value, "$each");
}

function sortElements(values: unknown[], spec: unknown, collation: Collation | undefined): void {
  if (typeof spec === "number") {
    values.sort((a, b) => compareBsonValues(a, b, collation) * spec);
    return;
  }
  if (!isPlainDocument(spec))
    throw new CommandError(2, "The $sort is invalid: use 1/-1 to sort the whole element, or {field:1/-1} to sort embedded fields");
  const fields = Object.entries(spec).map(([f, d]) => [f, Number(d)] as const);
  values.sort((a, b) => {
    for (const [f, d] of fields) {
      const c = compareBsonValues(getPathValue(a, f) ?? null, getPathValue(b, f) ?? null, collation);
      if (c !== 0) return c * d;
    }
    return 0;
  });
}

let timestampCounter = 0;

/**
 * Applies an operator-style update (`$set`, `$inc`, `$push`, ... with positional `$`, `$[]` and
 * `$[id]` + arrayFilters) with mongod's semantics and errors. Returns a new document; the input is
 * never mutated.
 */
export function applyUpdateOperators(doc: Document, update: Document, settings: UpdateSettings): Document {
  const steps: { op: string; path: string; arg: unknown }[] = [];
  for (const [op, args] of Object.entries(update)) {
    if (!UPDATE_OPERATORS.has(op)) {
      if (!op.startsWith("$")) {
        throw new CommandError(
          9,
          `Unknown modifier: ${op}. Expected a valid update modifier or pipeline-style update specified as an array`,
        );
      }
      throw new CommandError(9, `Unknown modifier: ${op}. Expected a valid update modifier or pipeline-style update specified as an array`);
    }
    if (!isPlainDocument(args)) {
      throw new CommandError(
        9,
        `Modifiers operate on fields but we found type ${bsonTypeName(args)} instead. For example: {$mod: {<field>: ...}} not {${op}: ${formatBsonValue(args)}}`,
      );
    }
    for (const [path, arg] of Object.entries(args)) {
      if (path === "" || path.startsWith(".") || path.endsWith(".") || path.includes("..")) {
        throw new CommandError(56, "An empty update path is not valid.", { codeName: "EmptyFieldName" });
      }
      if (op === "$setOnInsert" && !settings.isInsert) {
        steps.push({ op: "$noop", path, arg });
        continue;
      }
      steps.push({ op, path, arg });
      if (op === "$rename") {
        if (typeof arg !== "string" || arg === "")
          throw new CommandError(2, `The 'to' field for $rename must be a string: ${path}: ${formatBsonValue(arg)}`);
        if (arg === path) throw new CommandError(2, `The source and target field for $rename must differ: ${path}: "${arg}"`);
        if ([path, arg].some((p) => p.split(".").some((s) => s.startsWith("$")))) {
          throw new CommandError(2, `The source field for $rename may not be dynamic: ${path}`);
        }
      }
    }
  }
  checkPathConflicts(steps);
  const root = cloneValue(doc);
  const run = new UpdateRun(root, doc, settings);
  if (steps.length > 1) {
    const keyed = steps.map((step) => ({ step, parts: step.path.split(".") }));
    keyed.sort((a, b) => compareParts(a.parts, b.parts));
    for (let i = 0; i < keyed.length; i++) steps[i] = (keyed[i] as { step: (typeof steps)[number] }).step;
  }
  for (const { op, path, arg } of steps) applyStep(run, root, op, path, arg, doc);
  run.checkFiltersUsed(update);
  return root;
}

function applyStep(run: UpdateRun, root: Document, op: string, path: string, arg: unknown, original: Document): void {
  const field = path.split(".").pop() as string;
  const collation = run.collation;
  switch (op) {
    case "$noop":
      return;
    case "$set":
    case "$setOnInsert":
      for (const t of run.targets(path, true)) writeTarget(t, cloneValue(arg));
      return;
    case "$unset":
      for (const t of run.targets(path, false)) {
        if (Array.isArray(t.parent)) {
          if ((t.key as number) < t.parent.length) t.parent[t.key as number] = null;
        } else delete (t.parent as Document)[t.key as string];
      }
      return;
    case "$inc":
    case "$mul": {
      requireNumeric(op, path, arg);
      for (const t of run.targets(path, true)) {
        const current = readTarget(t);
        if (current === undefined) {
          writeTarget(t, op === "$inc" ? arg : arithmetic("$mul", 0, arg));
          continue;
        }
        if (typeRank(current) !== TYPE_RANK.number) {
          throw new CommandError(
            14,
            `Cannot apply ${op} to a value of non-numeric type. ${describeDoc(original)} has the field '${field}' of non-numeric type ${bsonTypeName(current)}`,
          );
        }
        writeTarget(t, arithmetic(op, current, arg));
      }
      return;
    }
    case "$min":
    case "$max":
      for (const t of run.targets(path, true)) {
        const current = readTarget(t);
        const c = current === undefined ? 0 : compareBsonValues(arg, current, collation);
        if (current === undefined || (op === "$min" ? c < 0 : c > 0)) writeTarget(t, cloneValue(arg));
      }
      return;
    case "$rename": {
      const to = arg as string;
      const from = getPathValue(root, path);
      if (from === undefined) return;
      const sourceParts = path.split(".");
      for (let i = 1; i < sourceParts.length; i++) {
        if (Array.isArray(getPathValue(root, sourceParts.slice(0, i)))) {
          throw new CommandError(
            28,
            `The source field cannot be an array element, '${path}' in doc with ${describeDoc(original)} has an array field called '${sourceParts[i - 1]}'`,
          );
        }
      }
      for (const t of run.targets(path, false)) {
        if (!Array.isArray(t.parent)) delete (t.parent as Document)[t.key as string];
      }
      for (const t of run.targets(to, true)) {
        if (Array.isArray(t.parent)) throw new CommandError(28, `The destination field cannot be an array element, '${to}'`);
        writeTarget(t, from);
      }
      return;
    }
    case "$currentDate": {
      let value: unknown;
      if (arg === true || (isPlainDocument(arg) && arg.$type === "date")) value = new Date();
      else if (isPlainDocument(arg) && arg.$type === "timestamp") {
        timestampCounter += 1;
        value = new Timestamp({ t: Math.floor(Date.now() / 1000), i: timestampCounter });
      } else if (arg === false) value = new Date();
      else
        throw new CommandError(
          2,
          `The '$type' string field is required to be 'date' or 'timestamp': {$currentDate: {${path}: ${formatBsonValue(arg)}}}`,
        );
      for (const t of run.targets(path, true)) writeTarget(t, value);
      return;
    }
    case "$push":
    case "$addToSet": {
      const modifiers = isModifierDoc(arg) ? arg : undefined;
      if (modifiers) {
        const allowed = op === "$push" ? ["$each", "$slice", "$sort", "$position"] : ["$each"];
        for (const k of Object.keys(modifiers)) {
          if (!allowed.includes(k)) throw new CommandError(2, `Unrecognized clause in ${op}: ${k}`);
        }
        if (!Array.isArray(modifiers.$each))
          throw new CommandError(2, `The argument to $each in ${op} must be an array but it was of type: ${bsonTypeName(modifiers.$each)}`);
      }
      const items = modifiers ? (modifiers.$each as unknown[]) : [arg];
      for (const t of run.targets(path, true)) {
        let current = readTarget(t);
        if (current === undefined) current = [];
        if (!Array.isArray(current)) {
          if (op === "$push") {
            throw new CommandError(
              2,
              `The field '${field}' must be an array but is of type ${bsonTypeName(current)} in document ${describeDoc(original)}`,
            );
          }
          throw new CommandError(
            2,
            `Cannot apply $addToSet to non-array field. Field named '${field}' has non-array type ${bsonTypeName(current)}`,
          );
        }
        const array = [...current];
        if (op === "$addToSet") {
          const seen = new Set(array.map((v) => canonicalKey(v, collation)));
          for (const item of items) {
            const k = canonicalKey(item, collation);
            if (seen.has(k)) continue;
            seen.add(k);
            array.push(cloneValue(item));
          }
        } else {
          const clones = items.map(cloneValue);
          let position = array.length;
          if (modifiers?.$position !== undefined) {
            const p = Number(modifiers.$position);
            if (!Number.isInteger(p)) throw new CommandError(2, "The value for $position must be an integer value");
            position = p < 0 ? Math.max(0, array.length + p) : Math.min(p, array.length);
          }
          array.splice(position, 0, ...clones);
          if (modifiers?.$sort !== undefined) sortElements(array, modifiers.$sort, collation);
          if (modifiers?.$slice !== undefined) {
            const n = Number(modifiers.$slice);
            if (!Number.isInteger(n)) throw new CommandError(2, "The value for $slice must be an integer value");
            const sliced = n >= 0 ? array.slice(0, n) : array.slice(Math.max(0, array.length + n));
            array.length = 0;
            array.push(...sliced);
          }
        }
        writeTarget(t, array);
      }
      return;
    }
    case "$pop": {
      const n = Number(arg);
      if (n !== 1 && n !== -1) throw new CommandError(9, `$pop expects 1 or -1, found: ${formatBsonValue(arg)}`);
      for (const t of run.targets(path, false)) {
        const current = readTarget(t);
        if (current === undefined) continue;
        if (!Array.isArray(current)) {
          throw new CommandError(14, `Path '${path}' contains an element of non-array type '${bsonTypeName(current)}'`);
        }
        writeTarget(t, n === 1 ? current.slice(0, -1) : current.slice(1));
      }
      return;
    }
    case "$pull":
    case "$pullAll": {
      let keep: (el: unknown) => boolean;
      if (op === "$pullAll") {
        if (!Array.isArray(arg)) throw new CommandError(2, `$pullAll requires an array argument but was given a ${bsonTypeName(arg)}`);
        const keys = new Set(arg.map((v) => canonicalKey(v, collation)));
        keep = (el) => !keys.has(canonicalKey(el, collation));
      } else if (isPlainDocument(arg) && Object.keys(arg).length > 0) {
        const operatorForm = Object.keys(arg).every((k) => k.startsWith("$") && !["$and", "$or", "$nor", "$expr"].includes(k));
        const evaluation = run.evaluation;
        const matcher = operatorForm ? compileFilter({ __el: arg }, evaluation) : compileFilter(arg, evaluation);
        keep = operatorForm ? (el) => !matcher({ __el: el }) : (el) => !(isPlainDocument(el) && matcher(el));
      } else if (arg instanceof RegExp) {
        keep = (el) => !(typeof el === "string" && arg.test(el));
      } else {
        keep = (el) => !bsonEquals(el, arg, collation);
      }
      for (const t of run.targets(path, false)) {
        const current = readTarget(t);
        if (current === undefined) continue;
        if (!Array.isArray(current)) throw new CommandError(2, "Cannot apply $pull to a non-array value");
        writeTarget(t, current.filter(keep));
      }
      return;
    }
    case "$bit": {
      if (!isPlainDocument(arg))
        throw new CommandError(
          2,
          `The $bit modifier is not compatible with a ${bsonTypeName(arg)}. You must pass in an embedded document: {$bit: {field: {and/or/xor: #}}`,
        );
      for (const t of run.targets(path, true)) {
        const stored = readTarget(t) ?? 0;
        const kind = numericKind(stored);
        if (kind !== "int" && kind !== "long") {
          throw new CommandError(
            2,
            `Cannot apply $bit to a value of non-integral type.${describeDoc(original)} has the field ${field} of non-integer type ${bsonTypeName(stored)}`,
          );
        }
        // int32 op int32 stays int32; an int64 on either side makes an int64 (BigInt.asIntN keeps the bits).
        let long = kind === "long";
        let current = BigInt(String(stored));
        for (const [bitOp, operand] of Object.entries(arg)) {
          const operandKind = numericKind(operand);
          if (operandKind !== "int" && operandKind !== "long")
            throw new CommandError(2, "The $bit modifier field must be an Integer(32/64 bit)");
          if (operandKind === "long") long = true;
          const value = BigInt(String(operand));
          if (bitOp === "and") current &= value;
          else if (bitOp === "or") current |= value;
          else if (bitOp === "xor") current ^= value;
          else throw new CommandError(2, `The $bit modifier only supports 'and', 'or', and 'xor', not '${bitOp}'`);
        }
        writeTarget(t, long ? Long.fromBigInt(BigInt.asIntN(64, current)) : Number(BigInt.asIntN(32, current)));
      }
      return;
    }
    default:
      throw new CommandError(9, `Unknown modifier: ${op}`);
  }
}

/** Throws 66 ImmutableField when an update changed `_id`. */
export function assertIdUnchanged(before: Document, after: Document): void {
  if (!Object.hasOwn(after, "_id") || !bsonEquals(before._id, after._id) || typeRank(before._id) !== typeRank(after._id)) {
    throw new CommandError(66, `Performing an update on the path '_id' would modify the immutable field '_id'`);
  }
}

/** Puts `_id` first, as mongod stores documents. */
export function idFirst(doc: Document): Document {
  const keys = Object.keys(doc);
  if (keys[0] === "_id" || !Object.hasOwn(doc, "_id")) return doc;
  const out: Document = { _id: doc._id };
  for (const k of keys) if (k !== "_id") out[k] = doc[k];
  return out;
}

/** True when two versions of a document differ (field order included). */
export function documentsDiffer(a: Document, b: Document): boolean {
  return compareBsonValues(a, b) !== 0;
}
