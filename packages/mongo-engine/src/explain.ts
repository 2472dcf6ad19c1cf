import type { Document } from "bson";
import { isPlainDocument } from "./bsonOrder";
import { REPORTED_VERSION } from "./adminCommands";
import { collectionArgument, type CommandContext, type CommandHandler } from "./commandContext";
import { CommandError, notImplemented } from "./commandError";
import { EOF_PLAN, type PlannedQuery, type QueryPlan, planQuery } from "./queryPlanner";
import { plannedQuery } from "./queryRules";
import { leadingMatch } from "./aggregationPipeline";

/**
 * `explain` for find, aggregate, count, distinct, update, delete and findAndModify, in mongod 7.0's
 * classic-engine format: `queryPlanner.winningPlan` is the plan queryPlanner.ts picks (IDHACK,
 * IXSCAN with its index name and bounds, FETCH, COLLSCAN, SORT, ...; no rejected plans), and the
 * `executionStats` verbosities add what running the query returned.
 */

const VERBOSITIES = new Set(["queryPlanner", "executionStats", "allPlansExecution"]);

/** The read commands explain runs to report `executionStats`. */
export interface ExplainRunners {
  readonly find: CommandHandler;
  readonly count: CommandHandler;
}

/** Stages an aggregate explain reports inside the query layer (`$cursor`) instead of as pipeline stages. */
const PUSHED_DOWN = new Set(["$match", "$sort", "$limit", "$skip", "$project"]);

function serverInfo(): Document {
  return { host: "127.0.0.1", port: 27017, version: REPORTED_VERSION, gitVersion: "cspm-mongo-engine" };
}

function queryPlannerSection(ns: string, query: PlannedQuery, plan: QueryPlan): Document {
  return {
    namespace: ns,
    indexFilterSet: false,
    parsedQuery: query.filter,
    ...(query.collation ? { collation: query.collation.spec } : {}),
    maxIndexedOrSolutionsReached: false,
    maxIndexedAndSolutionsReached: false,
    maxScansToExplodeReached: false,
    winningPlan: plan.winningPlan,
    rejectedPlans: [],
  };
}

function planFor(ctx: CommandContext, name: string, query: PlannedQuery): QueryPlan {
  const store = ctx.view.collection(ctx.db, name);
  return store ? planQuery(store, query) : EOF_PLAN;
}

function wrap(stage: string, plan: QueryPlan, extra: Document = {}): QueryPlan {
  return { ...plan, winningPlan: { stage, ...extra, inputStage: plan.winningPlan } };
}

/** Runs a read with the inner command's fields and reports how many documents it returned. */
async function countReturned(ctx: CommandContext, runners: ExplainRunners, name: string, query: Document): Promise<number> {
  const reply = await runners.count({ ...ctx, body: { count: name, query, $db: ctx.db } });
  return Number(reply.n);
}

function executionStats(nReturned: number, plan: QueryPlan, docsInCollection: number): Document {
  return {
    executionSuccess: true,
    nReturned,
    executionTimeMillis: 0,
    totalKeysExamined: plan.collectionScan ? 0 : nReturned,
    totalDocsExamined: plan.collectionScan ? docsInCollection : nReturned,
    executionStages: { ...plan.winningPlan, nReturned },
  };
}

function finish(ctx: CommandContext, inner: Document, sections: Document): Document {
  return {
    explainVersion: "1",
    ...sections,
    command: { ...inner, $db: ctx.db },
    serverInfo: serverInfo(),
    serverParameters: {
      internalQueryMaxBlockingSortMemoryUsageBytes: ctx.parameters.maxBlockingSortBytes,
      allowDiskUseByDefault: ctx.parameters.allowDiskUseByDefault,
    },
    ok: 1,
  };
}

/** `explain` of an aggregation (the explain command, or `aggregate` with `explain: true`). */
export function explainAggregate(ctx: CommandContext, inner: Document): Document {
  const name = collectionArgument(ctx, "aggregate");
  const pipeline = Array.isArray(inner.pipeline) ? (inner.pipeline as Document[]) : [];
  const match = leadingMatch(pipeline);
  const filter = match?.filter ?? {};
  let rest = pipeline.slice(match?.stages ?? 0);
  const sortStage = rest[0] && isPlainDocument(rest[0].$sort) ? rest[0] : undefined;
  if (sortStage) rest = rest.slice(1);
  const query = plannedQuery({ filter, sort: sortStage?.$sort, hint: inner.hint, collation: inner.collation });
  const plan = planFor(ctx, name, query);
  const planner = queryPlannerSection(`${ctx.db}.${name}`, query, plan);
  if (rest.every((stage) => PUSHED_DOWN.has(Object.keys(stage)[0] as string))) {
    return finish(ctx, inner, { queryPlanner: planner });
  }
  return finish(ctx, inner, { stages: [{ $cursor: { queryPlanner: planner } }, ...rest] });
}

