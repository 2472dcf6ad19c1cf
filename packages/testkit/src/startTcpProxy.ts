import { connect, createServer, type Server, type Socket } from "node:net";
import { performance } from "node:perf_hooks";

/** Options of `startTcpProxy`. */
export interface TcpProxyOptions {
  /** Delay, in ms, added to every chunk in each direction (a loopback "network"); default 0. */
  readonly delayMs?: number;
}

/**
 * A loopback TCP proxy in front of a server, for fault injection and round-trip-bound benchmarks: it
 * forwards 127.0.0.1:`port` to the target, counts what it carries, and on demand drops every connection,
 * refuses new ones, stalls (keeps connections open but forwards nothing, like a frozen server or a
 * black-holed network) or delays every chunk.
 */
export interface TcpProxy {
  readonly port: number;
  /** `host:port` of the proxy, for connection strings. */
  readonly address: string;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Live client connections. */
  readonly live: number;
  /** Bytes forwarded client -> target. */
  readonly bytesUp: number;
  /** Destroys every live connection (both sides); returns how many client connections were cut. */
  dropAll(): number;
  /** While true, new connections are destroyed as soon as they arrive. */
  refuse(refusing: boolean): void;
  /** While true, nothing is forwarded in either direction (bytes are held, connections stay open); `false` releases what was held, in order. */
  stall(stalled: boolean): void;
  /** Changes the per-chunk delay of both directions. */
  setDelay(delayMs: number): void;
  /** Calls `fn` after every chunk forwarded to the target, with the running byte total (for "drop mid-transfer"). */
  onUpstreamBytes(fn: (total: number) => void): void;
  stop(): Promise<void>;
}

interface Pair {
  readonly client: Socket;
  readonly upstream: Socket;
}

/** Resolves at `due` (a `performance.now()` time): a timer for whole milliseconds, then `setImmediate` turns for the rest. */
async function waitUntil(due: number): Promise<void> {
  for (;;) {
    const left = due - performance.now();
    if (left <= 0) return;
    if (left > 1.5) await new Promise((resolve) => setTimeout(resolve, Math.floor(left - 1)));
    else await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * One direction of a pair. Each chunk is delivered `delayMs` after it arrived (latency, not a bandwidth cap:
 * chunks in flight overlap) and in order; while the proxy stalls, chunks wait.
 */
class Lane {
  readonly #queue: { chunk: Buffer; arrived: number }[] = [];
  #draining = false;

  constructor(
    private readonly target: Socket,
    private readonly gate: { stalled: boolean; delayMs: number; waiters: Set<() => void> },
  ) {}

  push(chunk: Buffer): void {
    this.#queue.push({ chunk, arrived: performance.now() });
    if (!this.#draining) void this.#drain();
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    while (this.#queue.length > 0) {
      while (this.gate.stalled) await new Promise<void>((resolve) => this.gate.waiters.add(resolve));
      const next = this.#queue[0] as { chunk: Buffer; arrived: number };
      if (this.gate.delayMs > 0) await waitUntil(next.arrived + this.gate.delayMs);
      if (this.gate.stalled) continue;
      this.#queue.shift();
      if (!this.target.destroyed) this.target.write(next.chunk);
    }
    this.#draining = false;
  }
}

/** Starts a proxy on an ephemeral 127.0.0.1 port in front of `target`. */
export async function startTcpProxy(target: { host: string; port: number }, options: TcpProxyOptions = {}): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  const gate = { stalled: false, delayMs: Math.max(0, options.delayMs ?? 0), waiters: new Set<() => void>() };
  let accepted = 0;
  let bytesUp = 0;
  let refusing = false;
  const listeners: ((total: number) => void)[] = [];
  const server: Server = createServer((client) => {
    accepted += 1;
    if (refusing) {
      client.destroy();
      return;
    }
    client.setNoDelay(true);
    const upstream = connect({ host: target.host, port: target.port });
    upstream.setNoDelay(true);
    const pair = { client, upstream };
    pairs.add(pair);
    const up = new Lane(upstream, gate);
    const down = new Lane(client, gate);
    const close = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("data", (chunk: Buffer) => {
      bytesUp += chunk.length;
      up.push(chunk);
      for (const fn of listeners) fn(bytesUp);
    });
    upstream.on("data", (chunk: Buffer) => down.push(chunk));
    client.on("close", close);
    upstream.on("close", close);
    client.on("error", close);
    upstream.on("error", close);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("proxy did not bind a TCP port");
  const destroyAll = (): number => {
    const cut = pairs.size;
    for (const { client, upstream } of [...pairs]) {
      client.destroy();
      upstream.destroy();
    }
    pairs.clear();
    return cut;
  };
  const release = (): void => {
    for (const wake of [...gate.waiters]) wake();
    gate.waiters.clear();
  };
  return {
    port: address.port,
    address: `127.0.0.1:${address.port}`,
    get accepted() {
      return accepted;
    },
    get live() {
      return pairs.size;
    },
    get bytesUp() {
      return bytesUp;
    },
    dropAll: destroyAll,
    refuse(value: boolean) {
      refusing = value;
    },
    stall(value: boolean) {
      gate.stalled = value;
      if (!value) release();
    },
    setDelay(delayMs: number) {
      gate.delayMs = Math.max(0, delayMs);
    },
    onUpstreamBytes(fn) {
      listeners.push(fn);
    },
    async stop() {
      refusing = true;
      gate.stalled = false;
      release();
      destroyAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
