import { ValidationError } from "@cspm/errors";
import { describe, expect, it } from "vitest";
import { describeCacheServiceContract } from "../test-support/cacheServiceContract";
import { MemoryCache, type CacheErrorEvent } from "./index";

describeCacheServiceContract("MemoryCache", async () => {
  let now = 1_000_000;
  const cache = new MemoryCache({ now: () => now });
  return {
    cache,
    elapse: async (ms) => {
      now += ms;
    },
  };
});

describe("MemoryCache specifics", () => {
  it("evicts the least recently used entry beyond maxEntries and drops it from its tags", async () => {
    const cache = new MemoryCache({ maxEntries: 3 });
    await cache.set("a", 1, { ttlSeconds: 60, tags: ["t"] });
    await cache.set("b", 2, { ttlSeconds: 60, tags: ["t"] });
    await cache.set("c", 3, { ttlSeconds: 60 });
    expect(await cache.get("a")).toBe(1); // a is now the most recently used
    await cache.set("d", 4, { ttlSeconds: 60 });
    expect(cache.size).toBe(3);
    expect(await cache.get("b")).toBeUndefined();
    expect(await cache.get("a")).toBe(1);
    expect(await cache.get("c")).toBe(3);
    expect(await cache.get("d")).toBe(4);
    expect(cache.stats().evictions).toBe(1);
    // The evicted key is gone from its tag; invalidating the tag still removes the survivor.
    await cache.invalidateTags("t");
    expect(await cache.get("a")).toBeUndefined();
    await cache.close();
  });

  it("honours fractional TTLs to the millisecond", async () => {
    let now = 0;
    const cache = new MemoryCache({ now: () => now });
    await cache.set("k", "v", { ttlSeconds: 0.25 });
    now = 249;
    expect(await cache.get("k")).toBe("v");
    now = 250;
    expect(await cache.get("k")).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it("overwriting a key replaces its tags", async () => {
    const cache = new MemoryCache();
    await cache.set("k", 1, { ttlSeconds: 60, tags: ["old"] });
    await cache.set("k", 2, { ttlSeconds: 60, tags: ["new"] });
    await cache.invalidateTags("old");
    expect(await cache.get("k")).toBe(2);
    await cache.invalidateTags("new");
    expect(await cache.get("k")).toBeUndefined();
  });

  it("a loader value EJSON cannot encode is returned, not cached, and reported without the value", async () => {
    const events: CacheErrorEvent[] = [];
    const cache = new MemoryCache({ onError: (event) => events.push(event) });
    const circular: Record<string, unknown> = { secret: "s3cr3t-value" };
    circular.self = circular;
    expect(await cache.wrap("c", 60, () => circular)).toBe(circular);
    expect(await cache.get("c")).toBeUndefined();
    expect(events).toHaveLength(1);
    expect(events[0]?.operation).toBe("encode");
    expect(events[0]?.error.code).toBe("VALIDATION_FAILED");
    expect(JSON.stringify(events[0]?.error) + String((events[0]?.error.cause as Error).message)).not.toContain("s3cr3t-value");
    expect(cache.stats().errors).toBe(1);
  });

  it("rejects a non-positive maxEntries", () => {
    expect(() => new MemoryCache({ maxEntries: 0 })).toThrow(ValidationError);
    expect(() => new MemoryCache({ maxEntries: 1.5 })).toThrow(ValidationError);
  });

  it("reports health and stats", async () => {
    const cache = new MemoryCache();
    expect(await cache.health()).toEqual({ backend: "memory", ok: true, breaker: "closed" });
    await cache.get("miss");
    await cache.set("hit", 1, { ttlSeconds: 1 });
    await cache.get("hit");
    expect(cache.stats()).toMatchObject({ backend: "memory", hits: 1, misses: 1, breaker: "closed" });
  });
});
