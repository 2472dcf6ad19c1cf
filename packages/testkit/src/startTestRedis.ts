import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { RespConnection } from "./respConnection";

/** A Redis for one test file. */
export interface TestRedis {
  /** `redis://host:port[/db]` for clients. */
  readonly url: string;
  /** Key prefix owned by this test file (`t_<random>:`); use it for every key. */
  readonly prefix: string;
  /** An `ioredis` client when `ioredis` is installed (closed by `stop()`). */
  readonly client?: import("ioredis").Redis;
  /** Where it came from. */
  readonly source: "REDIS_URL" | "localhost" | "redis-server";
  /** Deletes this file's keys only (SCAN + DEL on `prefix*`); returns how many. */
  cleanup(): Promise<number>;
  /** Cleans up, closes the client and stops a `redis-server` this call started. */
  stop(): Promise<void>;
}

/** Options for {@link startTestRedis}. */
export interface StartTestRedisOptions {
  /** Label folded into the key prefix. */
  readonly label?: string;
  /** Environment to read `REDIS_URL` from (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Whether to create an ioredis client (default true when ioredis is installed). */
  readonly createClient?: boolean;
}

/** Thrown when no Redis can be found or started; the message says how to get one. */
export class RedisUnavailableError extends Error {
  constructor(details: string) {
    super(
      `No Redis for tests: ${details}. Set REDIS_URL, run redis on 127.0.0.1:6379, or install redis-server ` +
        "(apt-get install redis-server / brew install redis) so the testkit can start one on an ephemeral port.",
    );
    this.name = "RedisUnavailableError";
  }
}

interface Endpoint {
  host: string;
  port: number;
  db: number;
  password: string | undefined;
}

function parseUrl(url: string): Endpoint {
  const u = new URL(url);
  return {
    host: u.hostname || "127.0.0.1",
    port: Number(u.port || 6379),
    db: Number(u.pathname.replace("/", "") || 0),
    password: u.password ? decodeURIComponent(u.password) : undefined,
  };
}

async function ping(endpoint: Endpoint, timeoutMs: number): Promise<boolean> {
  let conn: RespConnection | undefined;
  try {
    conn = await RespConnection.open(endpoint.host, endpoint.port, timeoutMs);
    if (endpoint.password) await conn.command("AUTH", endpoint.password);
    const reply = await Promise.race([
      conn.command("PING"),
      new Promise<string>((resolve) => setTimeout(() => resolve("timeout"), timeoutMs)),
    ]);
    return reply === "PONG";
  } catch {
    return false;
  } finally {
    conn?.close();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function spawnRedis(): Promise<{ endpoint: Endpoint; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
    stdio: "ignore",
  });
  const spawnError = new Promise<Error>((resolve) => child.once("error", resolve));
  const endpoint: Endpoint = { host: "127.0.0.1", port, db: 0, password: undefined };
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const failed = await Promise.race([spawnError, new Promise<undefined>((r) => setTimeout(() => r(undefined), 50))]);
    if (failed) throw new RedisUnavailableError(`could not run redis-server (${failed.message})`);
    if (child.exitCode !== null) throw new RedisUnavailableError(`redis-server exited with code ${child.exitCode}`);
    if (await ping(endpoint, 200)) return { endpoint, child };
  }
  child.kill("SIGKILL");
  throw new RedisUnavailableError("redis-server did not answer PING within 5 s");
}

function toArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/**
 * Gives a test file a real Redis: `REDIS_URL`, else 127.0.0.1:6379 when it answers PING, else a
 * `redis-server` from PATH on an ephemeral port (`--save "" --appendonly no`). Keys are scoped by a
 * per-file prefix and `cleanup()` deletes only those.
 *
 * @throws {RedisUnavailableError} when none of the three is available.
 * @example
 * const redis = await startTestRedis({ label: "cache" });
 * await redis.client?.set(`${redis.prefix}k`, "v");
 * afterAll(() => redis.stop());
 */
export async function startTestRedis(options: StartTestRedisOptions = {}): Promise<TestRedis> {
  const env = options.env ?? process.env;
  let endpoint: Endpoint;
  let child: ChildProcess | undefined;
  let source: TestRedis["source"];
  if (env.REDIS_URL) {
    endpoint = parseUrl(env.REDIS_URL);
    if (!(await ping(endpoint, 2000)))
      throw new RedisUnavailableError(`REDIS_URL (${endpoint.host}:${endpoint.port}) does not answer PING`);
    source = "REDIS_URL";
  } else {
    const local: Endpoint = { host: "127.0.0.1", port: 6379, db: 0, password: undefined };
    if (await ping(local, 300)) {
      endpoint = local;
      source = "localhost";
    } else {
      ({ endpoint, child } = await spawnRedis());
      source = "redis-server";
    }
  }
  const auth = endpoint.password ? `:${encodeURIComponent(endpoint.password)}@` : "";
  const url = `redis://${auth}${endpoint.host}:${endpoint.port}/${endpoint.db}`;
  const label = (options.label ?? "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "")
    .slice(0, 12);
  const random = randomBytes(4).toString("hex");
  const prefix = label ? `t_${label}_${random}:` : `t_${random}:`;

  let client: import("ioredis").Redis | undefined;
  if (options.createClient !== false) {
    try {
      const mod = await import("ioredis");
      const Redis = (mod.default ?? (mod as unknown as { Redis: typeof mod.default }).Redis) as typeof mod.default;
      client = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 2 });
    } catch {
      client = undefined;
    }
  }

  const cleanup = async (): Promise<number> => {
    const conn = await RespConnection.open(endpoint.host, endpoint.port, 2000);
    try {
      if (endpoint.password) await conn.command("AUTH", endpoint.password);
      if (endpoint.db) await conn.command("SELECT", String(endpoint.db));
      let cursor = "0";
      let deleted = 0;
      do {
        const reply = toArray(await conn.command("SCAN", cursor, "MATCH", `${prefix}*`, "COUNT", "500"));
        cursor = String(reply[0] ?? "0");
        const keys = toArray(reply[1]).map(String);
        if (keys.length) deleted += Number(await conn.command("DEL", ...keys));
      } while (cursor !== "0");
      return deleted;
    } finally {
      conn.close();
    }
  };

  let stopped = false;
  return {
    url,
    prefix,
    ...(client ? { client } : {}),
    source,
    cleanup,
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        await cleanup();
      } finally {
        if (client) client.disconnect();
        if (child && child.exitCode === null) {
          const exited = new Promise<void>((resolve) => child?.once("exit", () => resolve()));
          child.kill("SIGTERM");
          await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
          if (child.exitCode === null) child.kill("SIGKILL");
        }
      }
    },
  };
}
