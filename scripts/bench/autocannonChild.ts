/**
 * The load generator of the HTTP route benchmark in a process of its own: runs `autocannon` once per
 * `{ type: "run", url, headers, connections, seconds }` message and replies `{ type: "result", ... }` with
 * requests per second, latency percentiles and the non-2xx and error counts.
 */
import autocannon from "autocannon";
import { serveBenchParent } from "./benchChild";

const parent = serveBenchParent(async () => undefined);
process.on(
  "message",
  (message: { type?: string; id?: number; url?: string; headers?: Record<string, string>; connections?: number; seconds?: number }) => {
    if (message?.type !== "run") return;
    autocannon(
      {
        url: message.url as string,
        headers: message.headers ?? {},
        connections: message.connections ?? 16,
        duration: message.seconds ?? 5,
        pipelining: 1,
      },
      (error, result) => {
        if (error) {
          parent.send({ type: "result", id: message.id, error: String(error) });
          return;
        }
        parent.send({
          type: "result",
          id: message.id,
          requests: result.requests.total,
          requestsPerSecond: result.requests.total / (result.duration || 1),
          p50Ms: result.latency.p50,
          p99Ms: result.latency.p99,
          maxMs: result.latency.max,
          non2xx: result.non2xx,
          errors: result.errors + result.timeouts,
          seconds: result.duration,
        });
      },
    );
  },
);
parent.send({ type: "ready" });
