export { ERROR_CODES, httpStatusFor, isErrorCode } from "./errorCodes";
export type { ErrorCode } from "./errorCodes";
export {
  CspmError,
  isCspmError,
  ValidationError,
  NotFoundError,
  ConflictError,
  ForbiddenError,
  PayloadTooLargeError,
  UnavailableError,
  ContractViolationError,
  InternalError,
} from "./cspmError";
export type { CspmErrorOptions, ErrorDetails, FieldIssue } from "./cspmError";
