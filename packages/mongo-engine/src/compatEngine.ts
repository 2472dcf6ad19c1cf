import { Binary, Long, ObjectId, Timestamp, UUID, type Document } from "bson";
import { isPlainDocument, compareStrings } from "./bsonOrder";
import { collectPathValues } from "./pathValues";
import { CommandError, notImplemented } from "./commandError";
import { COLLECTION_COMMANDS } from "./collectionCommands";
import { checkFields, type CommandContext, type CommandHandler } from "./commandContext";
import { CRUD_COMMANDS } from "./crudCommands";
import { CursorRegistry } from "./cursorRegistry";
import { MAX_BSON_OBJECT_SIZE } from "./documentRules";
import { compileFilter } from "./queryMatcher";
import { LockWaitSignal, StorageCatalog, Transaction } from "./storageCatalog";

/** Settings of a {@link CompatEngine}. */
export interface CompatEngineOptions {
  /** Replica set name advertised by `hello` (default `rs0`). */
  readonly replicaSetName?: string;
  /** How often expired TTL documents are removed, in ms (default 1000; mongod uses 60 s). */
  readonly ttlMonitorIntervalMs?: number;
  /** Idle transactions are aborted after this many ms (mongod's transactionLifetimeLimitSeconds; default 60 s). */
  readonly transactionLifetimeMs?: number;
}

/** Per-connection facts the engine needs for `hello`. */
export interface ConnectionInfo {
  readonly id: number;
  readonly remote: string;
}

/** mongod version the engine reports (wire version 21 = 7.0). */
export const REPORTED_VERSION = "7.0.0";
const MAX_WIRE_VERSION = 21;
const MAX_MESSAGE_SIZE = 48_000_000;

const TRANSACTION_COMMANDS = new Set([
  "find",
  "getMore",
  "killCursors",
  "insert",
  "update",
  "delete",
  "findAndModify",
  "findandmodify",
  "aggregate",
  "distinct",
  "create",
  "createIndexes",
  "commitTransaction",
  "abortTransaction",
]);

/** Real mongod commands the engine does not implement (answered with 115, not 59). */
const KNOWN_UNSUPPORTED = new Set([
  "mapReduce",
  "geoSearch",
  "currentOp",
  "killOp",
  "fsync",
  "fsyncUnlock",
  "shutdown",
  "validate",
  "compact",
  "reIndex",
  "cloneCollectionAsCapped",
  "convertToCapped",
  "createUser",
  "dropUser",
  "updateUser",
  "usersInfo",
  "createRole",
  "rolesInfo",
  "saslStart",
  "saslContinue",
  "authenticate",
  "logout",
  "getnonce",
  "bulkWrite",
  "replSetInitiate",
  "replSetReconfig",
  "replSetStepDown",
  "replSetFreeze",
  "setFeatureCompatibilityVersion",
  "profile",
  "top",
  "getShardMap",
  "shardCollection",
  "enableSharding",
  "planCacheClear",
  "planCacheListFilters",
  "analyze",
  "analyzeShardKey",
  "createSearchIndexes",
  "listSearchIndexes",
  "dropSearchIndex",
  "updateSearchIndex",
  "setParameter",
  "logRotate",
  "copydb",
  "clone",
  "eval",
  "getLastError",
  "getPrevError",
  "resetError",
  "insertMany",
  "splitVector",
  "dataSize",
  "checkShardingIndex",
  "cleanupOrphaned",
  "filemd5",
]);

interface SessionState {
  txnNumber: number;
  txn: Transaction | undefined;
  lastUse: number;
}

const TRANSIENT = ["TransientTransactionError"];

function lsidKeyOf(lsid: unknown): string | undefined {
  if (!isPlainDocument(lsid)) return undefined;
  const id = lsid.id;
  if (id && typeof id === "object" && (id as { _bsontype?: string })._bsontype === "Binary") {
    return Buffer.from((id as Binary).buffer).toString("hex");
  }
  return JSON.stringify(lsid);
}

function noSuchTransaction(message: string): CommandError {
  return new CommandError(251, message, { errorLabels: TRANSIENT });
}

/**
 * The in-memory MongoDB the compat server exposes: command dispatch, sessions and transactions,
 * cursors, TTL expiry. Transport-independent (see `startCompatServer`).
 */
