import type { Document } from "bson";
import { bsonTypeTag, compareBsonValues, formatBsonValue, isPlainDocument, toNumber, typeRank, TYPE_RANK } from "./bsonOrder";
import { type Collation, containsString, sameCollation } from "./collation";
import { ID_INDEX_SPEC, type CollectionStore } from "./collectionStore";
import { CommandError } from "./commandError";
import type { IndexSpec, IndexStore } from "./indexStore";
import { compileFilter } from "./queryMatcher";
import type { SortSpec } from "./sortDocuments";

/**
 * The plan mongod's query planner would pick for a query, in the shape `explain` reports
 * (`queryPlanner.winningPlan`, classic engine stage names: IDHACK, IXSCAN, FETCH, COLLSCAN, SORT,
 * OR, SKIP, LIMIT, PROJECTION_*), and mongod's `notablescan` rule built on it.
 *
 * An index is a candidate when the predicate on its first field can use it (equality, `$in`,
 * ranges, `$ne`/`$nin`, `$regex`, `$type`, `$exists: true`, `$elemMatch`, `$all`, `$mod`), when the
 * query's collation allows it (string bounds need the index's collation), when a sparse index
 * cannot miss a match, when the query implies a partial index's filter, and when it is not hidden;
 * or when it provides the requested sort. Among candidates the one pinning the most leading fields
 * by equality wins (mongod decides by a trial run; ties here go to the index providing the sort, then
 * to one whose next key after the equalities is bounded by a range or regex, then to the older index). The engine itself answers queries through its own index look-ups
 * (collectionStore.ts); this module only describes and polices plans.
 */

/** What the planner looks at. */
export interface PlannedQuery {
  readonly filter: Document;
  readonly sort?: SortSpec | undefined;
  readonly hint?: unknown;
  readonly collation?: Collation | undefined;
  readonly projection?: Document | undefined;
  readonly skip?: number | undefined;
  readonly limit?: number | undefined;
}

/** The chosen plan. */
export interface QueryPlan {
  /** `queryPlanner.winningPlan`. */
  readonly winningPlan: Document;
  /** The index the plan scans (`undefined` for a collection scan). */
  readonly indexName: string | undefined;
  /** True when the plan reads the whole collection (COLLSCAN). */
  readonly collectionScan: boolean;
  /** True when the plan sorts in memory (a blocking SORT stage). */
  readonly blockingSort: boolean;
}

interface Predicate {
  readonly path: string;
  readonly cond: unknown;
}

/** The conjunction of field predicates a filter states at its top level ($and flattened). */
function conjuncts(filter: Document, out: Predicate[] = []): Predicate[] {
  for (const [key, cond] of Object.entries(filter)) {
    if (key === "$and" && Array.isArray(cond)) {
      for (const sub of cond) if (isPlainDocument(sub)) conjuncts(sub, out);
      continue;
    }
    if (key.startsWith("$")) continue;
    out.push({ path: key, cond });
  }
  return out;
}

function isOperatorDoc(value: unknown): value is Document {
  return isPlainDocument(value) && Object.keys(value).length > 0 && Object.keys(value).every((k) => k.startsWith("$"));
}

/** Whether a predicate can use an index on its path (and whether it can match a missing field). */
function indexability(cond: unknown): { indexable: boolean; matchesMissing: boolean } {
  if (!isOperatorDoc(cond)) return { indexable: true, matchesMissing: cond === null };
  let indexable = false;
  let matchesMissing = false;
  for (const [op, arg] of Object.entries(cond)) {
    switch (op) {
      case "$eq":
        indexable = true;
        if (arg === null) matchesMissing = true;
        break;
      case "$in":
        indexable = true;
        if (Array.isArray(arg) && arg.includes(null)) matchesMissing = true;
        break;
      case "$gt":
      case "$gte":
      case "$lt":
      case "$lte":
      case "$regex":
      case "$type":
      case "$elemMatch":
      case "$all":
      case "$mod":
        indexable = true;
        if ((op === "$gte" || op === "$lte") && arg === null) matchesMissing = true;
        break;
      case "$ne":
      case "$nin":
        indexable = true;
        matchesMissing = true;
        break;
      case "$exists":
        if (arg) indexable = true;
        else matchesMissing = true;
        break;
      case "$not":
        matchesMissing = true;
        if (isOperatorDoc(arg) && !(arg.$regex !== undefined || arg instanceof RegExp)) indexable = true;
        break;
      default:
        break;
    }
  }
  return { indexable, matchesMissing };
}

