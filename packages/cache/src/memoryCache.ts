import { ValidationError } from "@cspm/errors";
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
import { CacheTelemetry } from "./cacheTelemetry";
import { LoadFence } from "./loadFence";
import { SingleFlight } from "./singleFlight";

/** Options of a `MemoryCache`. */
export interface MemoryCacheOptions {
  /** Most entries kept; beyond it the least recently used entry is dropped (default 10 000). */
  readonly maxEntries?: number | undefined;
  /** Clock in ms, for tests (default `Date.now`). */
  readonly now?: (() => number) | undefined;
  /** Receives failures the cache swallows (a value EJSON cannot encode inside `wrap`). */
  readonly onError?: CacheErrorHook | undefined;
}

interface MemoryEntry {
  readonly encoded: string;
  readonly expiresAt: number;
  readonly tags: readonly string[];
}

/** Fence names: tags and keys live in one map, so they are told apart by a prefix. */
const tagName = (tag: string): string => `t:${tag}`;
const keyName = (key: string): string => `k:${key}`;

/**
 * An in-process `CacheService`: TTL, tags, a bounded least-recently-used store, single-flight `wrap`.
 * Values are stored as EJSON text (the same encoding as `RedisCache`), so every read returns a fresh copy
 * that keeps `Date`/`ObjectId` types and callers can never mutate cached state. Invalidation is synchronous,
 * and a `wrap` loader that was running when one of its tags (or its key) was invalidated stores nothing.
 * Throws `ValidationError` (`VALIDATION_FAILED`) for invalid options.
 */
export class MemoryCache implements CacheService {
  private readonly maxEntries: number;
  private readonly now: () => number;
  private readonly entries = new Map<string, MemoryEntry>();
  private readonly tagIndex = new Map<string, Set<string>>();
  private readonly flights = new SingleFlight<Flight>();
  private readonly fence = new LoadFence();
  private readonly telemetry: CacheTelemetry;
  private closed = false;

  constructor(options: MemoryCacheOptions = {}) {
    const issues = optionIssue(options.maxEntries, "maxEntries", { min: 1, integer: true });
    if (issues.length > 0) throw new ValidationError("Invalid MemoryCache options.", issues);
    this.maxEntries = options.maxEntries ?? 10_000;
    this.now = options.now ?? Date.now;
    this.telemetry = new CacheTelemetry(options.onError);
  }

  /** Number of entries held, including expired ones not yet swept. */
  get size(): number {
    return this.entries.size;
  }

  async get<T>(cacheKey: CacheKey): Promise<T | undefined> {
    const key = resolveCacheKey(cacheKey);
    const entry = this.lookup(key);
    if (!entry) {
      this.telemetry.miss("get");
      return undefined;
    }
    this.telemetry.hit("get");
    return decodeCacheValue(entry.encoded) as T;
  }

  async set(cacheKey: CacheKey, value: unknown, options: CacheSetOptions): Promise<boolean> {
    const key = resolveCacheKey(cacheKey);
    const normalized = normalizeSetOptions(options);
    const encoded = encodeOrThrow(value);
    if (this.closed) return false;
    this.store(key, encoded, normalized);
    return true;
  }

  async del(keys: string | readonly string[]): Promise<boolean> {
    const list = normalizeCacheKeys(keys);
    if (this.closed) return false;
    for (const key of list) this.remove(key);
    this.fence.invalidated(list.map(keyName));
    return true;
  }

  async wrap<T>(cacheKey: CacheKey, ttl: number | CacheSetOptions, loader: CacheLoader<T>): Promise<T> {
    const key = resolveCacheKey(cacheKey);
    const options = normalizeSetOptions(ttl);
    assertLoader(loader);
    const { result, shared } = await this.flights.run(key, () => this.resolve(key, options, loader));
    return (shared && result.encoded !== undefined ? decodeCacheValue(result.encoded) : result.value) as T;
  }

  async invalidateTags(tags: string | readonly string[]): Promise<boolean> {
    const list = normalizeCacheTags(tags);
    if (this.closed) return false;
    for (const tag of list) {
      const keys = this.tagIndex.get(tag);
      if (!keys) continue;
      for (const key of [...keys]) this.remove(key);
      this.tagIndex.delete(tag);
    }
    this.fence.invalidated(list.map(tagName));
    return true;
  }

  async health(): Promise<CacheHealth> {
    return { backend: "memory", ok: !this.closed, breaker: "closed" };
  }

  stats(): CacheStats {
    const t = this.telemetry;
    return {
      backend: "memory",
      hits: t.hits,
      misses: t.misses,
      loads: t.loads,
      loadErrors: t.loadErrors,
      errors: t.errors,
      lockWaits: 0,
      lockTimeouts: 0,
      evictions: t.evictions,
      inFlight: this.flights.size,
      pendingInvalidations: 0,
      breaker: "closed",
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.entries.clear();
    this.tagIndex.clear();
  }

  private async resolve<T>(key: string, options: NormalizedSetOptions, loader: CacheLoader<T>): Promise<Flight> {
    const entry = this.lookup(key);
    if (entry) {
      this.telemetry.hit("wrap");
      return { value: decodeCacheValue(entry.encoded), encoded: entry.encoded };
    }
    this.telemetry.miss("wrap");
    const ticket = this.fence.begin();
    try {
      const loaded = await loadAndEncode(this.telemetry, key, loader);
      const fresh = this.fence.unchangedSince(ticket, [keyName(key), ...options.tags.map(tagName)]);
      if (loaded.encoded !== undefined && fresh && !this.closed) this.store(key, loaded.encoded, options);
      return loaded;
    } finally {
      this.fence.end();
    }
  }

  /** The live entry for `key`, marked most recently used; drops it if expired. */
  private lookup(key: string): MemoryEntry | undefined {
    if (this.closed) return undefined;
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.remove(key);
      return undefined;
    }
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry;
  }

  private store(key: string, encoded: string, options: NormalizedSetOptions): void {
    this.remove(key);
    this.entries.set(key, { encoded, expiresAt: this.now() + options.ttlMs, tags: options.tags });
    for (const tag of options.tags) {
      let keys = this.tagIndex.get(tag);
      if (!keys) {
        keys = new Set();
        this.tagIndex.set(tag, keys);
      }
      keys.add(key);
    }
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.remove(oldest.value);
      this.telemetry.evictions += 1;
    }
  }

  private remove(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    for (const tag of entry.tags) {
      const keys = this.tagIndex.get(tag);
      if (!keys) continue;
      keys.delete(key);
      if (keys.size === 0) this.tagIndex.delete(tag);
    }
  }
}
