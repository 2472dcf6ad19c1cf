import { type CspmError, InternalError, ValidationError, isCspmError, isErrorCode, type FieldIssue } from "@cspm/errors";

/** The most field issues copied from one zod error into a response. */
const MAX_ISSUES = 100;

/** The parts of a zod (v3 or v4, classic or mini) error this package reads. */
export interface ZodErrorLike {
  readonly name: "ZodError" | "$ZodError";
  readonly issues: readonly { readonly path?: readonly PropertyKey[]; readonly message?: unknown }[];
}

/**
 * True for a zod error, recognised by shape (`name` `"ZodError"`/`"$ZodError"` and an `issues` array),
 * so this package needs no zod at run time and accepts errors from any copy of zod.
 */
export function isZodErrorLike(value: unknown): value is ZodErrorLike {
  if (typeof value !== "object" || value === null) return false;
  const { name, issues } = value as { name?: unknown; issues?: unknown };
  return (name === "ZodError" || name === "$ZodError") && Array.isArray(issues);
}

/** Zod issues as `{ path: "a.b.0", message }`; the whole input is path `""`. */
export function fieldIssuesFromZod(error: ZodErrorLike): FieldIssue[] {
  return error.issues.slice(0, MAX_ISSUES).map((issue) => ({
    path: Array.isArray(issue?.path) ? issue.path.map((segment) => String(segment)).join(".") : "",
    message: typeof issue?.message === "string" ? issue.message : "Invalid value",
  }));
}

/**
 * Any thrown value as a taxonomy error: taxonomy errors pass through; zod errors become
 * `VALIDATION_FAILED` with field paths; everything else (and taxonomy errors with a code this version
 * does not know) becomes a generic `INTERNAL` whose `cause` holds the original, for server-side logs.
 */
export function toCspmError(value: unknown): CspmError {
  if (isCspmError(value)) {
    return isErrorCode(value.code) ? value : new InternalError(undefined, { cause: value });
  }
  if (isZodErrorLike(value)) {
    const issues = fieldIssuesFromZod(value);
    return new ValidationError("Validation failed.", issues, { cause: value });
  }
  return new InternalError(undefined, { cause: value });
}
