import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { InternalError, UnavailableError, ValidationError, type FieldIssue } from "@cspm/errors";
import { Redis, type RedisOptions } from "ioredis";
import {
  assertLoader,
  normalizeCacheKeys,
  normalizeCacheTags,
  normalizeSetOptions,
  optionIssue,
  resolveCacheKey,
  type NormalizedSetOptions,
} from "./cacheArguments";
import { decodeCacheValue, encodeOrThrow, type Flight, loadAndEncode } from "./cacheCodec";
import type { CacheErrorHook, CacheHealth, CacheKey, CacheLoader, CacheService, CacheSetOptions, CacheStats } from "./cacheService";
import { CacheTelemetry, sanitizeCause } from "./cacheTelemetry";
import { CircuitBreaker } from "./circuitBreaker";
import { encodeEntry, GenerationTokens, generationsOf, stampsOf, tagGeneration } from "./generationStamps";
import { InvalidationJournal } from "./invalidationJournal";
import { type RedisCacheClient, RedisCommands, withTimeout } from "./redisCommands";
import { type EntryRead, RedisEntryStore } from "./redisEntryStore";
import { SingleFlight } from "./singleFlight";

export type { RedisCacheClient } from "./redisCommands";

/** The cross-process recompute lock taken by `wrap` on a miss. */
export interface RedisCacheLockOptions {
  /** How long the lock lives if its holder never releases it, in ms (default 5000); keep it above a typical loader's run time. */
  readonly ttlMs?: number | undefined;
  /** How long a process that did not get the lock polls for the value before running the loader itself, in ms (default 2000). */
  readonly waitMs?: number | undefined;
  /** Pause between polls, in ms (default 25). */
  readonly pollIntervalMs?: number | undefined;
}

/** Options of a `RedisCache`. */
export interface RedisCacheOptions {
  /**
   * An ioredis `Redis` or `Cluster` instance (left open by `close()` unless `closeClient` is true), or a
   * `redis://` URL / ioredis options for a client the cache creates, tunes for fail-fast reconnection, and closes.
   */
  readonly redis: RedisCacheClient | string | RedisOptions;
  /** Prefix of every Redis key the cache writes (default `"cspm:cache:"`); give each environment or test file its own. Avoid `{`/`}` in it: in a Cluster that would pin every key to one slot. */
  readonly keyPrefix?: string | undefined;
  /** Longest wait for any one Redis command before failing open, in ms (default 150). */
  readonly commandTimeoutMs?: number | undefined;
  /** Circuit breaker: consecutive failures before it opens (default 5) and its cooldown in ms (default 2000). */
  readonly breaker?: { readonly failureThreshold?: number | undefined; readonly cooldownMs?: number | undefined } | undefined;
  /** The cross-process recompute lock, or `false` to rely on per-process single-flight only. */
  readonly lock?: RedisCacheLockOptions | false | undefined;
  /** Whether `close()` disconnects the client (default: true for a client the cache created, false for one passed in). */
  readonly closeClient?: boolean | undefined;
  /** Receives every failure the cache swallows (never values). */
  readonly onError?: CacheErrorHook | undefined;
}

/** Defaults applied to a client the cache creates from a URL or options (options passed in win). */
export const REDIS_CACHE_CLIENT_DEFAULTS: Readonly<RedisOptions> = {
  // Fail fast while disconnected: nothing is queued to run later, and nothing sent before a disconnect is
  // replayed after the reconnect (a late write could land after an invalidation).
  enableOfflineQueue: false,
  autoResendUnfulfilledCommands: false,
  maxRetriesPerRequest: 1,
  // Reconnect on its own: 100 ms, 200 ms, ... capped at 2 s, forever.
  retryStrategy: (times: number) => Math.min(times * 100, 2000),
  connectTimeout: 2000,
  // close() sends QUIT first; this only bounds how long a socket that does not close is kept (ioredis also arms
  // this timer when the socket is already gone, so it decides how soon a process with a dead Redis can exit).
  disconnectTimeout: 250,
};

interface LockSettings {
  readonly ttlMs: number;
  readonly waitMs: number;
  readonly pollIntervalMs: number;
}

