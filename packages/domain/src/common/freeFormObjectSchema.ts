import { z } from "zod";

const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);
/** Deeper nesting than this is refused: stored free-form data is configuration, not arbitrary trees. */
const MAX_DEPTH = 16;

/** Why a key cannot be stored as a MongoDB field name, or `undefined`. */
function keyProblem(key: string): string | undefined {
  if (key === "") return "empty keys are not allowed";
  if (key.startsWith("$")) return "keys must not start with '$'";
  if (key.includes(".")) return "keys must not contain '.'";
  if (key.includes("\0")) return "keys must not contain NUL";
  if (FORBIDDEN_KEYS.has(key)) return `key "${key}" is not allowed`;
  return undefined;
}

function walk(value: unknown, path: (string | number)[], depth: number, ctx: z.RefinementCtx): void {
  if (depth > MAX_DEPTH) {
    ctx.addIssue({ code: "custom", path, message: `must not nest deeper than ${MAX_DEPTH} levels` });
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, index) => walk(item, [...path, index], depth + 1, ctx));
    return;
  }
  if (typeof value !== "object" || value === null || value instanceof Date) return;
  // Plain data only: class instances other than Date (and BSON values) are not free-form JSON.
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) {
    ctx.addIssue({ code: "custom", path, message: "must be plain data (objects, arrays, strings, numbers, booleans, dates, null)" });
    return;
  }
  for (const key of Object.keys(value)) {
    const problem = keyProblem(key);
    if (problem) ctx.addIssue({ code: "custom", path: [...path, key], message: problem });
    else walk((value as Record<string, unknown>)[key], [...path, key], depth + 1, ctx);
  }
}

/**
 * A free-form JSON-like object (report params, resource properties, alert details) whose keys are all
 * safe MongoDB field names at every depth: no leading `$`, no `.`, no `__proto__`/`constructor`.
 */
export const FreeFormObjectSchema = z
  .custom<Record<string, unknown>>(
    (value) => typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date),
    { message: "must be an object" },
  )
  // Checked on the input itself: a copying parser would silently drop a `__proto__` key instead of refusing it.
  .superRefine((value, ctx) => walk(value, [], 0, ctx));

/** A free-form JSON-like value (a setting's value): the same key rules as `FreeFormObjectSchema`. */
export const FreeFormValueSchema = z.unknown().superRefine((value, ctx) => {
  if (value === undefined) ctx.addIssue({ code: "custom", message: "is required" });
  else walk(value, [], 0, ctx);
});

/** A free-form object with safe keys. */
export type FreeFormObject = z.infer<typeof FreeFormObjectSchema>;
