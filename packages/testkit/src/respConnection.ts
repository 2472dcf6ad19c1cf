import { connect, type Socket } from "node:net";

/** A RESP reply. */
export type RespValue = string | number | null | RespValue[] | Error;

function encode(args: readonly string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("")}`;
}

/** Parses one RESP value from `buf` at `offset`; returns `undefined` when more bytes are needed. */
function parse(buf: Buffer, offset: number): [RespValue, number] | undefined {
  if (offset >= buf.length) return undefined;
  const end = buf.indexOf("\r\n", offset);
  if (end < 0) return undefined;
  const type = String.fromCharCode(buf[offset] as number);
  const line = buf.toString("utf8", offset + 1, end);
  const next = end + 2;
  switch (type) {
    case "+":
      return [line, next];
    case "-":
      return [new Error(line), next];
    case ":":
      return [Number(line), next];
    case "$": {
      const len = Number(line);
      if (len < 0) return [null, next];
      if (buf.length < next + len + 2) return undefined;
      return [buf.toString("utf8", next, next + len), next + len + 2];
    }
    case "*": {
      const count = Number(line);
      if (count < 0) return [null, next];
      const items: RespValue[] = [];
      let cursor = next;
      for (let i = 0; i < count; i++) {
        const item = parse(buf, cursor);
        if (!item) return undefined;
        items.push(item[0]);
        cursor = item[1];
      }
      return [items, cursor];
    }
    default:
      throw new Error(`unexpected RESP type '${type}'`);
  }
}

/**
 * A minimal Redis connection (RESP2) for the testkit's own needs: PING, SCAN, DEL, SHUTDOWN. Keeps
 * `ioredis` optional.
 */
export class RespConnection {
  private buffer = Buffer.alloc(0);
  private readonly pending: { resolve: (v: RespValue) => void; reject: (e: Error) => void }[] = [];

  private constructor(private readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      for (;;) {
        const parsed = parse(this.buffer, 0);
        if (!parsed) break;
        this.buffer = this.buffer.subarray(parsed[1]);
        this.pending.shift()?.resolve(parsed[0]);
      }
    });
    const fail = (error: Error): void => {
      for (const p of this.pending.splice(0)) p.reject(error);
    };
    socket.on("error", fail);
    socket.on("close", () => fail(new Error("redis connection closed")));
  }

  /** Opens a connection (rejects after `timeoutMs`). */
  static open(host: string, port: number, timeoutMs = 1000): Promise<RespConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`no answer from redis at ${host}:${port} within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once("connect", () => {
        clearTimeout(timer);
        resolve(new RespConnection(socket));
      });
      socket.once("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  /** Sends a command and waits for its reply. */
  command(...args: string[]): Promise<RespValue> {
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.socket.write(encode(args));
    });
  }

  close(): void {
    this.socket.destroy();
  }
}
