/**
 * RedisCache on an ioredis Cluster: a private 3-master Redis Cluster of child processes. Proves that no
 * command spans hash slots (tags, multi-key del, locks) so the cache scales past one Redis.
 */
import { Cluster } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeCacheServiceContract } from "../test-support/cacheServiceContract";
import { type RedisClusterServers, startRedisCluster } from "@cspm/testkit";
import { RedisCache } from "./index";

let cluster: RedisClusterServers;
let client: Cluster;
let counter = 0;

function connect(): Cluster {
  return new Cluster([...cluster.nodes], { redisOptions: { maxRetriesPerRequest: 1 } });
}

beforeAll(async () => {
  cluster = await startRedisCluster(3);
  client = connect();
  await client.ping();
}, 60_000);

afterAll(async () => {
  await client?.quit();
  await cluster?.stop();
});

describeCacheServiceContract("RedisCache on a Cluster", async () => {
  counter += 1;
  return {
    cache: new RedisCache({ redis: client, keyPrefix: `contract${counter}:`, commandTimeoutMs: 500 }),
    elapse: (ms) => new Promise((r) => setTimeout(r, ms)),
  };
});

describe("RedisCache Cluster specifics", () => {
  it("tags and multi-key del work across slots on several nodes (where a multi-key DEL would fail)", async () => {
    const cache = new RedisCache({ redis: client, keyPrefix: "spread:", commandTimeoutMs: 500 });
    const keys = Array.from({ length: 24 }, (_, i) => `acct:${i}`);
    const slots = await Promise.all(keys.map((k) => client.cluster("KEYSLOT", cache.redisKeyFor(k)) as Promise<number>));
    const owners = new Set(
      slots.map((slot) => {
        const node = client.slots[slot]?.[0];
        return node;
      }),
    );
    expect(owners.size).toBeGreaterThan(1);
    // Control: a plain multi-key DEL across those slots is refused by the Cluster.
    await expect(client.del(cache.redisKeyFor(keys[0]!), cache.redisKeyFor(keys[1]!), cache.redisKeyFor(keys[2]!))).rejects.toThrow(
      /CROSSSLOT/,
    );

    for (const key of keys) expect(await cache.set(key, { key }, { ttlSeconds: 60, tags: ["team"] })).toBe(true);
    expect(await cache.del(keys.slice(0, 6))).toBe(true);
    for (const key of keys.slice(0, 6)) expect(await cache.get(key)).toBeUndefined();
    expect(await cache.get(keys[6]!)).toEqual({ key: keys[6] });
    expect(await cache.invalidateTags(["team", "other"])).toBe(true);
    for (const key of keys) expect(await cache.get(key)).toBeUndefined();
    expect(cache.stats().errors).toBe(0);
    await cache.close();
  });

  it("two caches on separate Cluster connections share the recompute lock: one loader call", async () => {
    const other = connect();
    const lock = { ttlMs: 10_000, waitMs: 10_000, pollIntervalMs: 5 };
    const a = new RedisCache({ redis: client, keyPrefix: "lock:", commandTimeoutMs: 500, lock });
    const b = new RedisCache({ redis: other, keyPrefix: "lock:", commandTimeoutMs: 500, lock, closeClient: true });
    let calls = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const loader = async () => {
      calls += 1;
      await gate;
      return { computed: calls };
    };
    const pending = [
      ...Array.from({ length: 50 }, () => a.wrap("k", 60, loader)),
      ...Array.from({ length: 50 }, () => b.wrap("k", 60, loader)),
    ];
    for (let i = 0; i < 1000 && a.stats().lockWaits + b.stats().lockWaits === 0; i += 1) await new Promise((r) => setTimeout(r, 10));
    expect(a.stats().lockWaits + b.stats().lockWaits).toBe(1);
    release();
    for (const r of await Promise.all(pending)) expect(r).toEqual({ computed: 1 });
    expect(calls).toBe(1);
    await a.close();
    await b.close();
    expect(other.status).toBe("end");
  });
});
