import { ValidationError, type FieldIssue } from "@cspm/errors";
import { z } from "zod";

/** A team id as every tenant-owned document stores it: 1–128 letters, digits, `_` or `-`. */
export const TeamIdInputSchema = z
  .string({ error: "must be a string" })
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_-]+$/, "must be letters, digits, '_' or '-'");

/** The field issues of a zod error with paths under `path` (`"options.since"`). */
export function fieldIssuesOf(error: z.ZodError, path = ""): FieldIssue[] {
  return error.issues.map((issue) => ({
    path: [path, ...issue.path.map((p) => String(p))].filter((p) => p !== "").join("."),
    message: issue.message,
  }));
}

/**
 * Validates one argument of a service method and returns the parsed value; every value reaches a filter
 * or pipeline only through here, so a string can never arrive as an operator object. Throws
 * `VALIDATION_FAILED` with every field issue, paths under `path` (`""` for an input object, whose issues
 * then name its fields directly: `accountId`, `credentials.secret_access_key`).
 */
export function parseServiceInput<S extends z.ZodType>(schema: S, value: unknown, path: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = fieldIssuesOf(result.error, path);
  const label = path === "" ? "input" : path;
  throw new ValidationError(`Invalid ${label}: ${issues.map((i) => `${i.path || label} ${i.message}`).join("; ")}.`, issues);
}

/** Checks a team id argument. Throws `VALIDATION_FAILED` (path `teamId`). */
export function parseTeamId(teamId: unknown): string {
  return parseServiceInput(TeamIdInputSchema, teamId, "teamId");
}