/** A read as the cache sees it: a decoded hit, a miss (with observed generation tokens), or Redis unusable. */
type Read =
  | { readonly state: "hit"; readonly value: unknown; readonly encoded: string }
  | { readonly state: "miss"; readonly tokens: readonly string[] | undefined }
  | { readonly state: "down" };

/** Extra life of a generation beyond the longest-lived entry stamped with it, in ms. */
const GENERATION_TTL_MARGIN_MS = 1000;
/** Longest wait for QUIT and for the connection to end in `close()`, in ms. */
const CLOSE_TIMEOUT_MS = 1000;
/** Shortest pause between background retries of unconfirmed invalidations, in ms. */
const MIN_RETRY_MS = 50;

/** Connection states with a socket that `close()` should see end (while reconnecting there is none, only a timer). */
const SOCKET_STATES = new Set(["connecting", "connect", "ready", "disconnecting"]);

function isClient(value: unknown): value is RedisCacheClient {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { get?: unknown }).get === "function" &&
    typeof (value as { status?: unknown }).status === "string"
  );
}

/**
 * A `CacheService` on ioredis, for one node or a Cluster, whose invalidation does not depend on timing.
 *
 * Every tag has a generation token in Redis; an entry records the tokens of its tags (and of the key prefix's
 * epoch) as they were before its value was computed, and a read returns it only while all of them are unchanged
 * (one Lua script on a single node: one round trip). `invalidateTags` replaces the tokens: an invalidation that
 * Redis executed but whose reply was lost still works, and a loader that raced it cannot store a value anyone will
 * read. An invalidation Redis did not confirm is journaled in the process; until it is re-sent and confirmed, this
 * instance reads nothing from Redis. After every (re)connection to a single node, a fence compares the server's run
 * id with the one recorded in Redis and bumps the epoch if they differ (a restart that restored a snapshot, or a
 * failover), before any read. `wrap` is single-flight per process plus a `SET NX PX` lock across processes.
 * Fail-open: a command that fails or exceeds `commandTimeoutMs` counts as a miss or a skipped write, and a circuit
 * breaker stops calling a dead Redis until it answers again. Throws `ValidationError` (`VALIDATION_FAILED`) for
 * invalid options.
 */
export class RedisCache implements CacheService {
  private readonly client: RedisCacheClient;
  private readonly ownsClient: boolean;
  private readonly closeClient: boolean;
  private readonly commandTimeoutMs: number;
  private readonly retryMs: number;
  private readonly lock: LockSettings | undefined;
  private readonly breaker: CircuitBreaker;
  private readonly telemetry: CacheTelemetry;
  private readonly commands: RedisCommands;
  private readonly entries: RedisEntryStore;
  private readonly journal = new InvalidationJournal();
  private readonly flights = new SingleFlight<Flight>();
  /** Whether the restart/failover fence must run before the next read (single node only). */
  private fencePending: boolean;
  /** Counts reconnections, so a fence that started before one does not clear the fence that one asks for. */
  private reconnections = 0;
  private wasReady = false;
  private recovering: Promise<boolean> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly onReady = (): void => {
    this.breaker.reset();
    this.commands.markReady();
    // The first connection's fence is already due (set in the constructor); every later one needs its own.
    if (this.wasReady) {
      this.reconnections += 1;
      if (!this.client.isCluster) this.fencePending = true;
    }
    this.wasReady = true;
    void this.recover();
  };
  private readonly onClientError = (error: unknown): void => {
    this.telemetry.report(
      "connection",
      new UnavailableError("Redis connection error.", {
        details: { hint: "Check that Redis is reachable; the client reconnects on its own." },
        cause: sanitizeCause(error),
      }),
    );
  };
  private closing: Promise<void> | undefined;

