import {
  ConflictError,
  type CspmError,
  InternalError,
  isCspmError,
  PayloadTooLargeError,
  UnavailableError,
  ValidationError,
} from "@cspm/errors";
import { scrubConnectionStrings } from "./redactConnectionString";

/** Where a driver error happened; used only to make the mapped message and details useful. */
export interface MongoErrorContext {
  /** What was being done (`"insertOne"`, `"connect"`, `"ensureIndexes"`). */
  readonly operation?: string;
  /** Physical database name. */
  readonly database?: string;
  readonly collection?: string;
  /** Hosts of the deployment (already free of credentials), named in `UNAVAILABLE` messages. */
  readonly hosts?: readonly string[];
  /** The server selection timeout in force, quoted in the hint. */
  readonly serverSelectionTimeoutMS?: number;
}

type Loose = Record<string, unknown>;

/** Driver error classes (by name, so a second copy of the driver maps the same) meaning "cannot reach MongoDB". */
const UNAVAILABLE_ERROR_NAMES = new Set([
  "MongoNetworkError",
  "MongoNetworkTimeoutError",
  "MongoServerSelectionError",
  "MongoTopologyClosedError",
  "MongoNotConnectedError",
  "MongoServerClosedError",
  "MongoClientClosedError",
  "MongoPoolClearedError",
  "MongoOperationTimeoutError",
  "MongoStalePrimaryError",
  "MongoParseError",
  "MongoMissingCredentialsError",
]);

/** Server codes that mean the deployment is (momentarily) not serving us. */
const UNAVAILABLE_SERVER_CODES = new Map<number, Kind>([
  [6, "network"], // HostUnreachable
  [7, "network"], // HostNotFound
  [89, "network"], // NetworkTimeout
  [9001, "network"], // SocketException
  [91, "failover"], // ShutdownInProgress
  [189, "failover"], // PrimarySteppedDown
  [10107, "failover"], // NotWritablePrimary
  [11600, "failover"], // InterruptedAtShutdown
  [11602, "failover"], // InterruptedDueToReplStateChange
  [13435, "failover"], // NotPrimaryNoSecondaryOk
  [13436, "failover"], // NotPrimaryOrSecondary
  [50, "timeout"], // MaxTimeMSExpired
  [262, "timeout"], // ExceededTimeLimit
  [18, "auth"], // AuthenticationFailed
  [13, "unauthorized"], // Unauthorized
]);

/** Node.js system error codes of a failed socket or DNS lookup (SRV records of `mongodb+srv`). */
const SYSTEM_NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "ETIMEOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "ENODATA",
  "ESERVFAIL",
  "EAI_AGAIN",
  "EPIPE",
]);

const DUPLICATE_KEY_CODES = new Set([11000, 11001, 12582]);
const TOO_LARGE_CODES = new Set([10334, 17419, 17420]);
const WRITE_CONFLICT = 112;
const DOCUMENT_VALIDATION_FAILURE = 121;
const ILLEGAL_OPERATION = 20;

/** Field names whose values must never appear in an error: the segment of a dotted path is tested. */
const SECRET_FIELD =
  /pass(word|phrase)?|secret|token|credential|api[_-]?key|private[_-]?key|access[_-]?key|signature|salt|hash|cookie|authorization|^key$/i;

type Kind = "selection" | "network" | "failover" | "timeout" | "auth" | "unauthorized" | "closed" | "parse" | "transactions";

const HINTS: Record<Kind, (context: MongoErrorContext, hosts: string) => string> = {
  selection: (context, hosts) =>
    `No MongoDB server could be selected within ${
      context.serverSelectionTimeoutMS === undefined ? "the server selection timeout" : `${context.serverSelectionTimeoutMS} ms`
    }. Check that mongod/mongos is running${hosts ? ` at ${hosts}` : ""} and reachable from this host (firewall, DNS for mongodb+srv), and that replicaSet, TLS and read preference match the deployment.`,
  network: () =>
    "The connection to MongoDB failed or timed out. Check the network path and the server's health; the driver retries retryable reads and writes once.",
  failover: () => "The replica set is electing a new primary or a member is shutting down. Retry shortly.",
  timeout: () => "The operation exceeded its time limit (maxTimeMS / timeoutMS). Narrow the query, add an index or raise the limit.",
  auth: () => "Authentication failed. Check the user name, password and authSource of the connection string (they are never logged).",
  unauthorized: () =>
    "The database user lacks a privilege for this operation. Grant readWrite on the platform's databases (and createIndex/createCollection for ensureIndexes).",
  closed: () => "The MongoDB client was closed. Create a new manager, or call getAsyncClient() again after closeAsyncClients().",
  parse: () =>
    "The MongoDB connection string is invalid. Expected mongodb://host[:port][,host…]/ or mongodb+srv://cluster-host/; percent-encode special characters in the user name and password.",
  transactions: () =>
    "Transactions need a replica set or a sharded cluster. Run even a single-node replica set (mongod --replSet rs0, then rs.initiate()).",
};