function predicatesOn(preds: readonly Predicate[], field: string): Predicate[] {
  return preds.filter((p) => p.path === field || (isElemMatch(p.cond) && field.startsWith(`${p.path}.`)));
}

function isElemMatch(cond: unknown): boolean {
  return isPlainDocument(cond) && isPlainDocument(cond.$elemMatch);
}

function equalityOn(preds: readonly Predicate[], field: string): boolean {
  return preds.some((p) => p.path === field && (!isOperatorDoc(p.cond) || Object.hasOwn(p.cond, "$eq") || Object.hasOwn(p.cond, "$in")));
}

/** Whether the query implies a partial index's filter (each of its conditions is stated, or satisfied by an equality). */
function impliesPartial(preds: readonly Predicate[], partial: Document): boolean {
  return conjuncts(partial).every((want) =>
    preds.some((have) => {
      if (have.path !== want.path) return false;
      if (JSON.stringify(have.cond) === JSON.stringify(want.cond)) return true;
      const value = !isOperatorDoc(have.cond) ? have.cond : Object.hasOwn(have.cond, "$eq") ? have.cond.$eq : undefined;
      if (value === undefined) return false;
      return compileFilter({ [want.path]: want.cond })({ [want.path]: value });
    }),
  );
}

interface Candidate {
  readonly spec: IndexSpec;
  readonly index: IndexStore | undefined;
  readonly equalities: number;
  readonly providesSort: false | "forward" | "backward";
  readonly relevant: boolean;
  /** The key after the equality prefix has a range, regex or other indexable predicate (tighter bounds). */
  readonly bounded: boolean;
}

/** Whether an index's key order yields the sort (after the fields pinned by equality). */
function sortDirection(spec: IndexSpec, sort: SortSpec | undefined, preds: readonly Predicate[]): false | "forward" | "backward" {
  if (!sort || sort.length === 0) return false;
  const fields = Object.entries(spec.key);
  let i = 0;
  while (i < fields.length && equalityOn(preds, fields[i]?.[0] as string) && !sort.some(([p]) => p === fields[i]?.[0])) i += 1;
  let direction: false | "forward" | "backward" = false;
  for (const [path, dir] of sort) {
    const entry = fields[i];
    if (!entry || entry[0] !== path || typeof entry[1] === "string") return false;
    const same = Math.sign(toNumber(entry[1])) === dir ? "forward" : "backward";
    if (direction && direction !== same) return false;
    direction = same;
    i += 1;
  }
  return direction;
}

function usable(spec: IndexSpec, index: IndexStore | undefined, preds: readonly Predicate[], collation: Collation | undefined): boolean {
  if (spec.hidden) return false;
  const first = Object.keys(spec.key)[0] as string;
  const firstPreds = predicatesOn(preds, first);
  const strings = firstPreds.some((p) => containsString(p.cond));
  if (strings && !sameCollation(index?.collation, collation)) return false;
  if (spec.sparse && firstPreds.some((p) => indexability(p.cond).matchesMissing)) return false;
  if (spec.partialFilterExpression && !impliesPartial(preds, spec.partialFilterExpression)) return false;
  return true;
}

function candidatesFor(store: CollectionStore, query: PlannedQuery, preds: readonly Predicate[]): Candidate[] {
  const out: Candidate[] = [];
  const all: [IndexSpec, IndexStore | undefined][] = [
    [ID_INDEX_SPEC, undefined],
    ...store.indexes.map((i) => [i.spec, i] as [IndexSpec, IndexStore]),
  ];
  for (const [spec, index] of all) {
    const keys = Object.keys(spec.key);
    if (!usable(spec, index, preds, query.collation)) continue;
    if (Object.values(spec.key).some((v) => typeof v === "string")) continue;
    const first = keys[0] as string;
    const relevant = predicatesOn(preds, first).some((p) => indexability(p.cond).indexable);
    let equalities = 0;
    while (equalities < keys.length && equalityOn(preds, keys[equalities] as string)) equalities += 1;
    const next = keys[equalities];
    const bounded = next !== undefined && predicatesOn(preds, next).some((p) => indexability(p.cond).indexable);
    const providesSort = sortDirection(spec, query.sort, preds);
    // A sort-only scan must see every document: a sparse or partial index cannot give one.
    if (!relevant && (!providesSort || spec.sparse || spec.partialFilterExpression)) continue;
    out.push({ spec, index, equalities, providesSort, relevant, bounded });
  }
  return out;
}