  constructor(options: RedisCacheOptions) {
    const issues: FieldIssue[] = [
      ...optionIssue(options.commandTimeoutMs, "commandTimeoutMs", { min: 1 }),
      ...optionIssue(options.breaker?.failureThreshold, "breaker.failureThreshold", { min: 1, integer: true }),
      ...optionIssue(options.breaker?.cooldownMs, "breaker.cooldownMs", { min: 0 }),
    ];
    if (options.lock) {
      issues.push(
        ...optionIssue(options.lock.ttlMs, "lock.ttlMs", { min: 1, integer: true }),
        ...optionIssue(options.lock.waitMs, "lock.waitMs", { min: 0 }),
        ...optionIssue(options.lock.pollIntervalMs, "lock.pollIntervalMs", { min: 1 }),
      );
    }
    if (options.keyPrefix !== undefined && typeof options.keyPrefix !== "string") {
      issues.push({ path: "keyPrefix", message: "keyPrefix must be a string" });
    }
    if (typeof options.redis !== "string" && (typeof options.redis !== "object" || options.redis === null)) {
      issues.push({ path: "redis", message: "redis must be an ioredis client, a redis:// URL or ioredis options" });
    }
    if (issues.length > 0) throw new ValidationError("Invalid RedisCache options.", issues);

    this.commandTimeoutMs = options.commandTimeoutMs ?? 150;
    this.lock =
      options.lock === false
        ? undefined
        : {
            ttlMs: options.lock?.ttlMs ?? 5000,
            waitMs: options.lock?.waitMs ?? 2000,
            pollIntervalMs: options.lock?.pollIntervalMs ?? 25,
          };
    this.breaker = new CircuitBreaker({
      failureThreshold: options.breaker?.failureThreshold,
      cooldownMs: options.breaker?.cooldownMs,
    });
    this.retryMs = Math.max(MIN_RETRY_MS, this.breaker.cooldownMs);
    this.telemetry = new CacheTelemetry(options.onError);

    if (isClient(options.redis)) {
      this.client = options.redis;
      this.ownsClient = false;
    } else {
      try {
        this.client =
          typeof options.redis === "string"
            ? new Redis(options.redis, { ...REDIS_CACHE_CLIENT_DEFAULTS })
            : new Redis({ ...REDIS_CACHE_CLIENT_DEFAULTS, ...options.redis });
      } catch (error) {
        throw new ValidationError("Invalid RedisCache options.", [{ path: "redis", message: "cannot create a Redis client from it" }], {
          cause: sanitizeCause(error),
        });
      }
      this.ownsClient = true;
      // Without a listener ioredis prints every reconnection failure; route them to onError instead.
      this.client.on("error", this.onClientError);
    }
    this.closeClient = options.closeClient ?? this.ownsClient;
    this.commands = new RedisCommands(this.client, this.commandTimeoutMs, this.breaker, this.telemetry);
    this.entries = new RedisEntryStore(this.commands, options.keyPrefix ?? "cspm:cache:", new GenerationTokens());
    this.fencePending = !this.client.isCluster;
    this.client.on("ready", this.onReady);
  }

  /** The Redis key that holds a cache key's entry (for tests and diagnostics). */
  redisKeyFor(key: string): string {
    return this.entries.entryKey(key);
  }

  /** The Redis key that holds a tag's generation token (for tests and diagnostics). */
  redisKeyForTag(tag: string): string {
    return this.entries.generationKey(tagGeneration(tag));
  }

  async get<T>(cacheKey: CacheKey): Promise<T | undefined> {
    const key = resolveCacheKey(cacheKey);
    const read = await this.read(key, undefined);
    if (read.state !== "hit") {
      this.telemetry.miss("get");
      return undefined;
    }
    this.telemetry.hit("get");
    return read.value as T;
  }

  async set(cacheKey: CacheKey, value: unknown, options: CacheSetOptions): Promise<boolean> {
    const key = resolveCacheKey(cacheKey);
    const normalized = normalizeSetOptions(options);
    const encoded = encodeOrThrow(value);
    if (!(await this.recovered())) return false;
    const ttlMs = normalized.ttlMs;
    return this.entries.write(key, encoded, generationsOf(normalized.tags), ttlMs, ttlMs + GENERATION_TTL_MARGIN_MS);
  }

  async del(keys: string | readonly string[]): Promise<boolean> {
    const list = normalizeCacheKeys(keys);
    return this.entries.del(list, list.length === 1 ? list[0] : undefined);
  }

  async wrap<T>(cacheKey: CacheKey, ttl: number | CacheSetOptions, loader: CacheLoader<T>): Promise<T> {
    const key = resolveCacheKey(cacheKey);
    const options = normalizeSetOptions(ttl);
    assertLoader(loader);
    const { result, shared } = await this.flights.run(key, () => this.resolve(key, options, loader));
    return (shared && result.encoded !== undefined ? decodeCacheValue(result.encoded) : result.value) as T;
  }

