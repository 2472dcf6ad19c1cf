import { parseArgs } from "node:util";
import { isCspmError } from "@cspm/errors";
import {
  checkContracts,
  DEFAULT_IGNORE,
  DEFAULT_MIGRATION_PATHS,
  DEFAULT_TENANCY_PACKAGE_PATHS,
  DEFAULT_REGISTRY_PACKAGE_PATHS,
  type CheckContractsOptions,
} from "./checkContracts";
import { isRuleId, RULE_DESCRIPTIONS, RULE_IDS, type RuleId } from "./violation";

/** Where the CLI writes; `process.stdout`/`process.stderr` by default. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly cwd: string;
}

/** Exit codes of `cspm-contracts`. */
export const EXIT_CODES = { ok: 0, violations: 1, usage: 2 } as const;

const HELP = `Usage: cspm-contracts check [paths...] [options]

Checks source files (.ts .tsx .js .jsx .mjs .cjs .mts .cts) against the CSPM architecture
contracts. Paths default to "." Exit code: 0 clean, 1 violations, 2 usage error.

Options:
  --json                     print { ok, filesChecked, violations } as JSON
  --ignore <glob>            skip matching paths (repeatable; added to the defaults)
  --no-default-ignore        do not skip ${DEFAULT_IGNORE.join(", ")}
  --include-tests            check test files too (*.test.*, *.spec.*, test/, tests/, __tests__/)
  --rule <id>                run only this rule (repeatable)
  --registry-path <glob>     where the registry package lives (repeatable; default ${DEFAULT_REGISTRY_PACKAGE_PATHS.join(", ")})
  --migrations-path <glob>   migration code allowed to name legacy collections (repeatable; default ${DEFAULT_MIGRATION_PATHS.join(", ")})
  --tenancy-path <glob>      the package that scopes tenant data, exempt from no-hand-written-tenant-filter (repeatable; default ${DEFAULT_TENANCY_PACKAGE_PATHS.join(", ")})
  --cwd <dir>                resolve paths and report file names relative to <dir>
  -h, --help                 show this help

Rules:
${RULE_IDS.map((id) => `  ${id.padEnd(26)} ${RULE_DESCRIPTIONS[id]}`).join("\n")}

Suppress one finding with a comment on the line above it:
  // cspm-contracts-disable-next-line <rule-id> -- why
`;

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

/**
 * Runs `cspm-contracts` with the arguments after the program name and returns the exit code
 * (`EXIT_CODES`): 0 clean, 1 violations, 2 usage error (bad flag, missing path, unknown rule).
 * @example process.exitCode = await runCli(["check", "src", "--json"]);
 */
export async function runCli(
  args: readonly string[],
  io: CliIo = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t), cwd: process.cwd() },
): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      allowPositionals: true,
      strict: true,
      options: {
        json: { type: "boolean" },
        ignore: { type: "string", multiple: true },
        "no-default-ignore": { type: "boolean" },
        "include-tests": { type: "boolean" },
        rule: { type: "string", multiple: true },
        "registry-path": { type: "string", multiple: true },
        "migrations-path": { type: "string", multiple: true },
        "tenancy-path": { type: "string", multiple: true },
        cwd: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    io.stderr(`cspm-contracts: ${error instanceof Error ? error.message : String(error)}\n\n${HELP}`);
    return EXIT_CODES.usage;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(HELP);
    return EXIT_CODES.ok;
  }
  const [command, ...paths] = positionals;
  if (command !== "check") {
    io.stderr(`cspm-contracts: ${command === undefined ? "missing command" : `unknown command "${command}"`}\n\n${HELP}`);
    return EXIT_CODES.usage;
  }
  const badRules = (values.rule ?? []).filter((rule) => !isRuleId(rule));
  if (badRules.length > 0) {
    io.stderr(`cspm-contracts: unknown rule ${badRules.join(", ")}; valid: ${RULE_IDS.join(", ")}\n`);
    return EXIT_CODES.usage;
  }
  const options: CheckContractsOptions = {
    paths: paths.length > 0 ? paths : ["."],
    cwd: values.cwd ?? io.cwd,
    includeTests: values["include-tests"] === true,
    useDefaultIgnore: values["no-default-ignore"] !== true,
    ...(values.ignore ? { ignore: values.ignore } : {}),
    ...(values.rule ? { rules: values.rule as RuleId[] } : {}),
    ...(values["registry-path"] ? { registryPackagePaths: values["registry-path"] } : {}),
    ...(values["migrations-path"] ? { migrationPaths: values["migrations-path"] } : {}),
    ...(values["tenancy-path"] ? { tenancyPackagePaths: values["tenancy-path"] } : {}),
  };
  let result;
  try {
    result = await checkContracts(options);
  } catch (error) {
    if (isCspmError(error) && error.code === "VALIDATION_FAILED") {
      io.stderr(`cspm-contracts: ${error.message}\n`);
      return EXIT_CODES.usage;
    }
    throw error;
  }
  const { violations, filesChecked } = result;
  if (values.json) {
    io.stdout(`${JSON.stringify({ ok: violations.length === 0, filesChecked, violations }, null, 2)}\n`);
  } else {
    for (const v of violations) io.stdout(`${v.file}:${v.line}:${v.column}  ${v.rule}  ${v.message}\n`);
    const files = new Set(violations.map((v) => v.file)).size;
    io.stdout(
      violations.length === 0
        ? `cspm-contracts: no contract violations (${plural(filesChecked, "file")} checked)\n`
        : `\ncspm-contracts: ${plural(violations.length, "violation")} in ${plural(files, "file")} (${plural(filesChecked, "file")} checked)\n`,
    );
  }
  return violations.length === 0 ? EXIT_CODES.ok : EXIT_CODES.violations;
}