export class CompatEngine {
  readonly catalog = new StorageCatalog();
  readonly cursors = new CursorRegistry();
  readonly replicaSetName: string;
  host = "127.0.0.1:27017";
  private readonly sessions = new Map<string, SessionState>();
  private readonly processId = new ObjectId();
  private readonly startedAt = Date.now();
  private readonly electionId = new ObjectId("7fffffff0000000000000001");
  private readonly commands: Record<string, CommandHandler>;
  private readonly transactionLifetimeMs: number;
  private clock = { t: 0, i: 0 };
  private timer: NodeJS.Timeout | undefined;
  private connectionsCurrent = 0;
  private connectionsTotal = 0;

  constructor(options: CompatEngineOptions = {}) {
    this.replicaSetName = options.replicaSetName ?? "rs0";
    this.transactionLifetimeMs = options.transactionLifetimeMs ?? 60_000;
    this.commands = { ...CRUD_COMMANDS, ...COLLECTION_COMMANDS, ...this.adminCommands() };
    const interval = options.ttlMonitorIntervalMs ?? 1000;
    this.timer = setInterval(() => this.housekeeping(), interval);
    this.timer.unref();
  }

  /** Stops background work (TTL monitor, transaction reaper). */
  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const txn of [...this.catalog.activeTransactions]) this.catalog.abort(txn);
    this.cursors.clear();
  }

  connectionOpened(): void {
    this.connectionsCurrent += 1;
    this.connectionsTotal += 1;
  }

  connectionClosed(): void {
    this.connectionsCurrent -= 1;
  }

  /** A fresh cluster time (monotonic). */
  tick(): Timestamp {
    const now = Math.floor(Date.now() / 1000);
    if (now > this.clock.t) this.clock = { t: now, i: 1 };
    else this.clock = { t: this.clock.t, i: this.clock.i + 1 };
    return new Timestamp({ t: this.clock.t, i: this.clock.i });
  }

  private decorate(reply: Document): Document {
    const ts = this.tick();
    return {
      ...reply,
      $clusterTime: { clusterTime: ts, signature: { hash: new Binary(Buffer.alloc(20), 0), keyId: Long.ZERO } },
      operationTime: ts,
    };
  }

  /** Runs one command; never throws (failures become mongod-style error replies). */
  async runCommand(db: string, body: Document, connection: ConnectionInfo): Promise<Document> {
    try {
      return this.decorate(await this.execute(db, body, connection));
    } catch (error) {
      if (error instanceof CommandError) return this.decorate(error.toReply());
      if (error instanceof LockWaitSignal)
        return this.decorate(new CommandError(112, "WriteConflict", { errorLabels: TRANSIENT }).toReply());
      const message = error instanceof Error ? error.message : String(error);
      return this.decorate(new CommandError(1, `compat engine internal error: ${message}`).toReply());
    }
  }

  private async execute(db: string, body: Document, connection: ConnectionInfo): Promise<Document> {
    const name = Object.keys(body)[0];
    if (name === undefined) throw new CommandError(59, "no such command: ''");
    const handler = this.commands[name];
    if (!handler) {
      if (KNOWN_UNSUPPORTED.has(name)) {
        throw new CommandError(115, `command '${name}' is not supported by the @cspm/testkit compat engine`);
      }
      throw new CommandError(59, `no such command: '${name}'`);
    }
    if (body.apiVersion !== undefined && body.apiVersion !== "1") {
      throw new CommandError(322, `API version must be "1"`, { codeName: "APIVersionError" });
    }
    const readConcern = body.readConcern;
    if (isPlainDocument(readConcern) && readConcern.atClusterTime !== undefined) {
      throw notImplemented("readConcern.atClusterTime (point-in-time reads)");
    }
    const lsidKey = lsidKeyOf(body.lsid);
    let session: SessionState | undefined;
    if (lsidKey) {
      session = this.sessions.get(lsidKey);
      if (!session) {
        session = { txnNumber: -1, txn: undefined, lastUse: Date.now() };
        this.sessions.set(lsidKey, session);
      }
      session.lastUse = Date.now();
    }
    const base: Omit<CommandContext, "view"> = {
      db,
      body,
      catalog: this.catalog,
      cursors: this.cursors,
      connectionId: connection.id,
    };
    if (body.autocommit === undefined) {
      if (body.startTransaction !== undefined) {
        throw new CommandError(
          50768,
          "txnNumber may only be provided for multi-document transactions and retryable write commands. autocommit:false was not provided, and startTransaction was.",
          { codeName: "Location50768" },
        );
      }
      if (name === "commitTransaction" || name === "abortTransaction") {
        throw new CommandError(50768, `'${name}' can only be run with autocommit:false`, { codeName: "InvalidOptions" });
      }
      if (session && typeof body.txnNumber === "number" && body.txnNumber > session.txnNumber) {
        session.txnNumber = body.txnNumber;
        if (session.txn?.state === "inProgress") this.catalog.abort(session.txn);
      }
      return handler({ ...base, view: this.catalog.baseView() });
    }
    return this.executeInTransaction(name, handler, base, session, lsidKey);
  }

  private async executeInTransaction(
    name: string,
    handler: CommandHandler,
    base: Omit<CommandContext, "view">,
    session: SessionState | undefined,
    lsidKey: string | undefined,
  ): Promise<Document> {
    const { body } = base;
    if (body.autocommit !== false) throw new CommandError(2, "autocommit field must be false when specified");
    const txnNumber = typeof body.txnNumber === "number" ? body.txnNumber : Number(body.txnNumber);
    if (!session || lsidKey === undefined || !Number.isFinite(txnNumber)) {
      throw new CommandError(50768, "Transactions require a session (lsid) and txnNumber", { codeName: "InvalidOptions" });
    }
    if (body.startTransaction === true) {
      if (txnNumber < session.txnNumber) {
        throw new CommandError(
          225,
          `Cannot start transaction ${txnNumber} on session because a newer transaction ${session.txnNumber} has already started.`,
        );
      }
      if (txnNumber === session.txnNumber && session.txn) {
        throw new CommandError(
          251,
          `Cannot start a transaction at given transaction number ${txnNumber} a transaction with the same number is in state ${session.txn.state}`,
        );
      }
      if (session.txn?.state === "inProgress") this.catalog.abort(session.txn);
      if (name === "commitTransaction" || name === "abortTransaction") {
        throw noSuchTransaction(`Given transaction number ${txnNumber} does not match any in-progress transactions.`);
      }
      session.txnNumber = txnNumber;
      session.txn = new Transaction(lsidKey, txnNumber, this.catalog.currentSeq);
      this.catalog.activeTransactions.add(session.txn);
    }
    const txn = session.txn;
    if (!txn || txn.txnNumber !== txnNumber) {
      throw noSuchTransaction(
        `Given transaction number ${txnNumber} does not match any in-progress transactions. The active transaction number is ${session.txnNumber}`,
      );
    }
    if (name === "commitTransaction") {
      if (txn.state === "committed") return { ok: 1 };
      if (txn.state === "aborted") throw noSuchTransaction(`Transaction with { txnNumber: ${txnNumber} } has been aborted.`);
      this.catalog.commit(txn);
      return { ok: 1 };
    }
    if (name === "abortTransaction") {
      if (txn.state === "committed") throw new CommandError(256, `Transaction with { txnNumber: ${txnNumber} } has been committed.`);
      if (txn.state === "aborted") throw noSuchTransaction(`Transaction with { txnNumber: ${txnNumber} } has been aborted.`);
      this.catalog.abort(txn);
      return { ok: 1 };
    }
    if (txn.state === "aborted") throw noSuchTransaction(`Transaction with { txnNumber: ${txnNumber} } has been aborted.`);
    if (txn.state === "committed") throw new CommandError(256, `Transaction with { txnNumber: ${txnNumber} } has been committed.`);
    if (!TRANSACTION_COMMANDS.has(name)) {
      throw new CommandError(263, `Cannot run '${name}' in a multi-document transaction.`);
    }
    txn.lastActivity = Date.now();
    try {
      return await handler({ ...base, view: this.catalog.transactionView(txn) });
    } catch (error) {
      this.catalog.abort(txn);
      throw error;
    }
  }

  private housekeeping(): void {
    const now = Date.now();
    for (const txn of [...this.catalog.activeTransactions]) {
      if (now - txn.lastActivity > this.transactionLifetimeMs) this.catalog.abort(txn);
    }
    this.cursors.sweep(10 * 60_000);
    for (const [key, session] of this.sessions) {
      if (now - session.lastUse > 30 * 60_000 && session.txn?.state !== "inProgress") this.sessions.delete(key);
    }
    this.expireTtl(now);
  }

  /** Removes documents whose TTL index deadline has passed. */
  expireTtl(now = Date.now()): number {
    let removed = 0;
    const view = this.catalog.baseView();
    for (const colls of this.catalog.databases.values()) {
      for (const store of [...colls.values()]) {
        for (const index of store.indexes) {
          const seconds = index.spec.expireAfterSeconds;
          if (seconds === undefined) continue;
          const field = index.fields[0] as string;
          for (const [idKey, doc] of [...store.docs]) {
            const dates = collectPathValues(doc, field).values.filter((v): v is Date => v instanceof Date);
            if (dates.length === 0) continue;
            const earliest = Math.min(...dates.map((d) => d.getTime()));
            if (earliest + seconds * 1000 > now) continue;
            if (!index.keysOf(doc)) continue;
            try {
              view.remove(store, idKey);
              removed += 1;
            } catch (error) {
              if (!(error instanceof LockWaitSignal)) throw error;
            }
          }
        }
      }
    }
    return removed;
  }

  private hello(ctx: CommandContext, legacy: boolean): Document {
    const reply: Document = {};
    if (ctx.body.helloOk === true) reply.helloOk = true;
    if (legacy) reply.ismaster = true;
    else reply.isWritablePrimary = true;
    const ts = this.tick();
    Object.assign(reply, {
      setName: this.replicaSetName,
      setVersion: 1,
      hosts: [this.host],
      primary: this.host,
      me: this.host,
      secondary: false,
      electionId: this.electionId,
      lastWrite: {
        opTime: { ts, t: Long.fromNumber(1) },
        lastWriteDate: new Date(),
        majorityOpTime: { ts, t: Long.fromNumber(1) },
        majorityWriteDate: new Date(),
      },
      maxBsonObjectSize: MAX_BSON_OBJECT_SIZE,
      maxMessageSizeBytes: MAX_MESSAGE_SIZE,
      maxWriteBatchSize: 100_000,
      localTime: new Date(),
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

  private adminCommands(): Record<string, CommandHandler> {
    const hello: CommandHandler = (ctx) => this.hello(ctx, false);
    const isMaster: CommandHandler = (ctx) => this.hello(ctx, true);
    const buildInfo: CommandHandler = () => ({
      version: REPORTED_VERSION,
      gitVersion: "cspm-testkit-compat",
      modules: [],
      allocator: "system",
      javascriptEngine: "none",
      sysInfo: "deprecated",
      versionArray: [7, 0, 0, 0],
      bits: 64,
      debug: false,
      maxBsonObjectSize: MAX_BSON_OBJECT_SIZE,
      storageEngines: ["inMemory"],
      cspmCompatEngine: true,
      ok: 1,
    });
    const ok: CommandHandler = () => ({ ok: 1 });
    const endSessions: CommandHandler = (ctx) => {
      const ids = ctx.body[Object.keys(ctx.body)[0] as string];
      if (Array.isArray(ids)) {
        for (const lsid of ids) {
          const key = lsidKeyOf(lsid);
          if (!key) continue;
          const session = this.sessions.get(key);
          if (session?.txn?.state === "inProgress") this.catalog.abort(session.txn);
          this.sessions.delete(key);
        }
      }
      return { ok: 1 };
    };
    const listDatabases: CommandHandler = (ctx) => {
      checkFields(ctx, "listDatabases", ["nameOnly", "filter", "authorizedDatabases"]);
      const nameOnly = ctx.body.nameOnly === true;
      const matcher = compileFilter(isPlainDocument(ctx.body.filter) ? ctx.body.filter : {});
      const databases: Document[] = [];
      let totalSize = 0;
      for (const name of [...this.catalog.databases.keys()].sort(compareStrings)) {
        const colls = this.catalog.databases.get(name);
        if (!colls || colls.size === 0) continue;
        let docs = 0;
        for (const store of colls.values()) docs += store.docs.size;
        const sizeOnDisk = 4096 * (colls.size + 1) + docs * 64;
        totalSize += sizeOnDisk;
        const entry = nameOnly ? { name } : { name, sizeOnDisk, empty: docs === 0 };
        if (matcher(entry)) databases.push(entry);
      }
      return nameOnly ? { databases, ok: 1 } : { databases, totalSize, totalSizeMb: Math.floor(totalSize / 1048576), ok: 1 };
    };
    const dropDatabase: CommandHandler = (ctx) => {
      if (ctx.view.transaction) throw new CommandError(263, "Cannot run 'dropDatabase' in a multi-document transaction.");
      this.catalog.dropDatabase(ctx.db);
      return { dropped: ctx.db, ok: 1 };
    };
    const serverStatus: CommandHandler = () => ({
      host: this.host,
      version: REPORTED_VERSION,
      process: "mongod",
      pid: Long.fromNumber(process.pid),
      uptime: (Date.now() - this.startedAt) / 1000,
      uptimeMillis: Long.fromNumber(Date.now() - this.startedAt),
      uptimeEstimate: Long.fromNumber(Math.floor((Date.now() - this.startedAt) / 1000)),
      localTime: new Date(),
      connections: { current: this.connectionsCurrent, available: 1_000_000, totalCreated: this.connectionsTotal },
      storageEngine: { name: "inMemory", supportsCommittedReads: true, readOnly: false, persistent: false },
      transactions: { currentActive: this.catalog.activeTransactions.size, currentOpen: this.catalog.activeTransactions.size },
      cspmCompatEngine: true,
      ok: 1,
    });
    const replSetGetStatus: CommandHandler = () => ({
      set: this.replicaSetName,
      date: new Date(),
      myState: 1,
      members: [{ _id: 0, name: this.host, health: 1, state: 1, stateStr: "PRIMARY", self: true }],
      ok: 1,
    });
    const startSession: CommandHandler = () => ({ id: { id: new UUID() }, timeoutMinutes: 30, ok: 1 });
    const connectionStatus: CommandHandler = () => ({
      authInfo: { authenticatedUsers: [], authenticatedUserRoles: [] },
      ok: 1,
    });
    const whatsmyuri: CommandHandler = () => ({ you: "127.0.0.1:0", ok: 1 });
    const hostInfo: CommandHandler = () => ({
      system: { currentTime: new Date(), hostname: "127.0.0.1", cpuAddrSize: 64, numCores: 1, cpuArch: process.arch },
      os: { type: process.platform, name: process.platform },
      extra: {},
      ok: 1,
    });
    const getParameter: CommandHandler = (ctx) => {
      const reply: Document = {};
      if (ctx.body.featureCompatibilityVersion !== undefined || ctx.body.getParameter === "*") {
        reply.featureCompatibilityVersion = { version: "7.0" };
      }
      return { ...reply, ok: 1 };
    };
    const getCmdLineOpts: CommandHandler = () => ({ argv: ["mongod", "--cspm-compat"], parsed: {}, ok: 1 });
    const featureless: CommandHandler = () => ({ ok: 1 });
    return {
      hello,
      isMaster,
      ismaster: isMaster,
      buildInfo,
      buildinfo: buildInfo,
      ping: ok,
      endSessions,
      killSessions: endSessions,
      killAllSessions: ok,
      killAllSessionsByPattern: ok,
      refreshSessions: ok,
      startSession,
      listDatabases,
      dropDatabase,
      serverStatus,
      replSetGetStatus,
      connectionStatus,
      whatsmyuri,
      hostInfo,
      getParameter,
      getCmdLineOpts,
      getFreeMonitoringStatus: () => ({ state: "disabled", ok: 1 }),
      getLog: () => ({ totalLinesWritten: 0, log: [], ok: 1 }),
      commitTransaction: featureless,
      abortTransaction: featureless,
      listCommands: () => ({ commands: Object.fromEntries(Object.keys(this.commands).map((c) => [c, {}])), ok: 1 }),
    };
  }
}
