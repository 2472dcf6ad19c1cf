export { DatabaseRegistry } from "./databaseRegistry";
export type { DatabaseRef, DatabaseNameConstants } from "./databaseRegistry";
export { DATABASES, LEGACY_COLLECTIONS } from "./databases";
export type { DatabaseKey, DatabaseAlias, DatabaseName, CollectionName } from "./databases";
export type {
  CollectionDefinition,
  DatabaseDefinition,
  IndexDefinition,
  IndexKeyDirection,
  LegacyCollectionDefinition,
} from "./definitions";
export { assertPipelineWithinDatabase } from "./pipelineDatabaseGuard";
export type { PipelineGuardOptions } from "./pipelineDatabaseGuard";
export { COLLECTION_STAGES, isPlainObject, stageTarget, subPipelines } from "./pipelineTargets";
export type { CollectionStage, StageTarget, SubPipeline } from "./pipelineTargets";