async function explainInner(ctx: CommandContext, runners: ExplainRunners, inner: Document, verbosity: string): Promise<Document> {
  const command = Object.keys(inner)[0] ?? "";
  const innerCtx: CommandContext = { ...ctx, body: inner };
  const withStats = verbosity !== "queryPlanner";
  switch (command) {
    case "find": {
      const name = collectionArgument(innerCtx, "find");
      const limit = typeof inner.limit === "number" ? Math.abs(inner.limit) : undefined;
      const skip = typeof inner.skip === "number" ? inner.skip : undefined;
      const query = plannedQuery({
        filter: inner.filter,
        sort: inner.sort,
        hint: inner.hint,
        collation: inner.collation,
        projection: inner.projection,
        skip,
        limit,
      });
      const plan = planFor(ctx, name, query);
      const sections: Document = { queryPlanner: queryPlannerSection(`${ctx.db}.${name}`, query, plan) };
      if (withStats) {
        const reply = await runners.find({ ...innerCtx, body: { ...inner, batchSize: 1_000_000_000, singleBatch: true } });
        const returned = ((reply.cursor as Document).firstBatch as unknown[]).length;
        sections.executionStats = executionStats(returned, plan, ctx.view.collection(ctx.db, name)?.docs.size ?? 0);
      }
      return finish(ctx, inner, sections);
    }
    case "count": {
      const name = collectionArgument(innerCtx, "count");
      const query = plannedQuery({ filter: inner.query, hint: inner.hint, collation: inner.collation });
      const empty = Object.keys(query.filter).length === 0;
      const base = planFor(ctx, name, query);
      const plan: QueryPlan = empty
        ? { ...base, winningPlan: { stage: "RECORD_STORE_FAST_COUNT" }, collectionScan: false }
        : wrap("COUNT", base);
      const sections: Document = { queryPlanner: queryPlannerSection(`${ctx.db}.${name}`, query, plan) };
      if (withStats) {
        const reply = await runners.count(innerCtx);
        sections.executionStats = executionStats(Number(reply.n), plan, ctx.view.collection(ctx.db, name)?.docs.size ?? 0);
      }
      return finish(ctx, inner, sections);
    }
    case "distinct": {
      const name = collectionArgument(innerCtx, "distinct");
      const key = String(inner.key);
      const query = plannedQuery({ filter: inner.query, hint: inner.hint, collation: inner.collation });
      const store = ctx.view.collection(ctx.db, name);
      const index = store?.indexes.find((i) => i.fields[0] === key && !i.spec.hidden && !i.spec.sparse && !i.spec.partialFilterExpression);
      let plan: QueryPlan;
      if (store && index && Object.keys(query.filter).every((f) => f === key)) {
        plan = {
          winningPlan: {
            stage: "PROJECTION_COVERED",
            transformBy: { _id: 0, [key]: 1 },
            inputStage: {
              stage: "DISTINCT_SCAN",
              keyPattern: index.spec.key,
              indexName: index.spec.name,
              isMultiKey: index.multiKey,
              direction: "forward",
            },
          },
          indexName: index.spec.name,
          collectionScan: false,
          blockingSort: false,
        };
      } else {
        plan = wrap("PROJECTION_DEFAULT", planFor(ctx, name, query), { transformBy: { _id: 0, [key]: 1 } });
      }
      return finish(ctx, inner, { queryPlanner: queryPlannerSection(`${ctx.db}.${name}`, query, plan) });
    }
    case "update":
    case "delete": {
      const name = collectionArgument(innerCtx, command);
      const statements = inner[command === "update" ? "updates" : "deletes"];
      if (!Array.isArray(statements) || statements.length !== 1 || !isPlainDocument(statements[0])) {
        throw new CommandError(9, `explained ${command} must have exactly one statement`, { codeName: "FailedToParse" });
      }
      const stmt = statements[0] as Document;
      const query = plannedQuery({ filter: stmt.q, hint: stmt.hint, collation: stmt.collation });
      const plan = wrap(command === "update" ? "UPDATE" : "DELETE", planFor(ctx, name, query));
      const sections: Document = { queryPlanner: queryPlannerSection(`${ctx.db}.${name}`, query, plan) };
      if (withStats) {
        const n = await countReturned(innerCtx, runners, name, (stmt.q as Document) ?? {});
        const single = command === "update" ? stmt.multi !== true : stmt.limit === 1;
        sections.executionStats = executionStats(single ? Math.min(n, 1) : n, plan, ctx.view.collection(ctx.db, name)?.docs.size ?? 0);
      }
      return finish(ctx, inner, sections);
    }
    case "findAndModify":
    case "findandmodify": {
      const name = collectionArgument(innerCtx, command);
      const query = plannedQuery({ filter: inner.query, sort: inner.sort, hint: inner.hint, collation: inner.collation });
      const plan = wrap(inner.remove === true ? "DELETE" : "UPDATE", planFor(ctx, name, query));
      return finish(ctx, inner, { queryPlanner: queryPlannerSection(`${ctx.db}.${name}`, query, plan) });
    }
    case "aggregate":
      return explainAggregate(innerCtx, inner);
    default:
      throw notImplemented(`explain of '${command}'`);
  }
}

/** The `explain` command. */
export function createExplainCommand(runners: ExplainRunners): CommandHandler {
  return async (ctx) => {
    const inner = ctx.body.explain;
    if (!isPlainDocument(inner)) throw new CommandError(9, "explain command requires a nested object", { codeName: "FailedToParse" });
    const verbosity = ctx.body.verbosity ?? "allPlansExecution";
    if (typeof verbosity !== "string" || !VERBOSITIES.has(verbosity)) {
      throw new CommandError(9, `verbosity string must be one of {'queryPlanner', 'executionStats', 'allPlansExecution'}`, {
        codeName: "FailedToParse",
      });
    }
    return explainInner(ctx, runners, inner, verbosity);
  };
}
