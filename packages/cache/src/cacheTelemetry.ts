import type { CspmError } from "@cspm/errors";
import { ATTRIBUTES, dataLayerInstruments } from "@cspm/telemetry";
import type { CacheErrorHook, CacheOperation } from "./cacheService";

/**
 * A copy of an error that keeps only its name, message and (string) code: ioredis errors carry the
 * command and its arguments (the cached value), which must never reach a log.
 */
export function sanitizeCause(error: unknown): Error {
  if (!(error instanceof Error)) return new Error(typeof error === "string" ? error : "Non-error value thrown");
  const copy = new Error(error.message);
  copy.name = error.name;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") Object.defineProperty(copy, "code", { value: code, enumerable: true });
  return copy;
}

/** A read's outcome as `cspm.cache.requests` counts it. */
type ReadOperation = "get" | "wrap";

function count(operation: CacheOperation | ReadOperation, outcome: "hit" | "miss" | "error"): void {
  dataLayerInstruments().cacheRequests.add(1, { [ATTRIBUTES.CACHE_OPERATION]: operation, outcome });
}

/**
 * Counters shared by both cache implementations (in `stats()`, and as `cspm.cache.requests` through
 * OpenTelemetry), and safe delivery of swallowed errors to `onError`.
 */
export class CacheTelemetry {
  hits = 0;
  misses = 0;
  loads = 0;
  loadErrors = 0;
  errors = 0;
  lockWaits = 0;
  lockTimeouts = 0;
  evictions = 0;

  constructor(private readonly onError: CacheErrorHook | undefined) {}

  /** Counts a read answered from the cache. */
  hit(operation: ReadOperation): void {
    this.hits += 1;
    count(operation, "hit");
  }

  /** Counts a read the cache could not answer. */
  miss(operation: ReadOperation): void {
    this.misses += 1;
    count(operation, "miss");
  }

  /** Counts a swallowed failure and hands it to `onError`; a throwing hook is ignored. */
  report(operation: CacheOperation, error: CspmError, key?: string): void {
    this.errors += 1;
    count(operation, "error");
    if (!this.onError) return;
    try {
      this.onError(key === undefined ? { operation, error } : { operation, key, error });
    } catch {
      // Observability must never break a request.
    }
  }
}
