import type { Document } from "bson";
import { computeValue, type Options } from "mingo/core";
import { canonicalKey, compareBsonValues, isPlainDocument, type StringCollation } from "./bsonOrder";
import { CommandError } from "./commandError";
import { compileExpression, isMingoObject, isOperatorName, type CompiledExpression } from "./expressionCompiler";
import { collationOf, computeOptions } from "./mingoContext";
import { addToSum, averageResult, newSum, type SumState, sumResult } from "./numbers";

/**
 * `$group` (and `$bucket` outputs) in one pass: groups live in a Map keyed by the canonical BSON
 * encoding of their `_id` (mongod's equality: 1 == 1.0, field order matters), the common
 * accumulators keep running state, and any other accumulator gets its group's documents and runs
 * as mingo runs it.
 */

interface AccumulatorPlan {
  readonly field: string;
  /** Fresh state for a new group. */
  init(): unknown;
  /** Folds one document into the state (returns the new state). */
  step(state: unknown, doc: Document, options: Options): unknown;
  /** The output value; `members` is set when {@link GroupPlan.needsMembers}. */
  result(state: unknown, members: Document[] | undefined, groupId: unknown, options: Options): unknown;
  readonly needsMembers: boolean;
}

function plan(field: string, spec: Document): AccumulatorPlan {
  const op = Object.keys(spec)[0] as string;
  const arg = spec[op];
  switch (op) {
    case "$sum":
    case "$avg": {
      const fn = compileExpression(arg);
      const constant = typeof arg === "number" && Number.isInteger(arg) && Math.abs(arg) < 2 ** 31 ? arg : undefined;
      return {
        field,
        needsMembers: false,
        init: (): SumState => newSum(),
        step(state, doc, options) {
          if (constant !== undefined) addToSum(state as SumState, constant);
          else addToSum(state as SumState, fn(doc, options));
          return state;
        },
        result(state) {
          return op === "$sum" ? sumResult(state as SumState) : averageResult(state as SumState);
        },
      };
    }
    case "$min":
    case "$max": {
      const fn = compileExpression(arg);
      const sign = op === "$max" ? 1 : -1;
      return {
        field,
        needsMembers: false,
        init: () => null,
        step(best, doc, options) {
          const v = fn(doc, options);
          if (v === null || v === undefined) return best;
          if (best === null || compareBsonValues(v, best, collationOf(options)) * sign > 0) return v;
          return best;
        },
        result: (best) => best,
      };
    }
    case "$first":
    case "$last": {
      const fn = compileExpression(arg);
      const first = op === "$first";
      return {
        field,
        needsMembers: false,
        init: () => undefined,
        step: (state, doc) => (first && state !== undefined ? state : { doc }),
        result: (state, _members, _id, options) => {
          const holder = state as { doc: Document } | undefined;
          return holder ? fn(holder.doc, options) : undefined;
        },
      };
    }
    case "$push": {
      const fn = compileExpression(arg);
      return {
        field,
        needsMembers: false,
        init: () => [] as unknown[],
        step(list, doc, options) {
          const v = fn(doc, options);
          if (v !== undefined) (list as unknown[]).push(v);
          return list;
        },
        result: (list) => list,
      };
    }
    case "$addToSet": {
      const fn = compileExpression(arg);
      return {
        field,
        needsMembers: false,
        init: () => new Map<string, unknown>(),
        step(set, doc, options) {
          const v = fn(doc, options);
          if (v === undefined) return set;
          const map = set as Map<string, unknown>;
          const k = canonicalKey(v, collationOf(options));
          if (!map.has(k)) map.set(k, v);
          return set;
        },
        result: (set) => [...(set as Map<string, unknown>).values()],
      };
    }
    case "$count":
      return {
        field,
        needsMembers: false,
        init: () => 0,
        step: (n) => (n as number) + 1,
        result: (n) => n,
      };
    default:
      return {
        field,
        needsMembers: true,
        init: () => undefined,
        step: (state) => state,
        result(_state, members, groupId, options) {
          const copts = computeOptions(options, null).update(null, { groupId });
          return computeValue(members ?? [], spec, null, copts);
        },
      };
  }
}

/** Checks the accumulator fields of a `$group` (mongod's 40234/40235). */
export function validateAccumulators(spec: Document, skip: string): void {
  for (const [field, acc] of Object.entries(spec)) {
    if (field === skip) continue;
    if (field.includes(".")) throw new CommandError(40235, `The field name '${field}' cannot contain '.'`);
    if (!isPlainDocument(acc) || Object.keys(acc).length !== 1 || !(Object.keys(acc)[0] as string).startsWith("$")) {
      throw new CommandError(40234, `The field '${field}' must be an accumulator object`);
    }
  }
}

/** A compiled set of accumulators (the non-`_id` fields of a `$group`, or a `$bucket` output). */
export class GroupPlan {
  private readonly plans: AccumulatorPlan[];
  readonly needsMembers: boolean;

