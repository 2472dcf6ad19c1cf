import type { CspmError } from "@cspm/errors";

/** How long to keep a value and which tags it belongs to. */
export interface CacheSetOptions {
  /** Time to live in seconds (fractions allowed, at least 1 ms); must be a positive finite number. */
  readonly ttlSeconds: number;
  /** Tags for `invalidateTags`, e.g. `tenantCacheTag(teamId)`; each a non-empty string. */
  readonly tags?: readonly string[];
}

/**
 * A cache key, or a function that builds it: a disabled cache (`NoCache`) never calls it, so callers pay for no
 * key building (hashing filters, escaping parts) when caching is off. The other caches call it once per call.
 */
export type CacheKey = string | (() => string);

/** State of a cache's circuit breaker; a `MemoryCache` is always `"closed"`. */
export type CircuitState = "closed" | "open" | "half-open";

/** What a cache was doing when something went wrong, as reported to `onError`. */
export type CacheOperation =
  | "get"
  | "set"
  | "del"
  | "invalidateTags"
  | "lock"
  | "unlock"
  | "encode"
  | "decode"
  | "health"
  | "close"
  | "connection";

/**
 * One swallowed failure, for logs and metrics. Never carries a cached value: `error` is a taxonomy error
 * (`UNAVAILABLE` for Redis failures and timeouts, `VALIDATION_FAILED` for a value EJSON cannot encode,
 * `INTERNAL` for an undecodable stored value) whose `cause` holds only the name and message of the original error.
 */
export interface CacheErrorEvent {
  readonly operation: CacheOperation;
  /** The caller's cache key (not the Redis key), when the failure concerns one key. */
  readonly key?: string;
  readonly error: CspmError;
}

/** Called for every failure a cache swallows (fail-open); exceptions thrown by the hook are ignored. */
export type CacheErrorHook = (event: CacheErrorEvent) => void;

/** Which implementation answers: Redis, process memory, or none (caching switched off). */
export type CacheBackend = "redis" | "memory" | "none";

/** Counters since the cache was created. */
export interface CacheStats {
  readonly backend: CacheBackend;
  /** Reads (`get` or `wrap`) answered from the cache; concurrent `wrap` calls sharing one flight count once. */
  readonly hits: number;
  /** Reads that found nothing (including reads skipped because the backend is unavailable). */
  readonly misses: number;
  /** Loader calls made by `wrap`. */
  readonly loads: number;
  /** Loader calls that threw (their errors are rethrown, never cached). */
  readonly loadErrors: number;
  /** Backend failures swallowed (each also reported to `onError`). */
  readonly errors: number;
  /** `wrap` misses that waited for another process holding the recompute lock (Redis only). */
  readonly lockWaits: number;
  /** Lock waits that gave up and ran the loader themselves (Redis only). */
  readonly lockTimeouts: number;
  /** Entries dropped to respect `maxEntries` (memory only). */
  readonly evictions: number;
  /** `wrap` calls currently computing a value (one per key, shared by concurrent callers). */
  readonly inFlight: number;
  /**
   * Tag generations whose invalidation Redis has not confirmed yet (Redis only): while above 0, this process
   * reads nothing from Redis and retries the invalidations first.
   */
  readonly pendingInvalidations: number;
  readonly breaker: CircuitState;
}

/** Result of `health()`: whether the backend answers right now. */
export interface CacheHealth {
  readonly backend: CacheBackend;
  /** True when the backend answered (a Redis `PING` within the command timeout) and the cache is not closed. */
  readonly ok: boolean;
  readonly breaker: CircuitState;
  /** The ioredis connection status (`"ready"`, `"reconnecting"`, ...), Redis only. */
  readonly connection?: string;
  /** Round-trip time of the health `PING` in milliseconds, when it succeeded. */
  readonly latencyMs?: number;
}

/** Produces the value for a cache miss; its errors propagate unchanged and are never cached. */
export type CacheLoader<T> = () => T | Promise<T>;

/**
 * A cache-aside store shared by `RedisCache`, `MemoryCache` and `NoCache`. Backend failures never throw
 * (fail-open: reads miss, writes return `false`, `wrap` runs the loader); invalid arguments throw
 * `ValidationError` (`VALIDATION_FAILED`). Values go through EJSON, so `Date`, `ObjectId` and `Decimal128`
 * survive and every caller gets its own copy.
 *
 * Freshness contract: once `invalidateTags(tags)` has returned (whatever it resolved), no read started afterwards
 * through the same cache object returns a value stored before the call under any of `tags`, nor a value a `wrap`
 * loader computed from data it began reading before the call. Across processes sharing a Redis the same holds from
 * the moment Redis executed the invalidation (`true` says it did).
 */
export interface CacheService {
  /**
   * The cached value, or `undefined` on a miss or when the backend is unavailable. `T` is not checked.
   * Throws `ValidationError` (`VALIDATION_FAILED`) for an empty or oversized key.
   */
  get<T>(key: CacheKey): Promise<T | undefined>;

  /**
   * Stores `value` (anything EJSON can encode except `undefined`) for `ttlSeconds`, registering it under `tags`.
   * Resolves `false` when the backend was unavailable. Throws `ValidationError` for a bad key, TTL, tag or value.
   */
  set(key: CacheKey, value: unknown, options: CacheSetOptions): Promise<boolean>;

  /**
   * Removes one or more keys; a `wrap` loader already running for one of them stores nothing. Resolves `false`
   * when the backend was unavailable. Throws `ValidationError` for a bad key.
   */
  del(keys: string | readonly string[]): Promise<boolean>;

  /**
   * Cache-aside: returns the cached value, or runs `loader` once per key (single-flight), caches its result
   * (unless `undefined`) and returns it. Never throws for backend failures; rethrows loader errors unchanged.
   * Throws `ValidationError` (`VALIDATION_FAILED`) for a bad key, TTL or tag.
   */
  wrap<T>(key: CacheKey, ttl: number | CacheSetOptions, loader: CacheLoader<T>): Promise<T>;

  /**
   * Makes every value stored with any of `tags` unreadable, including values that `wrap` loaders still running
   * will store. Resolves `true` when the backend confirmed it; `false` when it could not confirm it (unreachable,
   * timed out): then this cache object reads nothing from Redis until it has re-sent the invalidation and Redis
   * confirmed it. Throws `ValidationError` for an empty tag.
   */
  invalidateTags(tags: string | readonly string[]): Promise<boolean>;

  /** Checks the backend (a Redis `PING`); never throws. */
  health(): Promise<CacheHealth>;

  /** Counters and breaker state; never throws. */
  stats(): CacheStats;

  /** Releases connections and memory; idempotent. Afterwards reads miss, writes resolve `false` and `wrap` just runs the loader. */
  close(): Promise<void>;
}
