import { isCspmError, UnavailableError } from "@cspm/errors";
import { MongoClient, type MongoClientOptions } from "mongodb";
import type { ClientTelemetry } from "./clientTelemetry";
import type { CommandMonitor } from "./commandMonitor";
import { mapMongoError } from "./mapMongoError";
import { summarizeConnectionString } from "./redactConnectionString";

/** Server selection timeout applied unless the options or the connection string set one. */
export const DEFAULT_SERVER_SELECTION_TIMEOUT_MS = 5_000;
/** `appName` applied unless the options or the connection string set one (visible in server logs and `currentOp`). */
export const DEFAULT_APP_NAME = "cspm-data-layer";

/**
 * Options of `getAsyncClient`: any `MongoClientOptions` (read preference, write/read concern,
 * TLS, auth, pool sizes … pass straight through) plus an optional command monitor.
 */
export interface AsyncClientOptions extends MongoClientOptions {
  /** Attached to the client, which is then created with `monitorCommands: true`. Not part of the sharing key. */
  readonly commandMonitor?: CommandMonitor;
  /** Reports the client's pool (and commands, with `commandSpans`) through OpenTelemetry. Not part of the sharing key. */
  readonly telemetry?: ClientTelemetry;
}

/** Counters of the shared-client cache, for health pages and tests. */
export interface AsyncClientStats {
  /** Clients currently cached (connected or connecting). */
  readonly clients: number;
  /** `MongoClient.connect()` calls made since the process started (one per created client). */
  readonly connects: number;
}

interface Entry {
  readonly key: string;
  readonly client: MongoClient;
  readonly ready: Promise<MongoClient>;
  /** Set once anyone called `get` (`getAsyncClient`) for this key: such a client lives until the pool closes. */
  pinned: boolean;
  /** Owners holding the client through `MongoClientPool.acquire` (managers). */
  leases: number;
}

/** A stable string for an options object: sorted keys; objects that are not plain data are keyed by identity. */
function stableKey(value: unknown, identities: WeakMap<object, number>, seen = new Set<object>()): string {
  if (value === undefined) return "u";
  if (value === null || typeof value === "number" || typeof value === "boolean" || typeof value === "string") {
    return JSON.stringify(value);
  }
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value !== "object" && typeof value !== "function") return String(value);
  const object = value as object;
  const prototype = Object.getPrototypeOf(object) as unknown;
  const plain = Array.isArray(object) || prototype === Object.prototype || prototype === null;
  if (!plain && !seen.has(object) && typeof (object as { toJSON?: unknown }).toJSON === "function") {
    // ReadPreference, ReadConcern, Buffer …: equal settings share a client even as distinct instances.
    seen.add(object);
    try {
      const json = (object as { toJSON: () => unknown }).toJSON();
      return `${object.constructor?.name ?? "?"}(${stableKey(json, identities, seen)})`;
    } catch {
      // fall through to identity
    } finally {
      seen.delete(object);
    }
  }
  if (!plain || seen.has(object)) {
    let id = identities.get(object);
    if (id === undefined) {
      nextIdentity += 1;
      id = nextIdentity;
      identities.set(object, id);
    }
    return `#${id}`;
  }
  seen.add(object);
  const body = Array.isArray(object)
    ? `[${object.map((item) => stableKey(item, identities, seen)).join(",")}]`
    : `{${Object.keys(object)
        .sort()
        .filter((key) => (object as Record<string, unknown>)[key] !== undefined)
        .map((key) => `${JSON.stringify(key)}:${stableKey((object as Record<string, unknown>)[key], identities, seen)}`)
        .join(",")}}`;
  seen.delete(object);
  return body;
}
/** Identity numbers of option values that are not plain data (functions, Buffers, class instances). */
const identities = new WeakMap<object, number>();
let nextIdentity = 0;

/** Lower-cased names of the options written in the connection string's query. */
function uriOptionNames(uri: string): Set<string> {
  const query = uri.indexOf("?");
  if (query === -1) return new Set();
  return new Set(
    uri
      .slice(query + 1)
      .split("&")
      .map((pair) => decodeURIComponent(pair.split("=")[0] ?? "").toLowerCase())
      .filter((name) => name !== ""),
  );
}

/**
 * The options the client is created with: the caller's, plus each default the caller did not set in
 * the options object or the connection string (the driver lets the object override the string, so a
 * default must never be added where the string already decided).
 */
