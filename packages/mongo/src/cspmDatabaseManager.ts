import { type ErrorCode, isCspmError, UnavailableError, ValidationError } from "@cspm/errors";
import { type DatabaseKey, type DatabaseRef, DatabaseRegistry } from "@cspm/registry";
import type { ClientSession, ClientSessionOptions, Collection, Db, Document, MongoClient, TransactionOptions } from "mongodb";
import type { ClientTelemetry } from "./clientTelemetry";
import type { CommandMonitor } from "./commandMonitor";
import { type AsyncClientOptions, type MongoClientPool, sharedClientPool } from "./getAsyncClient";
import { mapMongoError } from "./mapMongoError";
import { withDeadline } from "./operationDeadline";
import { type EnsureIndexesOptions, type EnsureIndexesReport, syncIndexes } from "./syncIndexes";

/** How a `CSPMDatabaseManager` reaches MongoDB when it creates (shares) its own client. */
export interface CSPMDatabaseManagerOptions {
  /** Connection string: `mongodb://…` (standalone, replica set, mongos list) or `mongodb+srv://…`. */
  readonly uri: string;
  /** Environment / test prefix put before every database name (`"test_42"` -> `test_42_cspm_platform`). */
  readonly prefix?: string;
  /** Passed to `getAsyncClient`: read preference, write/read concern, TLS, pool sizes … */
  readonly clientOptions?: AsyncClientOptions;
  /** Overrides the server selection timeout (default 5000 ms); bounds how long `connect()` waits. */
  readonly serverSelectionTimeoutMS?: number;
  /** Overrides the `appName` reported to the server (default "cspm-data-layer"). */
  readonly appName?: string;
  /** Counts this manager's commands; the client is then created with `monitorCommands: true`. */
  readonly commandMonitor?: CommandMonitor;
  /** Pool metrics (and, with `commandSpans`, one span per command) through OpenTelemetry; see `ClientTelemetry`. */
  readonly telemetry?: ClientTelemetry;
  /**
   * The most any one MongoDB operation may take before it fails with `UNAVAILABLE` (`withDeadline`): the
   * repositories, `ping`, and every step of `withTransaction` (whose retries also stop once it has passed)
   * are held to it, and the client's `socketTimeoutMS` / `connectTimeoutMS` default to it, so a stalled
   * connection is given up rather than waited on. Default: no deadline (the driver's own timeouts only).
   */
  readonly operationTimeoutMS?: number;
  /**
   * Where the client comes from: managers of one pool with the same URI and options share a client; the
   * default is the process-wide `sharedClientPool` (what `getAsyncClient` uses). A `ServiceContainer`
   * passes its own pool, so it shares nothing with other containers.
   */
  readonly clientPool?: MongoClientPool;
}

/** Options when the manager wraps a `MongoClient` the caller created. */
export interface ExistingClientManagerOptions {
  /** Environment / test prefix put before every database name. */
  readonly prefix?: string;
  /** Close the client in `close()`. Default `false`: whoever created the client closes it. */
  readonly closeClient?: boolean;
  /** The deadline of every operation, as `CSPMDatabaseManagerOptions.operationTimeoutMS` (the client's own timeouts are the caller's). */
  readonly operationTimeoutMS?: number;
}

/** What `ping()` reports: never throws, so a health endpoint can return it as is. */
export interface HealthReport {
  readonly ok: boolean;
  /** Time for the connect (if needed) and one `ping` round trip. */
  readonly latencyMs: number;
  readonly error?: { readonly code: ErrorCode; readonly message: string; readonly hint?: string };
}

/** Transaction options (read/write concern, read preference, `maxCommitTimeMS`) plus session options. */
export interface TransactionRunOptions extends TransactionOptions {
  /** Options of the session the transaction runs in (causal consistency, default transaction options). */
  readonly sessionOptions?: ClientSessionOptions;
}

type ClientSource =
  | { readonly kind: "uri"; readonly uri: string; readonly options: AsyncClientOptions; readonly pool: MongoClientPool }
  | { readonly kind: "client"; readonly client: MongoClient; readonly closeClient: boolean };

function notReady(operation: string, closed: boolean): UnavailableError {
  return closed
    ? new UnavailableError(`CSPMDatabaseManager is closed (${operation}).`, {
        details: { operation, hint: "Create a new CSPMDatabaseManager; a closed one cannot be reopened." },
      })
    : new UnavailableError(`CSPMDatabaseManager is not connected (${operation}).`, {
        details: { operation, hint: "Await manager.connect() once at start-up before using the manager." },
      });
}

