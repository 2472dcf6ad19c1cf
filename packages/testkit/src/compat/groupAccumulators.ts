import { Long, type Document } from "bson";
import { ComputeOptions, computeValue, type Options } from "mingo/core";
import { bsonTypeTag, canonicalKey, compareBsonValues, isPlainDocument, toNumber, typeRank, TYPE_RANK } from "./bsonOrder";
import { CommandError, notImplemented } from "./commandError";
import { compileExpression, type CompiledExpression } from "./expressionCompiler";

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

interface SumState {
  total: number;
  big: bigint | undefined;
  count: number;
}

function addToSum(state: SumState, v: unknown): void {
  if (typeof v === "number") {
    state.total += v;
    state.count += 1;
    return;
  }
  const tag = bsonTypeTag(v);
  if (tag === "Decimal128") throw notImplemented("$sum/$avg over Decimal128 values");
  if (tag === "Long") {
    state.big = (state.big ?? BigInt(0)) + (v as Long).toBigInt();
    state.count += 1;
    return;
  }
  if (typeRank(v) === TYPE_RANK.number) state.count += 1;
}

function sumResult(state: SumState): unknown {
  if (state.big === undefined) return state.total;
  if (!Number.isInteger(state.total)) throw notImplemented("$sum mixing doubles with 64-bit integers beyond 2^53");
  const sum = state.big + BigInt(state.total);
  const asNumber = Number(sum);
  return Number.isSafeInteger(asNumber) ? asNumber : Long.fromBigInt(sum);
}

function plan(field: string, spec: Document): AccumulatorPlan {
  const op = Object.keys(spec)[0] as string;
  const arg = spec[op];
  switch (op) {
    case "$sum":
    case "$avg": {
      const fn = compileExpression(arg);
      const constant = typeof arg === "number" && Number.isSafeInteger(arg) ? arg : undefined;
      return {
        field,
        needsMembers: false,
        init: (): SumState => ({ total: 0, big: undefined, count: 0 }),
        step(state, doc, options) {
          if (constant !== undefined) {
            (state as SumState).total += constant;
            (state as SumState).count += 1;
          } else {
            addToSum(state as SumState, fn(doc, options));
          }
          return state;
        },
        result(state) {
          const s = state as SumState;
          if (op === "$sum") return sumResult(s);
          return s.count === 0 ? null : toNumber(sumResult(s)) / s.count;
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
          if (best === null || compareBsonValues(v, best) * sign > 0) return v;
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
          const k = canonicalKey(v);
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
          const copts = ComputeOptions.init(options).update(null, { groupId });
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

/** Compiles a validated `$group` specification into a function over an array of documents. */
export function compileGroup(spec: Document): (docs: readonly Document[], options: Options) => Document[] {
  const idFn: CompiledExpression = compileExpression(spec._id);
  const accumulators: Document = {};
  for (const [k, v] of Object.entries(spec)) if (k !== "_id") accumulators[k] = v;
  const groupPlan = new GroupPlan(accumulators);
  return (docs, options) => {
    const groups = new Map<string, Group>();
    for (const doc of docs) {
      let id = idFn(doc, options);
      if (id === undefined) id = null;
      const key = typeof id === "string" ? `s${id.length}:${id}` : canonicalKey(id);
      let group = groups.get(key);
      if (!group) {
        group = { id, states: groupPlan.init(), members: groupPlan.needsMembers ? [] : undefined };
        groups.set(key, group);
      }
      groupPlan.step(group.states, doc, options);
      group.members?.push(doc);
    }
    const out: Document[] = [];
    for (const group of groups.values()) out.push(groupPlan.finish({ _id: group.id }, group.states, group.members, group.id, options));
    return out;
  };
}
