/**
 * The MongoDB `pnpm bench` measures against, never inside the benchmark's own process: `MONGODB_URI`
 * (or a local mongod, through `startTestMongo`) when there is one, else the offline engine forked into a
 * child process (`engineChild.ts`), so its CPU is not the benchmark's and a loopback proxy can sit between
 * the two. Also: the delay proxy of the round-trip-bound figures.
 */
import { fileURLToPath } from "node:url";
import { startTcpProxy, startTestMongo, type TcpProxy } from "@cspm/testkit";
import { type ChildCpu, forkBenchChild } from "./benchChild";

const CHILD = fileURLToPath(new URL("./engineChild.ts", import.meta.url));
/** Old-space limit of the forked engine (MiB). */
const ENGINE_HEAP_MB = 16_384;

/** The benchmark's MongoDB. */
export interface BenchMongo {
  readonly uri: string;
  /** `compat` (the offline engine, in its own process), `memory-server` or `external`. */
  readonly engine: "compat" | "memory-server" | "external";
  /** Host and port of the server, for a proxy in front of it. */
  readonly host: string;
  readonly port: number;
  /** The child's process id when the engine runs in a child process. */
  readonly pid: number | undefined;
  /** The server's CPU time so far; undefined when the server is not a child of the bench. */
  cpu(): Promise<ChildCpu | undefined>;
  stop(): Promise<void>;
}

function hostAndPort(uri: string): { host: string; port: number } {
  const authority = /^mongodb:\/\/(?:[^@/]*@)?([^/?,]+)/.exec(uri)?.[1] ?? "127.0.0.1:27017";
  const colon = authority.lastIndexOf(":");
  return colon === -1 ? { host: authority, port: 27017 } : { host: authority.slice(0, colon), port: Number(authority.slice(colon + 1)) };
}

/** A fresh offline engine in a child process of its own (empty: no other benchmark's data in its heap). */
export async function forkEngine(log: (line: string) => void): Promise<BenchMongo> {
  // The engine keeps every collection and index in its heap: at full scale (a 1 GiB NDJSON import on top of the
  // other benchmarks' data, prowler_findings with all its explorer indexes) that outgrows V8's default ~4 GiB.
  const engine = await forkBenchChild<{ uri: string; port: number }>(CHILD, [], [`--max-old-space-size=${ENGINE_HEAP_MB}`]);
  log(`offline engine in its own process (pid ${engine.child.pid}) at ${engine.ready.uri}`);
  return {
    uri: engine.ready.uri,
    engine: "compat",
    host: "127.0.0.1",
    port: engine.ready.port,
    pid: engine.child.pid,
    cpu: () => engine.cpu(),
    stop: () => engine.stop(),
  };
}

/**
 * `MONGODB_URI` when set (or `CSPM_TEST_MONGO=memory-server` / a local mongod via `startTestMongo`), else the
 * offline engine in a child process. Throws when the server cannot be started.
 */
export async function startBenchMongo(env: Readonly<Record<string, string | undefined>>, log: (line: string) => void): Promise<BenchMongo> {
  if (env.MONGODB_URI || (env.CSPM_TEST_MONGO && env.CSPM_TEST_MONGO !== "compat")) {
    const mongo = await startTestMongo({ log });
    if (mongo.engine !== "compat") {
      const { host, port } = hostAndPort(mongo.uri);
      return { uri: mongo.uri, engine: mongo.engine, host, port, pid: undefined, cpu: async () => undefined, stop: () => mongo.stop() };
    }
    await mongo.stop();
  }
  return forkEngine(log);
}

/** A loopback delay proxy in front of the bench's server and the connection string through it. */
export interface DelayedMongo {
  readonly uri: string;
  readonly proxy: TcpProxy;
  stop(): Promise<void>;
}

/**
 * Starts `startTcpProxy` in front of `mongo` with `delayMs` added per direction; the URI connects directly
 * (no replica-set discovery, which would bypass the proxy). Change the delay with `proxy.setDelay`.
 */
export async function startDelayedMongo(mongo: BenchMongo, delayMs: number): Promise<DelayedMongo> {
  const proxy = await startTcpProxy({ host: mongo.host, port: mongo.port }, { delayMs });
  const query = mongo.uri.includes("?") ? mongo.uri.slice(mongo.uri.indexOf("?") + 1) : "";
  const kept = query
    .split("&")
    .filter((pair) => pair !== "" && !/^(replicaSet|directConnection)=/i.test(pair))
    .concat("directConnection=true")
    .join("&");
  const auth = /^mongodb:\/\/([^@/]*@)/.exec(mongo.uri)?.[1] ?? "";
  return { uri: `mongodb://${auth}127.0.0.1:${proxy.port}/?${kept}`, proxy, stop: () => proxy.stop() };
}

/** The delays (ms per direction) every round-trip-bound figure is measured at. */
export const PROXY_DELAYS_MS = [0, 0.25, 1] as const;