/** Duck-typed so a client from another copy of the driver is recognised too. */
function checkTimeout(timeoutMS: number | undefined): number | undefined {
  if (timeoutMS !== undefined && (!Number.isInteger(timeoutMS) || timeoutMS < 1)) {
    throw new ValidationError("operationTimeoutMS must be a positive integer (milliseconds).", [
      { path: "operationTimeoutMS", message: "must be a positive integer" },
    ]);
  }
  return timeoutMS;
}

/** A driver error's labels, read without importing the driver's error classes. */
function hasLabel(error: unknown, label: string): boolean {
  const candidate = error as { hasErrorLabel?: (label: string) => boolean } | null;
  return typeof candidate?.hasErrorLabel === "function" && candidate.hasErrorLabel(label);
}

function isMaxTimeMSExpired(error: unknown): boolean {
  const candidate = error as { code?: unknown; codeName?: unknown; writeConcernError?: { code?: unknown } } | null;
  return candidate?.code === 50 || candidate?.codeName === "MaxTimeMSExpired" || candidate?.writeConcernError?.code === 50;
}

/** How long the driver's convenient transaction API keeps retrying without a deadline. */
const UNBOUNDED_TRANSACTION_RETRY_MS = 120_000;

function isMongoClient(value: unknown): value is MongoClient {
  const candidate = value as Partial<MongoClient> | null;
  return (
    typeof candidate === "object" &&
    candidate !== null &&
    typeof candidate.db === "function" &&
    typeof candidate.startSession === "function"
  );
}

/** A `CspmError` thrown inside a transaction hides the driver's retry label; give the driver its own error back. */
function visibleToDriver(error: unknown): unknown {
  if (!isCspmError(error)) return error;
  const cause = error.cause as { hasErrorLabel?: (label: string) => boolean } | undefined;
  if (typeof cause?.hasErrorLabel === "function") {
    if (cause.hasErrorLabel("TransientTransactionError") || cause.hasErrorLabel("UnknownTransactionCommitResult")) return cause;
  }
  return error;
}

/**
 * The central access point to the platform's 14 databases over one shared `MongoClient`: names come
 * only from `DatabaseRegistry` (plus an optional prefix), collections only where the registry places
 * them. Every method maps driver errors to `@cspm/errors` (`UNAVAILABLE`, `CONFLICT`, `INTERNAL` …);
 * unknown databases/collections throw `VALIDATION_FAILED`, legacy collections `CONTRACT_VIOLATION`.
 * @example
 * const manager = new CSPMDatabaseManager({ uri: process.env.MONGODB_URI!, prefix: "staging" });
 * await manager.connect();
 * const accounts = manager.getCollection("CLOUD_SECURITY", "enhanced_cloud_accounts");
 */
export class CSPMDatabaseManager {
  readonly #source: ClientSource;
  readonly #prefix: string;
  readonly #databases = new Map<DatabaseKey, Db>();
  readonly #operationTimeoutMS: number | undefined;
  #client: MongoClient | undefined;
  #release: (() => Promise<void>) | undefined;
  #connecting: Promise<void> | undefined;
  #closing: Promise<void> | undefined;

  /**
   * From connection options (the client comes from `clientPool`, default the shared pool), or around an existing
   * `MongoClient`. Throws `VALIDATION_FAILED` for an invalid prefix or a missing URI.
   */
  constructor(source: CSPMDatabaseManagerOptions | MongoClient, options: ExistingClientManagerOptions = {}) {
    if (isMongoClient(source)) {
      this.#source = { kind: "client", client: source, closeClient: options.closeClient === true };
      this.#prefix = DatabaseRegistry.normalizePrefix(options.prefix ?? "");
      this.#operationTimeoutMS = checkTimeout(options.operationTimeoutMS);
      this.#client = source;
      return;
    }
    if (typeof source?.uri !== "string" || source.uri.trim() === "") {
      throw new ValidationError("CSPMDatabaseManager needs a MongoDB connection string.", [{ path: "uri", message: "Required" }]);
    }
    const operationTimeoutMS = checkTimeout(source.operationTimeoutMS);
    this.#operationTimeoutMS = operationTimeoutMS;
    const clientOptions: AsyncClientOptions = {
      ...(operationTimeoutMS === undefined ? {} : { socketTimeoutMS: operationTimeoutMS, connectTimeoutMS: operationTimeoutMS }),
      ...source.clientOptions,
      ...(source.serverSelectionTimeoutMS === undefined ? {} : { serverSelectionTimeoutMS: source.serverSelectionTimeoutMS }),
      ...(source.appName === undefined ? {} : { appName: source.appName }),
      ...(source.commandMonitor === undefined ? {} : { commandMonitor: source.commandMonitor }),
      ...(source.telemetry === undefined ? {} : { telemetry: source.telemetry }),
    };
    this.#source = { kind: "uri", uri: source.uri, options: clientOptions, pool: source.clientPool ?? sharedClientPool };
    this.#prefix = DatabaseRegistry.normalizePrefix(source.prefix ?? "");
  }