function asLoose(value: unknown): Loose | undefined {
  return typeof value === "object" && value !== null ? (value as Loose) : undefined;
}

function errorName(error: Loose): string {
  return typeof error.name === "string" ? error.name : "";
}

function numericCode(error: Loose): number | undefined {
  return typeof error.code === "number" ? error.code : undefined;
}

function hasLabel(error: Loose, label: string): boolean {
  if (typeof error.hasErrorLabel === "function") {
    try {
      return (error.hasErrorLabel as (l: string) => boolean).call(error, label) === true;
    } catch {
      return false;
    }
  }
  return Array.isArray(error.errorLabels) && error.errorLabels.includes(label);
}

/** The operation, for client-facing messages; database and collection names go to `logOf` (logs only). */
function describeWhere(context: MongoErrorContext): string {
  return context.operation ? ` during ${context.operation}` : "";
}

/** Where an error happened, kept for server logs (`CspmError.logContext`), never in what a client sees. */
function logOf(context: MongoErrorContext, extra: Loose = {}): Loose {
  const log: Loose = { ...extra };
  if (context.database) log.database = context.database;
  if (context.collection) log.collection = context.collection;
  return log;
}

function baseDetails(context: MongoErrorContext): Loose {
  const details: Loose = {};
  if (context.operation) details.operation = context.operation;
  return details;
}

// ---------------------------------------------------------------------------------------------
// Duplicate key

interface DuplicateKeyInfo {
  readonly fields: string[];
  readonly keyValue: Loose | undefined;
  readonly index: string | undefined;
}

function isDuplicateKey(error: Loose): boolean {
  const code = numericCode(error);
  if (code !== undefined && DUPLICATE_KEY_CODES.has(code)) return true;
  return firstDuplicateWriteError(error) !== undefined;
}

/** The raw write error document of the first duplicate-key write error of a bulk write, if any. */
function firstDuplicateWriteError(error: Loose): Loose | undefined {
  const writeErrors = error.writeErrors;
  const list = Array.isArray(writeErrors) ? writeErrors : writeErrors ? [writeErrors] : [];
  for (const item of list) {
    const writeError = asLoose(item);
    if (!writeError) continue;
    const raw = asLoose(writeError.err) ?? writeError;
    const code = typeof writeError.code === "number" ? writeError.code : numericCode(raw);
    if (code !== undefined && DUPLICATE_KEY_CODES.has(code)) return raw;
  }
  return undefined;
}

/**
 * Field names from a duplicate-key message (`… index: name dup key: { team_id: "a", email: "b" }`), for
 * servers and write errors that send neither `keyPattern` nor `keyValue`. Only names are read, never values.
 */
function fieldsFromMessage(message: string): string[] {
  const body = /dup key: \{(.*)\}\s*$/s.exec(message)?.[1];
  if (body === undefined) return [];
  // Drop quoted values first so text inside them cannot look like a field name.
  const unquoted = body.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  return [...unquoted.matchAll(/(?:^|,)\s*([A-Za-z0-9_.]+)\s*:/g)].map((m) => m[1] as string);
}

function duplicateKeyInfo(error: Loose): DuplicateKeyInfo {
  const source = firstDuplicateWriteError(error) ?? error;
  const keyPattern = asLoose(source.keyPattern) ?? asLoose(error.keyPattern);
  const keyValue = asLoose(source.keyValue) ?? asLoose(error.keyValue);
  const message = [source.errmsg, error.errmsg, source.message, error.message].find((m): m is string => typeof m === "string") ?? "";
  // "E11000 duplicate key error collection: db.coll index: name dup key: { … }" — only the index name
  // (and, without keyPattern/keyValue, the field names) is read.
  const index = /\bindex: ([^\s]+)/.exec(message)?.[1];
  const named = Object.keys(keyPattern ?? keyValue ?? {});
  const fields = named.length > 0 ? named : fieldsFromMessage(message);
  return { fields, keyValue, index };
}

