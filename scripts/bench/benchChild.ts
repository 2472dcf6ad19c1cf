/**
 * Child processes of `pnpm bench` (the engine, the HTTP servers, the load generator): forked with the
 * bench's own loader flags (so `.ts` files run), ready once they send `{ type: "ready", ... }`, asked for
 * their CPU time with `{ type: "cpu" }`, stopped with `{ type: "stop" }` (SIGKILL after 5 s).
 */
import { type ChildProcess, fork } from "node:child_process";

/** CPU time and memory of a child so far. */
export interface ChildCpu {
  readonly userMicros: number;
  readonly systemMicros: number;
  readonly rssBytes: number;
}

/** A forked, ready child. */
export interface BenchChild<R> {
  readonly child: ChildProcess;
  /** What the child sent with `type: "ready"`. */
  readonly ready: R;
  /** The child's CPU time so far (undefined once it is gone). */
  cpu(): Promise<ChildCpu | undefined>;
  /** Sends a message and waits for the child's reply of `replyType`. */
  request<T>(message: Record<string, unknown>, replyType: string): Promise<T>;
  stop(): Promise<void>;
}

/** Forks `file` with `args`, waits for its ready message. Throws when it exits first. */
export async function forkBenchChild<R>(
  file: string,
  args: readonly string[] = [],
  extraExecArgv: readonly string[] = [],
): Promise<BenchChild<R>> {
  const child = fork(file, [...args], {
    execArgv: [...process.execArgv, ...extraExecArgv],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const ready = await new Promise<R>((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`${file} exited (${code}) before it was ready`));
    child.once("exit", onExit);
    child.once("error", reject);
    const onMessage = (message: { type?: string }) => {
      if (message?.type !== "ready") return;
      child.off("exit", onExit);
      child.off("message", onMessage);
      resolve(message as R);
    };
    child.on("message", onMessage);
  });
  let nextId = 0;
  const request = <T>(message: Record<string, unknown>, replyType: string): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (!child.connected) {
        reject(new Error(`${file} is not running`));
        return;
      }
      nextId += 1;
      const id = nextId;
      const onMessage = (reply: { type?: string; id?: number; error?: string }) => {
        if (reply?.type !== replyType || reply.id !== id) return;
        child.off("message", onMessage);
        child.off("exit", onExit);
        if (reply.error !== undefined) reject(new Error(reply.error));
        else resolve(reply as T);
      };
      const onExit = (code: number | null) => {
        child.off("message", onMessage);
        reject(new Error(`${file} exited (${code}) before answering ${String(message.type)}`));
      };
      child.on("message", onMessage);
      child.once("exit", onExit);
      child.send({ ...message, id });
    });
  return {
    child,
    ready,
    request,
    cpu: () => (child.connected ? request<ChildCpu>({ type: "cpu" }, "cpu") : Promise.resolve(undefined)),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) {
          resolve();
          return;
        }
        const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
        child.once("exit", () => {
          clearTimeout(timer);
          resolve();
        });
        if (child.connected) child.send({ type: "stop" });
        else child.kill("SIGTERM");
      }),
  };
}

/**
 * The child's side: answers `cpu` requests, runs `onStop` then exits on `stop`, SIGTERM or when the parent
 * goes away, and returns `send` for the ready message and replies.
 */
export function serveBenchParent(onStop: () => Promise<void>): { send: (message: Record<string, unknown>) => void } {
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await onStop().catch(() => undefined);
    process.exit(0);
  };
  process.on("message", (message: { type?: string; id?: number }) => {
    if (message?.type === "cpu") {
      const usage = process.cpuUsage();
      process.send?.({
        type: "cpu",
        id: message.id,
        userMicros: usage.user,
        systemMicros: usage.system,
        rssBytes: process.memoryUsage.rss(),
      });
    } else if (message?.type === "stop") void stop();
  });
  process.on("disconnect", () => void stop());
  process.on("SIGTERM", () => void stop());
  return { send: (message) => process.send?.(message) };
}