  /** The deadline of every operation in ms (`operationTimeoutMS` of the options), or undefined for none. */
  get operationTimeoutMS(): number | undefined {
    return this.#operationTimeoutMS;
  }

  /** The normalised database-name prefix (`""` when none). */
  get prefix(): string {
    return this.#prefix;
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** The underlying `MongoClient`. Throws `UNAVAILABLE` before `connect()` (URI form) or after `close()`. */
  get client(): MongoClient {
    return this.#requireClient("client");
  }

  /**
   * Connects (or joins the shared client for the same URI and options). Idempotent and safe to call
   * concurrently; a failed attempt can be retried. Throws `UNAVAILABLE` naming the hosts, with a hint.
   */
  async connect(): Promise<void> {
    if (this.#closing) throw notReady("connect", true);
    if (this.#source.kind === "client") {
      const client = this.#source.client;
      this.#connecting ??= client.connect().then(
        () => undefined,
        (error: unknown) => {
          this.#connecting = undefined;
          throw mapMongoError(error, { operation: "connect" });
        },
      );
      return this.#connecting;
    }
    const { uri, options, pool } = this.#source;
    this.#connecting ??= pool.acquire(uri, options).then(
      async ({ client, release }) => {
        if (this.#closing) {
          await release();
          throw notReady("connect", true);
        }
        this.#client = client;
        this.#release = release;
      },
      (error: unknown) => {
        this.#connecting = undefined;
        throw error;
      },
    );
    return this.#connecting;
  }

