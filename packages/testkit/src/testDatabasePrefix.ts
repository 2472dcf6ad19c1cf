import { randomBytes } from "node:crypto";

/**
 * A unique database-name prefix for one test file (`t_<random>_`, or `t_<label>_<random>_`), so
 * files run in parallel and clean up only what they made.
 *
 * @example
 * const prefix = testDatabasePrefix("repo");   // "t_repo_k3x9q2_"
 * const db = client.db(`${prefix}cspm_platform`);
 */
export function testDatabasePrefix(label?: string): string {
  const random = randomBytes(6)
    .toString("base64url")
    .toLowerCase()
    .replace(/[^a-z0-9]/g, "x")
    .slice(0, 8);
  const clean = (label ?? "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "")
    .slice(0, 12);
  return clean ? `t_${clean}_${random}_` : `t_${random}_`;
}
