import { Long, ObjectId, type Timestamp, UUID, type Document } from "bson";
import { compareStrings, isPlainDocument } from "./bsonOrder";
import { CommandError } from "./commandError";
import { checkFields, type CommandContext, type CommandHandler } from "./commandContext";
import { MAX_BSON_OBJECT_SIZE } from "./documentRules";
import type { FailPointRegistry } from "./failPoints";
import { compileFilter } from "./queryMatcher";
import type { StorageCatalog } from "./storageCatalog";

/** mongod version the engine reports (a 7.0 release: wire version 21). */
export const REPORTED_VERSION = "7.0.14";
const VERSION_ARRAY = [7, 0, 14, 0];
const MAX_WIRE_VERSION = 21;
const MAX_MESSAGE_SIZE = 48_000_000;

/** What the server-level commands need from the engine. */
export interface AdminHost {
  readonly catalog: StorageCatalog;
  readonly replicaSetName: string;
  readonly host: string;
  readonly failPoints: FailPointRegistry | undefined;
  readonly startedAt: number;
  readonly connections: { readonly current: number; readonly total: number };
  tick(): Timestamp;
  /** Ends sessions by lsid (aborting their open transactions). */
  endSessions(lsids: readonly unknown[]): void;
  /** Aborts every open transaction and forgets every session (`killAllSessions`). */
  killAllSessions(): void;
  /** Names of every command the engine answers. */
  commandNames(): string[];
}

const ELECTION_ID = new ObjectId("7fffffff0000000000000001");

/**
 * `hello` as a mongod 7.0 primary of a one-member replica set answers it. There is no
 * `topologyVersion`: the engine does not implement the awaitable (streaming) hello, so drivers poll.
 */
function hello(host: AdminHost, ctx: CommandContext, legacy: boolean): Document {
  const reply: Document = {};
  if (ctx.body.helloOk === true) reply.helloOk = true;
  if (legacy) reply.ismaster = true;
  else reply.isWritablePrimary = true;
  const ts = host.tick();
  const now = new Date();
  Object.assign(reply, {
    setName: host.replicaSetName,
    setVersion: 1,
    hosts: [host.host],
    primary: host.host,
    me: host.host,
    secondary: false,
    electionId: ELECTION_ID,
    lastWrite: {
      opTime: { ts, t: Long.fromNumber(1) },
      lastWriteDate: now,
      majorityOpTime: { ts, t: Long.fromNumber(1) },
      majorityWriteDate: now,
    },
    maxBsonObjectSize: MAX_BSON_OBJECT_SIZE,
    maxMessageSizeBytes: MAX_MESSAGE_SIZE,
    maxWriteBatchSize: 100_000,
    localTime: now,
    logicalSessionTimeoutMinutes: 30,
    connectionId: ctx.connectionId,
    minWireVersion: 0,
    maxWireVersion: MAX_WIRE_VERSION,
    readOnly: false,
    cspmCompatEngine: true,
    ok: 1,
  });
  return reply;
}

function buildInfo(host: AdminHost): Document {
  return {
    version: REPORTED_VERSION,
    gitVersion: "cspm-mongo-engine",
    modules: [],
    allocator: "system",
    javascriptEngine: "none",
    sysInfo: "deprecated",
    versionArray: VERSION_ARRAY,
    bits: 64,
    debug: false,
    maxBsonObjectSize: MAX_BSON_OBJECT_SIZE,
    storageEngines: ["inMemory"],
    openssl: { running: "disabled", compiled: "disabled" },
    buildEnvironment: { target_os: process.platform, target_arch: process.arch },
    testCommandsEnabled: host.failPoints !== undefined,
    cspmCompatEngine: true,
    ok: 1,
  };
}

function listDatabases(host: AdminHost, ctx: CommandContext): Document {
  checkFields(ctx, "listDatabases", ["nameOnly", "filter", "authorizedDatabases"]);
  const nameOnly = ctx.body.nameOnly === true;
  const matcher = compileFilter(isPlainDocument(ctx.body.filter) ? ctx.body.filter : {});
  const databases: Document[] = [];
  let totalSize = 0;
  for (const name of [...host.catalog.databases.keys()].sort(compareStrings)) {
    const colls = host.catalog.databases.get(name);
    if (!colls || colls.size === 0) continue;
    let docs = 0;
    for (const store of colls.values()) docs += store.docs.size;
    const sizeOnDisk = 4096 * (colls.size + 1) + docs * 64;
    totalSize += sizeOnDisk;
    const entry = nameOnly ? { name } : { name, sizeOnDisk, empty: docs === 0 };
    if (matcher(entry)) databases.push(entry);
  }
  return nameOnly ? { databases, ok: 1 } : { databases, totalSize, totalSizeMb: Math.floor(totalSize / 1048576), ok: 1 };
}

