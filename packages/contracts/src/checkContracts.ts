import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { InternalError, ValidationError } from "@cspm/errors";
import { collectSourceFiles } from "./collectSourceFiles";
import { parseSource, type ParsedSource } from "./parseSource";
import { createPathMatcher } from "./pathMatcher";
import { createRegistryModel, type RegistryModel } from "./registryModel";
import { checkMigrationsRegistered } from "./rules/migrationsRegistered";
import { checkNoCrossDatabaseLookup } from "./rules/noCrossDatabaseLookup";
import { checkNoHandWrittenTenantFilter } from "./rules/noHandWrittenTenantFilter";
import { checkNoLegacyCollection } from "./rules/noLegacyCollection";
import { checkRegistryDatabaseNames } from "./rules/registryDatabaseNames";
import { isRuleId, RULE_IDS, type RuleId, type Violation } from "./violation";

/** Paths never checked unless `useDefaultIgnore: false`: dependencies, build output, VCS data and test fixtures. */
export const DEFAULT_IGNORE: readonly string[] = [
  "**/node_modules/**",
  "**/dist/**",
  "**/coverage/**",
  "**/.git/**",
  "**/test/fixtures/**",
];

/** Where the registry package lives; it alone may spell database and legacy collection names. */
export const DEFAULT_REGISTRY_PACKAGE_PATHS: readonly string[] = ["**/packages/registry/**", "**/node_modules/@cspm/registry/**"];

/** Migration code, which may name the legacy collection to move its data (rule `no-legacy-collection` only). */
export const DEFAULT_MIGRATION_PATHS: readonly string[] = ["**/migrations/**"];

/** The package that scopes tenant data (and may write `team_id` conditions): rule `no-hand-written-tenant-filter` skips it. */
export const DEFAULT_TENANCY_PACKAGE_PATHS: readonly string[] = ["**/packages/repository/**", "**/node_modules/@cspm/repository/**"];

/** Test files, skipped by every rule unless `includeTests: true`. */
export const DEFAULT_TEST_PATHS: readonly string[] = ["**/*.test.*", "**/*.spec.*", "**/test/**", "**/tests/**", "**/__tests__/**"];

/** Options of `checkContracts`; every glob is matched against `/`-separated paths relative to `cwd`. */
export interface CheckContractsOptions {
  /** Files and folders to check, relative to `cwd` (folders are searched for .ts/.tsx/.js/.jsx/.mjs/.cjs/.mts/.cts). */
  readonly paths: readonly string[];
  /** Base folder for `paths`, globs and reported file names; default `process.cwd()`. */
  readonly cwd?: string;
  /** Globs of the registry package, exempt from `no-legacy-collection` and `registry-database-names`. */
  readonly registryPackagePaths?: readonly string[];
  /** Globs of migration code, exempt from `no-legacy-collection`. */
  readonly migrationPaths?: readonly string[];
  /** Globs of the package that scopes tenant data, exempt from `no-hand-written-tenant-filter` (migrations are too). */
  readonly tenancyPackagePaths?: readonly string[];
  /** Globs of test files. */
  readonly testPaths?: readonly string[];
  /** Check test files too (default `false`: tests may spell forbidden names to prove they are refused). */
  readonly includeTests?: boolean;
  /** Extra globs to skip, added to `DEFAULT_IGNORE`. */
  readonly ignore?: readonly string[];
  /** Set `false` to drop `DEFAULT_IGNORE` (node_modules, dist, coverage, .git, test/fixtures). */
  readonly useDefaultIgnore?: boolean;
  /** Run only these rules; default all of `RULE_IDS`. */
  readonly rules?: readonly RuleId[];
}

/** What `checkContracts` found: violations sorted by file, line and column, and how many files were parsed. */
export interface CheckContractsResult {
  readonly violations: Violation[];
  readonly filesChecked: number;
}

let registryModel: RegistryModel | undefined;

function compareViolations(a: Violation, b: Violation): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  if (a.line !== b.line) return a.line - b.line;
  if (a.column !== b.column) return a.column - b.column;
  return RULE_IDS.indexOf(a.rule) - RULE_IDS.indexOf(b.rule);
}

/**
 * Checks source files against the CSPM architecture contracts (`RULE_IDS`) by parsing them
 * (no type checking) and reports every violation with file, line and column. Throws
 * `VALIDATION_FAILED` for empty `paths`, a missing path or an unknown rule id, `INTERNAL` when a
 * file cannot be read.
 * @example const { violations } = await checkContracts({ paths: ["src"] }); if (violations.length) process.exitCode = 1;
 */
export async function checkContracts(options: CheckContractsOptions): Promise<CheckContractsResult> {
  if (options.paths.length === 0) throw new ValidationError("Give at least one path to check.", [{ path: "paths", message: "empty" }]);
  const unknownRules = (options.rules ?? []).filter((rule) => !isRuleId(rule));
  if (unknownRules.length > 0) {
    throw new ValidationError(`Unknown rule ${unknownRules.join(", ")}. Valid: ${RULE_IDS.join(", ")}.`, [
      { path: "rules", message: "unknown rule id" },
    ]);
  }
  const cwd = resolve(options.cwd ?? process.cwd());
  const rules = new Set<RuleId>(options.rules ?? RULE_IDS);
  const ignored = createPathMatcher([...(options.useDefaultIgnore === false ? [] : DEFAULT_IGNORE), ...(options.ignore ?? [])]);
  const isRegistry = createPathMatcher(options.registryPackagePaths ?? DEFAULT_REGISTRY_PACKAGE_PATHS);
  const isMigration = createPathMatcher(options.migrationPaths ?? DEFAULT_MIGRATION_PATHS);
  const isTest = createPathMatcher(options.testPaths ?? DEFAULT_TEST_PATHS);
  const isTenancy = createPathMatcher(options.tenancyPackagePaths ?? DEFAULT_TENANCY_PACKAGE_PATHS);
  registryModel ??= createRegistryModel();
  const registry = registryModel;

  const entries = await collectSourceFiles(options.paths, cwd, ignored);
  const violations: Violation[] = [];
  const sources: ParsedSource[] = [];
  for (const entry of entries) {
    const test = isTest(entry.file);
    if (test && options.includeTests !== true) continue;
    let text: string;
    try {
      text = await readFile(entry.absolutePath, "utf8");
    } catch (error) {
      throw new InternalError(`Cannot read ${entry.file}.`, { cause: error });
    }
    const source = parseSource(entry.file, entry.absolutePath, text, test);
    sources.push(source);
    const registryFile = isRegistry(entry.file);
    if (rules.has("no-legacy-collection") && !registryFile && !isMigration(entry.file))
      violations.push(...checkNoLegacyCollection(source, registry));
    if (rules.has("registry-database-names") && !registryFile) violations.push(...checkRegistryDatabaseNames(source, registry));
    if (rules.has("no-cross-database-lookup")) violations.push(...checkNoCrossDatabaseLookup(source, registry));
    if (rules.has("no-hand-written-tenant-filter") && !isTenancy(entry.file) && !isMigration(entry.file))
      violations.push(...checkNoHandWrittenTenantFilter(source));
  }
  if (rules.has("migrations-registered")) violations.push(...checkMigrationsRegistered(sources));
  return { violations: violations.sort(compareViolations), filesChecked: sources.length };
}
