import { createHash } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { Binary, Long, type Timestamp, type Document } from "bson";
import { Timestamp as BsonTimestamp } from "bson";
import { isPlainDocument } from "./bsonOrder";
import { adminCommands, type AdminHost } from "./adminCommands";
import { checkApiParameters } from "./apiVersion";
import { CommandError } from "./commandError";
import { COLLECTION_COMMANDS } from "./collectionCommands";
import type { CommandContext, CommandHandler } from "./commandContext";
import { checkReadConcern, WRITE_CONCERN_COMMANDS, writeConcernErrorFor } from "./concerns";
import { CRUD_COMMANDS } from "./crudCommands";
import { CursorRegistry } from "./cursorRegistry";
import { errorLabelsFor } from "./errorLabels";
import { type FailPointAction, FailPointRegistry } from "./failPoints";
import { collectPathValues } from "./pathValues";
import { ServerParameters } from "./serverParameters";
import { SnapshotRegistry } from "./snapshotReads";
import { ChangeStreamRegistry } from "./changeStreams";
import { LockWaitSignal, StorageCatalog, Transaction, type StorageView } from "./storageCatalog";

export { REPORTED_VERSION } from "./adminCommands";

/** Settings of a {@link CompatEngine}. */
export interface CompatEngineOptions {
  /** Replica set name advertised by `hello` (default `rs0`). */
  readonly replicaSetName?: string;
  /** How often expired TTL documents are removed, in ms (default 1000; mongod uses 60 s). */
  readonly ttlMonitorIntervalMs?: number;
  /** Idle transactions are aborted after this many ms (mongod's transactionLifetimeLimitSeconds; default 60 s). */
  readonly transactionLifetimeMs?: number;
  /**
   * mongod's `enableTestCommands`: adds `configureFailPoint` (`failCommand`,
   * `onPrimaryTransactionalWrite`) for fault tests. Off by default, as in mongod.
   */
  readonly enableTestCommands?: boolean;
  /** mongod's `notablescan`: queries that would scan a whole collection fail with 291 (default off). */
  readonly notablescan?: boolean;
  /**
   * mongod's `internalQueryMaxBlockingSortMemoryUsageBytes`: an in-memory sort over more bytes fails
   * with 292 unless the command sets `allowDiskUse` (default 100 MiB, as mongod).
   */
  readonly maxBlockingSortBytes?: number;
  /** mongod's `allowDiskUseByDefault`: sorts may spill to disk unless a command says otherwise (default true, as mongod 7.0). */
  readonly allowDiskUseByDefault?: boolean;
}

/** Per-connection facts the engine needs: its id and, once the handshake named it, the client's appName. */
export interface ConnectionInfo {
  readonly id: number;
  readonly remote: string;
  /** `client.application.name` from the connection's handshake (fail points can filter on it). */
  appName?: string;
}

/** What the transport must do with one command. */
export interface CommandOutcome {
  /** The reply to send (absent when the connection is to be closed without one). */
  readonly reply: Document | undefined;
  /** Close the connection (a fail point asked for a network error). */
  readonly closeConnection: boolean;
}

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

const RETRYABLE_WRITES = new Set(["insert", "update", "delete", "findAndModify", "findandmodify"]);

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
  readonly lsid: Document;
  /** The reply of the last retryable write, returned again when the driver retries it. */
  retried?: { readonly txnNumber: number; readonly command: string; readonly reply: Document };
}

function lsidKeyOf(lsid: unknown): string | undefined {
  if (!isPlainDocument(lsid)) return undefined;
  const id = lsid.id;
  if (id && typeof id === "object" && (id as { _bsontype?: string })._bsontype === "Binary") {
    return Buffer.from((id as Binary).buffer).toString("hex");
  }
  return JSON.stringify(lsid);
}

function noSuchTransaction(message: string): CommandError {
  return new CommandError(251, message);
}

