import { existsSync } from "node:fs";
import { type CompatServerOptions, startCompatServer } from "@cspm/mongo-engine";

/** Which MongoDB a test run uses. */
export type TestMongoEngine = "external" | "memory-server" | "compat";

/** Options for {@link startTestMongo}. */
export interface StartTestMongoOptions {
  /** Forces an engine (overrides `CSPM_TEST_MONGO`). */
  readonly engine?: TestMongoEngine;
  /** Environment to read (`MONGODB_URI`, `CSPM_TEST_MONGO`, `MONGOMS_SYSTEM_BINARY`); defaults to `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Where the one-line engine notice goes (default: stderr, once per process). */
  readonly log?: (line: string) => void;
  /** Options for the offline engine. */
  readonly compat?: CompatServerOptions;
  /**
   * Upper bound for starting mongodb-memory-server, in ms (default 30 s with a local binary; 60 s when
   * forced, the only case in which it may download one).
   */
  readonly memoryServerTimeoutMs?: number;
}

/** A running test MongoDB. */
export interface TestMongo {
  /** Connection string for the official driver. */
  readonly uri: string;
  /** The engine chosen. */
  readonly engine: TestMongoEngine;
  /** Replica set name when the server is a replica set (transactions work), else `undefined`. */
  readonly replicaSet: string | undefined;
  /** Stops what this call started (an external server is left alone). */
  stop(): Promise<void>;
}

const ANNOUNCED = Symbol.for("@cspm/testkit/mongoAnnounced");

function announce(line: string, log: ((line: string) => void) | undefined): void {
  if (log) {
    log(line);
    return;
  }
  const g = globalThis as { [ANNOUNCED]?: boolean };
  if (g[ANNOUNCED]) return;
  g[ANNOUNCED] = true;
  process.stderr.write(`${line}\n`);
}

function redact(uri: string): string {
  return uri.replace(/\/\/([^@/]*)@/, "//***@");
}

function parseEngine(value: string | undefined): TestMongoEngine | undefined {
  if (value === undefined || value === "") return undefined;
  if (value === "external" || value === "memory-server" || value === "compat") return value;
  throw new Error(`CSPM_TEST_MONGO must be one of external, memory-server, compat (got '${value}')`);
}

function replicaSetOf(uri: string): string | undefined {
  const query = uri.split("?")[1];
  if (!query) return undefined;
  const value = new URLSearchParams(query).get("replicaSet");
  return value ?? undefined;
}

const MEMORY_SERVER_HELP =
  "mongodb-memory-server needs a mongod binary: set MONGOMS_SYSTEM_BINARY to a local mongod, or point MONGODB_URI at a running server " +
  "(or unset CSPM_TEST_MONGO to use the offline compat engine)";

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/** Finds a mongod binary without downloading: `MONGOMS_SYSTEM_BINARY` or mongodb-memory-server's cache. */
async function locateMongod(env: Readonly<Record<string, string | undefined>>): Promise<string | undefined> {
  const system = env.MONGOMS_SYSTEM_BINARY;
  if (system) return existsSync(system) ? system : undefined;
  try {
    const { DryMongoBinary } = await import("mongodb-memory-server-core");
    return await withTimeout(DryMongoBinary.locateBinary({ version: env.MONGOMS_VERSION ?? "" }), 5000, "locating a mongod binary");
  } catch {
    return undefined;
  }
}

async function startMemoryServer(systemBinary: string | undefined, timeoutMs: number): Promise<TestMongo> {
  const { MongoMemoryReplSet } = await import("mongodb-memory-server-core");
  const starting = MongoMemoryReplSet.create({
    replSet: { count: 1, storageEngine: "wiredTiger" },
    ...(systemBinary ? { binary: { systemBinary } } : {}),
  });
  let replSet: Awaited<typeof starting>;
  try {
    replSet = await withTimeout(starting, timeoutMs, "starting mongodb-memory-server");
  } catch (error) {
    // a start that finishes after we gave up must not leak a mongod
    starting.then((late) => late.stop({ doCleanup: true, force: true })).catch(() => undefined);
    throw error;
  }
  return {
    uri: replSet.getUri(),
    engine: "memory-server",
    replicaSet: replSet.replSetOpts.name,
    stop: async () => {
      await replSet.stop({ doCleanup: true, force: true });
    },
  };
}

async function startCompat(options: CompatServerOptions | undefined): Promise<TestMongo> {
  const server = await startCompatServer(options ?? {});
  return { uri: server.uri, engine: "compat", replicaSet: server.engine.replicaSetName, stop: () => server.stop() };
}

/**
 * Starts (or points at) the MongoDB a test run uses, in this order: `MONGODB_URI` (external);
 * mongodb-memory-server as a one-member replica set when a `mongod` binary is already on hand; the
 * offline compat engine. `CSPM_TEST_MONGO=external|memory-server|compat` forces one. Prints the
 * choice once per process to stderr.
 *
 * @throws when `memory-server` is forced and no binary can be had (the message names
 * `MONGOMS_SYSTEM_BINARY` and `MONGODB_URI`), or `external` is forced without `MONGODB_URI`.
 * @example
 * const mongo = await startTestMongo();
 * const client = await MongoClient.connect(mongo.uri);
 */
export async function startTestMongo(options: StartTestMongoOptions = {}): Promise<TestMongo> {
  const env = options.env ?? process.env;
  const forced = options.engine ?? parseEngine(env.CSPM_TEST_MONGO);
  const externalUri = env.MONGODB_URI;
  let mongo: TestMongo;
  let note = "";
  if (forced === "external" || (!forced && externalUri)) {
    if (!externalUri) throw new Error("CSPM_TEST_MONGO=external needs MONGODB_URI to name the server");
    mongo = { uri: externalUri, engine: "external", replicaSet: replicaSetOf(externalUri), stop: async () => {} };
  } else if (forced === "memory-server") {
    if (env.MONGOMS_SYSTEM_BINARY && !existsSync(env.MONGOMS_SYSTEM_BINARY)) {
      throw new Error(
        `CSPM_TEST_MONGO=memory-server: MONGOMS_SYSTEM_BINARY (${env.MONGOMS_SYSTEM_BINARY}) does not exist. ${MEMORY_SERVER_HELP}`,
      );
    }
    try {
      mongo = await startMemoryServer(await locateMongod(env), options.memoryServerTimeoutMs ?? 60_000);
    } catch (error) {
      throw new Error(`CSPM_TEST_MONGO=memory-server failed: ${(error as Error).message}. ${MEMORY_SERVER_HELP}`, { cause: error });
    }
  } else if (forced === "compat") {
    mongo = await startCompat(options.compat);
  } else {
    const binary = await locateMongod(env);
    if (binary) {
      try {
        mongo = await startMemoryServer(binary, options.memoryServerTimeoutMs ?? 30_000);
      } catch (error) {
        note = ` (mongodb-memory-server failed: ${(error as Error).message})`;
        mongo = await startCompat(options.compat);
      }
    } else {
      note = " (no MONGODB_URI and no mongod binary on hand)";
      mongo = await startCompat(options.compat);
    }
  }
  const label = mongo.engine === "compat" ? "compat (offline engine)" : mongo.engine;
  announce(`[@cspm/testkit] test MongoDB: ${label} at ${redact(mongo.uri)}${note}`, options.log);
  return mongo;
}
