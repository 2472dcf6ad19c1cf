import { type ErrorCode, httpStatusFor } from "./errorCodes";
import type { ErrorReason, ReasonFor } from "./errorReasons";

/** Structured, JSON-safe detail attached to an error (field paths, the conflicting key, a hint). */
export type ErrorDetails = Readonly<Record<string, unknown>>;

/** Options shared by every error of the taxonomy; `reason` must be one that refines the error's code. */
export interface CspmErrorOptions<C extends ErrorCode = ErrorCode> {
  /** Machine-readable details; must never hold secrets. */
  readonly details?: ErrorDetails;
  /** A reason of `ERROR_REASONS` that belongs to this code; stored as `details.reason`. */
  readonly reason?: ReasonFor<C>;
  /** The underlying error, kept for logs; never sent to clients. */
  readonly cause?: unknown;
  /** Where it happened (database, collection, index …): for logs only, never serialized (`logContext`). */
  readonly log?: ErrorDetails;
}

/** One problem with one input field, as reported by `VALIDATION_FAILED`. */
export interface FieldIssue {
  /** Dotted path of the field (`"credentials.secret_access_key"`), or `""` for the whole input. */
  readonly path: string;
  readonly message: string;
}

/** The options the base class accepts: any reason (subclasses narrow it to their code's reasons). */
interface AnyReasonOptions {
  readonly details?: ErrorDetails | undefined;
  readonly reason?: ErrorReason | undefined;
  readonly cause?: unknown;
  readonly log?: ErrorDetails | undefined;
}

const CSPM_ERROR_BRAND = Symbol.for("@cspm/errors.CspmError");

/**
 * The base class of every error the data layer throws: a stable `code`, an HTTP status hint,
 * a client-safe `message` and optional `details`. Use a subclass; check with `isCspmError`.
 */
export class CspmError extends Error {
  readonly code: ErrorCode;
  readonly httpStatus: number;
  readonly details: ErrorDetails | undefined;

  constructor(code: ErrorCode, message: string, options: AnyReasonOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.httpStatus = httpStatusFor(code);
    this.details = options.reason === undefined ? options.details : { ...options.details, reason: options.reason };
    Object.defineProperty(this, CSPM_ERROR_BRAND, { value: true });
    // Not enumerable: log context stays out of JSON, spreads and the response envelope.
    Object.defineProperty(this, "logContext", { value: options.log, enumerable: false });
  }

  /** Where the error happened (database, collection, index, key values), for server-side logs only; never serialized. */
  declare readonly logContext: ErrorDetails | undefined;

  /** The `details.reason` of the error, when it has one of `ERROR_REASONS`. */
  get reason(): ErrorReason | undefined {
    const reason = this.details?.["reason"];
    return typeof reason === "string" ? (reason as ErrorReason) : undefined;
  }

  /** A JSON-safe view: code, message and details, never the stack or the cause. */
  toJSON(): { code: ErrorCode; message: string; details?: ErrorDetails } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

/** True for any error of the taxonomy, even one thrown by another copy of this package. */
export function isCspmError(value: unknown): value is CspmError {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[CSPM_ERROR_BRAND] === true;
}

/** Input failed validation (`VALIDATION_FAILED`); `details.issues` lists every field problem. */
export class ValidationError extends CspmError {
  readonly issues: readonly FieldIssue[];

  constructor(message: string, issues: readonly FieldIssue[] = [], options: CspmErrorOptions<"VALIDATION_FAILED"> = {}) {
    super("VALIDATION_FAILED", message, { ...options, details: { ...options.details, issues } });
    this.issues = issues;
  }
}

/** The thing asked for does not exist, or is not visible to this tenant (`NOT_FOUND`). */
export class NotFoundError extends CspmError {
  constructor(message: string, options: CspmErrorOptions<"NOT_FOUND"> = {}) {
    super("NOT_FOUND", message, options);
  }
}

/** A write collided with existing state: duplicate key, stale version, illegal transition (`CONFLICT`). */
export class ConflictError extends CspmError {
  constructor(message: string, options: CspmErrorOptions<"CONFLICT"> = {}) {
    super("CONFLICT", message, options);
  }

  /** A versioned write lost the race: reason `VERSION_CONFLICT`, details `expectedVersion`, `actualVersion` (and `extra`). */
  static versionConflict(expectedVersion: number, actualVersion: number | null, extra: ErrorDetails = {}): ConflictError {
    return new ConflictError("The document was changed by someone else; reload and retry.", {
      reason: "VERSION_CONFLICT",
      details: { ...extra, expectedVersion, actualVersion },
    });
  }

  /** A status move the state machine forbids: reason `ILLEGAL_TRANSITION`, details `from`, `to`. `entity` names the thing ("scan run"). */
  static illegalTransition(from: string, to: string, entity: string): ConflictError {
    return new ConflictError(`Cannot move ${entity} from "${from}" to "${to}".`, { reason: "ILLEGAL_TRANSITION", details: { from, to } });
  }
}

/** The request carries no valid credential (`UNAUTHENTICATED`, 401): missing, malformed, unknown, expired or revoked. */
export class UnauthenticatedError extends CspmError {
  constructor(message: string, options: CspmErrorOptions<"UNAUTHENTICATED"> = {}) {
    super("UNAUTHENTICATED", message, options);
  }
}

/** Too many requests for one credential in the current window (`RATE_LIMITED`, 429); `details.retry_after_seconds`. */
export class RateLimitedError extends CspmError {
  constructor(message: string, options: CspmErrorOptions<"RATE_LIMITED"> = {}) {
    super("RATE_LIMITED", message, options);
  }
}

/** The caller may not do this, e.g. act for another team (`FORBIDDEN`). */
export class ForbiddenError extends CspmError {
  constructor(message: string, options: CspmErrorOptions<"FORBIDDEN"> = {}) {
    super("FORBIDDEN", message, options);
  }
}

/** The request body or a value in it is larger than allowed (`PAYLOAD_TOO_LARGE`). */
export class PayloadTooLargeError extends CspmError {
  constructor(message: string, options: CspmErrorOptions<"PAYLOAD_TOO_LARGE"> = {}) {
    super("PAYLOAD_TOO_LARGE", message, options);
  }
}

/** A dependency (MongoDB, Redis) cannot be reached or timed out (`UNAVAILABLE`); `details.hint` says what to check. */
export class UnavailableError extends CspmError {
  constructor(message: string, options: CspmErrorOptions<"UNAVAILABLE"> = {}) {
    super("UNAVAILABLE", message, options);
  }
}

/** Code tried to break an architecture contract, e.g. a cross-database `$lookup` (`CONTRACT_VIOLATION`). */
export class ContractViolationError extends CspmError {
  constructor(message: string, options: CspmErrorOptions<"CONTRACT_VIOLATION"> = {}) {
    super("CONTRACT_VIOLATION", message, options);
  }
}

/** Anything unexpected (`INTERNAL`); the message is generic, the cause stays server-side. */
export class InternalError extends CspmError {
  constructor(message = "An internal error occurred.", options: CspmErrorOptions<"INTERNAL"> = {}) {
    super("INTERNAL", message, options);
  }
}
