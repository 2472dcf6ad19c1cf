import { ValidationError } from "@cspm/errors";
import type { z } from "zod";

/**
 * Validates the query string, params, a header or a small JSON body with a zod schema and returns the parsed value.
 * Throws `VALIDATION_FAILED` listing every field issue (paths as the client wrote them: `limit`, `since`).
 */
export function parseRequestPart<S extends z.ZodType>(
  schema: S,
  value: unknown,
  part: "query" | "params" | "headers" | "body",
): z.output<S> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({
    path: issue.path.map(String).join("."),
    message:
      issue.code === "unrecognized_keys"
        ? `unknown ${part === "query" ? "query parameter" : "field"}: ${issue.keys.join(", ")}`
        : issue.message,
  }));
  throw new ValidationError(`Invalid ${part}: ${issues.map((i) => `${i.path || part} ${i.message}`).join("; ")}.`, issues);
}
