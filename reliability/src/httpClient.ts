/**
 * A minimal loopback HTTP/1.1 client for the example API: raw bodies (so malformed JSON can be sent),
 * a bounded keep-alive pool, and a hard per-request timeout. Never talks to anything but 127.0.0.1.
 */
import { Agent, request as httpRequest } from "node:http";

/** One request. */
export interface HttpCall {
  readonly method: string;
  /** Path and query, already encoded. */
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** A JSON value (serialised) or raw text/bytes. */
  readonly json?: unknown;
  readonly raw?: string | Buffer;
}

/** One response. */
export interface HttpResult {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly text: string;
  /** The parsed body when it is JSON. */
  readonly body: unknown;
}

/** A client bound to one loopback port. */
export interface LoopbackClient {
  send(call: HttpCall): Promise<HttpResult>;
  close(): void;
}

/** A client for 127.0.0.1:`port` with at most `maxSockets` connections (default 16) and a per-request timeout. */
export function loopbackClient(port: number, options: { maxSockets?: number; timeoutMs?: number } = {}): LoopbackClient {
  const agent = new Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 16 });
  const timeoutMs = options.timeoutMs ?? 30_000;
  return {
    send(call) {
      return new Promise<HttpResult>((resolve, reject) => {
        const payload = call.raw ?? (call.json === undefined ? undefined : JSON.stringify(call.json));
        const headers: Record<string, string | number> = { ...call.headers };
        if (payload !== undefined) {
          headers["content-type"] ??= "application/json";
          headers["content-length"] = Buffer.byteLength(payload);
        }
        const req = httpRequest({ host: "127.0.0.1", port, method: call.method, path: call.path, headers, agent }, (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            let body: unknown;
            try {
              body = text === "" ? undefined : (JSON.parse(text) as unknown);
            } catch {
              body = undefined;
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body });
          });
          res.on("error", reject);
        });
        req.setTimeout(timeoutMs, () => req.destroy(new Error(`${call.method} ${call.path} timed out after ${timeoutMs} ms`)));
        req.on("error", reject);
        if (payload !== undefined) req.write(payload);
        req.end();
      });
    },
    close() {
      agent.destroy();
    },
  };
}

/** The error code of an error envelope, or `undefined`. */
export function errorCodeOf(result: HttpResult): string | undefined {
  const body = result.body as { success?: unknown; error?: { code?: unknown } } | undefined;
  return body?.success === false && typeof body.error?.code === "string" ? body.error.code : undefined;
}
