export {
  getAsyncClient,
  closeAsyncClients,
  asyncClientStats,
  MongoClientPool,
  sharedClientPool,
  DEFAULT_APP_NAME,
  DEFAULT_SERVER_SELECTION_TIMEOUT_MS,
} from "./getAsyncClient";
export type { AsyncClientOptions, AsyncClientStats } from "./getAsyncClient";
export { CSPMDatabaseManager } from "./cspmDatabaseManager";
export type {
  CSPMDatabaseManagerOptions,
  ExistingClientManagerOptions,
  HealthReport,
  TransactionRunOptions,
} from "./cspmDatabaseManager";
export { DatabaseFactory } from "./databaseFactory";
export { indexDifferences } from "./syncIndexes";
export type {
  CreatedCollection,
  EnsureIndexesOptions,
  EnsureIndexesReport,
  IndexLocation,
  MismatchedIndex,
  UndeclaredIndex,
} from "./syncIndexes";
export { ClientTelemetry } from "./clientTelemetry";
export type { ClientTelemetryOptions } from "./clientTelemetry";
export { CommandMonitor } from "./commandMonitor";
export type { CommandFilter, CommandMonitorOptions, CommandOutcome, CommandRecord, Measurement } from "./commandMonitor";
export { mapMongoError } from "./mapMongoError";
export type { MongoErrorContext } from "./mapMongoError";
export { redactConnectionString, scrubConnectionStrings, summarizeConnectionString } from "./redactConnectionString";
export type { ConnectionStringSummary } from "./redactConnectionString";
export { deadlineExceeded, withDeadline } from "./operationDeadline";
export type { DeadlineContext } from "./operationDeadline";