/** A JSON-safe rendering of one key value, with secret-looking fields masked. */
function safeValue(field: string, value: unknown): unknown {
  if (field.split(".").some((segment) => SECRET_FIELD.test(segment))) return "[redacted]";
  if (value === null || typeof value === "number" || typeof value === "boolean") return value;
  if (typeof value === "string") return value.length > 200 ? `${value.slice(0, 200)}…` : value;
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Date) return value.toISOString();
  const loose = asLoose(value);
  if (loose && typeof loose.toHexString === "function") return String((loose.toHexString as () => string).call(value));
  return "[complex value]";
}

function duplicateKeyError(error: Loose, context: MongoErrorContext): ConflictError {
  const { fields, keyValue, index } = duplicateKeyInfo(error);
  const message =
    fields.length > 0 ? `A record with the same ${fields.join(", ")} already exists.` : "A record with the same unique key already exists.";
  const details: Loose = { ...baseDetails(context), fields };
  const log: Loose = {};
  if (index) log.index = index;
  if (keyValue) log.keyValue = Object.fromEntries(Object.entries(keyValue).map(([field, value]) => [field, safeValue(field, value)]));
  return new ConflictError(message, { reason: "DUPLICATE_KEY", details, cause: error, log: logOf(context, log) });
}

// ---------------------------------------------------------------------------------------------
// Unavailable

function unavailableKind(error: Loose, depth = 0): Kind | undefined {
  const name = errorName(error);
  if (UNAVAILABLE_ERROR_NAMES.has(name)) {
    if (name === "MongoServerSelectionError") return "selection";
    if (name === "MongoParseError") return "parse";
    if (name === "MongoMissingCredentialsError") return "auth";
    if (name === "MongoOperationTimeoutError") return "timeout";
    if (name === "MongoTopologyClosedError" || name === "MongoNotConnectedError" || name === "MongoClientClosedError") return "closed";
    if (name === "MongoStalePrimaryError") return "failover";
    return "network";
  }
  const code = numericCode(error);
  if (code !== undefined) {
    const kind = UNAVAILABLE_SERVER_CODES.get(code);
    if (kind) return kind;
    const message = typeof error.errmsg === "string" ? error.errmsg : typeof error.message === "string" ? error.message : "";
    if (code === ILLEGAL_OPERATION && /transaction numbers|replica set member or mongos/i.test(message)) return "transactions";
  }
  if (typeof error.code === "string" && SYSTEM_NETWORK_CODES.has(error.code)) return "network";
  if (hasLabel(error, "SystemOverloadedError")) return "failover";
  // A bulk write cut off by a network error arrives wrapped: MongoBulkWriteError carries the driver error it
  // failed on as `errorResponse` (or `cause`), e.g. a MongoServerSelectionError.
  if (depth < 3) {
    for (const inner of [error.cause, error.errorResponse]) {
      const wrapped = inner instanceof Error ? asLoose(inner) : undefined;
      const kind = wrapped && wrapped !== error ? unavailableKind(wrapped, depth + 1) : undefined;
      if (kind) return kind;
    }
  }
  return undefined;
}

/** Addresses the driver knew about when server selection failed (`host:port`, never credentials). */
function hostsOf(error: Loose): string[] {
  const reason = asLoose(error.reason);
  const servers = reason?.servers;
  if (servers instanceof Map) return [...servers.keys()].filter((key): key is string => typeof key === "string");
  return [];
}

/** A short, credential-free driver message from network-level errors only (server messages may quote data). */
function networkMessage(error: Loose, kind: Kind): string | undefined {
  if (kind !== "selection" && kind !== "network") return undefined;
  const message = typeof error.message === "string" ? error.message : "";
  if (!message) return undefined;
  const scrubbed = scrubConnectionStrings(message).replace(/\s+/g, " ").trim();
  return scrubbed.length > 300 ? `${scrubbed.slice(0, 300)}…` : scrubbed;
}

