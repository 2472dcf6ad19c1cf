/**
 * Test-only (not exported): where the real scanner fixtures are (`<repo>/../shared/fixtures/real-scans`, or
 * `$CSPM_FIXTURES_DIR/real-scans`), as `@cspm/ingest`'s tests find them. Fixtures are read in place, never copied.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const REPO_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));

/** The absolute path of a fixture under `real-scans/` (`compliance/cis_2.0_aws.json`). Throws when it is missing. */
export function realFixture(relative: string): string {
  const base = process.env["CSPM_FIXTURES_DIR"]
    ? `${process.env["CSPM_FIXTURES_DIR"]}/real-scans`
    : `${REPO_ROOT}../shared/fixtures/real-scans`;
  const path = `${base}/${relative}`;
  if (!existsSync(path)) throw new Error(`fixture ${path} is missing (set CSPM_FIXTURES_DIR to the shared fixtures folder)`);
  return path;
}
