/**
 * Every error code the CSPM data layer can produce, with the HTTP status a host app should answer with.
 * Codes are stable: clients may switch on them.
 */
export const ERROR_CODES = {
  VALIDATION_FAILED: { httpStatus: 400 },
  UNAUTHENTICATED: { httpStatus: 401 },
  FORBIDDEN: { httpStatus: 403 },
  NOT_FOUND: { httpStatus: 404 },
  CONFLICT: { httpStatus: 409 },
  PAYLOAD_TOO_LARGE: { httpStatus: 413 },
  RATE_LIMITED: { httpStatus: 429 },
  CONTRACT_VIOLATION: { httpStatus: 500 },
  INTERNAL: { httpStatus: 500 },
  UNAVAILABLE: { httpStatus: 503 },
} as const;

/** A stable error code of the CSPM data layer. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** The HTTP status that goes with an error code. */
export function httpStatusFor(code: ErrorCode): number {
  return ERROR_CODES[code].httpStatus;
}

/** True when `value` is one of the known error codes. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && Object.hasOwn(ERROR_CODES, value);
}
