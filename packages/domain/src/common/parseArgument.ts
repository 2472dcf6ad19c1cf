import { ValidationError } from "@cspm/errors";
import { ObjectId } from "mongodb";
import { z } from "zod";

/** A page size for list methods: an integer 1–1,000. */
export const ListLimitSchema = z.number().int().min(1).max(1000);

/** The default page size of list methods. */
export const DEFAULT_LIST_LIMIT = 100;

/** The field issues of a zod error, with paths prefixed by `path`. */
export function issuesOf(error: z.ZodError, path = ""): { path: string; message: string }[] {
  return error.issues.map((issue) => ({
    path: [path, ...issue.path.map((p) => String(p))].filter((p) => p !== "").join("."),
    message: issue.message,
  }));
}

/**
 * Validates one method argument against `schema` and returns the parsed value. Every domain method runs its
 * arguments through this before they reach a filter, so a string argument can never arrive as an operator
 * object (`{ "$ne": null }`). Throws `VALIDATION_FAILED` with paths under `path`.
 */
export function parseArgument<S extends z.ZodType>(schema: S, value: unknown, path: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = issuesOf(result.error, path);
  throw new ValidationError(`Invalid ${path}: ${issues.map((i) => `${i.path} ${i.message}`).join("; ")}.`, issues);
}

/** An `ObjectId` from an `ObjectId` or its 24-hex-character text. Throws `VALIDATION_FAILED`. */
export function toObjectId(id: unknown, path = "id"): ObjectId {
  if (id instanceof ObjectId) return id;
  if (typeof id === "string" && /^[0-9a-fA-F]{24}$/.test(id)) return new ObjectId(id);
  throw new ValidationError(`Invalid ${path}: must be an ObjectId or 24 hex characters.`, [
    { path, message: "must be an ObjectId or 24 hex characters" },
  ]);
}