function effectiveOptions(uri: string, options: AsyncClientOptions): MongoClientOptions {
  const { commandMonitor, telemetry, ...rest } = options;
  const inUri = (() => {
    try {
      return uriOptionNames(uri);
    } catch {
      return new Set<string>();
    }
  })();
  const has = (name: string): boolean => inUri.has(name.toLowerCase()) || (rest as Record<string, unknown>)[name] !== undefined;
  const effective: MongoClientOptions = { ...rest };
  if (!has("retryReads")) effective.retryReads = true;
  if (!has("retryWrites")) effective.retryWrites = true;
  if (!has("writeConcern") && !has("w") && !has("journal") && !has("wtimeoutMS")) effective.writeConcern = { w: "majority" };
  if (!has("serverSelectionTimeoutMS")) effective.serverSelectionTimeoutMS = DEFAULT_SERVER_SELECTION_TIMEOUT_MS;
  if (!has("appName")) effective.appName = DEFAULT_APP_NAME;
  if (commandMonitor || telemetry?.commandSpans === true) effective.monitorCommands = true;
  return effective;
}

function connectContext(uri: string, options: MongoClientOptions) {
  const { hosts } = summarizeConnectionString(uri);
  return {
    operation: "connect",
    hosts,
    ...(options.serverSelectionTimeoutMS === undefined ? {} : { serverSelectionTimeoutMS: options.serverSelectionTimeoutMS }),
  };
}

/**
 * Pieces of the user info: the user name and password, and the fragments a malformed one splits
 * into. The driver can quote a fragment of a badly escaped password as a host name in its own message.
 */