function errorReply(error: unknown): Document {
  if (error instanceof CommandError) return error.toReply();
  if (error instanceof LockWaitSignal) return new CommandError(112, "WriteConflict").toReply();
  const message = error instanceof Error ? error.message : String(error);
  return new CommandError(1, `compat engine internal error: ${message}`).toReply();
}

function isRetryableWrite(name: string, body: Document): boolean {
  return RETRYABLE_WRITES.has(name) && body.txnNumber !== undefined && body.lsid !== undefined && body.autocommit === undefined;
}

/**
 * The in-memory MongoDB the compat server exposes: command dispatch, sessions and transactions,
 * retryable writes, snapshot reads, cursors, TTL expiry and (with test commands) fail points.
 * Transport-independent (see `startCompatServer`).
 */
export class CompatEngine {
  readonly catalog = new StorageCatalog();
  readonly cursors = new CursorRegistry();
  readonly replicaSetName: string;
  /** The engine's server parameters (`notablescan`, the blocking-sort limit, `enableTestCommands`). */
  readonly parameters: ServerParameters;
  host = "127.0.0.1:27017";
  private readonly failPoints: FailPointRegistry | undefined;
  private readonly snapshots: SnapshotRegistry;
  private readonly streams: ChangeStreamRegistry;
  private readonly sessions = new Map<string, SessionState>();
  private readonly startedAt = Date.now();
  private readonly commands: Record<string, CommandHandler>;
  private readonly transactionLifetimeMs: number;
  private clock = { t: 0, i: 0 };
  private timer: NodeJS.Timeout | undefined;
  private connectionsCurrent = 0;
  private connectionsTotal = 0;

  constructor(options: CompatEngineOptions = {}) {
    this.replicaSetName = options.replicaSetName ?? "rs0";
    this.transactionLifetimeMs = options.transactionLifetimeMs ?? 60_000;
    this.parameters = new ServerParameters({
      ...(options.notablescan === undefined ? {} : { notablescan: options.notablescan }),
      ...(options.maxBlockingSortBytes === undefined ? {} : { maxBlockingSortBytes: options.maxBlockingSortBytes }),
      ...(options.allowDiskUseByDefault === undefined ? {} : { allowDiskUseByDefault: options.allowDiskUseByDefault }),
      enableTestCommands: options.enableTestCommands === true,
    });
    this.failPoints = options.enableTestCommands === true ? new FailPointRegistry() : undefined;
    this.snapshots = new SnapshotRegistry(this.catalog);
    this.streams = new ChangeStreamRegistry(this.catalog, { now: () => this.currentClusterTime() });
    this.commands = { ...CRUD_COMMANDS, ...COLLECTION_COMMANDS, ...adminCommands(this.adminHost()) };
    const interval = options.ttlMonitorIntervalMs ?? 1000;
    this.timer = setInterval(() => this.housekeeping(), interval);
    this.timer.unref();
  }

  private adminHost(): AdminHost {
    const engine = this;
    return {
      catalog: this.catalog,
      replicaSetName: this.replicaSetName,
      get host() {
        return engine.host;
      },
      failPoints: this.failPoints,
      startedAt: this.startedAt,
      get connections() {
        return { current: engine.connectionsCurrent, total: engine.connectionsTotal };
      },
      tick: () => this.tick(),
      endSessions: (lsids) => {
        for (const lsid of lsids) {
          const key = lsidKeyOf(lsid);
          if (!key) continue;
          const session = this.sessions.get(key);
          if (session?.txn?.state === "inProgress") this.catalog.abort(session.txn);
          this.sessions.delete(key);
        }
      },
      killAllSessions: () => {
        for (const txn of [...this.catalog.activeTransactions]) this.catalog.abort(txn);
        this.sessions.clear();
      },
      commandNames: () => Object.keys(this.commands),
    };
  }