function unavailableError(error: Loose, kind: Kind, context: MongoErrorContext): UnavailableError {
  const hosts = context.hosts && context.hosts.length > 0 ? [...context.hosts] : hostsOf(error);
  const hostList = hosts.join(", ");
  const where = describeWhere(context);
  const message =
    kind === "parse"
      ? `Cannot connect to MongoDB${hostList ? ` at ${hostList}` : ""}: the connection string is invalid.`
      : kind === "transactions"
        ? `MongoDB at ${hostList || "the configured hosts"} does not support transactions${where}.`
        : kind === "timeout"
          ? `A MongoDB operation timed out${where}.`
          : kind === "auth"
            ? `MongoDB${hostList ? ` at ${hostList}` : ""} rejected the credentials${where}.`
            : kind === "unauthorized"
              ? `MongoDB refused the operation${where}: not authorized.`
              : kind === "closed"
                ? `The MongoDB client is closed${where}.`
                : `MongoDB is unavailable${hostList ? ` at ${hostList}` : ""}${where}.`;
  const details: Loose = { ...baseDetails(context), hint: HINTS[kind](context, hostList) };
  if (hosts.length > 0) details.hosts = hosts;
  const driverMessage = networkMessage(error, kind);
  if (driverMessage) details.driverMessage = driverMessage;
  if (hasLabel(error, "RetryableWriteError") || kind === "failover" || kind === "network") details.retryable = true;
  // A parse error's message can quote the whole connection string (password included): keep only its name.
  const cause =
    kind === "parse" || kind === "auth"
      ? Object.assign(new Error(`${errorName(error) || "Error"}: details withheld (they may contain credentials)`), {
          name: errorName(error) || "Error",
        })
      : error;
  return new UnavailableError(message, { details, cause, log: logOf(context) });
}

// ---------------------------------------------------------------------------------------------

function isTransactionConflict(error: Loose): boolean {
  return numericCode(error) === WRITE_CONFLICT || hasLabel(error, "TransientTransactionError");
}

function isTooLarge(error: Loose): boolean {
  const code = numericCode(error);
  if (code !== undefined && TOO_LARGE_CODES.has(code)) return true;
  const name = errorName(error);
  const message = typeof error.message === "string" ? error.message : "";
  return (name === "BSONError" || name === "MongoInvalidArgumentError") && /larger than|too large|maxBsonObjectSize/i.test(message);
}

/**
 * Maps any error thrown by the MongoDB driver to the `@cspm/errors` taxonomy; CSPM errors pass through.
 * - duplicate key (11000, also inside bulk writes) -> `CONFLICT` with `details.reason: "DUPLICATE_KEY"`,
 *   naming the key fields in `details.fields` (from `keyPattern`/`keyValue`, else the names in the server
 *   message; values of secret-looking fields masked in `details.keyValue`, no value ever in the message);
 * - network, server selection, timeout, failover, closed client, bad connection string, failed
 *   authentication -> `UNAVAILABLE` with `details.hint` (and the hosts, never credentials);
 * - `WriteConflict` (112) or the `TransientTransactionError` label -> `CONFLICT` with
 *   `details: { reason: "WRITE_CONFLICT", retryable: true }` (a concurrent writer won; retrying the whole unit of work is safe);
 * - document larger than 16 MiB -> `PAYLOAD_TOO_LARGE`; collection validator rejected (121) -> `VALIDATION_FAILED`;
 * - anything else -> `INTERNAL` with a generic message and the original error as `cause`.
 */
export function mapMongoError(error: unknown, context: MongoErrorContext = {}): CspmError {
  if (isCspmError(error)) return error;
  const loose = asLoose(error);
  if (!loose) return new InternalError(`A database operation failed${describeWhere(context)}.`, { cause: error, log: logOf(context) });

  if (isDuplicateKey(loose)) return duplicateKeyError(loose, context);

  const kind = unavailableKind(loose);
  if (kind) return unavailableError(loose, kind, context);

  if (isTransactionConflict(loose)) {
    return new ConflictError(`The write conflicted with a concurrent write${describeWhere(context)}; retry the operation.`, {
      reason: "WRITE_CONFLICT",
      details: { ...baseDetails(context), retryable: true },
      cause: error,
      log: logOf(context),
    });
  }
  if (hasLabel(loose, "UnknownTransactionCommitResult")) {
    return new UnavailableError(`The outcome of a transaction commit is unknown${describeWhere(context)}.`, {
      details: {
        ...baseDetails(context),
        hint: "The commit may or may not have been applied. Read the data back before retrying a non-idempotent transaction.",
        retryable: true,
      },
      cause: error,
      log: logOf(context),
    });
  }
  if (isTooLarge(loose)) {
    return new PayloadTooLargeError(`The document is larger than MongoDB's 16 MiB limit${describeWhere(context)}.`, {
      details: baseDetails(context),
      cause: error,
      log: logOf(context),
    });
  }
  if (numericCode(loose) === DOCUMENT_VALIDATION_FAILURE) {
    return new ValidationError(
      `The document was rejected by the collection's validator${describeWhere(context)}.`,
      [{ path: "", message: "document failed server-side validation" }],
      { details: baseDetails(context), cause: error, log: logOf(context) },
    );
  }
  return new InternalError(`A database operation failed${describeWhere(context)}.`, { cause: error, log: logOf(context) });
}
