import { createServer, type Server, type Socket } from "node:net";
import type { Document } from "bson";
import { CommandError } from "./commandError";
import { CompatEngine, type CompatEngineOptions, type ConnectionInfo } from "./compatEngine";
import { decodeMessage, encodeReply, MAX_COMMAND_BYTES, MessageFramer, OP_CODES, ProtocolError } from "./wireProtocol";

/** Options for {@link startCompatServer}. */
export interface CompatServerOptions extends CompatEngineOptions {
  /** TCP port on 127.0.0.1 (0 = an ephemeral port; the default). */
  readonly port?: number;
}

/** A running compat server. */
export interface CompatServer {
  /** Connection string for the official driver (`mongodb://127.0.0.1:PORT/?replicaSet=rs0`). */
  readonly uri: string;
  readonly port: number;
  /** The engine behind the server (for tooling; tests should use the driver). */
  readonly engine: CompatEngine;
  /** Closes all connections and the listener. */
  stop(): Promise<void>;
}

const MAX_MESSAGE_BYTES = 48_000_000;

/**
 * Starts the offline MongoDB-compatible engine: an in-process TCP server on 127.0.0.1 that speaks
 * the wire protocol (OP_MSG, plus legacy OP_QUERY for the handshake) and presents itself as a
 * one-member replica set, so the official driver can use sessions and transactions.
 *
 * @example
 * const server = await startCompatServer();
 * const client = await MongoClient.connect(server.uri);
 */
export async function startCompatServer(options: CompatServerOptions = {}): Promise<CompatServer> {
  const engine = new CompatEngine(options);
  const sockets = new Set<Socket>();
  let nextConnectionId = 1;

  const server: Server = createServer((socket) => {
    sockets.add(socket);
    engine.connectionOpened();
    socket.setNoDelay(true);
    const connection: ConnectionInfo = { id: nextConnectionId++, remote: `${socket.remoteAddress}:${socket.remotePort}` };
    const framer = new MessageFramer(MAX_MESSAGE_BYTES);
    let queue: Promise<void> = Promise.resolve();
    socket.on("data", (chunk: Buffer) => {
      let messages: Buffer[];
      try {
        messages = framer.push(chunk);
      } catch {
        socket.destroy();
        return;
      }
      for (const message of messages) {
        queue = queue
          .then(() => handle(message))
          .catch(() => {
            socket.destroy();
          });
      }
    });
    const handle = async (message: Buffer): Promise<void> => {
      const opCode = message.readInt32LE(12);
      const requestId = message.readInt32LE(4);
      if (opCode !== OP_CODES.msg && opCode !== OP_CODES.query) {
        const reply = new CommandError(
          opCode === OP_CODES.compressed ? 238 : 17,
          opCode === OP_CODES.compressed
            ? "OP_COMPRESSED is not implemented (the server advertises no compressors)"
            : `unsupported opCode ${opCode}`,
        ).toReply();
        socket.write(encodeReply({ opCode: OP_CODES.msg, requestId }, reply));
        return;
      }
      let request;
      try {
        request = decodeMessage(message);
      } catch (error) {
        if (error instanceof ProtocolError) throw error;
        const reply = new CommandError(22, `invalid BSON in request: ${(error as Error).message}`, { codeName: "InvalidBSON" }).toReply();
        socket.write(encodeReply({ opCode, requestId }, reply));
        return;
      }
      let reply: Document | undefined;
      if (request.largestDocument > MAX_COMMAND_BYTES) {
        const size = request.largestDocument;
        reply = new CommandError(
          10334,
          `BSONObj size: ${size} (0x${size.toString(16).toUpperCase()}) is invalid. Size must be between 0 and 16793600(16MB) First element: ${request.firstElement}`,
        ).toReply();
      } else {
        const outcome = await engine.handleCommand(request.db, request.command, connection);
        if (outcome.closeConnection) {
          socket.destroy();
          return;
        }
        reply = outcome.reply;
      }
      if (request.moreToCome || !reply) return;
      if (!socket.destroyed) socket.write(encodeReply(request, reply));
    };
    socket.on("close", () => {
      sockets.delete(socket);
      engine.connectionClosed();
    });
    socket.on("error", () => socket.destroy());
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("compat server did not bind a TCP port");
  const port = address.port;
  engine.host = `127.0.0.1:${port}`;
  let stopped = false;
  return {
    uri: `mongodb://127.0.0.1:${port}/?replicaSet=${encodeURIComponent(engine.replicaSetName)}`,
    port,
    engine,
    async stop() {
      if (stopped) return;
      stopped = true;
      engine.dispose();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
