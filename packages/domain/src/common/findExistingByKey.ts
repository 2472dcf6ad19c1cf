import { trustedFilter, type ObjectSchema, type RepositoryDocument, type ScopedRepository } from "@cspm/repository";

/** How many natural keys one look-up sends. */
const LOOKUP_CHUNK = 500;

/** The JSON text of a document's natural key, for map look-ups. */
export function naturalKey(doc: Readonly<Record<string, unknown>>, keyFields: readonly string[]): string {
  return JSON.stringify(keyFields.map((field) => doc[field]));
}

/**
 * The stored documents (within `scope`, so within one team) whose natural key matches one of `docs`, by
 * `naturalKey`. Docs whose key fields are not all strings are skipped (they fail validation later).
 * One query per 500 docs; used by imports to keep first-sighting fields such as `first_seen_at`.
 */
export async function findExistingByKey<S extends ObjectSchema>(
  scope: ScopedRepository<S>,
  keyFields: readonly string[],
  docs: readonly unknown[],
  projection: Readonly<Record<string, 1>>,
): Promise<Map<string, RepositoryDocument<S>>> {
  const found = new Map<string, RepositoryDocument<S>>();
  const keyed = docs.filter(
    (doc): doc is Record<string, string> =>
      typeof doc === "object" && doc !== null && keyFields.every((field) => typeof (doc as Record<string, unknown>)[field] === "string"),
  );
  for (let start = 0; start < keyed.length; start += LOOKUP_CHUNK) {
    const clauses = keyed.slice(start, start + LOOKUP_CHUNK).map((doc) => Object.fromEntries(keyFields.map((field) => [field, doc[field]])));
    const rows = await scope.findMany(trustedFilter({ $or: clauses }), {
      projection: { ...projection, ...Object.fromEntries(keyFields.map((field) => [field, 1])) },
      limit: clauses.length,
    });
    for (const row of rows) found.set(naturalKey(row as Record<string, unknown>, keyFields), row);
  }
  return found;
}
