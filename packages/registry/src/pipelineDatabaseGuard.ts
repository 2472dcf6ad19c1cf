import { ContractViolationError, ValidationError } from "@cspm/errors";
import { type DatabaseRef, DatabaseRegistry } from "./databaseRegistry";
import { isPlainObject, type StageTarget, stageTarget, subPipelines } from "./pipelineTargets";

/** Options of `assertPipelineWithinDatabase`. */
export interface PipelineGuardOptions {
  /**
   * The physical (possibly prefixed) name of the database the pipeline runs in, e.g.
   * `manager.databaseName("CLOUD_SECURITY")`. A `{ db, coll }` target must name exactly this database.
   * Default: the registry name without prefix. A function is called only when a `{ db, coll }` form is met.
   */
  readonly databaseName?: string | (() => string);
}

const CONTRACT = "no-cross-database-lookup";

interface GuardScope {
  readonly database: DatabaseRef;
  readonly key: string;
  readonly physicalName: () => string;
}

function malformed(message: string, path: string): ValidationError {
  return new ValidationError(message, [{ path, message }]);
}

function violation(scope: GuardScope, stage: string, path: string, detail: Record<string, unknown>, why: string): ContractViolationError {
  return new ContractViolationError(
    `${stage} at ${path} ${why}; a pipeline on ${scope.key} may only read collections of ${scope.key}. ` +
      "Resolve data of another database with one batched query against it (e.g. CentralAccountService.resolveAccounts).",
    { details: { stage, path, database: scope.key, contract: CONTRACT, ...detail } },
  );
}

function checkCollection(scope: GuardScope, collection: unknown, stage: string, path: string): void {
  if (typeof collection !== "string") throw malformed(`${stage} must name its target collection as a string or { db, coll }.`, path);
  if (collection.length === 0) throw malformed(`${stage} names an empty collection.`, path);
  if (DatabaseRegistry.owns(scope.database, collection)) return;
  const legacy = DatabaseRegistry.legacyCollection(collection);
  const why = legacy
    ? `names the legacy collection "${collection}" (use "${legacy.replacement}")`
    : `names "${collection}", which is not a collection of ${scope.key}`;
  throw violation(scope, stage, path, { collection, ...(legacy ? { replacement: legacy.replacement } : {}) }, why);
}

function checkTarget(scope: GuardScope, target: StageTarget, at: string): void {
  const path = target.field === "" ? at : `${at}.${target.field}`;
  if (target.database !== undefined) {
    if (typeof target.database !== "string" || typeof target.collection !== "string") {
      throw malformed(`${target.stage} target must be a collection name or { db, coll } with string values.`, path);
    }
    if (target.database !== scope.physicalName()) {
      throw violation(
        scope,
        target.stage,
        path,
        { collection: target.collection, target_database: target.database },
        `targets database "${target.database}"`,
      );
    }
  }
  checkCollection(scope, target.collection, target.stage, path);
}

function checkPipeline(scope: GuardScope, pipeline: unknown, path: string): void {
  if (!Array.isArray(pipeline)) throw malformed("An aggregation pipeline must be an array of stages.", path);
  pipeline.forEach((stage: unknown, index) => checkStage(scope, stage, `${path}.${index}`));
}

function checkStage(scope: GuardScope, stage: unknown, path: string): void {
  if (!isPlainObject(stage)) throw malformed("Each pipeline stage must be a plain object.", path);
  const keys = Object.keys(stage);
  const op = keys[0];
  if (keys.length !== 1 || op === undefined || !op.startsWith("$")) {
    throw malformed("Each pipeline stage must have exactly one $-operator key.", path);
  }
  const spec = stage[op];
  const at = `${path}.${op}`;
  if ((op === "$lookup" || op === "$graphLookup" || op === "$facet") && !isPlainObject(spec)) throw malformed(`${op} takes an object.`, at);
  if (op === "$unionWith" && typeof spec !== "string" && !isPlainObject(spec)) {
    throw malformed("$unionWith takes a collection name or an object.", at);
  }
  const target = stageTarget(op, spec);
  if (target !== undefined) checkTarget(scope, target, at);
  for (const sub of subPipelines(op, spec)) checkPipeline(scope, sub.pipeline, `${at}.${sub.field}`);
}

/**
 * The cross-database contract as a check: throws `CONTRACT_VIOLATION` (details: `stage`, `path`,
 * `collection`, `target_database`) when a `$lookup`, `$graphLookup`, `$unionWith`, `$out` or `$merge` — at
 * any depth (`$facet`, `$lookup.pipeline`, `$unionWith.pipeline`), in the string or `{ db, coll }` form —
 * names a collection that `database` does not own, or another database. Throws `VALIDATION_FAILED` for a
 * malformed pipeline or an unknown `database`. Run it before a pipeline is sent: nothing reaches the server.
 * @example assertPipelineWithinDatabase("CLOUD_SECURITY", [{ $lookup: { from: "scan_runs", ... } }]) // throws
 */
export function assertPipelineWithinDatabase(
  database: DatabaseRef,
  pipeline: readonly unknown[],
  options: PipelineGuardOptions = {},
): void {
  const definition = DatabaseRegistry.resolve(database);
  const scope: GuardScope = {
    database: definition.key as DatabaseRef,
    key: definition.key,
    physicalName:
      typeof options.databaseName === "function"
        ? options.databaseName
        : () => (options.databaseName as string | undefined) ?? definition.name,
  };
  checkPipeline(scope, pipeline, "pipeline");
}
