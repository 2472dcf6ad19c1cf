import { randomBytes } from "node:crypto";
import { type RedisServer, redisAnswersPing, startRedisServer } from "./redisServer";
import { RedisUnavailableError } from "./redisUnavailableError";
import { RespConnection } from "./respConnection";

/** A Redis for one test file. */
export interface TestRedis {
  /** `redis://host:port[/db]` for clients. */
  readonly url: string;
  /** Key prefix owned by this test file (`t_<label>_<random>:`); use it for every key. */
  readonly prefix: string;
  /** An `ioredis` client when `ioredis` is installed (closed by `stop()`). */
  readonly client?: import("ioredis").Redis;
  /** Where it came from. */
  readonly source: "REDIS_URL" | "localhost" | "redis-server";
  /** This file's keys (SCAN on `prefix*`), sorted. */
  keys(): Promise<string[]>;
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

function toArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** Runs `fn` on a fresh RESP connection to `endpoint` (authenticated, right database). */
async function withConnection<T>(endpoint: Endpoint, fn: (conn: RespConnection) => Promise<T>): Promise<T> {
  const conn = await RespConnection.open(endpoint.host, endpoint.port, 2000);
  try {
    if (endpoint.password) await conn.command("AUTH", endpoint.password);
    if (endpoint.db) await conn.command("SELECT", String(endpoint.db));
    return await fn(conn);
  } finally {
    conn.close();
  }
}

/** Every key matching `prefix*` (the prefix's glob characters escaped). */
async function scanPrefix(conn: RespConnection, prefix: string): Promise<string[]> {
  const pattern = `${prefix.replace(/[*?[\]\\]/g, "\\$&")}*`;
  const found: string[] = [];
  let cursor = "0";
  do {
    const reply = toArray(await conn.command("SCAN", cursor, "MATCH", pattern, "COUNT", "500"));
    cursor = String(reply[0] ?? "0");
    found.push(...toArray(reply[1]).map(String));
  } while (cursor !== "0");
  return found;
}

/**
 * Gives a test file a real Redis: `REDIS_URL`, else 127.0.0.1:6379 when it answers PING, else a
 * `redis-server` from PATH on an ephemeral port (`--save "" --appendonly no`). Keys are scoped by a
 * per-file prefix and `cleanup()` deletes only those. A shared server is never flushed, stopped or
 * reconfigured; for fault tests start your own with `startRedisServer()`.
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
  let server: RedisServer | undefined;
  let source: TestRedis["source"];
  if (env.REDIS_URL) {
    endpoint = parseUrl(env.REDIS_URL);
    if (!(await redisAnswersPing(endpoint.host, endpoint.port, 2000, endpoint.password)))
      throw new RedisUnavailableError(`REDIS_URL (${endpoint.host}:${endpoint.port}) does not answer PING`);
    source = "REDIS_URL";
  } else if (await redisAnswersPing("127.0.0.1", 6379, 300)) {
    endpoint = { host: "127.0.0.1", port: 6379, db: 0, password: undefined };
    source = "localhost";
  } else {
    server = await startRedisServer();
    endpoint = { host: server.host, port: server.port, db: 0, password: undefined };
    source = "redis-server";
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

  const keys = (): Promise<string[]> => withConnection(endpoint, async (conn) => (await scanPrefix(conn, prefix)).sort());
  const cleanup = (): Promise<number> =>
    withConnection(endpoint, async (conn) => {
      const found = await scanPrefix(conn, prefix);
      let deleted = 0;
      for (let i = 0; i < found.length; i += 500) deleted += Number(await conn.command("DEL", ...found.slice(i, i + 500)));
      return deleted;
    });

  let stopped = false;
  return {
    url,
    prefix,
    ...(client ? { client } : {}),
    source,
    keys,
    cleanup,
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        await cleanup();
      } finally {
        client?.disconnect();
        await server?.stop();
      }
    },
  };
}
