import { describe, expect, it } from "vitest";
import { CompatEngine } from "./compatEngine";

const connection = { id: 1, remote: "test" };

describe("CompatEngine", () => {
  it("expires documents through TTL indexes", async () => {
    const engine = new CompatEngine({ ttlMonitorIntervalMs: 60_000 });
    try {
      await engine.runCommand(
        "ttl",
        { createIndexes: "s", indexes: [{ key: { at: 1 }, name: "at_1", expireAfterSeconds: 60 }] },
        connection,
      );
      const now = Date.now();
      await engine.runCommand(
        "ttl",
        {
          insert: "s",
          documents: [
            { _id: "old", at: new Date(now - 120_000) },
            { _id: "new", at: new Date(now) },
            { _id: "none", at: "x" },
          ],
        },
        connection,
      );
      expect(engine.expireTtl(now)).toBe(1);
      const reply = await engine.runCommand("ttl", { find: "s", filter: {} }, connection);
      expect((reply.cursor as { firstBatch: { _id: string }[] }).firstBatch.map((d) => d._id)).toEqual(["new", "none"]);
    } finally {
      engine.dispose();
    }
  });

  it("adds $clusterTime and operationTime to every reply, errors included", async () => {
    const engine = new CompatEngine();
    try {
      const ok = await engine.runCommand("x", { ping: 1 }, connection);
      const failed = await engine.runCommand("x", { nope: 1 }, connection);
      for (const reply of [ok, failed]) {
        expect(reply.$clusterTime).toBeDefined();
        expect(reply.operationTime).toBeDefined();
      }
      expect(failed).toMatchObject({ ok: 0, code: 59 });
    } finally {
      engine.dispose();
    }
  });

  it("answers known-but-unsupported commands with 115 naming them", async () => {
    const engine = new CompatEngine();
    try {
      const reply = await engine.runCommand("x", { mapReduce: "c", map: "", reduce: "" }, connection);
      expect(reply).toMatchObject({ ok: 0, code: 115, codeName: "CommandNotSupported" });
      expect(String(reply.errmsg)).toContain("mapReduce");
    } finally {
      engine.dispose();
    }
  });
});
