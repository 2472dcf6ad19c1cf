import { MongoClient } from "mongodb";
import { describe, expect, it } from "vitest";
import { startTestMongo } from "./startTestMongo";

const quiet = () => undefined;

describe("startTestMongo", () => {
  it("uses MONGODB_URI as an external server without starting anything", async () => {
    const mongo = await startTestMongo({ env: { MONGODB_URI: "mongodb://db.example:27017/?replicaSet=prod" }, log: quiet });
    expect(mongo).toMatchObject({ engine: "external", uri: "mongodb://db.example:27017/?replicaSet=prod", replicaSet: "prod" });
    await mongo.stop();
  });

  it("starts the offline engine when forced, and the driver can use it", async () => {
    const lines: string[] = [];
    const mongo = await startTestMongo({ env: { CSPM_TEST_MONGO: "compat" }, log: (l) => lines.push(l) });
    try {
      expect(mongo.engine).toBe("compat");
      expect(mongo.replicaSet).toBe("rs0");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain("compat");
      const client = await new MongoClient(mongo.uri).connect();
      expect(await client.db("admin").command({ ping: 1 })).toMatchObject({ ok: 1 });
      await client.close();
    } finally {
      await mongo.stop();
    }
  });

  it("falls back to the offline engine when there is no MONGODB_URI and no mongod", async () => {
    const mongo = await startTestMongo({ env: { MONGOMS_SYSTEM_BINARY: "/nonexistent/mongod" }, log: quiet });
    expect(mongo.engine).toBe("compat");
    await mongo.stop();
  });

  it("fails with instructions when memory-server is forced without a binary", async () => {
    const attempt = startTestMongo({
      env: { CSPM_TEST_MONGO: "memory-server", MONGOMS_SYSTEM_BINARY: "/nonexistent/mongod" },
      log: quiet,
      memoryServerTimeoutMs: 5000,
    });
    await expect(attempt).rejects.toThrow(/MONGOMS_SYSTEM_BINARY[\s\S]*MONGODB_URI/);
  });

  it("rejects an unknown CSPM_TEST_MONGO value and external without a URI", async () => {
    await expect(startTestMongo({ env: { CSPM_TEST_MONGO: "mystery" }, log: quiet })).rejects.toThrow(/external, memory-server, compat/);
    await expect(startTestMongo({ env: { CSPM_TEST_MONGO: "external" }, log: quiet })).rejects.toThrow(/MONGODB_URI/);
  });
});
