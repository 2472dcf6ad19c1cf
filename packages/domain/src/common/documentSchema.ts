import { TeamIdSchema } from "@cspm/repository";
import { ObjectId } from "mongodb";
import { z } from "zod";

/** A MongoDB `ObjectId` as stored in `_id`. */
export const ObjectIdSchema = z.instanceof(ObjectId, { message: "must be an ObjectId" });

/**
 * A reference to another document (`scan_id`, `assessment_id`, `model_id` …) in text form: usually the
 * referenced `_id` as 24 hex characters, or an external id. 1–128 characters, no `$` at the start.
 */
export const RefIdSchema = z
  .string()
  .min(1)
  .max(128)
  .refine((value) => !value.startsWith("$"), "must not start with '$'");

/** The fields every stored document may carry; the base repository maintains them. */
export const DOCUMENT_META_SHAPE = {
  _id: ObjectIdSchema.optional(),
  created_at: z.date().optional(),
  updated_at: z.date().optional(),
  version: z.number().int().nonnegative().optional(),
  deleted_at: z.date().nullable().optional(),
} as const;

/** The meta fields plus `team_id`, for documents of tenant-owned collections. */
export const TENANT_DOCUMENT_META_SHAPE = { ...DOCUMENT_META_SHAPE, team_id: TeamIdSchema } as const;

/**
 * The schema of a document of a tenant-owned collection: the meta fields, `team_id`, and `shape`.
 * Unknown fields are rejected, so a stray plaintext field can never be stored by accident.
 */
export function tenantDocumentSchema<S extends z.ZodRawShape>(shape: S) {
  return z.strictObject({ ...TENANT_DOCUMENT_META_SHAPE, ...shape });
}

/** The schema of a document of a shared (not tenant-owned) collection: the meta fields and `shape`; unknown fields rejected. */
export function sharedDocumentSchema<S extends z.ZodRawShape>(shape: S) {
  return z.strictObject({ ...DOCUMENT_META_SHAPE, ...shape });
}
