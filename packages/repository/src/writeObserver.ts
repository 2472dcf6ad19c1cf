import type { Document } from "mongodb";
import { isTrustedFilter } from "./trustedFilter";

/**
 * Hears of every write a team scope makes to one repository's collection, before it is sent and after it
 * succeeded, with the partitions it can touch: the values of `partitionField` the write's filters and
 * documents pin, or `null` when the call does not tell them (an update by id, a filter on other fields, an
 * update that rewrites the partition field). Derived data (rollups of findings) hangs off it, so no write
 * path can skip it. A rejection of `before` stops the write; one of `after` reaches the caller after the write.
 */
export interface WriteObserver {
  /** The top-level field whose values partition the collection within a team (`account_id`). */
  readonly partitionField: string;
  /** Called with the team, the partitions (sorted, distinct) or `null`, and the phase. */
  readonly onWrite: (teamId: string, partitions: readonly string[] | null, phase: "before" | "after") => Promise<void>;
}

type Partitions = Set<string> | null;

const isObject = (value: unknown): value is Document => typeof value === "object" && value !== null && !Array.isArray(value);

/** The partition values a filter pins by equality (`field: v`, `{ $eq: v }`, `{ $in: [...] }`, inside `$and`), or null. */
function filterPartitions(filter: unknown, field: string): Partitions {
  const plain = isTrustedFilter(filter) ? filter.filter : filter;
  if (!isObject(plain)) return null;
  const value = plain[field];
  if (typeof value === "string") return new Set([value]);
  if (isObject(value)) {
    if (typeof value["$eq"] === "string") return new Set([value["$eq"]]);
    const list = value["$in"];
    if (Array.isArray(list) && list.length > 0 && list.every((v) => typeof v === "string")) return new Set(list as string[]);
    return null;
  }
  const and = plain["$and"];
  if (Array.isArray(and)) {
    for (const clause of and) {
      const found = filterPartitions(clause, field);
      if (found !== null) return found;
    }
  }
  return null;
}

const namesField = (key: string, field: string): boolean => key === field || key.startsWith(`${field}.`);

/**
 * True when an operator update or update pipeline may write the partition field to something other than a
 * literal value in `allowed` (the filter's own partitions): `$set`/`$setOnInsert`/`$addFields` of a literal
 * allowed string is kept; any other mention of the field (an expression, `$unset`, `$rename` …) moves the write.
 */
function updateMovesPartition(update: unknown, field: string, allowed: ReadonlySet<string>): boolean {
  const stages = Array.isArray(update) ? update : [update];
  for (const stage of stages) {
    if (!isObject(stage)) continue;
    for (const [operator, body] of Object.entries(stage)) {
      if (operator === "$unset") {
        const names = Array.isArray(body) ? body : isObject(body) ? Object.keys(body) : [body];
        if (names.some((name) => typeof name === "string" && namesField(name, field))) return true;
        continue;
      }
      if (!isObject(body)) continue;
      if (operator === "$rename" && Object.values(body).some((to) => typeof to === "string" && namesField(to, field))) return true;
      for (const [key, value] of Object.entries(body)) {
        if (!namesField(key, field)) continue;
        const literal = (operator === "$set" || operator === "$setOnInsert" || operator === "$addFields") && key === field;
        if (!literal || typeof value !== "string" || value.startsWith("$") || !allowed.has(value)) return true;
      }
    }
  }
  return false;
}

/** The partitions of writes by filter (each with its update, if any); null when any of them is unknown. */
export function partitionsOfFilters(writes: readonly { filter: unknown; update?: unknown }[], field: string): readonly string[] | null {
  const all = new Set<string>();
  for (const write of writes) {
    const found = filterPartitions(write.filter, field);
    if (found === null) return null;
    if (write.update !== undefined && updateMovesPartition(write.update, field, found)) return null;
    for (const value of found) all.add(value);
  }
  return [...all].sort();
}

/** The partitions of documents to insert or upsert; null when any of them has no string partition field. */
export function partitionsOfDocuments(docs: readonly unknown[], field: string): readonly string[] | null {
  const all = new Set<string>();
  for (const doc of docs) {
    const value = isObject(doc) ? doc[field] : undefined;
    if (typeof value !== "string") return null;
    all.add(value);
  }
  return [...all].sort();
}
