import { ValidationError } from "@cspm/errors";

/** Why an input as a whole cannot be ingested: `details.reason` of the `VALIDATION_FAILED` error. */
export const INPUT_ERROR_REASONS = [
  "EMPTY_INPUT",
  "BINARY_INPUT",
  "UNKNOWN_FORMAT",
  "CONTENT_TYPE_MISMATCH",
  "MALFORMED_INPUT",
  "MISSING_COLUMN",
  "RECORD_TOO_LARGE",
  "TOO_MANY_REJECTS",
  "NO_IMPORTABLE_RECORD",
] as const;

/** One of `INPUT_ERROR_REASONS`. */
export type InputErrorReason = (typeof INPUT_ERROR_REASONS)[number];

/**
 * The error for an input that cannot be ingested as a whole (`VALIDATION_FAILED`): `details.reason` says
 * which rule, `details.record` / `details.line` where (when known). The message is client-safe.
 */
export function inputError(
  reason: InputErrorReason,
  message: string,
  where: { record?: number | undefined; line?: number | undefined; [key: string]: unknown } = {},
  cause?: unknown,
): ValidationError {
  return new ValidationError(message, [{ path: "", message }], {
    details: { reason, ...where },
    ...(cause === undefined ? {} : { cause }),
  });
}

/** The `details.reason` of an input error, or `undefined` for any other error. */
export function inputErrorReason(error: unknown): InputErrorReason | undefined {
  const reason = (error as { details?: { reason?: unknown } } | null)?.details?.reason;
  return typeof reason === "string" && (INPUT_ERROR_REASONS as readonly string[]).includes(reason)
    ? (reason as InputErrorReason)
    : undefined;
}
