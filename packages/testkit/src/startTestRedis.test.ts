import { describe, expect, it } from "vitest";
import { RedisUnavailableError } from "./redisUnavailableError";
import { startTestRedis, type TestRedis } from "./startTestRedis";

async function redisOrSkip(skip: (note: string) => void, label: string): Promise<TestRedis | undefined> {
  try {
    return await startTestRedis({ label });
  } catch (error) {
    if (error instanceof RedisUnavailableError && !process.env.CI) {
      skip(error.message);
      return undefined;
    }
    throw error;
  }
}

describe("startTestRedis", () => {
  it("gives a prefixed Redis whose cleanup deletes only its own keys", async (ctx) => {
    const redis = await redisOrSkip((note) => ctx.skip(note), "kit");
    if (!redis) return;
    const neighbour = await startTestRedis({ label: "other" });
    try {
      expect(redis.prefix).toMatch(/^t_kit_[0-9a-f]{8}:$/);
      expect(redis.url).toMatch(/^redis:\/\//);
      const client = redis.client;
      expect(client).toBeDefined();
      if (!client) return;
      await client.set(`${redis.prefix}a`, "1");
      await client.set(`${redis.prefix}b`, "2");
      await client.set(`${neighbour.prefix}keep`, "3");
      expect(await redis.keys()).toEqual([`${redis.prefix}a`, `${redis.prefix}b`]);
      expect(await redis.cleanup()).toBe(2);
      expect(await redis.keys()).toEqual([]);
      expect(await client.get(`${redis.prefix}a`)).toBeNull();
      expect(await client.get(`${neighbour.prefix}keep`)).toBe("3");
    } finally {
      await neighbour.stop();
      await redis.stop();
    }
  });
});
