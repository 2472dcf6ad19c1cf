import { ValidationError } from "@cspm/errors";
import type { AnyBulkWriteOperation, Document, Filter } from "mongodb";
import { defineMigration, type MigrationReport } from "../defineMigration";
import { driverCall } from "../driverCall";
import type { MigrationContext } from "../migrationContext";
import type { EmbeddingsBackfillOptions } from "./embeddingsBackfillOptions";

/** The marker field the brief names: which model produced a document's embedding. */
export const EMBEDDING_MODEL_FIELD = "embedding_model_used";

const FIELD = /^[A-Za-z_][A-Za-z0-9_]*$/;

function resolved(ctx: MigrationContext): Required<EmbeddingsBackfillOptions> {
  const given = ctx.config.embeddings;
  if (!given)
    throw new ValidationError("config.embeddings is required by the embeddings backfill.", [
      { path: "config.embeddings", message: "is required" },
    ]);
  const out = {
    model: given.model,
    embed: given.embed,
    database: given.database ?? "VULNERABILITIES",
    collection: given.collection ?? "vulnerability_catalog",
    textField: given.textField ?? "description",
    embeddingField: given.embeddingField ?? "embedding",
    batchSize: given.batchSize ?? 64,
  } satisfies Required<EmbeddingsBackfillOptions>;
  const issues: { path: string; message: string }[] = [];
  if (typeof out.model !== "string" || out.model.trim() === "")
    issues.push({ path: "config.embeddings.model", message: "must be a non-empty string" });
  if (typeof out.embed !== "function") issues.push({ path: "config.embeddings.embed", message: "must be a function" });
  for (const key of ["textField", "embeddingField"] as const) {
    if (!FIELD.test(out[key]) || out[key] === EMBEDDING_MODEL_FIELD)
      issues.push({ path: `config.embeddings.${key}`, message: "must be a plain top-level field name" });
  }
  if (!Number.isInteger(out.batchSize) || out.batchSize < 1 || out.batchSize > 2_048) {
    issues.push({ path: "config.embeddings.batchSize", message: "must be an integer from 1 to 2,048" });
  }
  if (issues.length > 0) throw new ValidationError("Invalid embeddings backfill settings.", issues);
  return out;
}

/** The query that does the skipping: only documents with text whose marker is not the current model. */
function needsEmbedding(options: Required<EmbeddingsBackfillOptions>): Filter<Document> {
  return { [EMBEDDING_MODEL_FIELD]: { $ne: options.model }, [options.textField]: { $type: "string", $gt: "" } };
}

function checkVectors(vectors: unknown, expected: number): number[][] {
  if (!Array.isArray(vectors) || vectors.length !== expected) {
    throw new ValidationError(`embed() must return one vector per text (${expected}).`, [
      { path: "embed", message: "wrong number of vectors" },
    ]);
  }
  return vectors.map((vector, index) => {
    if (!Array.isArray(vector) || vector.length === 0 || !vector.every((n) => typeof n === "number" && Number.isFinite(n))) {
      throw new ValidationError("embed() returned a vector that is not a non-empty list of finite numbers.", [
        { path: `embed.${index}`, message: "invalid vector" },
      ]);
    }
    return [...(vector as number[])];
  });
}

async function backfill(ctx: MigrationContext): Promise<MigrationReport> {
  const options = resolved(ctx);
  const collection = ctx.manager.getCollection(options.database, options.collection);
  const name = options.collection;
  const filter = needsEmbedding(options);
  const total = await driverCall("count documents to embed", name, () => collection.countDocuments(filter));
  const alreadyCurrent = await driverCall("count embedded documents", name, () =>
    collection.countDocuments({ [EMBEDDING_MODEL_FIELD]: options.model }),
  );
  let embedded = 0;
  let calls = 0;
  let after: unknown;
  ctx.progress(0, total);
  // One short query per batch (keyset on _id) rather than a cursor held open across slow embed calls;
  // written documents stop matching the filter, so a crash resumes where it stopped.
  for (;;) {
    ctx.throwIfAborted();
    const page = (after === undefined ? filter : { $and: [filter, { _id: { $gt: after } }] }) as Filter<Document>;
    const docs = await driverCall("read documents to embed", name, () =>
      collection
        .find(page, { projection: { _id: 1, [options.textField]: 1 } })
        .sort({ _id: 1 })
        .limit(options.batchSize)
        .toArray(),
    );
    if (docs.length === 0) break;
    after = docs[docs.length - 1]?._id;
    const texts = docs.map((doc) => String(doc[options.textField]));
    calls += 1;
    const vectors = checkVectors(await options.embed(texts), texts.length);
    const ops: AnyBulkWriteOperation<Document>[] = docs.map((doc, i) => ({
      updateOne: {
        // Guarded by the marker too: a document embedded meanwhile with the current model is left alone.
        filter: { _id: doc._id, [EMBEDDING_MODEL_FIELD]: { $ne: options.model } },
        update: { $set: { [options.embeddingField]: vectors[i], [EMBEDDING_MODEL_FIELD]: options.model } },
      },
    }));
    await driverCall("store embeddings", name, () => collection.bulkWrite(ops, { ordered: false }));
    embedded += docs.length;
    ctx.progress(Math.min(embedded, total), total);
  }
  ctx.progress(total, total);
  return { model: options.model, collection: name, embedded, embed_calls: calls, skipped_already_current: alreadyCurrent };
}

async function backfillDryRun(ctx: MigrationContext): Promise<MigrationReport> {
  const options = resolved(ctx);
  const collection = ctx.manager.getCollection(options.database, options.collection);
  const name = options.collection;
  const toEmbed = await driverCall("count documents to embed", name, () => collection.countDocuments(needsEmbedding(options)));
  const current = await driverCall("count embedded documents", name, () =>
    collection.countDocuments({ [EMBEDDING_MODEL_FIELD]: options.model }),
  );
  return {
    model: options.model,
    collection: name,
    to_embed: toEmbed,
    embed_calls: Math.ceil(toEmbed / options.batchSize),
    skipped_already_current: current,
  };
}

/**
 * The brief's idempotency pattern as a skeleton: embeds `config.embeddings.textField` of the documents of
 * `config.embeddings.collection` (default `vulnerability_catalog.description`) whose `embedding_model_used`
 * is not the current model — the query skips the others before any expensive work — and stores the vector
 * with `embedding_model_used`. Not applicable (stays pending) without `config.embeddings`. Throws
 * `VALIDATION_FAILED` for bad settings or vectors.
 */
export const EMBEDDINGS_BACKFILL_MIGRATION = defineMigration({
  id: "0003-embeddings-backfill",
  description: "Backfill embeddings, skipping documents already embedded with the current model (embedding_model_used).",
  version: 1,
  applicable: (ctx) => (ctx.config.embeddings ? true : "no embedder configured (config.embeddings)"),
  up: backfill,
  dryRun: backfillDryRun,
});
