/**
 * The behaviour every `CacheService` must show, run against `MemoryCache` (unit) and `RedisCache` (integration).
 * Test-only; not part of the package build.
 */
import { isCspmError, ValidationError } from "@cspm/errors";
import { Decimal128, ObjectId } from "bson";
import { afterEach, describe, expect, it } from "vitest";
import type { CacheService } from "../src/cacheService";
import { tenantCacheKey, tenantCacheTag } from "../src/tenantCacheKey";

/** A fresh cache plus a way to let `ms` of cache time pass (a fake clock for memory, a real pause for Redis). */
export interface ContractSubject {
  readonly cache: CacheService;
  elapse(ms: number): Promise<void>;
}

async function expectValidationError(promise: Promise<unknown>): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ValidationError);
  expect(isCspmError(error) && error.code).toBe("VALIDATION_FAILED");
}

/**
 * A loader that stops once started until `release()`: `running` settles when it has begun reading. Its value is
 * what it would have read at that moment (`values[n]` for the n-th call).
 */
function pausedLoader(...values: string[]) {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let started!: () => void;
  const running = new Promise<void>((resolve) => (started = resolve));
  let calls = 0;
  const loader = async () => {
    const seen = values[Math.min(calls, values.length - 1)] as string;
    calls += 1;
    started();
    await gate;
    return seen;
  };
  return { loader, running, release, calls: () => calls };
}

