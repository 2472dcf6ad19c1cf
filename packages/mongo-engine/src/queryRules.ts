import { BSON, type Document } from "bson";
import { isPlainDocument } from "./bsonOrder";
import { parseCollation } from "./collation";
import type { CollectionStore } from "./collectionStore";
import type { CommandContext } from "./commandContext";
import { CommandError } from "./commandError";
import { assertIndexedPlan, type PlannedQuery, planQuery } from "./queryPlanner";
import { prepareFilter } from "./queryOperators";
import { parseSortSpec } from "./sortDocuments";

/**
 * The mongod query rules that depend on the plan: `notablescan` (291 for a query only a collection
 * scan can answer) and the blocking-sort memory limit (292 for an in-memory sort over
 * `internalQueryMaxBlockingSortMemoryUsageBytes` that may not spill to disk).
 */

/** A query as command fields (`filter`/`query`, `sort`, `hint`, `collation`, ...). */
export interface QueryFields {
  readonly filter: unknown;
  readonly sort?: unknown;
  readonly hint?: unknown;
  readonly collation?: unknown;
  readonly projection?: unknown;
  readonly skip?: number | undefined;
  readonly limit?: number | undefined;
}

/** The planner's view of a query given as command fields. */
export function plannedQuery(fields: QueryFields): PlannedQuery {
  const sortBody = isPlainDocument(fields.sort) && Object.keys(fields.sort).length ? fields.sort : undefined;
  const natural = sortBody !== undefined && Object.keys(sortBody).length === 1 && Object.hasOwn(sortBody, "$natural");
  return {
    filter: prepareFilter(fields.filter ?? {}),
    sort: sortBody && !natural ? parseSortSpec(sortBody) : undefined,
    hint: natural ? { $natural: sortBody.$natural } : fields.hint,
    collation: parseCollation(fields.collation),
    projection: isPlainDocument(fields.projection) ? fields.projection : undefined,
    skip: fields.skip,
    limit: fields.limit,
  };
}

/** `notablescan` (server-wide or for the database's prefix): throws 291 NoQueryExecutionPlans when the query needs a collection scan. */
export function policeTableScan(ctx: CommandContext, collection: string, store: CollectionStore | undefined, fields: QueryFields): void {
  if (!store || !ctx.parameters.refusesTableScan(ctx.db)) return;
  const query = plannedQuery(fields);
  assertIndexedPlan(ctx.db, collection, query, planQuery(store, query));
}

/**
 * The memory an in-memory sort may use, or `undefined` when it may not fail: mongod 7.0 spills to
 * disk unless the command says `allowDiskUse: false`, or `allowDiskUseByDefault` is off and the
 * command does not say `allowDiskUse: true`.
 */
export function sortMemoryLimit(ctx: CommandContext): number | undefined {
  const allowDiskUse = ctx.body.allowDiskUse;
  const parameters = ctx.parameters;
  const applies = allowDiskUse === false || (!parameters.allowDiskUseByDefault && allowDiskUse !== true);
  return applies ? parameters.maxBlockingSortBytes : undefined;
}

/** The bytes an in-memory sort holds: every document, or the `keep` largest for a top-k sort. */
function sortBytes(docs: readonly Document[], keep: number | undefined): number {
  const sizes = docs.map((doc) => BSON.calculateObjectSize(doc, { ignoreUndefined: true }));
  if (keep === undefined || keep >= sizes.length) return sizes.reduce((a, b) => a + b, 0);
  sizes.sort((a, b) => b - a);
  let total = 0;
  for (let i = 0; i < keep; i++) total += sizes[i] as number;
  return total;
}

/** Throws 292 QueryExceededMemoryLimitNoDiskUseAllowed when a blocking sort would not fit. */
export function assertSortFits(
  docs: readonly Document[],
  limitBytes: number,
  keep: number | undefined,
  command: "find" | "aggregate",
): void {
  if (sortBytes(docs, keep) <= limitBytes) return;
  const cause = `Sort exceeded memory limit of ${limitBytes} bytes, but did not opt in to external sorting.`;
  throw new CommandError(
    292,
    command === "find"
      ? `Executor error during find command :: caused by :: ${cause}`
      : `PlanExecutor error during aggregation :: caused by :: ${cause} Aborting operation. Pass allowDiskUse:true to opt in.`,
  );
}
