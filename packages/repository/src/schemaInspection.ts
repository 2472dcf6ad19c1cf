import type { z } from "zod";

interface DefLike {
  type: string;
  innerType?: z.core.$ZodType;
  element?: z.core.$ZodType;
  items?: readonly z.core.$ZodType[];
  rest?: z.core.$ZodType | null;
  options?: readonly z.core.$ZodType[];
  left?: z.core.$ZodType;
  right?: z.core.$ZodType;
  shape?: Readonly<Record<string, z.core.$ZodType>>;
  catchall?: z.core.$ZodType;
  in?: z.core.$ZodType;
  out?: z.core.$ZodType;
}

const LEAF_TYPES = new Set([
  "string",
  "number",
  "int",
  "boolean",
  "bigint",
  "date",
  "enum",
  "literal",
  "null",
  "undefined",
  "nan",
  "template_literal",
  "never",
  "void",
]);
const WRAPPER_TYPES = new Set(["optional", "nullable", "default", "prefault", "catch", "readonly", "nonoptional", "success"]);

/**
 * True when values accepted by `schema` may carry object keys the schema does not name (records,
 * `unknown`, loose objects, transforms …), so stored data must be scanned for unsafe keys. Conservative:
 * anything it does not recognise counts as free-form.
 */
export function mayHoldFreeFormKeys(schema: z.core.$ZodType, depth = 0): boolean {
  if (depth > 64) return true;
  const def = schema._zod.def as unknown as DefLike;
  const type = def.type;
  if (LEAF_TYPES.has(type)) return false;
  if (WRAPPER_TYPES.has(type)) return def.innerType === undefined || mayHoldFreeFormKeys(def.innerType, depth + 1);
  switch (type) {
    case "array":
      return def.element === undefined || mayHoldFreeFormKeys(def.element, depth + 1);
    case "tuple":
      return (
        (def.items ?? []).some((item) => mayHoldFreeFormKeys(item, depth + 1)) ||
        (def.rest != null && mayHoldFreeFormKeys(def.rest, depth + 1))
      );
    case "union":
      return (def.options ?? []).some((option) => mayHoldFreeFormKeys(option, depth + 1));
    case "intersection":
      return (
        def.left === undefined ||
        def.right === undefined ||
        mayHoldFreeFormKeys(def.left, depth + 1) ||
        mayHoldFreeFormKeys(def.right, depth + 1)
      );
    case "object":
      if (def.catchall !== undefined && (def.catchall._zod.def as unknown as DefLike).type !== "never") return true;
      return Object.values(def.shape ?? {}).some((field) => mayHoldFreeFormKeys(field, depth + 1));
    default:
      return true; // record, map, set, unknown, any, custom, pipe/transform, lazy, promise …
  }
}
