import { ConflictError, type CspmError } from "@cspm/errors";
import { mapMongoError, type MongoErrorContext } from "@cspm/mongo";

/** `details.reason` values of `@cspm/mongo` and the UPPER_SNAKE form the repository API promises. */
const REASONS: Readonly<Record<string, string>> = {
  "duplicate-key": "DUPLICATE_KEY",
  "write-conflict": "WRITE_CONFLICT",
};

/**
 * Field names from a duplicate-key message (`… index: name dup key: { team_id: "a", email: "b" }`), for
 * servers and write errors that do not send `keyPattern`. Only names are read, never values.
 */
export function duplicateKeyFieldsFromMessage(error: unknown): string[] {
  const shape = typeof error === "object" && error !== null ? (error as { errmsg?: unknown; message?: unknown; err?: { errmsg?: unknown } }) : {};
  const message = [shape.errmsg, shape.err?.errmsg, shape.message].find((m): m is string => typeof m === "string");
  const body = message === undefined ? undefined : /dup key: \{(.*)\}\s*$/s.exec(message)?.[1];
  if (body === undefined) return [];
  // Drop quoted values first so text inside them cannot look like a field name.
  const unquoted = body.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  return [...unquoted.matchAll(/(?:^|,)\s*([A-Za-z0-9_.]+)\s*:/g)].map((m) => m[1] as string);
}

/**
 * Maps any driver error to the taxonomy through `@cspm/mongo`'s `mapMongoError` (duplicate key ->
 * `CONFLICT` naming the fields, network/time-outs -> `UNAVAILABLE`, else `INTERNAL` without connection
 * strings) and spells `CONFLICT` reasons the repository way: `details.reason` is `"DUPLICATE_KEY"` or
 * `"WRITE_CONFLICT"` (like `"VERSION_CONFLICT"`). Errors already in the taxonomy pass through unchanged.
 */
export function mapDriverError(error: unknown, context: MongoErrorContext = {}): CspmError {
  const mapped = mapMongoError(error, context);
  if (mapped === error || !(mapped instanceof ConflictError)) return mapped;
  const reason = mapped.details?.reason;
  const renamed = typeof reason === "string" ? REASONS[reason] : undefined;
  if (renamed === undefined) return mapped;
  const details: Record<string, unknown> = { ...mapped.details, reason: renamed };
  if (renamed === "DUPLICATE_KEY" && (!Array.isArray(details.fields) || details.fields.length === 0)) {
    const fields = duplicateKeyFieldsFromMessage(error);
    details.fields = fields;
    if (fields.length > 0) {
      return new ConflictError(mapped.message.replace("the same unique key", `the same ${fields.join(", ")}`), { details, cause: mapped.cause });
    }
  }
  return new ConflictError(mapped.message, { details, cause: mapped.cause });
}