function credentialFragments(uri: string): { all: string[]; password: string[] } {
  const start = uri.indexOf("://");
  const end = uri.lastIndexOf("@");
  if (start === -1 || end <= start) return { all: [], password: [] };
  const userInfo = uri.slice(start + 3, end);
  const colon = userInfo.indexOf(":");
  const pieces = (text: string): string[] => {
    const out = new Set<string>();
    for (const piece of text.split(/[:@/?#]/)) {
      if (piece.length < 3) continue;
      out.add(piece.toLowerCase());
      try {
        out.add(decodeURIComponent(piece).toLowerCase());
      } catch {
        // not percent-encoded
      }
    }
    return [...out];
  };
  return { all: pieces(userInfo), password: colon === -1 ? [] : pieces(userInfo.slice(colon + 1)) };
}

/** Re-issues an error without driver text when that text quotes any part of the credentials. */
function withoutCredentials(error: UnavailableError, uri: string): UnavailableError {
  const fragments = credentialFragments(uri);
  if (fragments.all.length === 0) return error;
  // Host names come back lower-cased, so compare case-insensitively.
  const quotes = (text: unknown, list: string[]): boolean =>
    typeof text === "string" && list.some((fragment) => text.toLowerCase().includes(fragment));
  const cause = error.cause as { message?: unknown } | undefined;
  const driverMessage = error.details?.driverMessage;
  const passwordInMessage = quotes(error.message, fragments.password);
  if (!passwordInMessage && !quotes(driverMessage, fragments.all) && !quotes(cause?.message, fragments.all)) return error;
  const { driverMessage: _withheld, ...details } = error.details ?? {};
  return new UnavailableError(passwordInMessage ? "Cannot connect to MongoDB." : error.message, {
    details,
    cause: new Error("connect failed: driver message withheld (it quoted part of the credentials)"),
  });
}

/** Everything thrown while creating or connecting a client becomes `UNAVAILABLE`, with no credential in sight. */
function connectError(error: unknown, uri: string, options: MongoClientOptions): UnavailableError {
  return withoutCredentials(toUnavailable(error, uri, options), uri);
}

function toUnavailable(error: unknown, uri: string, options: MongoClientOptions): UnavailableError {
  const context = connectContext(uri, options);
  const mapped = mapMongoError(error, context);
  if (mapped instanceof UnavailableError || (isCspmError(mapped) && mapped.code === "UNAVAILABLE")) return mapped as UnavailableError;
  const hosts = context.hosts.join(", ");
  return new UnavailableError(`Cannot connect to MongoDB${hosts ? ` at ${hosts}` : ""}.`, {
    details: {
      operation: "connect",
      ...(context.hosts.length > 0 ? { hosts: context.hosts } : {}),
      hint: "The driver refused the connection settings. Check the connection string and client options (TLS files, auth mechanism, replicaSet).",
    },
    cause: mapped,
  });
}

/**
 * A set of `MongoClient`s keyed by connection string and options: one connected client per key, shared by
 * everyone who asks this pool for the same key, closed when its last owner releases it (or the pool
 * closes). `getAsyncClient` uses one process-wide pool (`sharedClientPool`); a `ServiceContainer` makes its
 * own, so two containers share no client (and no monitor sees another container's commands).
 */
export class MongoClientPool {
  readonly #entries = new Map<string, Entry>();
  #connects = 0;

  #entryFor(uri: string, options: AsyncClientOptions): Entry {
    const effective = effectiveOptions(uri, options);
    const key = `${uri}\u0000${stableKey(effective, identities)}`;
    const existing = this.#entries.get(key);
    if (existing) return existing;

    let client: MongoClient;
    try {
      client = new MongoClient(uri, effective);
    } catch (error) {
      // Bad connection string or options: nothing is cached, so a corrected configuration can be retried.
      throw connectError(error, uri, effective);
    }
    this.#connects += 1;
    const ready = client.connect().then(
      () => client,
      async (error: unknown) => {
        if (this.#entries.get(key)?.client === client) this.#entries.delete(key);
        await client.close().catch(() => undefined);
        throw connectError(error, uri, effective);
      },
    );
    const entry: Entry = { key, client, ready, pinned: false, leases: 0 };
    this.#entries.set(key, entry);
    return entry;
  }

  /** The pool's connected client for `uri` + options, kept until `close()` (see `getAsyncClient`). Throws `UNAVAILABLE`. */
  async get(uri: string, options: AsyncClientOptions = {}): Promise<MongoClient> {
    const entry = this.#entryFor(uri, options);
    entry.pinned = true;
    const client = await entry.ready;
    if (options.commandMonitor) options.commandMonitor.attach(client);
    options.telemetry?.attach(client);
    return client;
  }

  /**
   * The pool's client for an owner that gives it back: `release()` detaches the owner's command monitor at
   * once and closes the client when no other owner holds it and nobody took it through `get`. Throws `UNAVAILABLE`.
   */
  async acquire(uri: string, options: AsyncClientOptions = {}): Promise<{ client: MongoClient; release: () => Promise<void> }> {
    const entry = this.#entryFor(uri, options);
    entry.leases += 1;
    let client: MongoClient;
    try {
      client = await entry.ready;
      if (options.commandMonitor) options.commandMonitor.attach(client);
      options.telemetry?.attach(client);
    } catch (error) {
      entry.leases -= 1;
      throw error;
    }
    let released = false;
    return {
      client,
      release: async () => {
        if (released) return;
        released = true;
        // The monitor belongs to this owner: it stops counting now, even if others keep the client.
        options.commandMonitor?.detach(client);
        options.telemetry?.detach(client);
        entry.leases -= 1;
        if (entry.leases > 0 || entry.pinned || this.#entries.get(entry.key) !== entry) return;
        this.#entries.delete(entry.key);
        await client.close().catch(() => undefined);
      },
    };
  }

  /** Closes every client of the pool and empties it. Never throws; later calls create new clients. */
  async close(): Promise<void> {
    const all = [...this.#entries.values()];
    this.#entries.clear();
    await Promise.all(
      all.map(async (entry) => {
        const client = await entry.ready.catch(() => undefined);
        await client?.close().catch(() => undefined);
      }),
    );
  }

  /** How many clients the pool holds and how many connects it started. */
  stats(): AsyncClientStats {
    return { clients: this.#entries.size, connects: this.#connects };
  }
}

/** The process-wide pool behind `getAsyncClient`, `closeAsyncClients` and managers created without a `clientPool`. */
export const sharedClientPool = new MongoClientPool();

/**
 * The shared, connected `MongoClient` for a connection string and options: created on first use,
 * connected exactly once even when many callers ask at the same moment, and reused afterwards (a
 * failed connect is forgotten, so a later call retries). It lives in the process-wide `sharedClientPool`
 * until `closeAsyncClients()`. Defaults: retryable reads and writes, `w: "majority"`,
 * `serverSelectionTimeoutMS` 5000, `appName` "cspm-data-layer" — each only where neither the options nor
 * the connection string set it. Works with replica sets, sharded clusters and `mongodb+srv` URIs. Throws
 * `UNAVAILABLE` (naming the hosts, never credentials, with `details.hint`) for a bad connection string or
 * an unreachable deployment, within the timeout.
 * @example const client = await getAsyncClient(process.env.MONGODB_URI!, { readPreference: "secondaryPreferred" });
 */
export function getAsyncClient(uri: string, options: AsyncClientOptions = {}): Promise<MongoClient> {
  return sharedClientPool.get(uri, options);
}

/** Closes every client of `sharedClientPool` (call once at shutdown). Never throws; later calls create new clients. */
export function closeAsyncClients(): Promise<void> {
  return sharedClientPool.close();
}

/** How many clients `sharedClientPool` holds and how many connects it started, e.g. to prove sharing. */
export function asyncClientStats(): AsyncClientStats {
  return sharedClientPool.stats();
}