  constructor(accumulators: Document) {
    this.plans = Object.entries(accumulators).map(([field, spec]) => plan(field, spec as Document));
    this.needsMembers = this.plans.some((p) => p.needsMembers);
  }

  init(): unknown[] {
    return this.plans.map((p) => p.init());
  }

  step(states: unknown[], doc: Document, options: Options): void {
    const plans = this.plans;
    for (let i = 0; i < plans.length; i++) states[i] = (plans[i] as AccumulatorPlan).step(states[i], doc, options);
  }

  /** Writes each accumulator's result into `out` (in spec order). */
  finish(out: Document, states: unknown[], members: Document[] | undefined, groupId: unknown, options: Options): Document {
    const plans = this.plans;
    for (let i = 0; i < plans.length; i++) {
      const p = plans[i] as AccumulatorPlan;
      out[p.field] = p.result(states[i], members, groupId, options);
    }
    return out;
  }
}

interface Group {
  readonly id: unknown;
  readonly states: unknown[];
  readonly members: Document[] | undefined;
}

const ABSENT = "\u0000absent";

/**
 * Groups keyed by a tuple of values under mongod's equality (that of `canonicalKey`): one Map level
 * per tuple position, strings looked up as themselves (no key strings to build per document),
 * other values by their canonical key, a missing value (`undefined`) apart from `null`.
 */
class GroupTable<T> {
  private readonly strings = new Map<string, T | GroupTable<T>>();
  private readonly others = new Map<string, T | GroupTable<T>>();

  /** Under a collation, strings (and values holding strings) group by the collation's equality. */
  constructor(private readonly collation: StringCollation | undefined) {}

  private slot(value: unknown): [Map<string, T | GroupTable<T>>, string] {
    if (value === undefined) return [this.others, ABSENT];
    if (this.collation) return [this.others, canonicalKey(value, this.collation)];
    if (typeof value === "string") return [this.strings, value];
    const key = canonicalKey(value);
    // bson Symbol values are equal to the string with the same text.
    if (key.charCodeAt(0) === 115) return [this.strings, String(value)];
    return [this.others, key];
  }

  /** The entry for `values[from..]`, created by `create` when missing. */
  get(values: readonly unknown[], from: number, create: () => T): T {
    const [map, key] = this.slot(values[from]);
    let hit = map.get(key);
    if (from === values.length - 1) {
      if (hit === undefined) {
        hit = create();
        map.set(key, hit);
      }
      return hit as T;
    }
    if (hit === undefined) {
      hit = new GroupTable<T>(this.collation);
      map.set(key, hit);
    }
    return (hit as GroupTable<T>).get(values, from + 1, create);
  }
}

/** Receives documents one at a time and produces a stage's output at the end. */
export interface DocumentConsumer {
  push(doc: Document): void;
  finish(): Document[];
}

/** Compiles a validated `$group` specification: each run gets a consumer of its input documents. */
export function compileGroup(spec: Document): (options: Options) => DocumentConsumer {
  const idSpec = spec._id;
  // `_id: { a: "$a", b: "$b" }`: the group key is the tuple of field values (undefined = absent),
  // the _id object is built once per group.
  const names =
    isMingoObject(idSpec) && !Object.keys(idSpec).some(isOperatorName) && Object.keys(idSpec).length > 0 ? Object.keys(idSpec) : undefined;
  const fieldFns = names?.map((n) => compileExpression((idSpec as Document)[n]));
  const idFn: CompiledExpression = compileExpression(idSpec);
  const accumulators: Document = {};
  for (const [k, v] of Object.entries(spec)) if (k !== "_id") accumulators[k] = v;
  const groupPlan = new GroupPlan(accumulators);
  return (options) => {
    const table = new GroupTable<Group>(collationOf(options));
    const order: Group[] = [];
    const values: unknown[] = new Array(names ? names.length : 1);
    let id: unknown;
    const create = (): Group => {
      let groupId = id;
      if (names) {
        const built: Document = {};
        for (let i = 0; i < names.length; i++) if (values[i] !== undefined) built[names[i] as string] = values[i];
        groupId = built;
      }
      const group: Group = { id: groupId, states: groupPlan.init(), members: groupPlan.needsMembers ? [] : undefined };
      order.push(group);
      return group;
    };
    return {
      push(doc) {
        if (fieldFns) {
          for (let i = 0; i < fieldFns.length; i++) values[i] = (fieldFns[i] as CompiledExpression)(doc, options);
        } else {
          id = idFn(doc, options);
          if (id === undefined) id = null;
          values[0] = id;
        }
        const group = table.get(values, 0, create);
        groupPlan.step(group.states, doc, options);
        group.members?.push(doc);
      },
      finish() {
        const out: Document[] = [];
        for (const group of order) out.push(groupPlan.finish({ _id: group.id }, group.states, group.members, group.id, options));
        return out;
      },
    };
  };
}
