import { redactConnectionString } from "@cspm/crypto";
import { isCspmError } from "@cspm/errors";
import type { JsonObject, JsonValue } from "./apiEnvelope";

/** Options for `toJsonSafe`. */
export interface JsonSafeOptions {
  /** Nesting deeper than this becomes `"[Truncated]"`; default 8. */
  readonly maxDepth?: number;
  /** Arrays longer than this are cut, with a final `"[N more]"` marker; default 200. */
  readonly maxArrayLength?: number;
}

/** Keys never copied into a response: they carry internals. */
const DROPPED_KEYS = new Set(["cause", "stack"]);
/** The first line of a stack trace frame (`\n    at fn (file:1:2)`). */
const STACK_FRAME_PATTERN = /\n\s+at\s/;

/** Hides connection-string passwords and cuts stack traces off a string that will reach a client. */
export function scrubText(text: string): string {
  let out = text;
  const frame = STACK_FRAME_PATTERN.exec(out);
  if (frame) out = out.slice(0, frame.index);
  // One redaction rule for the whole data layer: @cspm/crypto's (user info up to the last "@", secret query params).
  return redactConnectionString(out);
}

/**
 * A copy of `value` that always survives `JSON.stringify`: functions, symbols and `undefined` are
 * dropped (`null` inside arrays), non-finite numbers become `null`, bigints strings, `toJSON` is honoured
 * (`Date` -> ISO text), `Map`/`Set` become object/array, binary data `"[Binary]"`, taxonomy errors their
 * `toJSON()`, other errors `"[Error]"`, cycles `"[Circular]"`, deep nesting `"[Truncated]"`. `cause` and
 * `stack` keys are dropped; strings lose stack frames and connection-string passwords. Never throws.
 */
export function toJsonSafe(value: unknown, options: JsonSafeOptions = {}): JsonValue | undefined {
  const maxDepth = options.maxDepth ?? 8;
  const maxArrayLength = options.maxArrayLength ?? 200;
  const ancestors = new Set<object>();

  const visit = (current: unknown, depth: number): JsonValue | undefined => {
    switch (typeof current) {
      case "string":
        return scrubText(current);
      case "number":
        return Number.isFinite(current) ? current : null;
      case "boolean":
        return current;
      case "bigint":
        return current.toString();
      case "undefined":
      case "function":
      case "symbol":
        return undefined;
    }
    if (current === null) return null;
    const object = current as object;
    if (ancestors.has(object)) return "[Circular]";
    if (depth >= maxDepth) return "[Truncated]";
    ancestors.add(object);
    try {
      if (isCspmError(object)) return visit(object.toJSON(), depth + 1);
      if (object instanceof Error) return "[Error]";
      if (ArrayBuffer.isView(object) || object instanceof ArrayBuffer) return "[Binary]";
      if (Array.isArray(object)) {
        const items = object.slice(0, maxArrayLength).map((item) => visit(item, depth + 1) ?? null);
        if (object.length > maxArrayLength) items.push(`[${object.length - maxArrayLength} more]`);
        return items;
      }
      if (object instanceof Map) {
        const entries: Record<string, JsonValue> = {};
        for (const [key, child] of object) {
          if (typeof key !== "string" || DROPPED_KEYS.has(key)) continue;
          const safe = visit(child, depth + 1);
          if (safe !== undefined) entries[key] = safe;
        }
        return entries;
      }
      if (object instanceof Set) return visit([...object], depth);
      const toJSON = (object as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === "function") {
        // Same rule as JSON.stringify; a throwing toJSON must not break the response.
        return visit(toJSON.call(object), depth + 1);
      }
      const copy: Record<string, JsonValue> = {};
      for (const key of Object.keys(object)) {
        if (DROPPED_KEYS.has(key)) continue;
        const safe = visit((object as Record<string, unknown>)[key], depth + 1);
        if (safe !== undefined) copy[key] = safe;
      }
      return copy;
    } catch {
      return "[Unserializable]";
    } finally {
      ancestors.delete(object);
    }
  };

  return visit(value, 0);
}

/** `toJsonSafe` for a details object: `undefined` unless the result is a non-empty JSON object. */
export function toJsonSafeObject(value: unknown, options: JsonSafeOptions = {}): JsonObject | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const safe = toJsonSafe(value, options);
  if (typeof safe !== "object" || safe === null || Array.isArray(safe)) return undefined;
  return Object.keys(safe).length > 0 ? (safe as JsonObject) : undefined;
}
