import { InternalError, ValidationError, httpStatusFor, isErrorCode, type CspmError, type ErrorCode } from "@cspm/errors";
import type {
  ApiEnvelope,
  ErrorBody,
  ErrorEnvelope,
  HttpErrorResponse,
  PageInfo,
  PaginatedData,
  ResponseMeta,
  SuccessEnvelope,
} from "./apiEnvelope";
import { toCspmError } from "./toCspmError";
import { scrubText, toJsonSafeObject } from "./toJsonSafe";

/** Options for `ResponseService`. */
export interface ResponseServiceOptions {
  /**
   * Called once per `errorResponse`/`toHttpResponse` whose status is 500 (`INTERNAL` or
   * `CONTRACT_VIOLATION`: every unknown thrown value, and taxonomy errors of those codes) with the
   * original thrown value and the envelope sent. Log it here; a hook that throws is ignored.
   */
  readonly onUnexpectedError?: (error: unknown, envelope: ErrorEnvelope) => void;
}

function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0;
}

/**
 * Builds the one response envelope of the API: `{ success: true, data, meta? }` or
 * `{ success: false, error: { code, message, details? } }` for any thrown value, plus pages and HTTP
 * statuses. Methods are bound, so they can be passed around (`.catch(responses.errorResponse)`).
 */
export class ResponseService {
  readonly #onUnexpectedError: ResponseServiceOptions["onUnexpectedError"];

  constructor(options: ResponseServiceOptions = {}) {
    this.#onUnexpectedError = options.onUnexpectedError;
  }

  /** `{ success: true, data }`, with `meta` only when given. Never throws. */
  successResponse = <T, M extends ResponseMeta = ResponseMeta>(data: T, meta?: M): SuccessEnvelope<T, M> =>
    meta === undefined ? { success: true, data } : { success: true, data, meta };

  /**
   * `{ success: false, error }` for any thrown value: taxonomy errors keep code, message and (JSON-safe)
   * details; zod errors become `VALIDATION_FAILED` with `details.issues: [{ path: "a.b.0", message }]`;
   * anything else becomes `INTERNAL` with a generic message. Never a stack, cause or driver text. Never throws.
   */
  errorResponse = (error: unknown): ErrorEnvelope => {
    let normalized: CspmError;
    try {
      normalized = toCspmError(error);
    } catch {
      // Only a hostile value (a revoked Proxy, a throwing getter) gets here.
      normalized = new InternalError(undefined, { cause: error });
    }
    const details = toJsonSafeObject(normalized.details);
    const body: ErrorBody =
      details === undefined
        ? { code: normalized.code, message: scrubText(normalized.message) }
        : { code: normalized.code, message: scrubText(normalized.message), details };
    const envelope: ErrorEnvelope = { success: false, error: body };
    if (this.#onUnexpectedError && httpStatusFor(normalized.code) === 500) {
      try {
        this.#onUnexpectedError(error, envelope);
      } catch {
        // A broken logger must not turn one error into two.
      }
    }
    return envelope;
  };

  /**
   * A success envelope whose `data` is a `PaginatedData` page (`items`, `next_cursor`, `has_more`,
   * `count`, `limit`, `total?`). Throws `VALIDATION_FAILED` when `limit` or `total` is not a non-negative integer.
   */
  paginatedResponse = <T, M extends ResponseMeta = ResponseMeta>(
    items: readonly T[],
    page: PageInfo,
    meta?: M,
  ): SuccessEnvelope<PaginatedData<T>, M> => {
    const issues = [
      ...(isNonNegativeInteger(page.limit) ? [] : [{ path: "limit", message: "must be a non-negative integer" }]),
      ...(page.total === undefined || isNonNegativeInteger(page.total)
        ? []
        : [{ path: "total", message: "must be a non-negative integer" }]),
    ];
    if (issues.length > 0) throw new ValidationError("Invalid page information.", issues);
    const nextCursor = page.nextCursor ?? null;
    const base = { items, next_cursor: nextCursor, has_more: nextCursor !== null, count: items.length, limit: page.limit };
    const data: PaginatedData<T> = page.total === undefined ? base : { ...base, total: page.total };
    return this.successResponse(data, meta);
  };

  /** The HTTP status for an envelope (200 for success) or an error code (500 for a code this version does not know). */
  httpStatus = (input: ApiEnvelope<unknown> | ErrorCode | string): number => {
    if (typeof input === "string") return isErrorCode(input) ? httpStatusFor(input) : 500;
    if (input.success) return 200;
    return isErrorCode(input.error.code) ? httpStatusFor(input.error.code) : 500;
  };

  /** `{ statusCode, body }` for any thrown value, ready for any HTTP framework. Same rules as `errorResponse`. */
  toHttpResponse = (error: unknown): HttpErrorResponse => {
    const body = this.errorResponse(error);
    return { statusCode: this.httpStatus(body), body };
  };
}

/** A shared service with no `onUnexpectedError` hook, behind the free functions. */
const defaultService = new ResponseService();

/** `ResponseService#successResponse` without a service (the seed's `success_response`). Never throws. */
export const successResponse = defaultService.successResponse;
/** `ResponseService#errorResponse` without a hook (the seed's `error_response`). Never throws. */
export const errorResponse = defaultService.errorResponse;
/** `ResponseService#paginatedResponse` without a service. Throws `VALIDATION_FAILED` for a bad `limit`/`total`. */
export const paginatedResponse = defaultService.paginatedResponse;
/** `ResponseService#httpStatus` without a service. Never throws. */
export const httpStatus = defaultService.httpStatus;
/** `ResponseService#toHttpResponse` without a hook. Never throws. */
export const toHttpResponse = defaultService.toHttpResponse;
