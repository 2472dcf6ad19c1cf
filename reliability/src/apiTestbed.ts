/**
 * The example API over the test MongoDB for one test file: a ServiceContainer on a private database
 * prefix (optionally with Redis), `buildApp` listening on 127.0.0.1:0, its logs going to a sink, a
 * loopback client, and raw access for counting and scanning what was stored.
 */
import { randomUUID } from "node:crypto";
import { buildApp } from "@cspm-example/api";
import { createServiceContainer, type ServiceContainer, TOKENS } from "@cspm/container";
import { type CredentialCipher, generateKey } from "@cspm/crypto";
import { CommandMonitor, type CSPMDatabaseManager } from "@cspm/mongo";
import { type BuiltInRole, systemActor } from "@cspm/identity";
import { DatabaseRegistry } from "@cspm/registry";
import { parseTeamId } from "@cspm/repository";
import { dropDatabasesWithPrefix, testMongoUri, testDatabasePrefix } from "@cspm/testkit";
import type { Document } from "mongodb";
import { type LoopbackClient, loopbackClient } from "./httpClient";

/** Everything an HTTP-level test needs. */
export interface ApiTestbed {
  readonly prefix: string;
  /** Every route of the app (`METHOD /path`), as registered. */
  readonly routes: readonly string[];
  readonly port: number;
  readonly services: ServiceContainer;
  readonly manager: CSPMDatabaseManager;
  readonly monitor: CommandMonitor;
  readonly cipher: CredentialCipher;
  readonly http: LoopbackClient;
  /** Documents per `database.collection` over every database of this testbed. */
  countAll(): Promise<Record<string, number>>;
  /** Every stored document, with where it lives. */
  dumpAll(): Promise<{ database: string; collection: string; doc: Document }[]>;
  /** An API key token acting as `role` (default owner) in `teamId`, issued once per team and role. */
  token(teamId: string, role?: BuiltInRole): Promise<string>;
  /** `{ authorization: "Bearer <token>" }` for `token(teamId, role)`. */
  auth(teamId: string, role?: BuiltInRole): Promise<Record<string, string>>;
  /** Inserts stored-shape documents into a registered collection. */
  seed(database: Parameters<CSPMDatabaseManager["getCollection"]>[0], collection: string, docs: readonly Document[]): Promise<void>;
  close(): Promise<void>;
}

/** Options of `openApiTestbed`. */
export interface ApiTestbedOptions {
  readonly label: string;
  /** Use a RedisCache on this URL (with its own key prefix) instead of the in-memory cache. */
  readonly redis?: { readonly url: string; readonly keyPrefix: string };
  /** Receives every log line of the app (Fastify/pino JSON). */
  readonly logSink?: (line: string) => void;
  /** Concurrent sockets of the loopback client (default 16). */
  readonly maxSockets?: number;
  /** MongoDB to use instead of the test server (a fault proxy in front of it). */
  readonly uri?: string;
  /** The container's operation deadline (`mongodb.operationTimeoutMS`). */
  readonly operationTimeoutMS?: number;
}

/** Starts the API on an ephemeral loopback port; `close()` stops it, drops the databases and disposes the container. */
export async function openApiTestbed(options: ApiTestbedOptions): Promise<ApiTestbed> {
  const label = options.label
    .toLowerCase()
    .replace(/[^a-z0-9]/g, "")
    .slice(0, 10);
  const prefix = testDatabasePrefix(`r${label}`);
  const monitor = new CommandMonitor();
  const services = createServiceContainer(
    {
      mongodb: {
        uri: options.uri ?? testMongoUri(),
        prefix,
        appName: `reliability-api-${label}`,
        ...(options.operationTimeoutMS === undefined ? {} : { operationTimeoutMS: options.operationTimeoutMS }),
      },
      encryptionKeys: `k1:${generateKey()}`,
      cursorSecret: randomUUID(),
      ...(options.redis ? { redis: { url: options.redis.url, keyPrefix: options.redis.keyPrefix, commandTimeoutMs: 500 } } : {}),
    },
    { commandMonitor: monitor },
  );
  await services.initialize({ ensureIndexes: true });
  const sink = options.logSink;
  const app = buildApp({
    services,
    // The suites send thousands of requests with one credential; rate limits have their own tests.
    rateLimit: false,
    logger: sink ? { level: "trace", stream: { write: (line: string) => sink(line) } } : false,
  });
  await app.listen({ host: "127.0.0.1", port: 0 });
  const address = app.server.address();
  if (!address || typeof address === "string") throw new Error("the API did not bind a TCP port");
  const manager = services.resolve(TOKENS.DatabaseManager);
  const http = loopbackClient(address.port, { maxSockets: options.maxSockets ?? 16 });
  const tokens = new Map<string, Promise<string>>();
  const token = (teamId: string, role: BuiltInRole = "owner"): Promise<string> => {
    const key = `${teamId}/${role}`;
    let issued = tokens.get(key);
    if (issued === undefined) {
      const team = parseTeamId(teamId);
      issued = services.services.identity.apiKeys
        .createKey(team, { name: `reliability ${role}`, role }, systemActor(team, "reliability"))
        .then((k) => k.token);
      tokens.set(key, issued);
    }
    return issued;
  };
  const databases = (): string[] => DatabaseRegistry.keys().map((key) => manager.databaseName(key));
  const collectionsOf = async (name: string): Promise<string[]> =>
    (await manager.client.db(name).listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name).sort();
  return {
    prefix,
    routes: app.routeList,
    port: address.port,
    services,
    manager,
    monitor,
    cipher: services.resolve(TOKENS.Cipher),
    http,
    token,
    async auth(teamId, role) {
      return { authorization: `Bearer ${await token(teamId, role)}` };
    },
    async countAll() {
      const counts: Record<string, number> = {};
      for (const name of databases()) {
        for (const collection of await collectionsOf(name))
          counts[`${name}.${collection}`] = await manager.client.db(name).collection(collection).countDocuments({});
      }
      return counts;
    },
    async dumpAll() {
      const out: { database: string; collection: string; doc: Document }[] = [];
      for (const name of databases()) {
        for (const collection of await collectionsOf(name)) {
          for (const doc of await manager.client.db(name).collection(collection).find({}).toArray())
            out.push({ database: name, collection, doc });
        }
      }
      return out;
    },
    async seed(database, collection, docs) {
      if (docs.length > 0) await manager.getCollection(database, collection).insertMany(docs.map((d) => ({ ...d })));
    },
    async close() {
      http.close();
      await app.close();
      try {
        await dropDatabasesWithPrefix(manager.client, prefix);
      } finally {
        await services.dispose();
      }
    },
  };
}