function serverStatus(host: AdminHost): Document {
  const uptimeMs = Date.now() - host.startedAt;
  return {
    host: host.host,
    version: REPORTED_VERSION,
    process: "mongod",
    pid: Long.fromNumber(process.pid),
    uptime: uptimeMs / 1000,
    uptimeMillis: Long.fromNumber(uptimeMs),
    uptimeEstimate: Long.fromNumber(Math.floor(uptimeMs / 1000)),
    localTime: new Date(),
    connections: { current: host.connections.current, available: 1_000_000, totalCreated: host.connections.total },
    storageEngine: {
      name: "inMemory",
      supportsCommittedReads: true,
      readOnly: false,
      persistent: false,
      supportsSnapshotReadConcern: true,
    },
    transactions: { currentActive: host.catalog.activeTransactions.size, currentOpen: host.catalog.activeTransactions.size },
    cspmCompatEngine: true,
    ok: 1,
  };
}

/** Server-level commands: handshake, build and server facts, sessions, parameters, fail points. */
export function adminCommands(host: AdminHost): Record<string, CommandHandler> {
  const ok: CommandHandler = () => ({ ok: 1 });
  const helloHandler: CommandHandler = (ctx) => hello(host, ctx, false);
  const isMaster: CommandHandler = (ctx) => hello(host, ctx, true);
  const buildInfoHandler: CommandHandler = () => buildInfo(host);
  const endSessions: CommandHandler = (ctx) => {
    const ids = ctx.body[Object.keys(ctx.body)[0] as string];
    if (Array.isArray(ids)) host.endSessions(ids);
    return { ok: 1 };
  };
  const commands: Record<string, CommandHandler> = {
    hello: helloHandler,
    isMaster,
    ismaster: isMaster,
    buildInfo: buildInfoHandler,
    buildinfo: buildInfoHandler,
    ping: ok,
    endSessions,
    killSessions: endSessions,
    killAllSessions: () => {
      host.killAllSessions();
      return { ok: 1 };
    },
    killAllSessionsByPattern: () => {
      host.killAllSessions();
      return { ok: 1 };
    },
    refreshSessions: ok,
    startSession: () => ({ id: { id: new UUID() }, timeoutMinutes: 30, ok: 1 }),
    listDatabases: (ctx) => listDatabases(host, ctx),
    dropDatabase: (ctx) => {
      if (ctx.view.transaction) throw new CommandError(263, "Cannot run 'dropDatabase' in a multi-document transaction.");
      host.catalog.dropDatabase(ctx.db);
      return { dropped: ctx.db, ok: 1 };
    },
    serverStatus: () => serverStatus(host),
    replSetGetStatus: () => ({
      set: host.replicaSetName,
      date: new Date(),
      myState: 1,
      members: [{ _id: 0, name: host.host, health: 1, state: 1, stateStr: "PRIMARY", self: true }],
      ok: 1,
    }),
    connectionStatus: () => ({ authInfo: { authenticatedUsers: [], authenticatedUserRoles: [] }, ok: 1 }),
    whatsmyuri: () => ({ you: "127.0.0.1:0", ok: 1 }),
    hostInfo: () => ({
      system: { currentTime: new Date(), hostname: "127.0.0.1", cpuAddrSize: 64, numCores: 1, cpuArch: process.arch },
      os: { type: process.platform, name: process.platform },
      extra: {},
      ok: 1,
    }),
    getParameter: (ctx) => ctx.parameters.get(ctx.body),
    setParameter: (ctx) => ctx.parameters.set(ctx.body),
    getCmdLineOpts: () => ({ argv: ["mongod", "--cspm-compat"], parsed: {}, ok: 1 }),
    getFreeMonitoringStatus: () => ({ state: "disabled", ok: 1 }),
    getLog: () => ({ totalLinesWritten: 0, log: [], ok: 1 }),
    // Transactions are settled by the engine before the handler runs (compatEngine.ts).
    commitTransaction: ok,
    abortTransaction: ok,
    listCommands: () => ({ commands: Object.fromEntries(host.commandNames().map((c) => [c, {}])), ok: 1 }),
  };
  const failPoints = host.failPoints;
  if (failPoints) commands.configureFailPoint = (ctx) => failPoints.configure(ctx.body);
  return commands;
}
