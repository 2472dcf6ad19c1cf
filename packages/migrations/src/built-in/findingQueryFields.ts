import { findingDerivedFields } from "@cspm/domain";
import type { AnyBulkWriteOperation, Document } from "mongodb";
import { defineMigration, type MigrationReport } from "../defineMigration";
import { driverCall, driverCursor } from "../driverCall";
import type { MigrationContext } from "../migrationContext";

const COLLECTION = "prowler_findings";
const BATCH = 1_000;

/** Findings stored before the write path derived the query fields. */
const NEEDS_FIELDS = {
  $or: [{ severity_rank: { $exists: false } }, { search_terms: { $exists: false } }, { state: { $exists: false } }],
};

function stateOf(doc: Document): "open" | "resolved" | "reopened" {
  if (doc.resolved_at !== undefined) return "resolved";
  return doc.reopened_at === undefined ? "open" : "reopened";
}

/** Sets `severity_rank`, `search_terms` and `state` on every finding without them, in bulk writes of 1,000. */
async function backfill(ctx: MigrationContext): Promise<MigrationReport> {
  const findings = ctx.manager.getCollection("CLOUD_SECURITY", COLLECTION);
  const total = await driverCall("count findings to backfill", COLLECTION, () => findings.countDocuments(NEEDS_FIELDS));
  const projection = { severity: 1, check_title: 1, resource_name: 1, resolved_at: 1, reopened_at: 1, state: 1 };
  let updated = 0;
  let batch: AnyBulkWriteOperation<Document>[] = [];
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const writes = batch;
    batch = [];
    const result = await driverCall("backfill finding query fields", COLLECTION, () => findings.bulkWrite(writes, { ordered: false }));
    updated += result.modifiedCount;
    ctx.progress(updated, total);
  };
  for await (const doc of driverCursor(findings.find(NEEDS_FIELDS, { projection, batchSize: BATCH }), "read findings", COLLECTION)) {
    ctx.throwIfAborted();
    const set = { ...findingDerivedFields(doc), ...(doc.state === undefined ? { state: stateOf(doc) } : {}) };
    batch.push({ updateOne: { filter: { _id: doc._id }, update: { $set: set } } });
    if (batch.length >= BATCH) await flush();
  }
  await flush();
  return { findings_backfilled: updated };
}

async function backfillDryRun(ctx: MigrationContext): Promise<MigrationReport> {
  const findings = ctx.manager.getCollection("CLOUD_SECURITY", COLLECTION);
  return { findings_to_backfill: await driverCall("count findings to backfill", COLLECTION, () => findings.countDocuments(NEEDS_FIELDS)) };
}

/**
 * Gives findings stored before the finding query fields existed their `severity_rank`, `search_terms` (the
 * same `findingDerivedFields` the write path uses) and `state` (`resolved` when `resolved_at` is set,
 * `reopened` when `reopened_at` is, else `open`), so the severity sort, the search and the state filter of
 * `FindingQueryService` see them. Idempotent: a second run finds nothing to do. Their `history` starts with
 * their next sighting.
 */
export const FINDING_QUERY_FIELDS_MIGRATION = defineMigration({
  id: "0005-finding-query-fields",
  description: "Backfill severity_rank, search_terms and state on prowler_findings stored before the finding query service.",
  version: 1,
  up: backfill,
  dryRun: backfillDryRun,
});