function choose(candidates: readonly Candidate[]): Candidate | undefined {
  let best: Candidate | undefined;
  // A bounded key after the equalities narrows the scan, but less surely than a sort saves one (mongod's
  // trial run would usually agree): +3 against +5.
  const score = (c: Candidate) => (c.relevant ? 100 : 0) + c.equalities * 10 + (c.providesSort ? 5 : 0) + (c.bounded ? 3 : 0);
  for (const c of candidates) {
    if (!best || score(c) > score(best)) best = c;
  }
  return best;
}

/** mongod's textual bound for a value (`1`, `"a"`, `ObjectId('…')`, `new Date(…)`, `inf.0`). */
function bound(value: unknown): string {
  if (typeof value === "number") {
    if (value === Number.POSITIVE_INFINITY) return "inf.0";
    if (value === Number.NEGATIVE_INFINITY) return "-inf.0";
    if (Number.isNaN(value)) return "nan.0";
    return Number.isInteger(value) ? String(value) : String(value);
  }
  const tag = bsonTypeTag(value);
  if (tag === "MinKey") return "MinKey";
  if (tag === "MaxKey") return "MaxKey";
  if (value === undefined) return "undefined";
  return formatBsonValue(value);
}

const DATE_MIN = "new Date(-9223372036854775808)";
const DATE_MAX = "new Date(9223372036854775807)";

/** The end of a value's type bracket, for one-sided ranges. */
function bracketEnds(value: unknown): [string, string] {
  switch (typeRank(value)) {
    case TYPE_RANK.number:
      return ["-inf.0", "inf.0"];
    case TYPE_RANK.string:
      return ['""', "{}"];
    case TYPE_RANK.date:
      return [DATE_MIN, DATE_MAX];
    case TYPE_RANK.objectId:
      return ["ObjectId('000000000000000000000000')", "ObjectId('ffffffffffffffffffffffff')"];
    case TYPE_RANK.bool:
      return ["false", "true"];
    default:
      return ["MinKey", "MaxKey"];
  }
}

const FULL = "[MinKey, MaxKey]";

function regexBounds(re: RegExp | { source: string }): string[] {
  const source = re.source;
  const literal = /^\^([A-Za-z0-9 _-]+)$/.exec(source) ?? /^\^([A-Za-z0-9 _-]+)/.exec(source);
  const out: string[] = [];
  if (literal?.[1]) {
    const prefix = literal[1];
    const next = prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
    out.push(`[${JSON.stringify(prefix)}, ${JSON.stringify(next)})`);
  } else {
    out.push('["", {})');
  }
  out.push(`[/${source}/, /${source}/]`);
  return out;
}

/** The index bounds of one field, as explain prints them. */
function fieldBounds(preds: readonly Predicate[]): string[] {
  if (preds.length === 0) return [FULL];
  let lower: [string, boolean] | undefined;
  let upper: [string, boolean] | undefined;
  let points: unknown[] | undefined;
  let special: string[] | undefined;
  for (const { cond } of preds) {
    if (!isOperatorDoc(cond)) {
      if (cond instanceof RegExp) special = regexBounds(cond);
      else points = [cond];
      continue;
    }
    for (const [op, arg] of Object.entries(cond)) {
      switch (op) {
        case "$eq":
          points = [arg];
          break;
        case "$in":
          if (Array.isArray(arg)) points = arg.filter((v) => !(v instanceof RegExp));
          break;
        case "$gt":
        case "$gte":
          lower = [bound(arg), op === "$gte"];
          upper ??= [bracketEnds(arg)[1], true];
          break;
        case "$lt":
        case "$lte":
          upper = [bound(arg), op === "$lte"];
          lower ??= [bracketEnds(arg)[0], true];
          break;
        case "$ne":
          special = [`[MinKey, ${bound(arg)})`, `(${bound(arg)}, MaxKey]`];
          break;
        case "$regex":
          special = regexBounds(arg instanceof RegExp ? arg : { source: String(arg) });
          break;
        case "$type":
          special = typeof arg === "string" && arg === "string" ? ['["", {})'] : [FULL];
          break;
        default:
          special ??= [FULL];
      }
    }
  }
  if (points) {
    const sorted = [...points].sort((a, b) => compareBsonValues(a, b));
    const unique = sorted.filter((v, i) => i === 0 || compareBsonValues(v, sorted[i - 1]) !== 0);
    return unique.map((v) =>
      Array.isArray(v) ? `[${bound(v[0] ?? undefined)}, ${bound(v[0] ?? undefined)}]` : `[${bound(v)}, ${bound(v)}]`,
    );
  }
  if (lower || upper) {
    const lo = lower ?? ["MinKey", true];
    const hi = upper ?? ["MaxKey", true];
    return [`${lo[1] ? "[" : "("}${lo[0]}, ${hi[0]}${hi[1] ? "]" : ")"}`];
  }
  return special ?? [FULL];
}

