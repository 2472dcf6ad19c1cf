/**
 * Access to the shared test Redis (REDIS_URL or 127.0.0.1:6379) with a per-file key prefix, and cleanup of
 * only that prefix's keys. Test-only; not part of the package build.
 */
import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";

/** The shared test Redis URL; loopback only. */
export const SHARED_REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

/** A key prefix unique to one test file run. */
export function uniquePrefix(label: string): string {
  return `test_${label}_${randomUUID().slice(0, 8)}:`;
}

/** Deletes every key under `prefix` (SCAN + DEL), touching nothing else. */
export async function deleteKeysWithPrefix(client: Redis, prefix: string): Promise<number> {
  let cursor = "0";
  let deleted = 0;
  do {
    const [next, keys] = await client.scan(cursor, "MATCH", `${prefix.replace(/[*?[\]\\]/g, "\\$&")}*`, "COUNT", 500);
    cursor = next;
    if (keys.length > 0) deleted += await client.del(...keys);
  } while (cursor !== "0");
  return deleted;
}

/** Every key under `prefix`. */
export async function keysWithPrefix(client: Redis, prefix: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = "0";
  do {
    const [next, keys] = await client.scan(cursor, "MATCH", `${prefix.replace(/[*?[\]\\]/g, "\\$&")}*`, "COUNT", 500);
    cursor = next;
    found.push(...keys);
  } while (cursor !== "0");
  return found.sort();
}
