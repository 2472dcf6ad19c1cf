// The public surface of the example worker; the example API imports the parser and importer from here.
export { detectFindingFormat, FINDING_FORMATS, mapFinding } from "./prowlerFormat";
export type { FindingFormat, MapFindingResult, MappedFinding } from "./prowlerFormat";
export { readJsonElements } from "./readJsonElements";
export { fileFindingSource, valueFindingSource } from "./findingSource";
export type { FindingSource } from "./findingSource";
export { importDependenciesFrom, importProwler, resolveImportAccount } from "./importProwler";
export type { ImportDependencies, ImportIssue, ImportOptions, ImportProgress, ImportReport, ImportServiceResolver } from "./importProwler";
export { DEFAULT_SAMPLE_ACCOUNTS, generateSampleFindings, outcomeOf, planChecks, writeSampleFile } from "./generateSample";
export type { PlannedCheck, SampleOptions } from "./generateSample";
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
export { formatProgressLine, ProgressBar } from "./progressBar";
export type { ProgressOutput, ProgressState } from "./progressBar";
export { hashText, seededRandom } from "./seededRandom";
export type { SeededRandom } from "./seededRandom";
export { startRuntime } from "./startRuntime";
export type { Runtime, RuntimeOptions } from "./startRuntime";
export { runCli } from "./runCli";
export type { CliIo } from "./runCli";
