/**
 * The one reading of the aggregation stages that name another collection: which collection (and, in the
 * `{ db, coll }` forms, which database) a `$lookup`, `$graphLookup`, `$unionWith`, `$out` or `$merge` stage
 * names, and which sub-pipelines a stage holds. The run-time guard (`assertPipelineWithinDatabase`), the
 * repository's tenant scoping and the static `cspm-contracts` check all read stages through here.
 */

/** Stages that read or write a collection other than the one the pipeline runs on. */
export const COLLECTION_STAGES = ["$lookup", "$graphLookup", "$unionWith", "$out", "$merge"] as const;

/** One of `COLLECTION_STAGES`. */
export type CollectionStage = (typeof COLLECTION_STAGES)[number];

/** A plain object as pipelines hold them (not an array, a class instance or a BSON value). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * What one stage names. `collection` and `database` are the raw values found (a string when well-formed);
 * `field` is where they sit relative to the stage spec (`"from"`, `"coll"`, `"db"`, `"into"`, or `""` for
 * `$unionWith: "coll"` / `$out: "coll"`). Absent for a `$lookup` without `from` (a `$documents` sub-pipeline).
 */
export interface StageTarget {
  readonly stage: CollectionStage;
  readonly field: string;
  readonly collection: unknown;
  readonly database: unknown;
}

/** A sub-pipeline a stage holds, with its path relative to the stage spec (`"pipeline"`, a `$facet` name). */
export interface SubPipeline {
  readonly field: string;
  readonly pipeline: unknown;
}

function fromTarget(stage: CollectionStage, value: unknown, field: string): StageTarget {
  if (isPlainObject(value) && ("db" in value || "coll" in value)) {
    return { stage, field, collection: value.coll, database: value.db };
  }
  return { stage, field, collection: value, database: undefined };
}

/** The target a collection stage names, or undefined when the stage names none (or is not such a stage). */
export function stageTarget(stage: string, spec: unknown): StageTarget | undefined {
  switch (stage) {
    case "$lookup":
      if (!isPlainObject(spec)) return { stage, field: "", collection: undefined, database: undefined };
      // Without `from` the sub-pipeline starts with $documents: nothing is read from a collection.
      if (spec.from === undefined && spec.pipeline !== undefined) return undefined;
      return fromTarget(stage, spec.from, "from");
    case "$graphLookup":
      return fromTarget(stage, isPlainObject(spec) ? spec.from : undefined, "from");
    case "$unionWith":
      if (typeof spec === "string") return { stage, field: "", collection: spec, database: undefined };
      if (!isPlainObject(spec)) return { stage, field: "", collection: undefined, database: undefined };
      // Atlas Data Federation also accepts `{ db, coll, pipeline }` and `{ coll: { db, coll } }`.
      if (spec.db !== undefined) return { stage, field: "db", collection: spec.coll, database: spec.db };
      if (spec.coll === undefined && spec.pipeline !== undefined) return undefined;
      return fromTarget(stage, spec.coll, "coll");
    case "$out":
      return fromTarget(stage, spec, "");
    case "$merge":
      return isPlainObject(spec) && "into" in spec ? fromTarget(stage, spec.into, "into") : fromTarget(stage, spec, "");
    default:
      return undefined;
  }
}

/** The sub-pipelines a stage holds: `$lookup.pipeline`, `$unionWith.pipeline`, each `$facet` branch. */
export function subPipelines(stage: string, spec: unknown): SubPipeline[] {
  if (!isPlainObject(spec)) return [];
  if (stage === "$facet") return Object.keys(spec).map((field) => ({ field, pipeline: spec[field] }));
  if ((stage === "$lookup" || stage === "$unionWith") && spec.pipeline !== undefined)
    return [{ field: "pipeline", pipeline: spec.pipeline }];
  return [];
}
