/**
 * A loopback TCP proxy for fault injection: forwards 127.0.0.1:<port> to a target, counts the bytes and
 * connections it carries, and can drop every live connection or refuse new ones on demand.
 */
import { createServer, type Server, type Socket, connect } from "node:net";

/** A running proxy. */
export interface TcpProxy {
  readonly port: number;
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
  /** Calls `fn` after every chunk forwarded to the target, with the running byte total (for "drop mid-transfer"). */
  onUpstreamBytes(fn: (total: number) => void): void;
  stop(): Promise<void>;
}

/** Starts a proxy on an ephemeral loopback port in front of `target`. */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<{ client: Socket; upstream: Socket }>();
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
    const upstream = connect({ host: target.host, port: target.port });
    const pair = { client, upstream };
    pairs.add(pair);
    const close = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("data", (chunk: Buffer) => {
      bytesUp += chunk.length;
      upstream.write(chunk);
      for (const fn of listeners) fn(bytesUp);
    });
    upstream.on("data", (chunk: Buffer) => {
      if (!client.destroyed) client.write(chunk);
    });
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
  return {
    port: address.port,
    get accepted() {
      return accepted;
    },
    get live() {
      return pairs.size;
    },
    get bytesUp() {
      return bytesUp;
    },
    dropAll() {
      const cut = pairs.size;
      for (const { client, upstream } of [...pairs]) {
        client.destroy();
        upstream.destroy();
      }
      pairs.clear();
      return cut;
    },
    refuse(value: boolean) {
      refusing = value;
    },
    onUpstreamBytes(fn) {
      listeners.push(fn);
    },
    async stop() {
      refusing = true;
      for (const { client, upstream } of [...pairs]) {
        client.destroy();
        upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