function reverseBound(text: string): string {
  const open = text[0] === "[" ? "]" : ")";
  const close = text[text.length - 1] === "]" ? "[" : "(";
  const inner = text.slice(1, -1);
  const comma = inner.lastIndexOf(", ");
  return `${close}${inner.slice(comma + 2)}, ${inner.slice(0, comma)}${open}`;
}

function ixscan(candidate: Candidate, preds: readonly Predicate[], direction: "forward" | "backward"): Document {
  const { spec, index } = candidate;
  const indexBounds: Document = {};
  const multiKeyPaths: Document = {};
  for (const [field, order] of Object.entries(spec.key)) {
    const bounds = fieldBounds(predicatesOn(preds, field).filter((p) => p.path === field));
    // Bounds are listed in the order the scan meets keys: reversed for a descending field scanned
    // forward, or an ascending one scanned backward.
    const descending = toNumber(order) < 0;
    indexBounds[field] = descending === (direction === "backward") ? bounds : [...bounds].reverse().map(reverseBound);
    multiKeyPaths[field] = index?.multiKey ? [field] : [];
  }
  return {
    stage: "IXSCAN",
    keyPattern: spec.key,
    indexName: spec.name,
    ...(index?.collation ? { collation: index.collation.spec } : {}),
    isMultiKey: index?.multiKey === true,
    multiKeyPaths,
    isUnique: spec.unique === true || spec.name === "_id_",
    isSparse: spec.sparse === true,
    isPartial: spec.partialFilterExpression !== undefined,
    indexVersion: 2,
    direction,
    indexBounds,
  };
}

function hintedSpec(store: CollectionStore, hint: unknown): IndexSpec | "natural" | undefined {
  if (hint === undefined || (isPlainDocument(hint) && Object.keys(hint).length === 0)) return undefined;
  if (isPlainDocument(hint) && Object.hasOwn(hint, "$natural")) return "natural";
  return store
    .indexSpecs()
    .find((s) =>
      typeof hint === "string" ? s.name === hint : JSON.stringify(Object.keys(s.key)) === JSON.stringify(Object.keys(hint as Document)),
    );
}

function residualFilter(filter: Document): Document | undefined {
  return Object.keys(filter).length ? filter : undefined;
}

