import { ContractViolationError, ValidationError } from "@cspm/errors";
import { type DatabaseRef, DatabaseRegistry } from "@cspm/registry";

/** Options of `assertPipelineWithinDatabase`. */
export interface PipelineGuardOptions {
  /**
   * The physical (possibly prefixed) name of the database the pipeline runs in, e.g.
   * `manager.databaseName("CLOUD_SECURITY")`. A `{ db, coll }` target must name exactly this database.
   * Default: the registry name without prefix.
   */
  readonly databaseName?: string;
}

const CONTRACT = "no-cross-database-lookup";

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

interface GuardScope {
  readonly database: DatabaseRef;
  readonly key: string;
  readonly physicalName: string;
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

/** Checks one named target collection (`from`, `coll`, `into`), in its string or `{ db, coll }` form. */
function checkTarget(scope: GuardScope, target: unknown, stage: string, path: string): void {
  if (typeof target === "string") {
    if (target.length === 0) throw malformed(`${stage} names an empty collection.`, path);
    if (!DatabaseRegistry.owns(scope.database, target)) {
      const legacy = DatabaseRegistry.legacyCollection(target);
      const why = legacy
        ? `names the legacy collection "${target}" (use "${legacy.replacement}")`
        : `names "${target}", which is not a collection of ${scope.key}`;
      throw violation(scope, stage, path, { collection: target, ...(legacy ? { replacement: legacy.replacement } : {}) }, why);
    }
    return;
  }
  if (isPlainObject(target)) {
    const { db, coll } = target;
    if (typeof db !== "string" || typeof coll !== "string") {
      throw malformed(`${stage} target must be a collection name or { db, coll } with string values.`, path);
    }
    if (db !== scope.physicalName) {
      throw violation(scope, stage, path, { collection: coll, target_database: db }, `targets database "${db}"`);
    }
    checkTarget(scope, coll, stage, path);
    return;
  }
  throw malformed(`${stage} must name its target collection as a string or { db, coll }.`, path);
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
  switch (op) {
    case "$lookup": {
      if (!isPlainObject(spec)) throw malformed("$lookup takes an object.", at);
      // Without `from` the sub-pipeline must start with $documents: nothing is read from a collection.
      if (spec.from !== undefined || spec.pipeline === undefined) checkTarget(scope, spec.from, op, `${at}.from`);
      if (spec.pipeline !== undefined) checkPipeline(scope, spec.pipeline, `${at}.pipeline`);
      return;
    }
    case "$graphLookup": {
      if (!isPlainObject(spec)) throw malformed("$graphLookup takes an object.", at);
      checkTarget(scope, spec.from, op, `${at}.from`);
      return;
    }
    case "$unionWith": {
      if (typeof spec === "string") {
        checkTarget(scope, spec, op, at);
        return;
      }
      if (!isPlainObject(spec)) throw malformed("$unionWith takes a collection name or an object.", at);
      // Atlas Data Federation also accepts `{ db, coll, pipeline }` and `{ coll: { db, coll } }`.
      if (spec.db !== undefined) {
        checkTarget(scope, { db: spec.db, coll: spec.coll }, op, `${at}.db`);
      } else if (spec.coll !== undefined || spec.pipeline === undefined) {
        checkTarget(scope, spec.coll, op, `${at}.coll`);
      }
      if (spec.pipeline !== undefined) checkPipeline(scope, spec.pipeline, `${at}.pipeline`);
      return;
    }
    case "$facet": {
      if (!isPlainObject(spec)) throw malformed("$facet takes an object of sub-pipelines.", at);
      for (const name of Object.keys(spec)) checkPipeline(scope, spec[name], `${at}.${name}`);
      return;
    }
    case "$out": {
      // `$out: "coll"` or `{ db, coll }`: writing into another database is the same breach as reading from it.
      checkTarget(scope, spec, op, at);
      return;
    }
    case "$merge": {
      const into = isPlainObject(spec) && "into" in spec ? spec.into : spec;
      checkTarget(scope, into, op, isPlainObject(spec) && "into" in spec ? `${at}.into` : at);
      return;
    }
    default:
      return;
  }
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
    physicalName: options.databaseName ?? definition.name,
  };
  checkPipeline(scope, pipeline, "pipeline");
}
