import { createHash } from "node:crypto";
import type { ObjectSchema, RepositoryInput, ScopedRepository } from "@cspm/repository";
import type { Document } from "mongodb";
import type { SightingDelta } from "./scanSightings";

/** What `recordSnapshots` did: documents per delta against the previous scan of the same target, and rejects. */
export interface SnapshotWriteResult {
  readonly inserted: number;
  readonly changed: number;
  readonly unchanged: number;
  readonly errors: {
    readonly index: number;
    readonly code: string;
    readonly message: string;
    readonly issues?: readonly { path: string; message: string }[];
  }[];
}

/** The content of a scan result that `fingerprint` covers: everything but its scan, time and bookkeeping. */
const NOT_CONTENT = new Set(["scan_id", "scanned_at", "fingerprint", "delta", "_id", "team_id", "created_at", "updated_at", "version"]);

function canonical(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** A SHA-256 over a scan result's content (key order independent), so two scans can be compared cheaply. */
export function snapshotFingerprint(doc: Readonly<Record<string, unknown>>): string {
  const content: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(doc)) if (!NOT_CONTENT.has(key) && value !== undefined) content[key] = value;
  return createHash("sha256")
    .update(JSON.stringify(canonical(content)))
    .digest("hex");
}

/**
 * Stores one scan's results for a per-scan collection (one document per target per scan: SSL, headers):
 * upserted by `keyFields` + `scan_id`, so re-running the same scan rewrites the same documents; `delta`
 * compares each fingerprint with the target's latest result from another scan (one aggregation per call, then
 * one `bulkWrite`). `targetFields` are the key fields that name a target (`target`, `port`).
 */
export async function recordSnapshots<S extends ObjectSchema>(
  scope: ScopedRepository<S>,
  scanId: string,
  docs: readonly Record<string, unknown>[],
  targetFields: readonly string[],
): Promise<SnapshotWriteResult> {
  const prepared: Record<string, unknown>[] = docs.map((doc) => ({ ...doc, scan_id: scanId, fingerprint: snapshotFingerprint(doc) }));
  const targetKey = (doc: Record<string, unknown>) => JSON.stringify(targetFields.map((f) => doc[f] ?? null));
  const previous = new Map<string, string>();
  if (prepared.length > 0) {
    const group: Document = {};
    for (const field of targetFields) group[field] = `$${field}`;
    const rows = await scope.aggregate<{ _id: Record<string, unknown>; fingerprint: string | null }>([
      { $match: { target: { $in: [...new Set(prepared.map((d) => d["target"]))] }, scan_id: { $ne: scanId } } },
      { $sort: { scanned_at: -1, _id: -1 } },
      { $group: { _id: group, fingerprint: { $first: "$fingerprint" } } },
    ]);
    for (const row of rows) previous.set(targetKey(row._id), row.fingerprint ?? "");
  }
  const counts: Record<SightingDelta, number> = { new: 0, changed: 0, unchanged: 0 };
  const deltas = prepared.map((doc) => {
    const before = previous.get(targetKey(doc));
    const delta: SightingDelta = before === undefined ? "new" : before === doc["fingerprint"] ? "unchanged" : "changed";
    return delta;
  });
  const result = await scope.bulkUpsert(
    prepared.map((doc, i) => ({ ...doc, delta: deltas[i] }) as unknown as RepositoryInput<S>),
    { keyFields: [...targetFields, "scan_id"] },
  );
  const failed = new Set(result.errors.map((e) => e.index));
  deltas.forEach((delta, i) => {
    if (!failed.has(i)) counts[delta] += 1;
  });
  return { inserted: counts.new, changed: counts.changed, unchanged: counts.unchanged, errors: result.errors };
}
