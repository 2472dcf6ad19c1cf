export { openTestDatabases } from "./openTestDatabases";
export type { OpenTestDatabasesOptions, TestDatabases } from "./openTestDatabases";
export {
  aiModelAndAssessment,
  complianceCatalog,
  findingDoc,
  headerDoc,
  nucleiDoc,
  occurrenceDoc,
  scanRunDoc,
  securityScoreDoc,
  sslDoc,
} from "./documentFactories";
