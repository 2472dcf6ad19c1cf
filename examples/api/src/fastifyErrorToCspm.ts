import { isCspmError, PayloadTooLargeError, ValidationError } from "@cspm/errors";

interface FastifyErrorShape {
  readonly code?: unknown;
  readonly statusCode?: unknown;
  readonly message?: unknown;
  readonly validation?: readonly { readonly instancePath?: string; readonly message?: string }[];
  readonly validationContext?: string;
}

/**
 * Translates Fastify's own request errors into the taxonomy so they get the one envelope: schema
 * validation, empty or malformed JSON, a bad Content-Length and an unsupported Content-Type become
 * `VALIDATION_FAILED` (400, with a field issue), an oversized body `PAYLOAD_TOO_LARGE` (413, with the
 * limit). Taxonomy errors and everything else pass through unchanged (unknown errors become `INTERNAL`
 * in the response service). Never throws.
 */
export function fastifyErrorToCspm(error: unknown, bodyLimit?: number): unknown {
  if (isCspmError(error) || typeof error !== "object" || error === null) return error;
  const e = error as FastifyErrorShape;
  if (Array.isArray(e.validation)) {
    const context = typeof e.validationContext === "string" ? e.validationContext : "body";
    const issues = e.validation.map((v) => ({
      path: [context, ...(v.instancePath ?? "").split("/").filter((p: string) => p !== "")].join("."),
      message: v.message ?? "is invalid",
    }));
    return new ValidationError(`Invalid ${context}.`, issues);
  }
  switch (e.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return new PayloadTooLargeError(
        bodyLimit === undefined
          ? "The request body is too large."
          : `The request body is larger than the ${bodyLimit} bytes this route accepts.`,
        bodyLimit === undefined ? {} : { details: { limit_bytes: bodyLimit } },
      );
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return new ValidationError("Unsupported Content-Type.", [{ path: "headers.content-type", message: "must be application/json" }]);
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return new ValidationError("The JSON body is empty.", [
        { path: "body", message: "must not be empty when Content-Type is application/json" },
      ]);
    case "FST_ERR_CTP_INVALID_JSON_BODY":
      return new ValidationError("The body is not valid JSON.", [{ path: "body", message: "must be valid JSON" }]);
    case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
      return new ValidationError("The body does not match its Content-Length.", [
        { path: "headers.content-length", message: "must match the body size" },
      ]);
    default:
      break;
  }
  const status = typeof e.statusCode === "number" ? e.statusCode : undefined;
  if (status === 413) return new PayloadTooLargeError("The request body is too large.");
  if (status !== undefined && status >= 400 && status < 500) {
    return new ValidationError("The request was rejected.", [
      { path: "", message: typeof e.message === "string" ? e.message : "is invalid" },
    ]);
  }
  return error;
}
