export { BaseRepository } from "./baseRepository";
export { ScopedRepository, TENANT_SCOPED_OPERATIONS, DEFAULT_FIND_LIMIT, MAX_FIND_LIMIT } from "./scopedRepository";
export type {
  AggregateOptions,
  BulkUpdateOptions,
  BulkUpdateResult,
  BulkUpsertError,
  BulkUpsertOptions,
  BulkUpsertResult,
  CountOptions,
  DeleteOptions,
  FindManyOptions,
  FindOneAndUpdateOptions,
  FindOptions,
  InsertManyOptions,
  Page,
  PaginateOptions,
  ReadOptions,
  ScopedPipelineUpdate,
  SortSpec,
  StatusMove,
  StreamOptions,
  TenantScopedOperation,
  UpdateOptions,
  UpdateSpec,
  UpsertOptions,
  UpsertReset,
  UpsertResult,
  WriteOptions,
  WriteSummary,
} from "./scopedRepository";
export { RepositoryFactory } from "./repositoryFactory";
export type { RepositoryClass } from "./repositoryFactory";
export { defineRepository, RESERVED_FIELDS } from "./repositoryDefinition";
export type {
  ObjectSchema,
  RepositoryContext,
  RepositoryDefinition,
  RepositoryDocument,
  RepositoryInput,
  ReservedField,
  SystemFields,
} from "./repositoryDefinition";
export { createCollectionProvider } from "./collectionProvider";
export type { CollectionProvider, CollectionProviderOptions } from "./collectionProvider";
export { trustedFilter, isTrustedFilter, TRUSTED_FILTER } from "./trustedFilter";
export type { FilterInput, TrustedFilter, UntrustedFilter } from "./trustedFilter";
export {
  sanitizeFilter,
  assertSafeExpression,
  storedDataIssues,
  FORBIDDEN_OPERATORS,
  FORBIDDEN_KEYS,
  MAX_QUERY_DEPTH,
  MAX_FILTER_STRING_LENGTH,
  MAX_FILTER_ARRAY_LENGTH,
} from "./sanitizeFilter";
export type { SanitizeFilterOptions } from "./sanitizeFilter";
export { scopePipeline, FORBIDDEN_STAGES } from "./pipelineGuard";
export type { PipelineScope } from "./pipelineGuard";
export { CursorCodec, MAX_CURSOR_LENGTH } from "./cursorCodec";
export type { CursorPosition } from "./cursorCodec";
export { mapDriverError } from "./mapDriverError";
export { ALLOWED_UPDATE_OPERATORS } from "./repositoryCore";
export type { UpsertResetValue } from "./upsertPipeline";
export { parseInput, parseTeamId, TeamIdSchema, ObjectIdHexSchema, stringInput, toObjectId } from "./parseInput";
export type { TeamId } from "./parseInput";
export type { WriteObserver } from "./writeObserver";
