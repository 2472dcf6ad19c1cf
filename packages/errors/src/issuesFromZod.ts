import type { FieldIssue } from "./cspmError";

/** The part of a zod error (v3 or v4) that `issuesFromZod` reads; no zod import needed. */
export interface ZodLikeError {
  readonly issues: readonly {
    readonly path: readonly PropertyKey[];
    readonly message: string;
    readonly code?: string;
    readonly keys?: readonly string[];
  }[];
}

/** Options of `issuesFromZod`. */
export interface IssuesFromZodOptions {
  /**
   * The value holds secrets (credentials, keys): an unknown key is reported by position only, never by
   * name, since a caller may have pasted a secret where a key belongs (`{ "AKIA…": "…" }`).
   */
  readonly secret?: boolean;
}

const dotted = (prefix: string, path: readonly PropertyKey[]): string =>
  [prefix, ...path.map((part) => String(part))].filter((part) => part !== "").join(".");

/**
 * The field issues of a zod error, paths dotted and put under `prefix` (`"options"` + `["since"]` ->
 * `"options.since"`). The one conversion every package uses for `VALIDATION_FAILED` details. Unknown keys
 * read "unknown field: a, b" — or, with `secret`, "unexpected field (1 of 2)" without the name.
 */
export function issuesFromZod(error: ZodLikeError, prefix = "", options: IssuesFromZodOptions = {}): FieldIssue[] {
  return error.issues.flatMap((issue) => {
    const path = dotted(prefix, issue.path);
    if (issue.code !== "unrecognized_keys" || issue.keys === undefined) return [{ path, message: issue.message }];
    const keys = issue.keys;
    if (options.secret) return keys.map((_, index) => ({ path, message: `unexpected field (${index + 1} of ${keys.length})` }));
    return [{ path, message: `unknown field${keys.length === 1 ? "" : "s"}: ${keys.join(", ")}` }];
  });
}