/** Declares the shared `CacheService` tests; `create` is called once per test, and its cache closed afterwards. */
export function describeCacheServiceContract(name: string, create: () => Promise<ContractSubject>): void {
  describe(`${name} — CacheService contract`, () => {
    let subject: ContractSubject | undefined;
    const open = async () => {
      subject = await create();
      return subject;
    };
    afterEach(async () => {
      await subject?.cache.close();
      subject = undefined;
    });

    it("get misses, set/get round-trips, del removes one or many keys", async () => {
      const { cache } = await open();
      expect(await cache.get("k1")).toBeUndefined();
      expect(await cache.set("k1", { n: 1 }, { ttlSeconds: 60 })).toBe(true);
      expect(await cache.set("k2", "two", { ttlSeconds: 60 })).toBe(true);
      expect(await cache.set("k3", null, { ttlSeconds: 60 })).toBe(true);
      expect(await cache.get("k1")).toEqual({ n: 1 });
      expect(await cache.get("k3")).toBeNull();
      expect(await cache.del("k1")).toBe(true);
      expect(await cache.get("k1")).toBeUndefined();
      expect(await cache.get("k2")).toBe("two");
      expect(await cache.del(["k2", "k3", "never-set"])).toBe(true);
      expect(await cache.get("k2")).toBeUndefined();
      expect(await cache.get("k3")).toBeUndefined();
    });

    it("expires entries after their TTL and keeps longer-lived ones", async () => {
      const { cache, elapse } = await open();
      await cache.set("short", 1, { ttlSeconds: 1 });
      await cache.set("long", 2, { ttlSeconds: 60 });
      expect(await cache.get("short")).toBe(1);
      await elapse(1600);
      expect(await cache.get("short")).toBeUndefined();
      expect(await cache.get("long")).toBe(2);
    });

    it("keeps Date, ObjectId and Decimal128 types through the cache", async () => {
      const { cache } = await open();
      const id = new ObjectId();
      await cache.set("doc", { _id: id, created_at: new Date(86_400_000), cost: Decimal128.fromString("0.30") }, { ttlSeconds: 60 });
      const back = await cache.get<{ _id: ObjectId; created_at: Date; cost: Decimal128 }>("doc");
      expect(back?._id).toBeInstanceOf(ObjectId);
      expect(back?._id.toHexString()).toBe(id.toHexString());
      expect(back?.created_at).toBeInstanceOf(Date);
      expect(back?.created_at.getTime()).toBe(86_400_000);
      expect(back?.cost).toBeInstanceOf(Decimal128);
      expect(back?.cost.toString()).toBe("0.30");
    });

    it("hands out copies: mutating a stored or returned object does not change the cache", async () => {
      const { cache } = await open();
      const original = { list: [1, 2], nested: { a: 1 } };
      await cache.set("obj", original, { ttlSeconds: 60 });
      original.list.push(3);
      const first = await cache.get<typeof original>("obj");
      first!.nested.a = 99;
      expect(await cache.get("obj")).toEqual({ list: [1, 2], nested: { a: 1 } });
    });

    it("isolates tenants: colliding-looking parts map to different keys, a tenant tag spares other tenants", async () => {
      const { cache } = await open();
      const keyA = tenantCacheKey("a", "b:c");
      const keyAB = tenantCacheKey("a:b", "c");
      await cache.set(keyA, "tenant a", { ttlSeconds: 60, tags: [tenantCacheTag("a")] });
      await cache.set(keyAB, "tenant a:b", { ttlSeconds: 60, tags: [tenantCacheTag("a:b")] });
      expect(await cache.get(keyA)).toBe("tenant a");
      expect(await cache.get(keyAB)).toBe("tenant a:b");
      expect(await cache.invalidateTags(tenantCacheTag("a"))).toBe(true);
      expect(await cache.get(keyA)).toBeUndefined();
      expect(await cache.get(keyAB)).toBe("tenant a:b");
    });

    it("invalidateTags deletes every key carrying any of the tags, and only those", async () => {
      const { cache } = await open();
      await cache.set("x", 1, { ttlSeconds: 60, tags: ["accounts", "team"] });
      await cache.set("y", 2, { ttlSeconds: 60, tags: ["findings"] });
      await cache.set("z", 3, { ttlSeconds: 60, tags: ["team"] });
      await cache.set("w", 4, { ttlSeconds: 60 });
      expect(await cache.invalidateTags(["accounts", "unknown-tag"])).toBe(true);
      expect(await cache.get("x")).toBeUndefined();
      expect(await cache.get("z")).toBe(3);
      expect(await cache.invalidateTags("team")).toBe(true);
      expect(await cache.get("z")).toBeUndefined();
      expect(await cache.get("y")).toBe(2);
      expect(await cache.get("w")).toBe(4);
      // A re-set key is tracked again after its tag was invalidated.
      await cache.set("x", 5, { ttlSeconds: 60, tags: ["accounts"] });
      await cache.invalidateTags("accounts");
      expect(await cache.get("x")).toBeUndefined();
    });

    it("wrap: 100 concurrent misses on one key run the loader once; every caller gets its own equal copy", async () => {
      const { cache } = await open();
      let calls = 0;
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const loader = async () => {
        calls += 1;
        await gate;
        return { _id: new ObjectId("64b7f1f1f1f1f1f1f1f1f1f1"), at: new Date(5) };
      };
      const pending = Array.from({ length: 100 }, () => cache.wrap("hot", 60, loader));
      release();
      const results = await Promise.all(pending);
      expect(calls).toBe(1);
      expect(new Set(results).size).toBe(100);
      for (const r of results) {
        expect(r._id).toBeInstanceOf(ObjectId);
        expect(r._id.toHexString()).toBe("64b7f1f1f1f1f1f1f1f1f1f1");
        expect(r.at).toEqual(new Date(5));
      }
      // Now cached: another wrap is a hit.
      expect((await cache.wrap("hot", 60, loader))._id.toHexString()).toBe("64b7f1f1f1f1f1f1f1f1f1f1");
      expect(calls).toBe(1);
      const stats = cache.stats();
      expect(stats.loads).toBe(1);
      expect(stats.hits).toBeGreaterThanOrEqual(1);
      expect(stats.inFlight).toBe(0);
    });

    it("wrap accepts { ttlSeconds, tags } and the tags invalidate the wrapped value", async () => {
      const { cache } = await open();
      let calls = 0;
      const loader = () => ++calls;
      expect(await cache.wrap("tagged", { ttlSeconds: 60, tags: ["t1"] }, loader)).toBe(1);
      expect(await cache.wrap("tagged", { ttlSeconds: 60, tags: ["t1"] }, loader)).toBe(1);
      await cache.invalidateTags("t1");
      expect(await cache.wrap("tagged", { ttlSeconds: 60, tags: ["t1"] }, loader)).toBe(2);
    });

    it("wrap: a loader that was running when its tag was invalidated stores nothing (its caller still gets the value)", async () => {
      const { cache } = await open();
      const { loader, running, release, calls } = pausedLoader("read before the write", "read after the write");
      const racing = cache.wrap("raced", { ttlSeconds: 60, tags: ["team"] }, loader);
      await running;
      // The write lands now and invalidates while the first loader is still running.
      expect(await cache.invalidateTags("team")).toBe(true);
      release();
      expect(await racing).toBe("read before the write");
      expect(await cache.get("raced")).toBeUndefined();
      expect(await cache.wrap("raced", { ttlSeconds: 60, tags: ["team"] }, loader)).toBe("read after the write");
      expect(await cache.get("raced")).toBe("read after the write");
      expect(calls()).toBe(2);
    });

    it("wrap: a loader that was running when its key was deleted stores nothing", async () => {
      const { cache } = await open();
      const { loader, running, release } = pausedLoader("old");
      const racing = cache.wrap("deleted", 60, loader);
      await running;
      expect(await cache.del("deleted")).toBe(true);
      release();
      expect(await racing).toBe("old");
      expect(await cache.get("deleted")).toBeUndefined();
    });

    it("an invalidated value stays invalid however often the tag is invalidated, and a later value of the tag is served", async () => {
      const { cache } = await open();
      await cache.set("a", "v1", { ttlSeconds: 60, tags: ["t", "u"] });
      expect(await cache.invalidateTags(["u"])).toBe(true);
      expect(await cache.invalidateTags(["u", "t"])).toBe(true);
      expect(await cache.get("a")).toBeUndefined();
      await cache.set("a", "v2", { ttlSeconds: 60, tags: ["t", "u"] });
      expect(await cache.get("a")).toBe("v2");
      expect(cache.stats().pendingInvalidations).toBe(0);
    });

    it("accepts a key given as a function and builds it for each call", async () => {
      const { cache } = await open();
      let built = 0;
      const key = () => {
        built += 1;
        return tenantCacheKey("team", "lazy");
      };
      expect(await cache.wrap(key, 60, () => "value")).toBe("value");
      expect(await cache.get(key)).toBe("value");
      expect(await cache.set(key, "next", { ttlSeconds: 60 })).toBe(true);
      expect(await cache.get(tenantCacheKey("team", "lazy"))).toBe("next");
      expect(built).toBe(3);
      await expectValidationError(cache.get(() => ""));
    });

    it("wrap: a loader error reaches every concurrent caller unchanged and is not cached", async () => {
      const { cache } = await open();
      const boom = new Error("loader failed");
      let calls = 0;
      const failing = async () => {
        calls += 1;
        await Promise.resolve();
        throw boom;
      };
      const outcomes = await Promise.allSettled(Array.from({ length: 10 }, () => cache.wrap("bad", 60, failing)));
      expect(calls).toBe(1);
      for (const outcome of outcomes) {
        expect(outcome.status).toBe("rejected");
        expect((outcome as PromiseRejectedResult).reason).toBe(boom);
      }
      expect(await cache.get("bad")).toBeUndefined();
      expect(await cache.wrap("bad", 60, () => "recovered")).toBe("recovered");
      expect(cache.stats().loadErrors).toBe(1);
    });

    it("wrap does not cache undefined (but does cache null)", async () => {
      const { cache } = await open();
      let calls = 0;
      await cache.wrap("u", 60, () => {
        calls += 1;
        return undefined;
      });
      await cache.wrap("u", 60, () => {
        calls += 1;
        return undefined;
      });
      expect(calls).toBe(2);
      await cache.wrap("n", 60, () => null);
      expect(await cache.wrap("n", 60, () => "not used")).toBeNull();
    });

    it("rejects bad arguments with VALIDATION_FAILED", async () => {
      const { cache } = await open();
      await expectValidationError(cache.get(""));
      await expectValidationError(cache.set("k", 1, { ttlSeconds: 0 }));
      await expectValidationError(cache.set("k", 1, { ttlSeconds: Number.POSITIVE_INFINITY }));
      await expectValidationError(cache.set("k", undefined, { ttlSeconds: 1 }));
      await expectValidationError(cache.set("k", 1, { ttlSeconds: 1, tags: [""] }));
      await expectValidationError(cache.del([] as unknown as string[]).then(() => cache.del("")));
      await expectValidationError(cache.wrap("k", -1, () => 1));
      await expectValidationError(cache.wrap("k", 1, "nope" as unknown as () => number));
      await expectValidationError(cache.invalidateTags(""));
      const circular: Record<string, unknown> = {};
      circular.self = circular;
      await expectValidationError(cache.set("k", circular, { ttlSeconds: 1 }));
    });

    it("after close(), reads miss, writes resolve false and wrap still serves the loader", async () => {
      const { cache } = await open();
      await cache.set("k", 1, { ttlSeconds: 60 });
      await cache.close();
      await cache.close();
      expect(await cache.get("k")).toBeUndefined();
      expect(await cache.set("k", 2, { ttlSeconds: 60 })).toBe(false);
      expect(await cache.wrap("k", 60, () => "fresh")).toBe("fresh");
      expect((await cache.health()).ok).toBe(false);
    });
  });
}
