import { isCspmError, type CspmError } from "@cspm/errors";
import { MongoClient } from "mongodb";
import { afterAll, describe, expect, it } from "vitest";
import { CommandMonitor } from "./commandMonitor";
import { CSPMDatabaseManager } from "./cspmDatabaseManager";
import { asyncClientStats, closeAsyncClients, getAsyncClient } from "./getAsyncClient";

// These tests need no MongoDB: they prove how failures surface. Port 1 on loopback refuses connections.
const UNREACHABLE = "mongodb://cspm_user:Sup3rSecretPw@127.0.0.1:1/?authSource=admin";

async function rejection(promise: Promise<unknown>): Promise<CspmError> {
  try {
    await promise;
  } catch (error) {
    if (isCspmError(error)) return error;
    throw error;
  }
  throw new Error("expected a rejection");
}

afterAll(async () => {
  await closeAsyncClients();
});

describe("getAsyncClient failures", () => {
  it("reports an unreachable server as UNAVAILABLE naming the host, never the credentials", async () => {
    const error = await rejection(getAsyncClient(UNREACHABLE, { serverSelectionTimeoutMS: 500 }));
    expect(error.code).toBe("UNAVAILABLE");
    expect(error.message).toContain("127.0.0.1:1");
    expect(String(error.details?.hint)).toContain("500 ms");
    const visible = `${error.message} ${JSON.stringify(error)} ${String(error.stack)}`;
    expect(visible).not.toContain("Sup3rSecretPw");
    expect(visible).not.toContain("cspm_user");
  });

  it("forgets a failed client so a later call retries with a new connect", async () => {
    const before = asyncClientStats();
    await rejection(getAsyncClient(UNREACHABLE, { serverSelectionTimeoutMS: 300 }));
    await rejection(getAsyncClient(UNREACHABLE, { serverSelectionTimeoutMS: 300 }));
    const after = asyncClientStats();
    expect(after.connects - before.connects).toBe(2);
    expect(after.clients).toBe(before.clients);
  });

  it("shares the in-flight connect between concurrent first callers, even when it fails", async () => {
    const before = asyncClientStats().connects;
    const errors = await Promise.all(
      Array.from({ length: 10 }, () =>
        rejection(getAsyncClient(UNREACHABLE, { serverSelectionTimeoutMS: 300, appName: "concurrent-failure" })),
      ),
    );
    expect(asyncClientStats().connects - before).toBe(1);
    expect(new Set(errors).size).toBe(1);
  });

  it.each([
    ["no scheme", "127.0.0.1:27017"],
    // The driver reads this as host 127.0.0.2 (part of the password) and says so in its message.
    ["password with an unescaped @", "mongodb://admin:p@127.0.0.2@127.0.0.1:1/"],
    ["srv with a port", "mongodb+srv://admin:Sup3rSecretPw@cluster0.example.net:27017/"],
  ])("reports a bad connection string (%s) as UNAVAILABLE without credentials", async (_label, uri) => {
    const error = await rejection(getAsyncClient(uri, { serverSelectionTimeoutMS: 300 }));
    expect(error.code).toBe("UNAVAILABLE");
    expect(typeof error.details?.hint).toBe("string");
    const visible = `${error.message} ${JSON.stringify(error)} ${String((error.cause as Error | undefined)?.message)}`;
    expect(visible).not.toContain("Sup3rSecretPw");
    expect(visible).not.toContain("127.0.0.2");
  });

  it("names the SRV host of a bad +srv string", async () => {
    const error = await rejection(getAsyncClient("mongodb+srv://admin:Sup3rSecretPw@cluster0.example.net:27017/"));
    expect(error.message).toContain("cluster0.example.net");
  });
});

describe("CSPMDatabaseManager before it is usable", () => {
  it("rejects a missing URI and a bad prefix with VALIDATION_FAILED", () => {
    expect(() => new CSPMDatabaseManager({ uri: "" })).toThrow(expect.objectContaining({ code: "VALIDATION_FAILED" }));
    expect(() => new CSPMDatabaseManager({ uri: "mongodb://127.0.0.1:1", prefix: "bad.prefix" })).toThrow(
      expect.objectContaining({ code: "VALIDATION_FAILED" }),
    );
  });

  it("answers UNAVAILABLE before connect() and after close()", async () => {
    const manager = new CSPMDatabaseManager({ uri: UNREACHABLE });
    expect(() => manager.getPlatformDb()).toThrow(expect.objectContaining({ code: "UNAVAILABLE" }));
    expect(() => manager.client).toThrow(expect.objectContaining({ code: "UNAVAILABLE" }));
    await manager.close();
    await manager.close();
    await expect(manager.connect()).rejects.toMatchObject({ code: "UNAVAILABLE" });
  });

  it("ping() reports an unreachable server without throwing", async () => {
    const manager = new CSPMDatabaseManager({ uri: UNREACHABLE, serverSelectionTimeoutMS: 300 });
    const health = await manager.ping();
    expect(health.ok).toBe(false);
    expect(health.error?.code).toBe("UNAVAILABLE");
    expect(health.error?.message).toContain("127.0.0.1:1");
    expect(JSON.stringify(health)).not.toContain("Sup3rSecretPw");
    await manager.close();
  });

  it("resolves database names through the registry with the prefix, refusing anything else", () => {
    const manager = new CSPMDatabaseManager({ uri: UNREACHABLE, prefix: "unit_1" });
    expect(manager.prefix).toBe("unit_1_");
    expect(manager.databaseName("core")).toBe(manager.databaseName("PLATFORM"));
    expect(manager.databaseName("PLATFORM").startsWith("unit_1_")).toBe(true);
    expect(() => manager.databaseName(manager.databaseName("PLATFORM") as never)).toThrow(
      expect.objectContaining({ code: "VALIDATION_FAILED" }),
    );
  });
});

describe("CommandMonitor.attach", () => {
  it("refuses a client that does not emit command events instead of counting nothing", async () => {
    const silent = new MongoClient("mongodb://127.0.0.1:1");
    const monitored = new MongoClient("mongodb://127.0.0.1:1", { monitorCommands: true });
    try {
      expect(() => new CommandMonitor().attach(silent)).toThrow(expect.objectContaining({ code: "VALIDATION_FAILED" }));
      const monitor = new CommandMonitor().attach(monitored);
      expect(monitored.listenerCount("commandStarted")).toBe(1);
      monitor.attach(monitored);
      expect(monitored.listenerCount("commandStarted")).toBe(1);
      monitor.detach();
      expect(monitored.listenerCount("commandStarted")).toBe(0);
    } finally {
      await silent.close();
      await monitored.close();
    }
  });
});
