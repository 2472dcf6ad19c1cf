import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** This repository's root: `packages/testkit/src` (tests) and `packages/testkit/dist` (built) both sit three levels down. */
const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/**
 * The folder of the shared real scanner fixtures: `$CSPM_FIXTURES_DIR/real-scans` when set, otherwise
 * `<repo>/../shared/fixtures/real-scans` (where CI keeps them). Fixtures are read in place, never copied into the repo.
 */
export function realScansDir(): string {
  const root = process.env["CSPM_FIXTURES_DIR"];
  return root ? `${root}/real-scans` : `${REPO_ROOT}../shared/fixtures/real-scans`;
}

/**
 * The absolute path of one shared real scanner fixture (`prowler/prowler-5-aws.ocsf.json`, `compliance/cis_2.0_aws.json`).
 * Throws a plain `Error` naming the path and `CSPM_FIXTURES_DIR` when the file is missing.
 */
export function realScanFixture(relative: string): string {
  const path = `${realScansDir()}/${relative}`;
  if (!existsSync(path)) throw new Error(`fixture ${path} is missing (set CSPM_FIXTURES_DIR to the shared fixtures folder)`);
  return path;
}
