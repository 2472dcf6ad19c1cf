import type { DatabaseRef } from "@cspm/registry";
import type { ObjectId } from "mongodb";
import type { z } from "zod";
import type { CollectionProvider } from "./collectionProvider";

/** The schema of a stored document: a zod object (`z.object` / `z.strictObject`, refinements allowed). */
export type ObjectSchema = z.ZodObject<z.ZodRawShape, z.core.$ZodObjectConfig>;

/** The fields the repository owns; values callers pass for them are ignored or overwritten. */
export const RESERVED_FIELDS = ["_id", "team_id", "created_at", "updated_at", "version", "deleted_at"] as const;

/** One of `RESERVED_FIELDS`. */
export type ReservedField = (typeof RESERVED_FIELDS)[number];

/** The system fields every stored document carries (team_id on tenant-owned collections). */
export interface SystemFields {
  _id: ObjectId;
  team_id?: string;
  created_at: Date;
  updated_at: Date;
  version?: number;
  deleted_at?: Date | null;
}

/** A stored document as reads return it: the schema's output plus the system fields. */
export type RepositoryDocument<S extends ObjectSchema> = Omit<z.output<S>, ReservedField> & SystemFields;

/** What writes accept: the schema's input without the system fields (an explicit `_id` may be given on insert). */
export type RepositoryInput<S extends ObjectSchema> = Omit<z.input<S>, ReservedField> & { _id?: ObjectId };

/** How one repository is bound: a registry collection, its stored-document schema and its options. */
export interface RepositoryDefinition<S extends ObjectSchema = ObjectSchema> {
  /** Registry key, alias or name of the database (`"CLOUD_SECURITY"`). */
  readonly database: DatabaseRef;
  /** A collection the registry places in `database`. */
  readonly collection: string;
  /** The stored document (snake_case); may declare the system fields, which the repository fills in. */
  readonly schema: S;
  /** Maintain `version` (1 on insert, +1 per change) for optimistic concurrency. */
  readonly versioned?: boolean;
  /** Deletes set `deleted_at`; reads hide such documents unless `includeDeleted`. */
  readonly softDelete?: boolean;
  /** Natural key (without `team_id`, which is always added) for `upsert` and `bulkUpsert`. */
  readonly keyFields?: readonly Extract<keyof z.output<S>, string>[];
}

/** What every repository is constructed with; `RepositoryFactory` hands the same context to all. */
export interface RepositoryContext {
  readonly provider: CollectionProvider;
  /** HMAC key for pagination cursors (at least 16 bytes); random per process when absent. */
  readonly cursorSecret?: string | Uint8Array;
}

/** Types a repository definition (identity at run time); checks nothing until a repository is built from it. */
export function defineRepository<S extends ObjectSchema>(definition: RepositoryDefinition<S>): RepositoryDefinition<S> {
  return definition;
}
