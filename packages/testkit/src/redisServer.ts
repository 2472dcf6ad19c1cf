import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { RespConnection } from "./respConnection";
import { RedisUnavailableError } from "./redisUnavailableError";

/** Options for {@link startRedisServer}. */
export interface RedisServerOptions {
  /** Port on 127.0.0.1 (default: a free ephemeral port). Every restart reuses it. */
  readonly port?: number;
  /** Extra `redis-server` arguments, e.g. `["--cluster-enabled", "yes"]`. */
  readonly args?: readonly string[];
  /**
   * Keep the working directory's `dump.rdb` across restarts, so a snapshot taken with `SAVE` is loaded again
   * (for tests of what a persistent Redis restores). Default false: every start is empty. Automatic snapshots
   * stay off either way (`--save ""`).
   */
  readonly persistence?: boolean;
  /** How long a start may take before it fails, in ms (default 5000). */
  readonly startTimeoutMs?: number;
}

/** A `redis-server` child process that only this test controls (never the shared Redis). */
export interface RedisServer {
  readonly host: "127.0.0.1";
  readonly port: number;
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  /** `running`, `frozen` (SIGSTOP) or `stopped` (killed or not started). */
  readonly state: "running" | "frozen" | "stopped";
  /** Process id of the running server, if any. */
  readonly pid: number | undefined;
  /** Starts the server on its port if it is not running; resolves once it answers PING. */
  start(): Promise<void>;
  /** SIGKILL (a crash: no shutdown, no save) and waits for the exit. No-op when stopped. */
  kill(): Promise<void>;
  /** Kills it (if running) and starts a new server on the same port: empty unless `persistence` and a `SAVE` was made. */
  restart(): Promise<void>;
  /** SIGSTOP: connections stay open, nothing is answered until `thaw()`. Throws when not running. */
  freeze(): void;
  /** SIGCONT: a frozen server carries on and answers what was sent meanwhile. No-op unless frozen. */
  thaw(): void;
  /** Thaws a frozen server and starts a stopped one: for cleanup hooks after a failed test. */
  ensureRunning(): Promise<void>;
  /** Kills the server and removes its working directory; idempotent. */
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Kills every server this process started when it exits, so a crashed test run leaves no redis-server behind. */
function track(child: ChildProcess): void {
  running.add(child);
  child.once("exit", () => running.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once("exit", () => {
    for (const c of running) c.kill("SIGKILL");
  });
}

/** A TCP port on 127.0.0.1 that was free a moment ago (bind port 0, read it, release it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Whether `redis-server` on `port` answers PING within `timeoutMs`. */
export async function redisAnswersPing(host: string, port: number, timeoutMs: number, password?: string): Promise<boolean> {
  let conn: RespConnection | undefined;
  try {
    conn = await RespConnection.open(host, port, timeoutMs);
    if (password) await conn.command("AUTH", password);
    const reply = await Promise.race([conn.command("PING"), sleep(timeoutMs, "timeout")]);
    return reply === "PONG";
  } catch {
    return false;
  } finally {
    conn?.close();
  }
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

/**
 * Starts a private `redis-server` from PATH on 127.0.0.1 (`--save "" --appendonly no`, its own temporary
 * directory) for fault tests: kill it (SIGKILL), freeze it (SIGSTOP), thaw it, restart it on the same port.
 *
 * @throws {RedisUnavailableError} when `redis-server` is not on PATH or does not answer PING in time.
 * @example
 * const server = await startRedisServer();
 * const cache = new RedisCache({ redis: server.url, commandTimeoutMs: 50 });
 * server.freeze(); // ... server.thaw();
 * afterAll(() => server.stop());
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const timeoutMs = options.startTimeoutMs ?? 5000;
  const dir = mkdtempSync(join(tmpdir(), "cspm-redis-"));
  let port = options.port ?? (await freePort());
  let child: ChildProcess | undefined;
  let frozen = false;

  const launch = async (): Promise<void> => {
    if (!options.persistence) rmSync(join(dir, "dump.rdb"), { force: true });
    const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir];
    const proc = spawn("redis-server", [...args, ...(options.args ?? [])], { stdio: "ignore" });
    track(proc);
    let failure: Error | undefined;
    proc.once("error", (error) => {
      failure = error;
    });
    const deadline = Date.now() + timeoutMs;
    while (!(await redisAnswersPing("127.0.0.1", port, 200))) {
      const ended = failure ?? (proc.exitCode !== null ? new Error(`exited with code ${proc.exitCode}`) : undefined);
      if (ended) throw new RedisUnavailableError(`could not run redis-server on port ${port} (${ended.message})`);
      if (Date.now() > deadline) {
        proc.kill("SIGKILL");
        throw new RedisUnavailableError(`redis-server on port ${port} did not answer PING within ${timeoutMs} ms`);
      }
      await sleep(20);
    }
    child = proc;
  };

  const kill = async (): Promise<void> => {
    const current = child;
    child = undefined;
    frozen = false;
    if (!current) return;
    current.kill("SIGKILL");
    await exited(current);
  };

  const start = async (): Promise<void> => {
    if (!child) await launch();
  };

  const thaw = (): void => {
    if (child && frozen) child.kill("SIGCONT");
    frozen = false;
  };

  try {
    await launch();
  } catch (error) {
    // The ephemeral port may have been taken between freePort() and the bind: try once more on another.
    if (options.port !== undefined || !(error instanceof RedisUnavailableError) || error.message.includes("ENOENT")) {
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
    port = await freePort();
    await launch();
  }

  return {
    host: "127.0.0.1",
    port,
    url: `redis://127.0.0.1:${port}`,
    get state() {
      return child ? (frozen ? "frozen" : "running") : "stopped";
    },
    get pid() {
      return child?.pid;
    },
    start,
    kill,
    async restart() {
      await kill();
      await launch();
    },
    freeze() {
      if (!child) throw new Error(`redis-server on port ${port} is not running`);
      child.kill("SIGSTOP");
      frozen = true;
    },
    thaw,
    async ensureRunning() {
      thaw();
      await start();
    },
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A private Redis Cluster of masters without replicas, on loopback. */
export interface RedisClusterServers {
  readonly nodes: readonly { readonly host: "127.0.0.1"; readonly port: number }[];
  stop(): Promise<void>;
}

function run(command: string, args: readonly string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const proc = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    proc.stdout?.on("data", (d: Buffer) => (output += d.toString()));
    proc.stderr?.on("data", (d: Buffer) => (output += d.toString()));
    proc.once("error", (error) => resolve({ code: -1, output: error.message }));
    proc.once("exit", (code) => resolve({ code, output }));
  });
}

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/**
 * Starts `masters` cluster-enabled `redis-server`s (each with a free cluster-bus port, port + 10000), joins
 * them with `redis-cli --cluster create` and waits for `cluster_state:ok`.
 *
 * @throws {RedisUnavailableError} when `redis-server`/`redis-cli` are missing; `Error` when the cluster does not form.
 */
export async function startRedisCluster(masters = 3): Promise<RedisClusterServers> {
  const servers: RedisServer[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(servers.map((s) => s.stop()));
  };
  try {
    while (servers.length < masters) {
      const port = await freePort();
      if (port + 10_000 > 65_535 || !(await portIsFree(port + 10_000))) continue;
      const conf = ["--cluster-config-file", `nodes-${port}.conf`, "--cluster-node-timeout", "2000"];
      servers.push(await startRedisServer({ port, args: ["--cluster-enabled", "yes", ...conf] }));
    }
    const addresses = servers.map((s) => `127.0.0.1:${s.port}`);
    const created = await run("redis-cli", ["--cluster", "create", ...addresses, "--cluster-replicas", "0", "--cluster-yes"]);
    if (created.code !== 0) throw new Error(`redis-cli --cluster create failed: ${created.output}`);
    for (const server of servers) {
      for (let attempt = 0; ; attempt += 1) {
        const info = await run("redis-cli", ["-p", String(server.port), "cluster", "info"]);
        if (info.output.includes("cluster_state:ok")) break;
        if (attempt > 400) throw new Error(`cluster node ${server.port} never reached cluster_state:ok`);
        await sleep(25);
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { nodes: servers.map((s) => ({ host: "127.0.0.1", port: s.port })), stop };
}
