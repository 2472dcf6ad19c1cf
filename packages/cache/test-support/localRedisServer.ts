/**
 * A private, killable redis-server for failure tests (the shared one at 127.0.0.1:6379 must never be killed).
 * Test-only; not part of the package build. The testkit's `startTestRedis()` can replace it later.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A redis-server child process on a loopback port of its own. */
export interface LocalRedisServer {
  readonly port: number;
  readonly url: string;
  /** Kills the server with SIGKILL (no shutdown handshake, like a crash) and waits for it to exit. */
  kill(): Promise<void>;
  /** Starts a fresh, empty server on the same port. */
  restart(): Promise<void>;
  /** Freezes the server with SIGSTOP: connections stay open but nothing is answered until `resume()`. */
  freeze(): void;
  /** Lets a frozen server continue (SIGCONT); commands sent meanwhile are then answered. */
  resume(): void;
  /** Resumes the server if frozen and restarts it if it was killed (for cleanup hooks after a failed test). */
  ensureRunning(): Promise<void>;
  /** Kills the server and removes its working directory. */
  stop(): Promise<void>;
}

/** A TCP port that was free a moment ago (bind to port 0, read it, release it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (typeof address === "object" && address !== null) resolve(address.port);
        else reject(new Error("no port"));
      });
    });
  });
}

async function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** A free port whose cluster bus port (port + 10000) is free too. */
export async function freeClusterPort(): Promise<number> {
  for (let i = 0; i < 100; i += 1) {
    const port = await freePort();
    if (port + 10_000 <= 65_535 && (await isFree(port + 10_000))) return port;
  }
  throw new Error("no free port pair for a cluster node");
}

/** Resolves once a `PING` on `port` answers `+PONG`, or rejects after `attempts` tries. */
async function waitForPong(port: number, attempts = 200): Promise<void> {
  for (let i = 0; i < attempts; i += 1) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = new Socket();
      const done = (value: boolean) => {
        socket.destroy();
        resolve(value);
      };
      socket.setTimeout(500, () => done(false));
      socket.once("error", () => done(false));
      socket.once("data", (data) => done(data.toString().startsWith("+PONG")));
      socket.connect(port, "127.0.0.1", () => socket.write("PING\r\n"));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`redis-server on port ${port} did not answer PING`);
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

/** Extra redis-server arguments (e.g. cluster mode). */
export interface LocalRedisServerOptions {
  readonly port?: number;
  readonly args?: readonly string[];
}

/** Starts `redis-server --port <free port> --save "" --appendonly no` bound to 127.0.0.1. */
export async function startLocalRedisServer(options: LocalRedisServerOptions = {}): Promise<LocalRedisServer> {
  const port = options.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), "cspm-cache-redis-"));
  let child: ChildProcess | undefined;
  let frozen = false;

  const start = async () => {
    child = spawn(
      "redis-server",
      ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, ...(options.args ?? [])],
      { stdio: "ignore" },
    );
    await waitForPong(port);
  };
  const kill = async () => {
    if (!child) return;
    const current = child;
    child = undefined;
    frozen = false;
    current.kill("SIGKILL");
    await exited(current);
  };

  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill,
    restart: async () => {
      await kill();
      await start();
    },
    freeze: () => {
      if (!child) throw new Error("server is not running");
      child.kill("SIGSTOP");
      frozen = true;
    },
    resume: () => {
      if (child && frozen) child.kill("SIGCONT");
      frozen = false;
    },
    ensureRunning: async () => {
      if (child && frozen) child.kill("SIGCONT");
      frozen = false;
      if (!child) await start();
    },
    stop: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A private Redis Cluster of `size` masters (no replicas) on loopback, for Cluster-compatibility tests. */
export interface LocalRedisCluster {
  readonly nodes: readonly { host: string; port: number }[];
  stop(): Promise<void>;
}

function run(command: string, args: readonly string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
    child.once("exit", (code) => resolve({ code, output }));
  });
}

/** Starts `size` cluster-enabled redis-servers, joins them with `redis-cli --cluster create`, waits for `cluster_state:ok`. */
export async function startLocalRedisCluster(size = 3): Promise<LocalRedisCluster> {
  const servers: LocalRedisServer[] = [];
  try {
    for (let i = 0; i < size; i += 1) {
      const port = await freeClusterPort();
      servers.push(
        await startLocalRedisServer({
          port,
          args: ["--cluster-enabled", "yes", "--cluster-config-file", `nodes-${port}.conf`, "--cluster-node-timeout", "2000"],
        }),
      );
    }
    const created = await run("redis-cli", [
      "--cluster",
      "create",
      ...servers.map((s) => `127.0.0.1:${s.port}`),
      "--cluster-replicas",
      "0",
      "--cluster-yes",
    ]);
    if (created.code !== 0) throw new Error(`redis-cli --cluster create failed: ${created.output}`);
    for (const server of servers) {
      for (let attempt = 0; ; attempt += 1) {
        const info = await run("redis-cli", ["-p", String(server.port), "cluster", "info"]);
        if (info.output.includes("cluster_state:ok")) break;
        if (attempt > 400) throw new Error(`cluster node ${server.port} never reached cluster_state:ok`);
        await new Promise((r) => setTimeout(r, 25));
      }
    }
  } catch (error) {
    await Promise.all(servers.map((s) => s.stop()));
    throw error;
  }
  return {
    nodes: servers.map((s) => ({ host: "127.0.0.1", port: s.port })),
    stop: async () => {
      await Promise.all(servers.map((s) => s.stop()));
    },
  };
}
