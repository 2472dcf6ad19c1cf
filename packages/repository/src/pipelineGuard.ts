import { ForbiddenError, ValidationError } from "@cspm/errors";
import { assertPipelineWithinDatabase, type DatabaseRef, DatabaseRegistry, stageTarget, subPipelines } from "@cspm/registry";
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

/** Where a pipeline runs: the repository's database (and its physical name) and the team it is scoped to (`null`: shared). */
export interface PipelineScope {
  readonly database: DatabaseRef;
  readonly teamId: string | null;
  /** The physical, possibly prefixed, database name (a `{ db, coll }` join must name exactly it). */
  readonly databaseName?: string | (() => string);
}

function invalid(message: string, path: string): ValidationError {
  return new ValidationError(message, [{ path, message }]);
}

/** Whether a joined collection (already checked to belong to the database) is tenant-owned; refuses tenant data from a shared scope. */
function joinsTenantData(scope: PipelineScope, stage: string, spec: unknown): boolean {
  const collection = stageTarget(stage, spec)?.collection;
  if (typeof collection !== "string") return false;
  const tenantOwned = DatabaseRegistry.getCollection(scope.database, collection).tenantOwned;
  if (tenantOwned && scope.teamId === null) {
    throw new ForbiddenError(`A shared repository cannot join the tenant-owned collection "${collection}".`, {
      details: { stage, collection },
    });
  }
  return tenantOwned;
}

/** Refuses `FORBIDDEN_STAGES` at any depth, before anything else is checked (they are never allowed here). */
function refuseForbiddenStages(pipeline: unknown, path: string): void {
  if (!Array.isArray(pipeline)) return;
  pipeline.forEach((stage: unknown, index) => {
    if (!isPlainObject(stage)) return;
    for (const op of Object.keys(stage)) {
      if (FORBIDDEN_STAGES.has(op)) throw invalid(`The ${op} stage is not allowed in repository aggregations.`, `${path}.${index}.${op}`);
      for (const sub of subPipelines(op, stage[op])) refuseForbiddenStages(sub.pipeline, `${path}.${index}.${op}.${sub.field}`);
    }
  });
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
  const op = Object.keys(stage)[0] as string;
  const spec = stage[op];
  switch (op) {
    case "$lookup": {
      const lookup = spec as Document;
      const inner: PipelineScope = { ...scope, teamId: joinsTenantData(scope, op, spec) ? scope.teamId : null };
      const rewritten = lookup.pipeline === undefined ? [] : rewriteStages(lookup.pipeline, inner, `${path}.$lookup.pipeline`);
      const pipeline = [...teamMatch(inner.teamId), ...rewritten];
      return { $lookup: pipeline.length > 0 || lookup.pipeline !== undefined ? { ...lookup, pipeline } : lookup };
    }
    case "$graphLookup": {
      if (!joinsTenantData(scope, op, spec)) return stage;
      const lookup = spec as Document;
      const existing = lookup.restrictSearchWithMatch;
      const restrict = existing === undefined ? { team_id: scope.teamId } : { $and: [{ team_id: scope.teamId }, existing] };
      return { $graphLookup: { ...lookup, restrictSearchWithMatch: restrict } };
    }
    case "$unionWith": {
      const union = (typeof spec === "string" ? { coll: spec } : spec) as Document;
      const inner: PipelineScope = { ...scope, teamId: joinsTenantData(scope, op, spec) ? scope.teamId : null };
      const rewritten = union.pipeline === undefined ? [] : rewriteStages(union.pipeline, inner, `${path}.$unionWith.pipeline`);
      return { $unionWith: { ...union, pipeline: [...teamMatch(inner.teamId), ...rewritten] } };
    }
    case "$facet": {
      const facets: Document = {};
      for (const name of Object.keys(spec as Document))
        facets[name] = rewriteStages((spec as Document)[name], scope, `${path}.$facet.${name}`);
      return { $facet: facets };
    }
    default:
      return stage;
  }
}

/**
 * Checks a code-written aggregation pipeline and scopes it: `$match { team_id }` (and `extraMatch`) is
 * prepended; `$out`, `$merge` and the diagnostic stages are refused (`VALIDATION_FAILED`); `$lookup`,
 * `$graphLookup` and `$unionWith` must name a collection of the same database (`assertPipelineWithinDatabase`
 * of `@cspm/registry`: `CONTRACT_VIOLATION` otherwise) and are restricted to the team when that collection is
 * tenant-owned (`FORBIDDEN` from a shared scope); `$where`/`$function`/`$accumulator` are refused at any depth
 * (`VALIDATION_FAILED`). The one place tenant pipelines are scoped: every repository aggregation goes through it.
 */
export function scopePipeline(pipeline: readonly unknown[], scope: PipelineScope, extraMatch?: Document): Document[] {
  assertSafeExpression(pipeline, "pipeline");
  refuseForbiddenStages(pipeline, "pipeline");
  assertPipelineWithinDatabase(scope.database, pipeline, scope.databaseName === undefined ? {} : { databaseName: scope.databaseName });
  const rewritten = rewriteStages(pipeline, scope, "pipeline");
  const match: Document = { ...(scope.teamId === null ? {} : { team_id: scope.teamId }), ...extraMatch };
  if (Object.keys(match).length === 0) return rewritten;
  // A leading $match that names none of the scope's fields is merged into the scope's, so the server (and
  // the offline engine) plans one indexed match: { team_id, <the pipeline's own conditions> }.
  const [first, ...rest] = rewritten;
  const own = first?.["$match"] as unknown;
  if (isPlainObject(own) && Object.keys(match).every((field) => !(field in own))) return [{ $match: { ...match, ...own } }, ...rest];
  return [{ $match: match }, ...rewritten];
}