  async invalidateTags(tags: string | readonly string[]): Promise<boolean> {
    const requested = normalizeCacheTags(tags).map(tagGeneration);
    if (this.closing) return false;
    // Re-send what is still unconfirmed along with it: one script either way.
    const pending = this.journal.snapshot();
    const bumped = new Set(await this.entries.bump("invalidateTags", [...new Set([...requested, ...pending.generations])], true));
    this.journal.confirm(pending, bumped);
    const unconfirmed = requested.filter((name) => !bumped.has(name));
    if (unconfirmed.length === 0) return true;
    this.journal.record(unconfirmed);
    this.scheduleRetry();
    return false;
  }

  async health(): Promise<CacheHealth> {
    const base = () => ({ backend: "redis" as const, breaker: this.breaker.state, connection: this.client.status });
    if (this.closing) return { ...base(), ok: false };
    const started = performance.now();
    try {
      await this.commands.send((client) => client.ping());
      return { ...base(), ok: true, latencyMs: performance.now() - started };
    } catch {
      return { ...base(), ok: false };
    }
  }

  stats(): CacheStats {
    const t = this.telemetry;
    return {
      backend: "redis",
      hits: t.hits,
      misses: t.misses,
      loads: t.loads,
      loadErrors: t.loadErrors,
      errors: t.errors,
      lockWaits: t.lockWaits,
      lockTimeouts: t.lockTimeouts,
      evictions: 0,
      inFlight: this.flights.size,
      pendingInvalidations: this.journal.size,
      breaker: this.breaker.state,
    };
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.commands.closed = true;
    clearTimeout(this.retryTimer);
    this.client.off("ready", this.onReady);
    if (!this.closeClient) return;
    const ended = this.client.status === "end" ? Promise.resolve() : once(this.client, "end").then(() => undefined);
    ended.catch(() => undefined);
    if (this.client.status === "ready") {
      try {
        await withTimeout(this.client.quit(), CLOSE_TIMEOUT_MS);
      } catch {
        // Fall through to a hard disconnect.
      }
    }
    const hadSocket = SOCKET_STATES.has(this.client.status);
    this.client.disconnect();
    if (hadSocket) {
      try {
        await withTimeout(ended, CLOSE_TIMEOUT_MS);
      } catch {
        // The socket is destroyed by disconnect() anyway.
      }
    }
    if (this.ownsClient) this.client.off("error", this.onClientError);
  }

  /** Whether Redis may be read: no fence due and no unconfirmed invalidation left (recovering first if needed). */
  private async recovered(): Promise<boolean> {
    if (!this.fencePending && this.journal.size === 0) return true;
    return this.recover();
  }

  /** Runs the fence (if due) and re-sends unconfirmed invalidations; one recovery at a time. Never throws. */
  private recover(): Promise<boolean> {
    this.recovering ??= this.runRecovery().finally(() => {
      this.recovering = undefined;
    });
    return this.recovering;
  }

  private async runRecovery(): Promise<boolean> {
    if (this.closing) return false;
    if (this.fencePending) {
      const connection = this.reconnections;
      const outcome = await this.entries.fence();
      if (outcome === "failed") {
        this.scheduleRetry();
        return false;
      }
      if (outcome === "unsupported") {
        this.telemetry.report(
          "connection",
          new InternalError("Redis did not report its run id, so restarts and failovers cannot be fenced.", {
            details: { hint: "Allow INFO for the cache's Redis user; see the @cspm/cache README on persistence and failover." },
          }),
        );
      }
      if (this.reconnections === connection) this.fencePending = false;
    }
    const pending = this.journal.snapshot();
    if (pending.generations.length > 0) {
      this.journal.confirm(pending, await this.entries.bump("invalidateTags", pending.generations));
    }
    const done = !this.fencePending && this.journal.size === 0;
    if (!done) this.scheduleRetry();
    return done;
  }

