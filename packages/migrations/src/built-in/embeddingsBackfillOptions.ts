import type { DatabaseRef } from "@cspm/registry";

/** The expensive step: one vector per text, same order. Called once per batch. */
export type EmbedFunction = (texts: readonly string[]) => Promise<readonly (readonly number[])[]>;

/** Settings of `0003-embeddings-backfill`, passed as `config.embeddings`. Without them the migration is not applicable. */
export interface EmbeddingsBackfillOptions {
  /** The current model; documents whose `embedding_model_used` equals it are skipped before any work. */
  readonly model: string;
  readonly embed: EmbedFunction;
  /** Database of the collection. Default `"VULNERABILITIES"`. */
  readonly database?: DatabaseRef;
  /** Registry collection to backfill. Default `"vulnerability_catalog"`. */
  readonly collection?: string;
  /** Field holding the text to embed. Default `"description"`. */
  readonly textField?: string;
  /** Field the vector is stored in. Default `"embedding"`. */
  readonly embeddingField?: string;
  /** Texts per `embed` call. Default 64. */
  readonly batchSize?: number;
}
