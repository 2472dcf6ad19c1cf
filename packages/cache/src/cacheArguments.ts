import { ValidationError, type FieldIssue } from "@cspm/errors";
import type { CacheSetOptions } from "./cacheService";

/** Longest accepted cache key or tag, in UTF-16 code units. */
export const MAX_CACHE_KEY_LENGTH = 4096;

/** Validated `set`/`wrap` options: TTL in whole milliseconds (at least 1) and de-duplicated tags. */
export interface NormalizedSetOptions {
  readonly ttlMs: number;
  readonly tags: readonly string[];
}

function stringIssue(value: unknown, path: string, what: string): FieldIssue | undefined {
  if (typeof value !== "string" || value.length === 0) return { path, message: `${what} must be a non-empty string` };
  if (value.length > MAX_CACHE_KEY_LENGTH) return { path, message: `${what} must be at most ${MAX_CACHE_KEY_LENGTH} characters` };
  return undefined;
}

function fail(message: string, issues: FieldIssue[]): never {
  throw new ValidationError(message, issues);
}

/** Checks one cache key; throws `ValidationError` (`VALIDATION_FAILED`). */
export function assertCacheKey(key: unknown): asserts key is string {
  const issue = stringIssue(key, "key", "key");
  if (issue) fail("Invalid cache key.", [issue]);
}

/** Builds a key given as a function, then checks it; throws `ValidationError` (`VALIDATION_FAILED`). */
export function resolveCacheKey(key: unknown): string {
  const value: unknown = typeof key === "function" ? (key as () => unknown)() : key;
  assertCacheKey(value);
  return value;
}

/** Checks one key or a list of keys and returns them as a list; throws `ValidationError` (`VALIDATION_FAILED`). */
export function normalizeCacheKeys(keys: unknown): readonly string[] {
  const list: unknown[] = Array.isArray(keys) ? keys : [keys];
  const issues = list.flatMap((key, index) => {
    const issue = stringIssue(key, Array.isArray(keys) ? `keys.${index}` : "key", "key");
    return issue ? [issue] : [];
  });
  if (issues.length > 0) fail("Invalid cache key.", issues);
  return [...new Set(list as string[])];
}

/** Checks one tag or a list of tags and returns them de-duplicated; throws `ValidationError` (`VALIDATION_FAILED`). */
export function normalizeCacheTags(tags: unknown, path = "tags"): readonly string[] {
  const list: unknown[] = Array.isArray(tags) ? tags : [tags];
  const issues = list.flatMap((tag, index) => {
    const issue = stringIssue(tag, Array.isArray(tags) ? `${path}.${index}` : path, "tag");
    return issue ? [issue] : [];
  });
  if (issues.length > 0) fail("Invalid cache tag.", issues);
  return [...new Set(list as string[])];
}

/**
 * Normalizes `ttlSeconds | { ttlSeconds, tags }`; throws `ValidationError` (`VALIDATION_FAILED`) listing
 * every problem (non-positive or non-finite TTL, empty tag).
 */
export function normalizeSetOptions(ttl: unknown): NormalizedSetOptions {
  const options = (typeof ttl === "object" && ttl !== null ? ttl : { ttlSeconds: ttl }) as Partial<CacheSetOptions>;
  const issues: FieldIssue[] = [];
  const seconds = options.ttlSeconds;
  if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds <= 0) {
    issues.push({ path: "ttlSeconds", message: "ttlSeconds must be a positive finite number" });
  }
  let tags: readonly string[] = [];
  if (options.tags !== undefined) {
    if (!Array.isArray(options.tags)) {
      issues.push({ path: "tags", message: "tags must be an array of non-empty strings" });
    } else {
      try {
        tags = normalizeCacheTags(options.tags);
      } catch (error) {
        if (error instanceof ValidationError) issues.push(...error.issues);
        else throw error;
      }
    }
  }
  if (issues.length > 0) fail("Invalid cache options.", issues);
  return { ttlMs: Math.max(1, Math.round((seconds as number) * 1000)), tags };
}

/** Checks that `loader` is a function; throws `ValidationError` (`VALIDATION_FAILED`). */
export function assertLoader(loader: unknown): asserts loader is () => unknown {
  if (typeof loader !== "function") fail("Invalid cache loader.", [{ path: "loader", message: "loader must be a function" }]);
}

/** The issue (if any) with an optional numeric option; `undefined` is fine (the default applies). */
export function optionIssue(value: unknown, path: string, { min, integer }: { min: number; integer?: boolean }): FieldIssue[] {
  if (value === undefined) return [];
  const ok = typeof value === "number" && Number.isFinite(value) && value >= min && (!integer || Number.isInteger(value));
  return ok ? [] : [{ path, message: `${path} must be ${integer ? "an integer" : "a number"} >= ${min}` }];
}
