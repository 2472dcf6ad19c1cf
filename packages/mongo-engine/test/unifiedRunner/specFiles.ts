import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The spec folders the conformance run covers (see the fixtures' README). */
export const SPEC_FOLDERS = [
  "crud",
  "transactions",
  "transactions-convenient-api",
  "sessions",
  "collection-management",
  "index-management",
  "retryable-reads",
  "retryable-writes",
] as const;

/**
 * `<repo root>/../shared/fixtures/mongodb-spec`, or `$CSPM_FIXTURES_DIR/mongodb-spec` when that
 * variable points at the `fixtures` folder.
 */
export function specFixturesDir(): string {
  const fixtures = process.env.CSPM_FIXTURES_DIR ?? fileURLToPath(new URL("../../../../../shared/fixtures", import.meta.url));
  return join(fixtures, "mongodb-spec");
}

/** One spec file: its folder, name and text. */
export interface SpecFile {
  readonly folder: string;
  readonly name: string;
  readonly text: string;
}

/** The JSON files of a folder, in name order; throws when the folder is missing. */
export function readSpecFolder(folder: string, root = specFixturesDir()): SpecFile[] {
  const dir = join(root, folder);
  if (!existsSync(dir)) throw new Error(`spec folder ${dir} is missing (set CSPM_FIXTURES_DIR to the fixtures folder)`);
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((name) => ({ folder, name, text: readFileSync(join(dir, name), "utf8") }));
}
