/**
 * Test-only (not exported): a loopback TCP proxy in front of the test MongoDB, so a test can cut every live
 * connection mid-import and refuse new ones, as a network failure would.
 */
import { connect, createServer, type Socket } from "node:net";

/** A running proxy. */
export interface LoopbackProxy {
  readonly port: number;
  /** A connection string to the target through the proxy (direct connection, short timeouts). */
  readonly uri: string;
  /** Destroys every live connection and refuses new ones while `refusing` stays true. */
  cut(): void;
  stop(): Promise<void>;
}

/** Starts a proxy on an ephemeral 127.0.0.1 port in front of the host:port of `targetUri`. */
export async function startLoopbackProxy(targetUri: string): Promise<LoopbackProxy> {
  const match = /^mongodb:\/\/([^/?,]+)/.exec(targetUri);
  const [host, portText] = (match?.[1] ?? "").split(":");
  if (!host || !portText) throw new Error(`cannot proxy ${targetUri}: one host:port expected`);
  const sockets = new Set<Socket>();
  let refusing = false;
  const server = createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = connect({ host, port: Number(portText) });
    sockets.add(client);
    sockets.add(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("error", close).on("close", close);
    upstream.on("error", close).on("close", close);
  });
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(0, "127.0.0.1", () => resolve()));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("proxy did not bind");
  return {
    port: address.port,
    uri: `mongodb://127.0.0.1:${address.port}/?directConnection=true&serverSelectionTimeoutMS=1500&connectTimeoutMS=1500&retryWrites=false`,
    cut() {
      refusing = true;
      for (const socket of sockets) socket.destroy();
      sockets.clear();
    },
    async stop() {
      refusing = true;
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
