import { ValidationError } from "@cspm/errors";
import { EJSON } from "bson";
import type { CacheLoader } from "./cacheService";
import { type CacheTelemetry, sanitizeCause } from "./cacheTelemetry";

/**
 * Encodes a value as canonical Extended JSON (`relaxed: false`), so `Date`, `ObjectId`, `Decimal128`, `Long`
 * and `Binary` keep their types and full precision. Throws the raw bson error for what EJSON cannot encode
 * (circular structures, maps with non-string keys); callers translate it.
 */
export function encodeCacheValue(value: unknown): string {
  return EJSON.stringify(value, { relaxed: false });
}

function isPlainContainer(value: object): boolean {
  if (Array.isArray(value)) return true;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Turns canonical number wrappers back into JavaScript numbers, in place: canonical EJSON writes every
 * number as `$numberInt`/`$numberDouble` (or `$numberLong` for integers beyond 32 bits), which a strict parse
 * returns as `Int32`/`Double`/`Long`. A `Long` becomes a number only when it is a safe integer, as the
 * MongoDB driver's `promoteLongs` does.
 */
function promoteNumbers(value: unknown): unknown {
  if (typeof value !== "object" || value === null) return value;
  const bsontype = (value as { _bsontype?: unknown })._bsontype;
  if (bsontype === "Int32" || bsontype === "Double") return (value as { value: number }).value;
  if (bsontype === "Long") {
    const long = value as { toNumber(): number; toString(): string };
    const asNumber = long.toNumber();
    return Number.isSafeInteger(asNumber) && String(asNumber) === long.toString() ? asNumber : value;
  }
  if (!isPlainContainer(value)) return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i += 1) value[i] = promoteNumbers(value[i]);
    return value;
  }
  const record = value as Record<string, unknown>;
  for (const name of Object.keys(record)) {
    const before = record[name];
    const after = promoteNumbers(before);
    if (after === before) continue;
    if (name === "__proto__") {
      Object.defineProperty(record, name, { value: after, writable: true, enumerable: true, configurable: true });
    } else {
      record[name] = after;
    }
  }
  return value;
}

/** Decodes what `encodeCacheValue` produced into a fresh object graph. Throws the raw error for malformed text. */
export function decodeCacheValue(text: string): unknown {
  return promoteNumbers(EJSON.parse(text, { relaxed: false }));
}

/** The `VALIDATION_FAILED` error for a value EJSON cannot encode; names no part of the value. */
export function encodeError(error: unknown): ValidationError {
  return new ValidationError(
    "Cache value cannot be encoded as EJSON.",
    [{ path: "value", message: "must be EJSON-serializable (no cycles, maps with string keys only)" }],
    { cause: sanitizeCause(error) },
  );
}

/** Encodes a value for `set`; throws `ValidationError` (`VALIDATION_FAILED`) for `undefined` or what EJSON cannot encode. */
export function encodeOrThrow(value: unknown): string {
  if (value === undefined) {
    throw new ValidationError("Cache value cannot be undefined.", [{ path: "value", message: "must not be undefined" }]);
  }
  try {
    return encodeCacheValue(value);
  } catch (error) {
    throw encodeError(error);
  }
}

/** One loader run of a cache miss: the value and its EJSON text (`undefined` when it cannot be cached). */
export interface Flight {
  readonly value: unknown;
  /** The EJSON text of `value`, from which callers that joined the flight get their own copies. */
  readonly encoded: string | undefined;
}

/**
 * Runs a miss's loader for either cache: counts the load (and a loader error, which is rethrown unchanged)
 * and encodes the value; a value that cannot be encoded is reported to telemetry and returned uncached.
 */
export async function loadAndEncode<T>(telemetry: CacheTelemetry, key: string, loader: CacheLoader<T>): Promise<Flight> {
  telemetry.loads += 1;
  let value: T;
  try {
    value = await loader();
  } catch (error) {
    telemetry.loadErrors += 1;
    throw error;
  }
  if (value === undefined) return { value, encoded: undefined };
  try {
    return { value, encoded: encodeCacheValue(value) };
  } catch (error) {
    telemetry.report("encode", encodeError(error), key);
    return { value, encoded: undefined };
  }
}
