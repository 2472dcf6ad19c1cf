import { randomUUID } from "node:crypto";
import { once } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { InternalError, UnavailableError, ValidationError, type CspmError, type FieldIssue } from "@cspm/errors";
import { Redis, type Cluster, type RedisOptions } from "ioredis";
import {
  assertCacheKey,
  assertLoader,
  normalizeCacheKeys,
  normalizeCacheTags,
  normalizeSetOptions,
  optionIssue,
  type NormalizedSetOptions,
} from "./cacheArguments";
import { decodeCacheValue, encodeOrThrow, type Flight, loadAndEncode } from "./cacheCodec";
import type { CacheErrorHook, CacheHealth, CacheLoader, CacheOperation, CacheService, CacheSetOptions, CacheStats } from "./cacheService";
import { CacheTelemetry, sanitizeCause } from "./cacheTelemetry";
import { CircuitBreaker } from "./circuitBreaker";
import { SingleFlight } from "./singleFlight";

/** An ioredis client: one node, or a Cluster. */
export type RedisCacheClient = Redis | Cluster;

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

type Attempt<T> = { readonly ok: true; readonly value: T } | { readonly ok: false };

type Read =
  | { readonly state: "hit"; readonly value: unknown; readonly encoded: string }
  | { readonly state: "miss" }
  | { readonly state: "down" };

const REGISTER_TAG_SCRIPT = `
redis.call('SADD', KEYS[1], ARGV[1])
local ttl = tonumber(ARGV[2])
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
return 1`;

const POP_TAG_SCRIPT = `
local members = redis.call('SMEMBERS', KEYS[1])
redis.call('DEL', KEYS[1])
return members`;

const RELEASE_LOCK_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** Extra life of a tag set beyond the longest-lived key registered in it, in ms. */
const TAG_TTL_MARGIN_MS = 1000;
/** Longest wait for QUIT and for the connection to end in `close()`, in ms. */
const CLOSE_TIMEOUT_MS = 1000;
/** Keys per DEL command on a single node (a Cluster gets one DEL per key). */
const DEL_BATCH = 256;

class NotConnectedError extends Error {
  constructor(status: string) {
    super(`Redis connection is not ready (status: ${status})`);
    this.name = "NotConnectedError";
  }
}

/** Connection states with a socket that `close()` should see end (while reconnecting there is none, only a timer). */
const SOCKET_STATES = new Set(["connecting", "connect", "ready", "disconnecting"]);

/** Connection states in which a command is worth waiting for: the first connection is still being made. */
const CONNECTING_STATES = new Set(["wait", "connecting", "connect"]);

class CommandTimeoutError extends Error {
  constructor(ms: number) {
    super(`Redis command timed out after ${ms} ms`);
    this.name = "CommandTimeoutError";
  }
}

function isClient(value: unknown): value is RedisCacheClient {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { get?: unknown }).get === "function" &&
    typeof (value as { status?: unknown }).status === "string"
  );
}

function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout?: () => void): Promise<T> {
  promise.catch(() => undefined); // a late rejection after the timeout is expected and harmless
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout?.();
      reject(new CommandTimeoutError(ms));
    }, ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

/**
 * A `CacheService` on ioredis, for one node or a Cluster. Values are canonical EJSON strings with `PX` expiry;
 * tags are Redis sets of keys; `wrap` is single-flight per process plus a short `SET NX PX` lock across
 * processes. Every command is single-key, so it works unchanged on a Cluster. Fail-open: a command that fails
 * or exceeds `commandTimeoutMs` counts as a miss or a skipped write, and a circuit breaker stops calling a dead
 * Redis until it answers again. Throws `ValidationError` (`VALIDATION_FAILED`) for invalid options.
 */
export class RedisCache implements CacheService {
  private readonly client: RedisCacheClient;
  private readonly ownsClient: boolean;
  private readonly closeClient: boolean;
  private readonly keyPrefix: string;
  private readonly commandTimeoutMs: number;
  private readonly lock: LockSettings | undefined;
  private readonly breaker: CircuitBreaker;
  private readonly telemetry: CacheTelemetry;
  private readonly flights = new SingleFlight<Flight>();
  private readonly onReady = (): void => {
    this.breaker.reset();
    this.resolveReady?.();
    this.resolveReady = undefined;
    this.readyPromise = undefined;
  };
  /** Settles when the client becomes ready; shared by all commands waiting for the first connection. */
  private readyPromise: Promise<void> | undefined;
  private resolveReady: (() => void) | undefined;
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

