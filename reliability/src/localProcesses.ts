/**
 * Loopback ports and a private `redis-server` for fault tests. The shared Redis on 127.0.0.1:6379 is
 * never touched: each test that kills Redis kills only the process it spawned.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createConnection, createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
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

/** Whether something answers a TCP connect on 127.0.0.1:`port` within `timeoutMs`. */
export function portOpen(port: number, timeoutMs = 300): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    const done = (open: boolean): void => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/** A `redis-server` this test started (and may kill). */
export interface RedisProcess {
  readonly port: number;
  readonly url: string;
  readonly pid: number;
  /** SIGKILL, then waits for the exit (bounded). */
  kill(): Promise<void>;
}

/** Spawns `redis-server --port <port> --save "" --appendonly no` on 127.0.0.1 and waits until it accepts connections (bounded). */
export async function spawnRedisServer(port: number, timeoutMs = 5000): Promise<RedisProcess> {
  const child: ChildProcess = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "yes"],
    { stdio: "ignore" },
  );
  let failure: Error | undefined;
  child.once("error", (error) => {
    failure = error;
  });
  const deadline = Date.now() + timeoutMs;
  while (!(await portOpen(port))) {
    if (failure) throw new Error(`could not run redis-server: ${failure.message}`);
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`redis-server did not listen on ${port} within ${timeoutMs} ms`);
    }
    await sleep(25);
  }
  const pid = child.pid as number;
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    pid,
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.kill("SIGKILL");
      await Promise.race([exited, sleep(3000)]);
    },
  };
}
