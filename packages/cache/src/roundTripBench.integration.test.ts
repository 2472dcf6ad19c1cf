import { startTestRedis, type TestRedis } from "@cspm/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCacheRoundTripBenchmark } from "../bench/roundTripBench";

// Checks what the benchmark counts and that it cleans up, never how fast anything is.
describe("runCacheRoundTripBenchmark", () => {
  let redis: TestRedis;

  beforeAll(async () => {
    redis = await startTestRedis({ label: "rtbench" });
  });

  afterAll(async () => {
    await redis.stop();
  });

  it("counts before/after round trips per operation, replays the lost-reply repro on both, and deletes its keys", async () => {
    const result = await runCacheRoundTripBenchmark({ redisUrl: redis.url, iterations: 4 });
    const byName = new Map(result.cases.map((c) => [c.name, c]));
    const trips = (name: string) => {
      const c = byName.get(name);
      return c && [c.before.roundTrips, c.after.roundTrips, c.before.commands, c.after.commands];
    };
    // Before: GET; tag EVAL(s) in parallel, then SET; GET, SET NX, GET, EVAL + SET, EVAL; EVAL pop, then DEL.
    expect(trips("get, hit (1 tag)")).toEqual([1, 1, 1, 1]);
    expect(trips("set (1 tag)")).toEqual([2, 1, 2, 1]);
    expect(trips("set (3 tags)")).toEqual([2, 1, 4, 1]);
    expect(trips("wrap, miss (recompute lock, 1 tag)")).toEqual([6, 4, 6, 4]);
    expect(trips("wrap, hit (1 tag)")).toEqual([1, 1, 1, 1]);
    expect(trips("invalidateTags (1 tag over 1 entry)")).toEqual([2, 1, 2, 1]);
    expect(trips("invalidateTags (1 tag over 100 entries)")).toEqual([2, 1, 2, 1]);
    // Three pops in parallel, each followed by its DEL: 2 deep, or 3 when a DEL's reply lands before another pop's.
    expect(trips("invalidateTags (3 tags)")?.slice(1)).toEqual([1, 6, 1]);
    expect(byName.get("invalidateTags (3 tags)")?.before.roundTrips).toBeGreaterThanOrEqual(2);
    for (const c of result.cases) {
      expect(Number.isFinite(c.before.medianMs) && Number.isFinite(c.after.medianMs)).toBe(true);
    }
    expect(result.lostReply.before).toEqual({ timedOut: true, staleRead: true, staleAfterRetry: true });
    expect(result.lostReply.after).toEqual({ timedOut: true, staleRead: false, staleAfterRetry: false });
    expect((await redis.keys()).filter((key) => key.startsWith("bench:rt:"))).toEqual([]);
  }, 60_000);
});