  /** Stops background work (TTL monitor, transaction reaper). */
  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const txn of [...this.catalog.activeTransactions]) this.catalog.abort(txn);
    this.cursors.clear();
    this.snapshots.clear();
    this.streams.clear();
    this.failPoints?.clear();
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
    return new BsonTimestamp({ t: this.clock.t, i: this.clock.i });
  }

  private currentClusterTime(): Timestamp {
    return new BsonTimestamp({ t: this.clock.t, i: this.clock.i });
  }

  private decorate(reply: Document, opTime: Timestamp): Document {
    reply.$clusterTime = { clusterTime: opTime, signature: { hash: new Binary(Buffer.alloc(20), 0), keyId: Long.ZERO } };
    reply.operationTime = opTime;
    return reply;
  }

  /** Runs one command; never throws (failures become mongod-style error replies). */
  async runCommand(db: string, body: Document, connection: ConnectionInfo): Promise<Document> {
    const outcome = await this.handleCommand(db, body, connection);
    return outcome.reply ?? { ok: 0, errmsg: "the connection was closed by a fail point", code: 9001, codeName: "SocketException" };
  }

  /**
   * Runs one command for a transport: the reply, or the request to close the connection when a
   * fail point simulates a network error. Never throws.
   */
  async handleCommand(db: string, body: Document, connection: ConnectionInfo): Promise<CommandOutcome> {
    const name = Object.keys(body)[0] ?? "";
    if ((name === "hello" || name === "isMaster" || name === "ismaster") && connection.appName === undefined) {
      const appName = (body.client as { application?: { name?: unknown } } | undefined)?.application?.name;
      if (typeof appName === "string") connection.appName = appName;
    }
    let action: FailPointAction | undefined;
    if (this.failPoints?.active) {
      const facts = { name, body, db, appName: connection.appName };
      action = this.failPoints.beforeCommand(facts);
      if (action?.blockMs) await sleep(action.blockMs);
      if (action?.closeConnection) return { reply: undefined, closeConnection: true };
    }
    const opTime = this.tick();
    const mutationsBefore = this.catalog.mutations;
    const after: { closeConnection: boolean } = { closeConnection: false };
    let reply: Document;
    let failed = false;
    try {
      if (action?.error) throw action.error;
      reply = await this.execute(db, name, body, connection, opTime, after);
    } catch (error) {
      reply = errorReply(error);
      failed = true;
    }
    const wrote = this.catalog.mutations !== mutationsBefore;
    if (wrote) this.snapshots.noteChange(opTime);
    if (!failed && WRITE_CONCERN_COMMANDS.has(name)) {
      const wce = action?.writeConcernError ?? writeConcernErrorFor(name, body);
      if (wce) reply.writeConcernError = wce;
    }
    if (failed || reply.writeConcernError !== undefined) {
      const labels =
        action?.errorLabels ??
        errorLabelsFor({
          command: name,
          body,
          code: failed ? Number(reply.code) : undefined,
          writeConcernCode: isPlainDocument(reply.writeConcernError) ? Number(reply.writeConcernError.code) : undefined,
          noWritesPerformed: !wrote,
        });
      if (labels.length > 0) reply.errorLabels = labels;
      else delete reply.errorLabels;
    }
    this.decorate(reply, opTime);
    if (after.closeConnection) return { reply: undefined, closeConnection: true };
    return { reply, closeConnection: false };
  }

  private localSessions(): Document[] {
    const uid = new Binary(createHash("sha256").update("").digest(), 0);
    return [...this.sessions.values()].map((s) => ({ _id: { id: (s.lsid as { id?: unknown }).id, uid }, lastUse: new Date(s.lastUse) }));
  }

  private session(body: Document): { session: SessionState | undefined; lsidKey: string | undefined } {
    const lsidKey = lsidKeyOf(body.lsid);
    if (!lsidKey) return { session: undefined, lsidKey };
    let session = this.sessions.get(lsidKey);
    if (!session) {
      session = { txnNumber: -1, txn: undefined, lastUse: Date.now(), lsid: body.lsid as Document };
      this.sessions.set(lsidKey, session);
    }
    session.lastUse = Date.now();
    return { session, lsidKey };
  }

  private async execute(
    db: string,
    name: string,
    body: Document,
    connection: ConnectionInfo,
    opTime: Timestamp,
    after: { closeConnection: boolean },
  ): Promise<Document> {
    if (name === "") throw new CommandError(59, "no such command: ''");
    const handler = this.commands[name];
    if (!handler) {
      if (KNOWN_UNSUPPORTED.has(name)) {
        throw new CommandError(115, `command '${name}' is not supported by the @cspm/mongo-engine`);
      }
      throw new CommandError(59, `no such command: '${name}'`);
    }
    if (name === "configureFailPoint" && db !== "admin") {
      throw new CommandError(13, "configureFailPoint may only be run against the admin database.");
    }
    checkApiParameters(name, body);
    const { session, lsidKey } = this.session(body);
    const base: Omit<CommandContext, "view"> = {
      db,
      body,
      catalog: this.catalog,
      cursors: this.cursors,
      streams: this.streams,
      localSessions: () => this.localSessions(),
      connectionId: connection.id,
      parameters: this.parameters,
      now: new Date(),
      clusterTime: opTime,
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
      const level = checkReadConcern(name, body);
      const txnNumber =
        typeof body.txnNumber === "number" ? body.txnNumber : Long.isLong(body.txnNumber) ? body.txnNumber.toNumber() : undefined;
      if (session && txnNumber !== undefined) {
        if (txnNumber > session.txnNumber) {
          session.txnNumber = txnNumber;
          if (session.txn?.state === "inProgress") this.catalog.abort(session.txn);
        }
        const previous = session.retried;
        if (isRetryableWrite(name, body) && previous && previous.txnNumber === txnNumber && previous.command === name) {
          return { ...previous.reply };
        }
      }
      const faulted = this.failPoints?.active
        ? this.failPoints.beforeRetryableWrite({ name, body, db, appName: connection.appName })
        : undefined;
      if (faulted?.closeAfter) after.closeConnection = true;
      if (faulted?.error) throw faulted.error;
      let view: StorageView = this.catalog.baseView();
      let atClusterTime: Timestamp | undefined;
      if (level === "snapshot") {
        const snapshot = this.snapshots.read((body.readConcern as Document).atClusterTime, opTime, this.currentClusterTime());
        view = snapshot.view;
        atClusterTime = snapshot.atClusterTime;
      }
      const reply = await handler({ ...base, view });
      if (atClusterTime) {
        if (isPlainDocument(reply.cursor)) reply.cursor.atClusterTime = atClusterTime;
        else reply.atClusterTime = atClusterTime;
      }
      if (session && txnNumber !== undefined && isRetryableWrite(name, body) && reply.ok === 1) {
        session.retried = { txnNumber, command: name, reply: { ...reply } };
      }
      return reply;
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
      const readConcern = body.readConcern;
      if (isPlainDocument(readConcern) && readConcern.atClusterTime !== undefined) {
        throw new CommandError(238, "readConcern.atClusterTime in a transaction is not implemented by the @cspm/mongo-engine");
      }
      session.txnNumber = txnNumber;
      session.txn = new Transaction(lsidKey, txnNumber, this.catalog.currentSeq);
      session.txn.lsid = body.lsid;
      this.catalog.activeTransactions.add(session.txn);
    } else if (body.readConcern !== undefined && name !== "commitTransaction" && name !== "abortTransaction") {
      throw new CommandError(72, "Only the first command in a transaction may specify a readConcern");
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
    if (body.writeConcern !== undefined) {
      throw new CommandError(72, "Cannot set write concern after starting a transaction.");
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
    this.snapshots.sweep(now);
    this.streams.sweep(now);
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
}
