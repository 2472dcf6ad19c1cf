import type { CspmError } from "@cspm/errors";
import { mapMongoError, type MongoErrorContext } from "@cspm/mongo";

/**
 * Maps any driver error to the taxonomy through `@cspm/mongo`'s `mapMongoError`: duplicate key ->
 * `CONFLICT` (`details.reason: "DUPLICATE_KEY"`, `details.fields`), write conflict -> `CONFLICT`
 * (`"WRITE_CONFLICT"`), network/time-outs -> `UNAVAILABLE`, else `INTERNAL` without connection strings.
 * Errors already in the taxonomy pass through unchanged.
 */
export function mapDriverError(error: unknown, context: MongoErrorContext = {}): CspmError {
  return mapMongoError(error, context);
}
