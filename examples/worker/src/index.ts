// The public surface of the example worker: the audited `@cspm/ingest` import (also used by the example
// API's POST /findings/import), the sample generator and its check catalogue, the runtime and the CLI.
export { auditedImport, ImportFailedError } from "./auditedImport";
export type { AuditedImportOptions, ImportServiceResolver } from "./auditedImport";
export { DEFAULT_SAMPLE_ACCOUNTS, generateSampleFindings, outcomeOf, planChecks, writeSampleFile } from "./generateSample";
export type { PlannedCheck, SampleFormat, SampleOptions } from "./generateSample";
export {
  accountResource,
  CATALOG_FRAMEWORKS,
  CATALOG_PROVIDERS,
  CATALOG_REGIONS,
  CHECK_CATALOG,
  poolResource,
  regionResource,
} from "./checkCatalog";
export type { CatalogCheck, CatalogFramework, CatalogProvider, CatalogResource, CheckScope } from "./checkCatalog";
export { hashText, seededRandom } from "./seededRandom";
export type { SeededRandom } from "./seededRandom";
export { startRuntime } from "./startRuntime";
export type { Runtime, RuntimeOptions } from "./startRuntime";
export { runCli } from "./runCli";
export type { CliIo } from "./runCli";