/** The plan for the documents a query reads, before sort, skip, limit and projection. */
function accessPlan(store: CollectionStore, query: PlannedQuery): { plan: Document; candidate: Candidate | undefined; sorted: boolean } {
  const filter = query.filter;
  const preds = conjuncts(filter);
  const hinted = hintedSpec(store, query.hint);
  if (hinted === "natural") {
    return {
      plan: { stage: "COLLSCAN", ...(residualFilter(filter) ? { filter } : {}), direction: "forward" },
      candidate: undefined,
      sorted: false,
    };
  }
  const keys = Object.keys(filter);
  const idHack =
    !hinted &&
    !query.sort?.length &&
    !query.skip &&
    keys.length === 1 &&
    keys[0] === "_id" &&
    !isOperatorDoc(filter._id) &&
    !(filter._id instanceof RegExp);
  if (idHack && !(query.collation && containsString(filter._id))) {
    return {
      plan: { stage: "IDHACK" },
      candidate: { spec: ID_INDEX_SPEC, index: undefined, equalities: 1, providesSort: false, relevant: true, bounded: false },
      sorted: true,
    };
  }
  let candidate: Candidate | undefined;
  if (hinted) {
    const index = store.indexes.find((i) => i.spec.name === hinted.name);
    candidate = {
      spec: hinted,
      index,
      equalities: 0,
      providesSort: sortDirection(hinted, query.sort, preds),
      relevant: true,
      bounded: false,
    };
  } else if (Array.isArray(filter.$or) && preds.length === 0 && Object.keys(filter).every((k) => k === "$or")) {
    const branches = (filter.$or as Document[]).map((branch) =>
      choose(candidatesFor(store, { ...query, filter: branch, sort: undefined }, conjuncts(branch))),
    );
    if (branches.every((b) => b?.relevant)) {
      const inputStages = (filter.$or as Document[]).map((branch, i) => ixscan(branches[i] as Candidate, conjuncts(branch), "forward"));
      return { plan: { stage: "FETCH", filter, inputStage: { stage: "OR", inputStages } }, candidate: branches[0], sorted: false };
    }
  } else {
    candidate = choose(candidatesFor(store, query, preds));
  }
  if (!candidate) {
    return {
      plan: { stage: "COLLSCAN", ...(residualFilter(filter) ? { filter } : {}), direction: "forward" },
      candidate: undefined,
      sorted: false,
    };
  }
  const direction = candidate.providesSort || "forward";
  const scan = ixscan(candidate, preds, direction);
  return {
    plan: { stage: "FETCH", ...(residualFilter(filter) ? { filter } : {}), inputStage: scan },
    candidate,
    sorted: candidate.providesSort !== false,
  };
}

function projectionStage(projection: Document, input: Document): Document {
  const simple = Object.values(projection).every((v) => v === 0 || v === 1 || v === true || v === false);
  return { stage: simple ? "PROJECTION_SIMPLE" : "PROJECTION_DEFAULT", transformBy: projection, inputStage: input };
}

/** Plans a query on an existing collection (see the module comment for the rules). */
export function planQuery(store: CollectionStore, query: PlannedQuery): QueryPlan {
  const access = accessPlan(store, query);
  let plan = access.plan;
  const blockingSort = query.sort !== undefined && query.sort.length > 0 && !access.sorted;
  if (blockingSort) {
    const sortPattern: Document = {};
    for (const [path, dir] of query.sort as SortSpec) sortPattern[path] = dir;
    const limitAmount = query.limit ? (query.skip ?? 0) + query.limit : undefined;
    plan = { stage: "SORT", sortPattern, memLimit: 104857600, ...(limitAmount ? { limitAmount } : {}), type: "simple", inputStage: plan };
  } else if (query.limit) {
    plan = { stage: "LIMIT", limitAmount: (query.skip ?? 0) + query.limit, inputStage: plan };
  }
  if (query.skip) plan = { stage: "SKIP", skipAmount: query.skip, inputStage: plan };
  if (query.projection && Object.keys(query.projection).length) plan = projectionStage(query.projection, plan);
  return {
    winningPlan: plan,
    indexName: access.candidate?.spec.name,
    collectionScan: access.candidate === undefined,
    blockingSort,
  };
}

/** The plan for a collection that does not exist. */
export const EOF_PLAN: QueryPlan = { winningPlan: { stage: "EOF" }, indexName: undefined, collectionScan: false, blockingSort: false };

const INTERNAL_DATABASES = new Set(["admin", "local", "config"]);

/**
 * mongod's `notablescan`: a query with a non-empty filter on a user collection that only a
 * collection scan can answer fails with 291 NoQueryExecutionPlans (an empty filter, `system.*`
 * collections and the admin/local/config databases are exempt, as in mongod).
 */
export function assertIndexedPlan(db: string, collection: string, query: PlannedQuery, plan: QueryPlan): void {
  if (Object.keys(query.filter).length === 0 || INTERNAL_DATABASES.has(db) || collection.startsWith("system.")) return;
  const hint = query.hint;
  if (isPlainDocument(hint) && Object.hasOwn(hint, "$natural")) {
    throw new CommandError(2, "hint $natural is not allowed, because 'notablescan' is enabled", { codeName: "BadValue" });
  }
  if (plan.collectionScan) throw new CommandError(291, "No indexed plans available, and running with 'notablescan'");
}
