/**
 * The Redis commands `RedisCache` sent before generation-stamped tags (package version 0.0.0), kept only as the
 * baseline of `pnpm bench`: tags were Redis sets of member keys; `set` added the key to each tag's set (one EVAL
 * per tag, script text sent every time) and then wrote the value; `invalidateTags` popped each tag's set (EVAL)
 * and then deleted its members (DEL); `wrap` on a miss read, took the lock, read again, loaded, stored (tags, then
 * SET) and released the lock. Every command goes through the same plumbing as today's `RedisCache` (per-command
 * timeout, breaker, ready wait, sanitized failure reports), with the same argument checks, codec and per-process
 * single-flight, so the comparison measures the algorithm, not the plumbing.
 */
import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { normalizeCacheTags, normalizeSetOptions, resolveCacheKey } from "../src/cacheArguments";
import { decodeCacheValue, encodeCacheValue } from "../src/cacheCodec";
import type { CacheSetOptions } from "../src/cacheService";
import { CacheTelemetry } from "../src/cacheTelemetry";
import { CircuitBreaker } from "../src/circuitBreaker";
import { RedisCommands } from "../src/redisCommands";
import { SingleFlight } from "../src/singleFlight";

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

/** The former tag-set algorithm on an ioredis client (bench baseline). Failures resolve like the original: miss / false. */
export class LegacyTagCache {
  private readonly commands: RedisCommands;
  private readonly flights = new SingleFlight<unknown>();

  constructor(
    client: Redis,
    private readonly keyPrefix: string,
    commandTimeoutMs = 150,
  ) {
    this.commands = new RedisCommands(client, commandTimeoutMs, new CircuitBreaker(), new CacheTelemetry(undefined));
    client.on("ready", () => this.commands.markReady());
  }

  private valueKey(key: string): string {
    return `${this.keyPrefix}v:${key}`;
  }

  private tagKey(tag: string): string {
    return `${this.keyPrefix}tag:${tag}`;
  }

  async get<T>(cacheKey: string): Promise<T | undefined> {
    const key = resolveCacheKey(cacheKey);
    const got = await this.commands.run("get", key, (c) => c.get(this.valueKey(key)));
    return got.ok && got.value !== null ? (decodeCacheValue(got.value) as T) : undefined;
  }

  async set(cacheKey: string, value: unknown, options: CacheSetOptions): Promise<boolean> {
    const key = resolveCacheKey(cacheKey);
    const { ttlMs, tags } = normalizeSetOptions(options);
    return this.store(key, encodeCacheValue(value), ttlMs, tags);
  }

  /** `wrap` with the recompute lock, as the original ran it on a miss: GET, SET NX, GET, loader, tags + SET, release. */
  async wrap<T>(cacheKey: string, ttl: CacheSetOptions, loader: () => Promise<T>): Promise<T> {
    const key = resolveCacheKey(cacheKey);
    const { ttlMs, tags } = normalizeSetOptions(ttl);
    const { result } = await this.flights.run(key, async () => {
      const hit = await this.get<T>(key);
      if (hit !== undefined) return hit;
      const lockKey = `${this.keyPrefix}lock:${key}`;
      const token = randomUUID();
      const acquired = await this.commands.run("lock", key, (c) => c.set(lockKey, token, "PX", 5000, "NX"));
      const locked = acquired.ok && acquired.value === "OK";
      try {
        const again = locked ? await this.get<T>(key) : undefined;
        if (again !== undefined) return again;
        const value = await loader();
        await this.store(key, encodeCacheValue(value), ttlMs, tags);
        return value;
      } finally {
        if (locked) await this.commands.run("unlock", key, (c) => c.eval(RELEASE_LOCK_SCRIPT, 1, lockKey, token));
      }
    });
    return result as T;
  }

  async invalidateTags(tags: string | readonly string[]): Promise<boolean> {
    const results = await Promise.all(
      normalizeCacheTags(tags).map(async (tag) => {
        const popped = await this.commands.run("invalidateTags", undefined, (c) => c.eval(POP_TAG_SCRIPT, 1, this.tagKey(tag)));
        if (!popped.ok) return false;
        const members = (popped.value as string[]) ?? [];
        const batches: string[][] = [];
        for (let i = 0; i < members.length; i += 256) batches.push(members.slice(i, i + 256));
        const deleted = await Promise.all(batches.map((batch) => this.commands.run("invalidateTags", undefined, (c) => c.del(...batch))));
        return deleted.every((d) => d.ok);
      }),
    );
    return results.every(Boolean);
  }

  private async store(key: string, encoded: string, ttlMs: number, tags: readonly string[]): Promise<boolean> {
    const redisKey = this.valueKey(key);
    const tagged = await Promise.all(
      tags.map((tag) => this.commands.run("set", key, (c) => c.eval(REGISTER_TAG_SCRIPT, 1, this.tagKey(tag), redisKey, ttlMs + 1000))),
    );
    if (!tagged.every((t) => t.ok)) return false;
    return (await this.commands.run("set", key, (c) => c.set(redisKey, encoded, "PX", ttlMs))).ok;
  }
}
