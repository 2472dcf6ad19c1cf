export {
  ResponseService,
  errorResponse,
  httpStatus,
  paginatedResponse,
  successResponse,
  toHttpResponse,
} from "./responseService";
export type { ResponseServiceOptions } from "./responseService";
export { fieldIssuesFromZod, isZodErrorLike, toCspmError } from "./toCspmError";
export type { ZodErrorLike } from "./toCspmError";
export { scrubText, toJsonSafe } from "./toJsonSafe";
export type { JsonSafeOptions } from "./toJsonSafe";
export type {
  ApiEnvelope,
  ErrorBody,
  ErrorEnvelope,
  HttpErrorResponse,
  JsonObject,
  JsonValue,
  PageInfo,
  PaginatedData,
  ResponseMeta,
  SuccessEnvelope,
} from "./apiEnvelope";
export type { ErrorCode } from "@cspm/errors";
