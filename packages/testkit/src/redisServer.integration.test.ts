import { existsSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { type RedisServer, startRedisServer } from "./redisServer";

const servers: RedisServer[] = [];
const clients: Redis[] = [];

async function server(options: Parameters<typeof startRedisServer>[0] = {}): Promise<RedisServer> {
  const started = await startRedisServer(options);
  servers.push(started);
  return started;
}

function connect(url: string): Redis {
  const client = new Redis(url, { maxRetriesPerRequest: 0, retryStrategy: () => 20, enableOfflineQueue: false });
  client.on("error", () => undefined);
  clients.push(client);
  return client;
}

async function ready(client: Redis): Promise<void> {
  for (let i = 0; i < 500 && client.status !== "ready"; i += 1) await sleep(10);
  expect(client.status).toBe("ready");
}

afterAll(async () => {
  for (const client of clients) client.disconnect();
  await Promise.all(servers.map((s) => s.stop()));
});

describe("startRedisServer", () => {
  it("runs a private server on an ephemeral port that is never the shared 6379", async () => {
    const redis = await server();
    expect(redis.port).not.toBe(6379);
    expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
    expect(redis.state).toBe("running");
    expect(typeof redis.pid).toBe("number");
    const client = connect(redis.url);
    await ready(client);
    expect(await client.config("GET", "save")).toEqual(["save", ""]);
    expect(await client.config("GET", "appendonly")).toEqual(["appendonly", "no"]);
  });

  it("freeze holds replies until thaw; a command sent while frozen is answered afterwards", async () => {
    const redis = await server();
    const client = connect(redis.url);
    await ready(client);
    redis.freeze();
    expect(redis.state).toBe("frozen");
    let answered = false;
    const pending = client.incr("counter").then((n) => {
      answered = true;
      return n;
    });
    await sleep(150);
    expect(answered).toBe(false);
    redis.thaw();
    expect(await pending).toBe(1);
    expect(redis.state).toBe("running");
  });

  it("kill is a crash (SIGKILL, data gone); restart comes back empty on the same port", async () => {
    const redis = await server();
    const client = connect(redis.url);
    await ready(client);
    await client.set("k", "v");
    const pid = redis.pid;
    await redis.kill();
    expect(redis.state).toBe("stopped");
    await expect(client.get("k")).rejects.toThrow();
    await redis.restart();
    expect(redis.pid).not.toBe(pid);
    await ready(client);
    expect(await client.get("k")).toBeNull();
  });

  it("with persistence, a SAVE made before the crash is loaded by the restart", async () => {
    const redis = await server({ persistence: true });
    const client = connect(redis.url);
    await ready(client);
    await client.set("snapshotted", "1");
    await client.save();
    await client.set("after-snapshot", "2");
    await redis.kill();
    await redis.start();
    await ready(client);
    expect(await client.get("snapshotted")).toBe("1");
    expect(await client.get("after-snapshot")).toBeNull();
  });

  it("ensureRunning thaws or restarts; stop removes the working directory and is idempotent", async () => {
    const redis = await server();
    redis.freeze();
    await redis.ensureRunning();
    expect(redis.state).toBe("running");
    await redis.kill();
    await redis.ensureRunning();
    expect(redis.state).toBe("running");
    const client = connect(redis.url);
    await ready(client);
    const [, dir] = (await client.config("GET", "dir")) as [string, string];
    expect(existsSync(dir)).toBe(true);
    await redis.stop();
    await redis.stop();
    expect(redis.state).toBe("stopped");
    expect(existsSync(dir)).toBe(false);
    expect(() => redis.freeze()).toThrow(/not running/);
  });
});