  /** Retries recovery in the background (unref'd timer) so other processes see the invalidation soon too. */
  private scheduleRetry(): void {
    if (this.retryTimer !== undefined || this.closing) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.fencePending || this.journal.size > 0) void this.recover();
    }, this.retryMs);
    this.retryTimer.unref();
  }

  /** Reads and decodes an entry, after recovery; with `options` (a `wrap` miss) also observes its generations. */
  private async read(key: string, options: NormalizedSetOptions | undefined): Promise<Read> {
    if ((this.fencePending || this.journal.size > 0) && !(await this.recover())) return { state: "down" };
    const observe = options ? generationsOf(options.tags) : [];
    const observeTtlMs = options ? options.ttlMs + (this.lock?.ttlMs ?? 0) + GENERATION_TTL_MARGIN_MS : 0;
    const read: EntryRead = await this.entries.read(key, observe, observeTtlMs);
    if (read.state === "down") return read;
    if (read.state === "miss") {
      if (read.corrupt) this.reportUndecodable(key, new Error("Stored entry has no valid generation header"));
      return read;
    }
    try {
      return { state: "hit", value: decodeCacheValue(read.body), encoded: read.body };
    } catch (error) {
      this.reportUndecodable(key, error);
      return { state: "miss", tokens: undefined };
    }
  }

  private reportUndecodable(key: string, error: unknown): void {
    this.telemetry.report("decode", new InternalError("A cached value could not be decoded.", { cause: sanitizeCause(error) }), key);
  }

  private async resolve<T>(key: string, options: NormalizedSetOptions, loader: CacheLoader<T>): Promise<Flight> {
    const first = await this.read(key, options);
    if (first.state === "hit") {
      this.telemetry.hit("wrap");
      return { value: first.value, encoded: first.encoded };
    }
    this.telemetry.miss("wrap");
    if (first.state === "down") return loadAndEncode(this.telemetry, key, loader);
    if (this.lock) return this.loadUnderLock(key, options, loader, this.lock);
    const loaded = await loadAndEncode(this.telemetry, key, loader);
    await this.store(key, options, first.tokens, loaded, undefined);
    return loaded;
  }

  /**
   * Takes the recompute lock and loads, or — while another process holds it — polls for the value it will
   * write. Gives up waiting after `waitMs` (or on any Redis failure) and loads without storing: only the lock's
   * holder stores, and only while it still holds the lock.
   */
  private async loadUnderLock<T>(key: string, options: NormalizedSetOptions, loader: CacheLoader<T>, lock: LockSettings): Promise<Flight> {
    const token = randomUUID();
    const deadline = Date.now() + lock.waitMs;
    let waiting = false;
    for (;;) {
      const acquired = await this.entries.lock(key, token, lock.ttlMs);
      if (!acquired.ok) return loadAndEncode(this.telemetry, key, loader);
      if (acquired.value === "OK") return this.loadHoldingLock(key, options, loader, token);
      if (!waiting) {
        waiting = true;
        this.telemetry.lockWaits += 1;
      }
      if (this.closing || Date.now() >= deadline) {
        this.telemetry.lockTimeouts += 1;
        return loadAndEncode(this.telemetry, key, loader);
      }
      await sleep(lock.pollIntervalMs);
      const polled = await this.read(key, undefined);
      if (polled.state === "hit") return { value: polled.value, encoded: polled.encoded };
      if (polled.state === "down") return loadAndEncode(this.telemetry, key, loader);
    }
  }

  private async loadHoldingLock<T>(key: string, options: NormalizedSetOptions, loader: CacheLoader<T>, token: string): Promise<Flight> {
    let released = false;
    try {
      // Another process may have written the value between our miss and our lock; observe the generations again.
      const again = await this.read(key, options);
      if (again.state === "hit") return { value: again.value, encoded: again.encoded };
      const loaded = await loadAndEncode(this.telemetry, key, loader);
      if (again.state === "miss") released = await this.store(key, options, again.tokens, loaded, token);
      return loaded;
    } finally {
      if (!released) await this.entries.unlock(key, token);
    }
  }

  /** Stores a loaded value stamped with the tokens observed before loading; resolves whether the command ran. */
  private async store(
    key: string,
    options: NormalizedSetOptions,
    tokens: readonly string[] | undefined,
    loaded: Flight,
    lockToken: string | undefined,
  ): Promise<boolean> {
    const generations = generationsOf(options.tags);
    if (loaded.encoded === undefined || tokens?.length !== generations.length) return false;
    const payload = encodeEntry(stampsOf(generations, tokens), loaded.encoded);
    return this.entries.store(key, payload, options.ttlMs, lockToken);
  }
}