    this.keyPrefix = options.keyPrefix ?? "cspm:cache:";
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
    this.client.on("ready", this.onReady);
  }

  /** The Redis key that holds a cache key's value (for tests and diagnostics). */
  redisKeyFor(key: string): string {
    return `${this.keyPrefix}v:${key}`;
  }

  private tagKey(tag: string): string {
    return `${this.keyPrefix}tag:${tag}`;
  }

  private lockKey(key: string): string {
    return `${this.keyPrefix}lock:${key}`;
  }

  async get<T>(key: string): Promise<T | undefined> {
    assertCacheKey(key);
    const read = await this.read(key);
    if (read.state !== "hit") {
      this.telemetry.misses += 1;
      return undefined;
    }
    this.telemetry.hits += 1;
    return read.value as T;
  }

  async set(key: string, value: unknown, options: CacheSetOptions): Promise<boolean> {
    assertCacheKey(key);
    const normalized = normalizeSetOptions(options);
    return this.store(key, encodeOrThrow(value), normalized);
  }

  async del(keys: string | readonly string[]): Promise<boolean> {
    const list = normalizeCacheKeys(keys);
    return this.deleteRedisKeys(
      "del",
      list.map((key) => this.redisKeyFor(key)),
      list.length === 1 ? list[0] : undefined,
    );
  }

  async wrap<T>(key: string, ttl: number | CacheSetOptions, loader: CacheLoader<T>): Promise<T> {
    assertCacheKey(key);
    const options = normalizeSetOptions(ttl);
    assertLoader(loader);
    const { result, shared } = await this.flights.run(key, () => this.resolve(key, options, loader));
    return (shared && result.encoded !== undefined ? decodeCacheValue(result.encoded) : result.value) as T;
  }

  async invalidateTags(tags: string | readonly string[]): Promise<boolean> {
    const list = normalizeCacheTags(tags);
    const results = await Promise.all(
      list.map(async (tag) => {
        const popped = await this.command("invalidateTags", undefined, (client) => client.eval(POP_TAG_SCRIPT, 1, this.tagKey(tag)));
        if (!popped.ok) return false;
        const members = Array.isArray(popped.value) ? popped.value.filter((m): m is string => typeof m === "string") : [];
        return this.deleteRedisKeys("invalidateTags", members, undefined);
      }),
    );
    return results.every(Boolean);
  }

  async health(): Promise<CacheHealth> {
    const base = () => ({ backend: "redis" as const, breaker: this.breaker.state, connection: this.client.status });
    if (this.closing) return { ...base(), ok: false };
    const started = performance.now();
    try {
      await this.send((client) => client.ping());
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
      breaker: this.breaker.state,
    };
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
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

  /** Runs one Redis command through the breaker and the timeout; failures are reported and become `{ ok: false }`. */
  private async command<T>(
    operation: CacheOperation,
    key: string | undefined,
    run: (client: RedisCacheClient) => Promise<T>,
  ): Promise<Attempt<T>> {
    if (this.closing || !this.breaker.tryAcquire()) return { ok: false };
    try {
      const value = await this.send(run);
      this.breaker.recordSuccess();
      return { ok: true, value };
    } catch (error) {
      this.failed(operation, key, error);
      return { ok: false };
    }
  }

  /**
   * Sends one command within `commandTimeoutMs`: only on a ready connection (while the first connection is
   * being made it waits for it, within the same budget); a disconnected client fails at once, and a command
   * whose budget ran out while waiting is never sent late.
   */
  private async send<T>(run: (client: RedisCacheClient) => Promise<T>): Promise<T> {
    let expired = false;
    const task = (async () => {
      await this.whenReady();
      if (expired) throw new CommandTimeoutError(this.commandTimeoutMs);
      return run(this.client);
    })();
    return withTimeout(task, this.commandTimeoutMs, () => {
      expired = true;
    });
  }

  private whenReady(): Promise<void> | undefined {
    const status = this.client.status;
    if (status === "ready") return undefined;
    if (!CONNECTING_STATES.has(status)) throw new NotConnectedError(status);
    if (!this.readyPromise) {
      this.readyPromise = new Promise<void>((resolve) => (this.resolveReady = resolve));
      if (status === "wait") this.client.connect().catch(() => undefined); // a lazyConnect client
    }
    return this.readyPromise;
  }

  private failed(operation: CacheOperation, key: string | undefined, error: unknown): void {
    const cause = sanitizeCause(error);
    let reported: CspmError;
    if (cause.name === "ReplyError") {
      // Redis answered, so it is up: an error reply says nothing about availability.
      this.breaker.recordSuccess();
      reported = new InternalError("Redis rejected a cache command.", { cause });
    } else {
      this.breaker.recordFailure();
      reported = new UnavailableError("Redis cache command failed or timed out; served without the cache.", {
        details: { hint: "Check that Redis is reachable and fast; the cache fails open meanwhile." },
        cause,
      });
    }
    this.telemetry.report(operation, reported, key);
  }

  private async read(key: string): Promise<Read> {
    const got = await this.command("get", key, (client) => client.get(this.redisKeyFor(key)));
    if (!got.ok) return { state: "down" };
    if (got.value === null) return { state: "miss" };
    try {
      return { state: "hit", value: decodeCacheValue(got.value), encoded: got.value };
    } catch (error) {
      this.telemetry.report("decode", new InternalError("A cached value could not be decoded.", { cause: sanitizeCause(error) }), key);
      return { state: "miss" };
    }
  }

  /** Registers the key in its tags first, then writes the value, so a value never exists untracked by its tags. */
  private async store(key: string, encoded: string, options: NormalizedSetOptions): Promise<boolean> {
    const redisKey = this.redisKeyFor(key);
    const tagTtlMs = options.ttlMs + TAG_TTL_MARGIN_MS;
    const tagged = await Promise.all(
      options.tags.map((tag) =>
        this.command("set", key, (client) => client.eval(REGISTER_TAG_SCRIPT, 1, this.tagKey(tag), redisKey, tagTtlMs)),
      ),
    );
    if (!tagged.every((attempt) => attempt.ok)) return false;
    const written = await this.command("set", key, (client) => client.set(redisKey, encoded, "PX", options.ttlMs));
    return written.ok;
  }

  /** Deletes Redis keys: batched DELs on one node, one DEL per key on a Cluster (keys live in different slots). */
  private async deleteRedisKeys(operation: CacheOperation, redisKeys: readonly string[], key: string | undefined): Promise<boolean> {
    if (redisKeys.length === 0) return !this.closing;
    const batches = this.client.isCluster ? redisKeys.map((k) => [k]) : chunk(redisKeys, DEL_BATCH);
    const results = await Promise.all(batches.map((batch) => this.command(operation, key, (client) => client.del(...batch))));
    return results.every((attempt) => attempt.ok);
  }

  private async resolve<T>(key: string, options: NormalizedSetOptions, loader: CacheLoader<T>): Promise<Flight> {
    const first = await this.read(key);
    if (first.state === "hit") {
      this.telemetry.hits += 1;
      return { value: first.value, encoded: first.encoded };
    }
    this.telemetry.misses += 1;
    if (first.state === "down" || !this.lock) return this.load(key, options, loader);
    return this.loadUnderLock(key, options, loader, this.lock);
  }

  /**
   * Takes the recompute lock and loads, or — while another process holds it — polls for the value it will
   * write. Gives up waiting after `waitMs` (or on any Redis failure) and loads without the lock.
   */
  private async loadUnderLock<T>(key: string, options: NormalizedSetOptions, loader: CacheLoader<T>, lock: LockSettings): Promise<Flight> {
    const lockKey = this.lockKey(key);
    const token = randomUUID();
    const deadline = Date.now() + lock.waitMs;
    let waiting = false;
    for (;;) {
      const acquired = await this.command("lock", key, (client) => client.set(lockKey, token, "PX", lock.ttlMs, "NX"));
      if (!acquired.ok) return this.load(key, options, loader);
      if (acquired.value === "OK") {
        try {
          // Another process may have written the value between our miss and our lock.
          const again = await this.read(key);
          if (again.state === "hit") return { value: again.value, encoded: again.encoded };
          return await this.load(key, options, loader);
        } finally {
          await this.command("unlock", key, (client) => client.eval(RELEASE_LOCK_SCRIPT, 1, lockKey, token));
        }
      }
      if (!waiting) {
        waiting = true;
        this.telemetry.lockWaits += 1;
      }
      if (this.closing || Date.now() >= deadline) {
        this.telemetry.lockTimeouts += 1;
        return this.load(key, options, loader);
      }
      await sleep(lock.pollIntervalMs);
      const polled = await this.read(key);
      if (polled.state === "hit") return { value: polled.value, encoded: polled.encoded };
      if (polled.state === "down") return this.load(key, options, loader);
    }
  }

  private async load<T>(key: string, options: NormalizedSetOptions, loader: CacheLoader<T>): Promise<Flight> {
    const loaded = await loadAndEncode(this.telemetry, key, loader);
    if (loaded.encoded !== undefined) await this.store(key, loaded.encoded, options);
    return loaded;
  }
}
