export { ERROR_CODES, httpStatusFor, isErrorCode } from "./errorCodes";
export type { ErrorCode } from "./errorCodes";
export { ERROR_REASONS, isErrorReason } from "./errorReasons";
export type { ErrorReason, ReasonFor } from "./errorReasons";
export {
  CspmError,
  isCspmError,
  ValidationError,
  NotFoundError,
  ConflictError,
  ForbiddenError,
  UnauthenticatedError,
  RateLimitedError,
  PayloadTooLargeError,
  UnavailableError,
  ContractViolationError,
  InternalError,
} from "./cspmError";
export type { CspmErrorOptions, ErrorDetails, FieldIssue } from "./cspmError";
export { issuesFromZod } from "./issuesFromZod";
export type { IssuesFromZodOptions, ZodLikeError } from "./issuesFromZod";
