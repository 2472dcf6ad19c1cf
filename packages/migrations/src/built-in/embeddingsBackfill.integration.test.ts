import { type Document, ObjectId } from "mongodb";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { MigrationConfig } from "../migrationContext";
import type { LedgerEntry } from "../migrationLedger";
import { MigrationRunner } from "../migrationRunner";
import { captureLogger, openTestManager, snapshotDatabases, type TestManager } from "../testing/openTestManager";
import { EMBEDDINGS_BACKFILL_MIGRATION } from "./embeddingsBackfill";
import type { EmbedFunction } from "./embeddingsBackfillOptions";

let t: TestManager;

beforeAll(async () => {
  t = await openTestManager();
});

afterAll(async () => {
  await t?.drop();
});

const catalog = () => t.manager.getCollection("VULNERABILITIES", "vulnerability_catalog");
const ledger = () => t.manager.getCollection<LedgerEntry>("PLATFORM", "migration_ledger");

beforeEach(async () => {
  await catalog().deleteMany({});
  await ledger().deleteMany({});
});

/** A fake embedder that records every call: the expensive step whose calls the pattern must avoid. */
function countingEmbedder(): { embed: EmbedFunction; calls: string[][] } {
  const calls: string[][] = [];
  return {
    calls,
    embed: async (texts) => {
      calls.push([...texts]);
      return texts.map((text) => [text.length, 1]);
    },
  };
}

async function seedCatalog(): Promise<void> {
  const docs: Document[] = [];
  for (let i = 0; i < 10; i += 1) docs.push({ _id: new ObjectId(), cve_id: `CVE-2024-000${i}`, description: `fresh ${i}` });
  docs.push({ _id: new ObjectId(), cve_id: "CVE-2023-1", description: "current", embedding: [9, 9], embedding_model_used: "model-v2" });
  docs.push({ _id: new ObjectId(), cve_id: "CVE-2023-2", description: "current too", embedding: [8, 8], embedding_model_used: "model-v2" });
  docs.push({ _id: new ObjectId(), cve_id: "CVE-2022-1", description: "stale", embedding: [7, 7], embedding_model_used: "model-v1" });
  docs.push({ _id: new ObjectId(), cve_id: "CVE-2022-2" });
  await catalog().insertMany(docs);
}

function runner(config: MigrationConfig): MigrationRunner {
  return new MigrationRunner({ manager: t.manager, migrations: [EMBEDDINGS_BACKFILL_MIGRATION], logger: captureLogger().logger, config });
}

describe("0003-embeddings-backfill", () => {
  it("skips documents already embedded with the current model before calling the embedder", async () => {
    await seedCatalog();
    const { embed, calls } = countingEmbedder();
    const report = await runner({ embeddings: { model: "model-v2", embed, batchSize: 4 } }).up();
    expect(report.applied[0]?.result).toMatchObject({ embedded: 11, embed_calls: 3, skipped_already_current: 2 });
    const texts = calls.flat();
    expect(texts).toHaveLength(11);
    expect(texts).not.toContain("current");
    expect(texts).not.toContain("current too");
    expect(texts).toContain("stale");
    expect(await catalog().findOne({ cve_id: "CVE-2023-1" })).toMatchObject({ embedding: [9, 9], embedding_model_used: "model-v2" });
    expect(await catalog().findOne({ cve_id: "CVE-2022-1" })).toMatchObject({
      embedding: ["stale".length, 1],
      embedding_model_used: "model-v2",
    });
    expect(await catalog().findOne({ cve_id: "CVE-2022-2" })).not.toHaveProperty("embedding_model_used");
    expect(await catalog().countDocuments({ embedding_model_used: "model-v2" })).toBe(13);
  });

  it("run twice: the second run calls the embedder zero times and changes nothing", async () => {
    await seedCatalog();
    const first = countingEmbedder();
    await runner({ embeddings: { model: "model-v2", embed: first.embed } }).up();
    const before = await snapshotDatabases(t.manager, { exclude: ["migration_ledger"] });
    await ledger().deleteMany({});
    const second = countingEmbedder();
    const report = await runner({ embeddings: { model: "model-v2", embed: second.embed } }).up();
    expect(second.calls).toHaveLength(0);
    expect(report.applied[0]?.result).toMatchObject({ embedded: 0, embed_calls: 0, skipped_already_current: 13 });
    expect(await snapshotDatabases(t.manager, { exclude: ["migration_ledger"] })).toEqual(before);
  });

  it("dry run counts the documents and embed calls it would need, calling nothing", async () => {
    await seedCatalog();
    const { embed, calls } = countingEmbedder();
    const report = await runner({ embeddings: { model: "model-v2", embed, batchSize: 5 } }).dryRun();
    expect(report.migrations[0]?.counts).toMatchObject({ to_embed: 11, embed_calls: 3, skipped_already_current: 2 });
    expect(calls).toHaveLength(0);
  });

  it("is not applicable without an embedder: skipped, not recorded, still pending", async () => {
    const status = await runner({}).status();
    expect(status.migrations[0]).toMatchObject({ state: "not_applicable", reason: "no embedder configured (config.embeddings)" });
    const report = await runner({}).up();
    expect(report.skipped.map((s) => s.id)).toEqual([EMBEDDINGS_BACKFILL_MIGRATION.id]);
    expect(await ledger().countDocuments({})).toBe(0);
  });

  it("fails with VALIDATION_FAILED when the embedder returns the wrong number of vectors", async () => {
    await seedCatalog();
    const report = await runner({ embeddings: { model: "m", embed: async () => [[1]] } }).up();
    expect(report.failed?.error.code).toBe("VALIDATION_FAILED");
    expect(await catalog().countDocuments({ embedding_model_used: "m" })).toBe(0);
  });
});
