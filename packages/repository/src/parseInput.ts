import { issuesFromZod, ValidationError } from "@cspm/errors";
import { ObjectId } from "mongodb";
import { z } from "zod";
import { bsonType } from "./sanitizeFilter";

/** At most this many field issues are reported for one value. */
const MAX_ISSUES = 100;

/**
 * Validates one input value against `schema` and returns the parsed value. Repositories, domain methods,
 * services and host apps all parse through here, so a string argument can never arrive as an operator
 * object (`{ "$ne": null }`). Throws `VALIDATION_FAILED` whose issues' paths are under `path` (`""` for an
 * input object, whose issues then name its fields directly).
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, path: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = issuesFromZod(result.error, path).slice(0, MAX_ISSUES);
  const label = path === "" ? "input" : path;
  throw new ValidationError(`Invalid ${label}: ${issues.map((i) => `${i.path || label} ${i.message}`).join("; ")}.`, issues);
}

/** Messages that say what is wrong with a string input (zod's own name the type or the length check only). */
function stringIssue(issue: { code: string; input?: unknown; origin?: string; minimum?: unknown; maximum?: unknown }): string | undefined {
  if (issue.code === "invalid_type") return issue.input === undefined ? "is required" : "must be a string";
  if (issue.code === "too_small" && issue.origin === "string") {
    return Number(issue.minimum) === 1 ? "must not be empty" : `must be at least ${String(issue.minimum)} characters`;
  }
  if (issue.code === "too_big" && issue.origin === "string") return `must be at most ${String(issue.maximum)} characters`;
  return undefined;
}

/**
 * `z.string()` with messages a client can act on: "is required", "must be a string", "must not be empty",
 * "must be at most 200 characters" (an explicit message on a check still wins). Use it for every string input.
 */
export function stringInput(): z.ZodString {
  return z.string({ error: stringIssue });
}

/**
 * A team id: 1–128 letters, digits, `_` or `-` (the text stored in every tenant document's `team_id`),
 * branded so that a `TeamId` can only come from this schema (`parseTeamId`) and cannot be swapped with
 * another string argument unnoticed.
 */
export const TeamIdSchema = z
  .string({ error: "must be a string" })
  .min(1, "must not be empty")
  .max(128, "must be at most 128 characters")
  .regex(/^[A-Za-z0-9_-]+$/, "must be letters, digits, '_' or '-'")
  .brand<"TeamId">();

/** A team id parsed by `TeamIdSchema`; every tenant-scoped method of the data layer takes one first. */
export type TeamId = z.output<typeof TeamIdSchema>;

/** Parses a team id once at the boundary (a header, a token, a CLI flag). Throws `VALIDATION_FAILED` (path `path`). */
export function parseTeamId(value: unknown, path = "teamId"): TeamId {
  return parseInput(TeamIdSchema, value, path);
}

/** An `ObjectId` in text form: 24 hexadecimal characters. */
export const ObjectIdHexSchema = stringInput().regex(/^[0-9a-fA-F]{24}$/, "must be 24 hex characters");

/** An `ObjectId` from an `ObjectId` or its 24-hex-character text. Throws `VALIDATION_FAILED` (path `path`). */
export function toObjectId(id: unknown, path = "id"): ObjectId {
  if (id instanceof ObjectId) return id;
  if (bsonType(id) === "ObjectId") return id as ObjectId; // an ObjectId of another bson copy
  if (typeof id === "string" && ObjectIdHexSchema.safeParse(id).success) return new ObjectId(id);
  throw new ValidationError(`Invalid ${path}: must be an ObjectId or 24 hex characters.`, [
    { path, message: "must be an ObjectId or 24 hex characters" },
  ]);
}
