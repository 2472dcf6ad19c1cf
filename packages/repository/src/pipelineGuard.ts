import { ContractViolationError, ForbiddenError, ValidationError } from "@cspm/errors";
import { DatabaseRegistry, type DatabaseRef } from "@cspm/registry";
import type { Document } from "mongodb";
import { assertSafeExpression, isPlainObject } from "./sanitizeFilter";

/** Stages a repository aggregation may not use: they write, or read outside the tenant's documents. */
export const FORBIDDEN_STAGES: ReadonlySet<string> = new Set([
  "$out",
  "$merge",
  "$currentOp",
  "$collStats",
  "$indexStats",
  "$planCacheStats",
  "$listSessions",
  "$listLocalSessions",
  "$listSearchIndexes",
  "$changeStream",
  "$documents",
]);

/** Where a pipeline runs: the repository's database and the team it is scoped to (`null`: shared). */
export interface PipelineScope {
  readonly database: DatabaseRef;
  readonly teamId: string | null;
}

function invalid(message: string, path: string): ValidationError {
  return new ValidationError(message, [{ path, message }]);
}

/** The registry definition of a collection a join names; refuses other databases' and legacy collections. */
function joinedCollection(scope: PipelineScope, from: unknown, stage: string, path: string): { name: string; tenantOwned: boolean } {
  if (typeof from !== "string" || from.length === 0) {
    throw new ContractViolationError(`${stage} must name a collection of the same database.`, {
      details: { stage, contract: "no-cross-database-lookup" },
    });
  }
  if (DatabaseRegistry.legacyCollection(from) !== undefined) DatabaseRegistry.getCollection(scope.database, from); // throws CONTRACT_VIOLATION
  if (!DatabaseRegistry.owns(scope.database, from)) {
    throw new ContractViolationError(
      `${stage} names "${from}", which is not a collection of ${DatabaseRegistry.resolve(scope.database).key}; resolve cross-database data with a separate query.`,
      { details: { stage, collection: from, path, contract: "no-cross-database-lookup" } },
    );
  }
  const definition = DatabaseRegistry.getCollection(scope.database, from);
  if (definition.tenantOwned && scope.teamId === null) {
    throw new ForbiddenError(`A shared repository cannot join the tenant-owned collection "${from}".`, {
      details: { stage, collection: from },
    });
  }
  return { name: from, tenantOwned: definition.tenantOwned };
}

function teamMatch(teamId: string | null): Document[] {
  return teamId === null ? [] : [{ $match: { team_id: teamId } }];
}

function rewriteStages(pipeline: unknown, scope: PipelineScope, path: string): Document[] {
  if (!Array.isArray(pipeline)) throw invalid("An aggregation pipeline must be an array of stages.", path);
  return pipeline.map((stage: unknown, index) => rewriteStage(stage, scope, `${path}.${index}`));
}

function rewriteStage(stage: unknown, scope: PipelineScope, path: string): Document {
  if (!isPlainObject(stage)) throw invalid("Each pipeline stage must be a plain object.", path);
  const keys = Object.keys(stage);
  const op = keys[0];
  if (keys.length !== 1 || op === undefined || !op.startsWith("$")) {
    throw invalid("Each pipeline stage must have exactly one $-operator key.", path);
  }
  if (FORBIDDEN_STAGES.has(op)) throw invalid(`The ${op} stage is not allowed in repository aggregations.`, `${path}.${op}`);
  const spec = stage[op];
  switch (op) {
    case "$lookup": {
      if (!isPlainObject(spec)) throw invalid("$lookup takes an object.", `${path}.${op}`);
      const target = joinedCollection(scope, spec.from, op, path);
      const inner: PipelineScope = { database: scope.database, teamId: target.tenantOwned ? scope.teamId : null };
      const rewritten = spec.pipeline === undefined ? [] : rewriteStages(spec.pipeline, inner, `${path}.$lookup.pipeline`);
      const pipeline = [...teamMatch(inner.teamId), ...rewritten];
      return { $lookup: pipeline.length > 0 || spec.pipeline !== undefined ? { ...spec, pipeline } : spec };
    }
    case "$graphLookup": {
      if (!isPlainObject(spec)) throw invalid("$graphLookup takes an object.", `${path}.${op}`);
      const target = joinedCollection(scope, spec.from, op, path);
      if (!target.tenantOwned) return stage;
      const existing = spec.restrictSearchWithMatch;
      const restrict = existing === undefined ? { team_id: scope.teamId } : { $and: [{ team_id: scope.teamId }, existing] };
      return { $graphLookup: { ...spec, restrictSearchWithMatch: restrict } };
    }
    case "$unionWith": {
      const union = typeof spec === "string" ? { coll: spec } : spec;
      if (!isPlainObject(union)) throw invalid("$unionWith takes a collection name or an object.", `${path}.${op}`);
      const target = joinedCollection(scope, union.coll, op, path);
      const inner: PipelineScope = { database: scope.database, teamId: target.tenantOwned ? scope.teamId : null };
      const rewritten = union.pipeline === undefined ? [] : rewriteStages(union.pipeline, inner, `${path}.$unionWith.pipeline`);
      return { $unionWith: { ...union, pipeline: [...teamMatch(inner.teamId), ...rewritten] } };
    }
    case "$facet": {
      if (!isPlainObject(spec)) throw invalid("$facet takes an object.", `${path}.${op}`);
      const facets: Document = {};
      for (const name of Object.keys(spec)) facets[name] = rewriteStages(spec[name], scope, `${path}.$facet.${name}`);
      return { $facet: facets };
    }
    default:
      return stage;
  }
}

/**
 * Checks a code-written aggregation pipeline and scopes it: `$match { team_id }` (and `extraMatch`) is
 * prepended; `$out`, `$merge` and the diagnostic stages are refused (`VALIDATION_FAILED`); `$lookup`,
 * `$graphLookup` and `$unionWith` must name a collection of the same database (`CONTRACT_VIOLATION`
 * otherwise) and are restricted to the team when that collection is tenant-owned (`FORBIDDEN` from a
 * shared scope); `$where`/`$function`/`$accumulator` are refused at any depth (`VALIDATION_FAILED`).
 */
export function scopePipeline(pipeline: readonly unknown[], scope: PipelineScope, extraMatch?: Document): Document[] {
  assertSafeExpression(pipeline, "pipeline");
  const rewritten = rewriteStages(pipeline, scope, "pipeline");
  const match: Document = { ...(scope.teamId === null ? {} : { team_id: scope.teamId }), ...extraMatch };
  return Object.keys(match).length === 0 ? rewritten : [{ $match: match }, ...rewritten];
}
