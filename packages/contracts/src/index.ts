export {
  checkContracts,
  DEFAULT_IGNORE,
  DEFAULT_MIGRATION_PATHS,
  DEFAULT_TENANCY_PACKAGE_PATHS,
  DEFAULT_REGISTRY_PACKAGE_PATHS,
  DEFAULT_TEST_PATHS,
} from "./checkContracts";
export type { CheckContractsOptions, CheckContractsResult } from "./checkContracts";
export { createPathMatcher } from "./pathMatcher";
export type { PathMatcher } from "./pathMatcher";
export { EXIT_CODES, runCli } from "./runCli";
export type { CliIo } from "./runCli";
export { isRuleId, RULE_DESCRIPTIONS, RULE_IDS } from "./violation";
export type { RuleId, Violation } from "./violation";
