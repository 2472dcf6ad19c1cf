import { createHash } from "node:crypto";

/**
 * A short, stable digest of a JSON-able value for use as one cache key segment (lists of ids, filters),
 * so keys stay far below the cache's length limit whatever the input size.
 */
export function cacheKeyDigest(value: unknown): string {
  return createHash("sha256").update(JSON.stringify(value)).digest("base64url").slice(0, 32);
}
