import type { ErrorCode } from "@cspm/errors";

/** Any value `JSON.stringify` round-trips unchanged. */
export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** A JSON object, e.g. the `details` of an error body. */
export type JsonObject = { readonly [key: string]: JsonValue };

/** Free-form response metadata (request id, timing, API version). */
export type ResponseMeta = Readonly<Record<string, unknown>>;

/** A successful response: `{ success: true, data, meta? }`. */
export interface SuccessEnvelope<T, M extends ResponseMeta = ResponseMeta> {
  readonly success: true;
  readonly data: T;
  readonly meta?: M;
}

/** The `error` member of a failed response; `code` is a stable code from `@cspm/errors`. */
export interface ErrorBody {
  readonly code: ErrorCode;
  readonly message: string;
  /** JSON-safe; for `VALIDATION_FAILED` it holds `issues: { path, message }[]`. Never a stack or a cause. */
  readonly details?: JsonObject;
}

/** A failed response: `{ success: false, error: { code, message, details? } }`. */
export interface ErrorEnvelope {
  readonly success: false;
  readonly error: ErrorBody;
}

/** Every response body: narrow on `success` to reach `data` or `error`. */
export type ApiEnvelope<T, M extends ResponseMeta = ResponseMeta> = SuccessEnvelope<T, M> | ErrorEnvelope;

/**
 * One page of a list, as the `data` of a success envelope. Fields are snake_case like every stored
 * document and JSON body: `next_cursor` is `null` on the last page, `has_more === (next_cursor !== null)`,
 * `count` is `items.length`, `total` is present only when the caller counted it.
 */
export interface PaginatedData<T> {
  readonly items: readonly T[];
  readonly next_cursor: string | null;
  readonly has_more: boolean;
  readonly count: number;
  readonly limit: number;
  readonly total?: number;
}

/** Where a page ends, for `paginatedResponse`. */
export interface PageInfo {
  /** Opaque cursor of the next page; `null`/`undefined` on the last page. */
  readonly nextCursor: string | null | undefined;
  /** The page size that was asked for. */
  readonly limit: number;
  /** The total number of matches, when known. */
  readonly total?: number;
}

/** An error as an HTTP response: status code plus error envelope body. */
export interface HttpErrorResponse {
  readonly statusCode: number;
  readonly body: ErrorEnvelope;
}
