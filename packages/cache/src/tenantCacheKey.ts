import { ValidationError, type FieldIssue } from "@cspm/errors";

/** One segment of a cache key: a string (any content, escaped) or a finite number. */
export type CacheKeyPart = string | number;

const KEY_ROOT = "cspm";

/**
 * Escapes one key segment so it can never contain the `:` separator (or `{`/`}`, which would make Redis
 * Cluster hash only part of the key): `%` -> `%25`, `:` -> `%3A`, `{` -> `%7B`, `}` -> `%7D`.
 * The mapping is injective, so distinct segment lists always give distinct keys.
 */
export function escapeCacheKeyPart(part: string): string {
  return part.replace(/[%:{}]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`);
}

function partIssues(parts: readonly unknown[], pathPrefix: string): FieldIssue[] {
  const issues: FieldIssue[] = [];
  parts.forEach((part, index) => {
    const ok = typeof part === "string" || (typeof part === "number" && Number.isFinite(part));
    if (!ok) issues.push({ path: `${pathPrefix}.${index}`, message: "must be a string or a finite number" });
  });
  return issues;
}

function teamIdIssues(teamId: unknown): FieldIssue[] {
  return typeof teamId === "string" && teamId.trim().length > 0 ? [] : [{ path: "teamId", message: "must be a non-empty string" }];
}

function join(scope: string, parts: readonly CacheKeyPart[]): string {
  return [KEY_ROOT, scope, ...parts.map((part) => escapeCacheKeyPart(String(part)))].join(":");
}

/**
 * The cache key of one tenant's data: `cspm:t:<teamId>:<part>:...`, each segment escaped so that no part can
 * pose as another tenant's key. Throws `ValidationError` (`VALIDATION_FAILED`) for an empty `teamId`, no parts,
 * or a part that is not a string or finite number.
 */
export function tenantCacheKey(teamId: string, ...parts: CacheKeyPart[]): string {
  const issues = [...teamIdIssues(teamId), ...partIssues(parts, "parts")];
  if (parts.length === 0) issues.push({ path: "parts", message: "at least one key part is required" });
  if (issues.length > 0) throw new ValidationError("Invalid tenant cache key.", issues);
  return join("t", [teamId, ...parts]);
}

/**
 * A tag covering one tenant's cached data, `cspm:t:<teamId>[:<part>...]`; with no parts it names all of the
 * tenant's tagged keys. Throws `ValidationError` (`VALIDATION_FAILED`) for an empty `teamId` or an invalid part.
 */
export function tenantCacheTag(teamId: string, ...parts: CacheKeyPart[]): string {
  const issues = [...teamIdIssues(teamId), ...partIssues(parts, "parts")];
  if (issues.length > 0) throw new ValidationError("Invalid tenant cache tag.", issues);
  return join("t", [teamId, ...parts]);
}

/**
 * The cache key of data that belongs to no tenant (reference data): `cspm:g:<part>:...`, segments escaped.
 * Throws `ValidationError` (`VALIDATION_FAILED`) for no parts or an invalid part.
 */
export function globalCacheKey(...parts: CacheKeyPart[]): string {
  const issues = partIssues(parts, "parts");
  if (parts.length === 0) issues.push({ path: "parts", message: "at least one key part is required" });
  if (issues.length > 0) throw new ValidationError("Invalid global cache key.", issues);
  return join("g", parts);
}