  /**
   * The database named by registry key, alias or physical name (default `PLATFORM`), with the prefix.
   * Throws `VALIDATION_FAILED` for anything else (a prefixed name included), `UNAVAILABLE` when not connected.
   */
  getDatabase(ref: DatabaseRef = "PLATFORM"): Db {
    const definition = DatabaseRegistry.resolve(ref);
    const client = this.#requireClient("getDatabase");
    let db = this.#databases.get(definition.key);
    if (!db) {
      db = client.db(DatabaseRegistry.databaseName(definition.key, this.#prefix));
      this.#databases.set(definition.key, db);
    }
    return db;
  }

  /** The physical (prefixed) name of a database. Throws `VALIDATION_FAILED` for an unknown reference. */
  databaseName(ref: DatabaseRef = "PLATFORM"): string {
    return DatabaseRegistry.databaseName(ref, this.#prefix);
  }

  /**
   * A collection the registry places in that database. Throws `VALIDATION_FAILED` for an unknown
   * database or collection (or one another database owns) and `CONTRACT_VIOLATION` for a legacy name
   * such as the pre-consolidation cloud account collection.
   */
  getCollection<T extends Document = Document>(ref: DatabaseRef, collection: string): Collection<T> {
    DatabaseRegistry.getCollection(ref, collection);
    return this.getDatabase(ref).collection<T>(collection);
  }

  /**
   * ESCAPE HATCH FOR `@cspm/migrations` ONLY: a registered legacy collection (where its data still
   * sits), so a migration can read and drain it. Production code must use `getCollection`, which
   * refuses legacy names. Throws `VALIDATION_FAILED` for a name that is not a registered legacy collection.
   */
  getLegacyCollectionForMigration<T extends Document = Document>(name: string): Collection<T> {
    const legacy = DatabaseRegistry.legacyCollection(name);
    if (!legacy) {
      throw new ValidationError(`"${name}" is not a registered legacy collection; use getCollection().`, [
        { path: "collection", message: "not a legacy collection" },
      ]);
    }
    return this.getDatabase(DatabaseRegistry.resolve(legacy.database).key).collection<T>(legacy.name);
  }

  /** `cspm_platform` (or its prefixed name): settings, teams, users, sessions, audit logs. */
  getPlatformDb(): Db {
    return this.getDatabase("PLATFORM");
  }
  /** Cloud accounts (consolidated), Prowler findings, security scores. */
  getCloudSecurityDb(): Db {
    return this.getDatabase("CLOUD_SECURITY");
  }
  /** Native scans: Nuclei, SSL and header scans. */
  getSecurityScansDb(): Db {
    return this.getDatabase("SECURITY_SCANS");
  }
  /** Scan runs, jobs and sub-jobs. */
  getOrchestrationDb(): Db {
    return this.getDatabase("ORCHESTRATION");
  }
  /** Vulnerability occurrences, catalog and SLA policies. */
  getVulnerabilitiesDb(): Db {
    return this.getDatabase("VULNERABILITIES");
  }
  /** AI models, AI risk assessments, EU AI Act compliance. */
  getAiGovernanceDb(): Db {
    return this.getDatabase("AI_GOVERNANCE");
  }
  /** Global assessments and their evidence. */
  getAssessmentsDb(): Db {
    return this.getDatabase("ASSESSMENTS");
  }
  /** Risk register and treatments. */
  getRiskManagementDb(): Db {
    return this.getDatabase("RISK_MANAGEMENT");
  }
  /** Frameworks, controls and control mappings. */
  getComplianceDb(): Db {
    return this.getDatabase("COMPLIANCE");
  }
  /** Cloud resources and their relationships. */
  getInventoryDb(): Db {
    return this.getDatabase("INVENTORY");
  }
  /** Remediation tasks and exceptions. */
  getRemediationDb(): Db {
    return this.getDatabase("REMEDIATION");
  }
  /** Reports and report schedules. */
  getReportingDb(): Db {
    return this.getDatabase("REPORTING");
  }
  /** Notification channels, alerts and deliveries. */
  getNotificationsDb(): Db {
    return this.getDatabase("NOTIFICATIONS");
  }
  /** Connectors and webhooks. */
  getIntegrationsDb(): Db {
    return this.getDatabase("INTEGRATIONS");
  }

  /**
   * Health check: connects if needed and sends one `ping`. Never throws; a failure is reported as
   * `{ ok: false, error: { code, message, hint } }` (`UNAVAILABLE` for an unreachable server).
   */
  async ping(): Promise<HealthReport> {
    const started = performance.now();
    const latency = (): number => Math.round((performance.now() - started) * 100) / 100;
    try {
      await withDeadline(
        this.connect().then(() => this.getDatabase("PLATFORM").command({ ping: 1 })),
        this.#operationTimeoutMS,
        { operation: "ping" },
      );
      return { ok: true, latencyMs: latency() };
    } catch (error) {
      const mapped = mapMongoError(error, { operation: "ping" });
      const hint = mapped.details?.hint;
      return {
        ok: false,
        latencyMs: latency(),
        error: { code: mapped.code, message: mapped.message, ...(typeof hint === "string" ? { hint } : {}) },
      };
    }
  }

  /**
   * Runs `fn` in one transaction that may span several databases of this client, the way the driver's
   * convenient API does (commit on success, abort on throw, retry the whole unit on `TransientTransactionError`,
   * retry the commit on `UnknownTransactionCommitResult`) — but held to `operationTimeoutMS`: every commit
   * and abort has that deadline and no retry starts once it has passed since the first attempt (without
   * a deadline, retries stop after 120 s like the driver's). Pass the session to every operation inside
   * (repository operations have the same deadline). Needs a replica set or sharded cluster. Errors thrown
   * by `fn` propagate (CSPM errors unchanged); driver errors are mapped (`CONFLICT` for write conflicts,
   * `UNAVAILABLE` when the deployment cannot run transactions, is unreachable or does not answer in time —
   * a commit that timed out says its outcome is unknown — `INTERNAL` otherwise).
   */
  async withTransaction<T>(fn: (session: ClientSession) => Promise<T>, options: TransactionRunOptions = {}): Promise<T> {
    const client = this.#requireClient("withTransaction");
    const { sessionOptions, ...transactionOptions } = options;
    let session: ClientSession;
    try {
      session = client.startSession(sessionOptions);
    } catch (error) {
      throw mapMongoError(error, { operation: "withTransaction" });
    }
    const timeout = this.#operationTimeoutMS;
    const started = Date.now();
    const mayRetry = (): boolean => Date.now() - started < (timeout ?? UNBOUNDED_TRANSACTION_RETRY_MS);
    let gaveUp = false;
    try {
      for (;;) {
        session.startTransaction(transactionOptions);
        let result: T;
        try {
          result = await fn(session);
        } catch (error) {
          const visible = visibleToDriver(error);
          if (session.inTransaction()) await this.#abort(session);
          if (hasLabel(visible, "TransientTransactionError") && mayRetry()) continue;
          throw error;
        }
        if (!session.inTransaction()) return result; // the callback ended the transaction itself
        const outcome = await this.#commit(session, mayRetry);
        if (outcome === "committed") return result;
      }
    } catch (error) {
      gaveUp = isCspmError(error) && error.code === "UNAVAILABLE";
      throw isCspmError(error) ? error : mapMongoError(error, { operation: "withTransaction" });
    } finally {
      // After a deadline the connection may be stalled: end the session without waiting on it.
      const ending = session.endSession().catch(() => undefined);
      if (!gaveUp) await ending;
    }
  }

  /** Commits, retrying an unknown outcome; "retry" means the whole unit of work should run again. */
  async #commit(session: ClientSession, mayRetry: () => boolean): Promise<"committed" | "retry"> {
    for (;;) {
      try {
        await withDeadline(session.commitTransaction(), this.#operationTimeoutMS, { operation: "commitTransaction" });
        return "committed";
      } catch (error) {
        if (isCspmError(error)) {
          // The deadline passed: the commit may or may not have been applied.
          throw new UnavailableError("The outcome of a transaction commit is unknown: MongoDB did not answer in time.", {
            details: {
              ...error.details,
              operation: "commitTransaction",
              hint: "Read the data back before retrying a non-idempotent transaction.",
            },
            cause: error,
          });
        }
        if (!isMaxTimeMSExpired(error) && hasLabel(error, "UnknownTransactionCommitResult") && mayRetry()) continue;
        if (hasLabel(error, "TransientTransactionError") && mayRetry()) return "retry";
        throw error;
      }
    }
  }

  /** Aborts within the deadline; an abort that fails or times out is dropped (the server aborts idle transactions itself). */
  async #abort(session: ClientSession): Promise<void> {
    await withDeadline(session.abortTransaction(), this.#operationTimeoutMS, { operation: "abortTransaction" }).catch(() => undefined);
  }

  /**
   * Creates every collection and declared index of the registry's catalog (all databases, or the
   * ones named), idempotently: a second run creates nothing. Reports drift — indexes present but
   * undeclared, declared but different — and drops nothing unless `dropUndeclared` /
   * `replaceMismatched`. Throws `VALIDATION_FAILED` for an unknown database, `UNAVAILABLE` / `INTERNAL`
   * for driver failures.
   */
  async ensureIndexes(options: EnsureIndexesOptions = {}): Promise<EnsureIndexesReport> {
    const databases = options.databases
      ? [...new Map(options.databases.map((ref) => DatabaseRegistry.resolve(ref)).map((d) => [d.key, d])).values()]
      : DatabaseRegistry.all();
    this.#requireClient("ensureIndexes");
    try {
      return await syncIndexes(databases, (database) => this.getDatabase(database.key), options);
    } catch (error) {
      throw mapMongoError(error, { operation: "ensureIndexes" });
    }
  }

  /**
   * Lets go of the client: a shared one is closed when no other manager holds it (and nobody took it
   * via `getAsyncClient`); a client passed in is closed only with `closeClient: true`. Idempotent; never throws.
   */
  async close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#connecting?.catch(() => undefined);
      const release = this.#release;
      this.#release = undefined;
      if (release) await release();
      if (this.#source.kind === "client" && this.#source.closeClient) {
        await this.#source.client.close().catch(() => undefined);
      }
      this.#client = undefined;
      this.#databases.clear();
    })();
    return this.#closing;
  }

  #requireClient(operation: string): MongoClient {
    if (this.#closing || !this.#client) throw notReady(operation, this.#closing !== undefined);
    return this.#client;
  }
}
