import { ValidationError } from "@cspm/errors";
import { describe, expect, it } from "vitest";
import { NoCache } from "./index";

describe("NoCache (caching switched off)", () => {
  it("stores nothing: reads miss, set resolves false, every wrap runs its loader", async () => {
    const cache = new NoCache();
    expect(await cache.set("k", 1, { ttlSeconds: 60 })).toBe(false);
    expect(await cache.get("k")).toBeUndefined();
    let calls = 0;
    const loader = async () => ++calls;
    expect(await Promise.all([cache.wrap("k", 60, loader), cache.wrap("k", 60, loader)])).toEqual([1, 2]);
    expect(await cache.invalidateTags("t")).toBe(true);
    expect(await cache.del(["k"])).toBe(true);
    expect(cache.stats()).toMatchObject({ backend: "none", hits: 0, misses: 3, loads: 2, pendingInvalidations: 0 });
    expect(await cache.health()).toEqual({ backend: "none", ok: true, breaker: "closed" });
  });

  it("never builds a key given as a function", async () => {
    const cache = new NoCache();
    const key = () => {
      throw new Error("the key was built");
    };
    expect(await cache.wrap(key, 60, () => "value")).toBe("value");
    expect(await cache.get(key)).toBeUndefined();
    expect(await cache.set(key, 1, { ttlSeconds: 1 })).toBe(false);
  });

  it("rethrows loader errors unchanged and counts them; a non-function loader is VALIDATION_FAILED", async () => {
    const cache = new NoCache();
    const boom = new Error("loader failed");
    await expect(
      cache.wrap("k", 60, () => {
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(cache.stats().loadErrors).toBe(1);
    await expect(cache.wrap("k", 60, "nope" as unknown as () => number)).rejects.toBeInstanceOf(ValidationError);
  });

  it("after close(), invalidation and del resolve false and health is not ok", async () => {
    const cache = new NoCache();
    await cache.close();
    expect(await cache.invalidateTags("t")).toBe(false);
    expect(await cache.del("k")).toBe(false);
    expect((await cache.health()).ok).toBe(false);
    expect(await cache.wrap("k", 60, () => "still served")).toBe("still served");
  });
});
