import type { FieldIssue } from "./cspmError";

/** The part of a zod error (v3 or v4) that `issuesFromZod` reads; no zod import needed. */
export interface ZodLikeError {
  readonly issues: readonly { readonly path: readonly PropertyKey[]; readonly message: string }[];
}

/**
 * The field issues of a zod error, paths dotted and put under `prefix` (`"options"` + `["since"]` ->
 * `"options.since"`). The one conversion every package uses for `VALIDATION_FAILED` details.
 */
export function issuesFromZod(error: ZodLikeError, prefix = ""): FieldIssue[] {
  return error.issues.map((issue) => ({
    path: [prefix, ...issue.path.map((part) => String(part))].filter((part) => part !== "").join("."),
    message: issue.message,
  }));
}
