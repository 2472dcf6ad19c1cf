/**
 * The Redis commands `RedisCache` sent before generation-stamped tags (package version 0.0.0), kept only as the
 * baseline of `pnpm bench`: tags were Redis sets of member keys; `set` added the key to each tag's set (one EVAL
 * per tag, script text sent every time) and then wrote the value; `invalidateTags` popped each tag's set (EVAL)
 * and then deleted its members (DEL). The same value encoding, lock and per-command timeout; no breaker, no
 * single-flight, no fail-open reporting — so it is, if anything, a little cheaper per call than the original.
 */
import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { decodeCacheValue, encodeCacheValue } from "../src/cacheCodec";

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

function timed<T>(promise: Promise<T>, ms: number): Promise<T> {
  promise.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The former tag-set algorithm on an ioredis client (bench baseline). Failures resolve like the original: miss / false. */
export class LegacyTagCache {
  constructor(
    private readonly client: Redis,
    private readonly keyPrefix: string,
    private readonly commandTimeoutMs = 150,
  ) {}

  private valueKey(key: string): string {
    return `${this.keyPrefix}v:${key}`;
  }

  private tagKey(tag: string): string {
    return `${this.keyPrefix}tag:${tag}`;
  }

  async get<T>(key: string): Promise<T | undefined> {
    try {
      const raw = await timed(this.client.get(this.valueKey(key)), this.commandTimeoutMs);
      return raw === null ? undefined : (decodeCacheValue(raw) as T);
    } catch {
      return undefined;
    }
  }

  async set(key: string, value: unknown, options: { ttlSeconds: number; tags?: readonly string[] }): Promise<boolean> {
    const ttlMs = Math.round(options.ttlSeconds * 1000);
    const redisKey = this.valueKey(key);
    try {
      await Promise.all(
        (options.tags ?? []).map((tag) =>
          timed(this.client.eval(REGISTER_TAG_SCRIPT, 1, this.tagKey(tag), redisKey, ttlMs + 1000), this.commandTimeoutMs),
        ),
      );
      await timed(this.client.set(redisKey, encodeCacheValue(value), "PX", ttlMs), this.commandTimeoutMs);
      return true;
    } catch {
      return false;
    }
  }

  /** `wrap` with the recompute lock, as the original ran it on a miss: GET, SET NX, GET, loader, tags + SET, release. */
  async wrap<T>(key: string, options: { ttlSeconds: number; tags?: readonly string[] }, loader: () => Promise<T>): Promise<T> {
    const hit = await this.get<T>(key);
    if (hit !== undefined) return hit;
    const lockKey = `${this.keyPrefix}lock:${key}`;
    const token = randomUUID();
    const acquired = await timed(this.client.set(lockKey, token, "PX", 5000, "NX"), this.commandTimeoutMs).catch(() => null);
    try {
      const again = acquired === "OK" ? await this.get<T>(key) : undefined;
      if (again !== undefined) return again;
      const value = await loader();
      await this.set(key, value, options);
      return value;
    } finally {
      if (acquired === "OK") await timed(this.client.eval(RELEASE_LOCK_SCRIPT, 1, lockKey, token), this.commandTimeoutMs).catch(() => 0);
    }
  }

  async invalidateTags(tags: readonly string[]): Promise<boolean> {
    const results = await Promise.all(
      tags.map(async (tag) => {
        try {
          const members = (await timed(this.client.eval(POP_TAG_SCRIPT, 1, this.tagKey(tag)), this.commandTimeoutMs)) as string[];
          const batches: string[][] = [];
          for (let i = 0; i < members.length; i += 256) batches.push(members.slice(i, i + 256));
          await Promise.all(batches.map((batch) => timed(this.client.del(...batch), this.commandTimeoutMs)));
          return true;
        } catch {
          return false;
        }
      }),
    );
    return results.every(Boolean);
  }
}
