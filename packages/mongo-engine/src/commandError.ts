import type { Document } from "bson";

/** mongod error code names the compat engine answers with. */
export const ERROR_CODE_NAMES: Readonly<Record<number, string>> = {
  1: "InternalError",
  2: "BadValue",
  6: "HostUnreachable",
  7: "HostNotFound",
  8: "UnknownError",
  9: "FailedToParse",
  10: "CannotMutateObject",
  11: "UserNotFound",
  13: "Unauthorized",
  14: "TypeMismatch",
  16: "InvalidLength",
  17: "ProtocolError",
  20: "IllegalOperation",
  22: "InvalidBSON",
  24: "LockTimeout",
  26: "NamespaceNotFound",
  27: "IndexNotFound",
  28: "PathNotViable",
  40: "ConflictingUpdateOperators",
  43: "CursorNotFound",
  48: "NamespaceExists",
  50: "MaxTimeMSExpired",
  51: "ManualInterventionRequired",
  52: "DollarPrefixedFieldName",
  53: "InvalidIdField",
  56: "EmptyFieldName",
  59: "CommandNotFound",
  64: "WriteConcernTimeout",
  66: "ImmutableField",
  67: "CannotCreateIndex",
  72: "InvalidOptions",
  73: "InvalidNamespace",
  79: "UnknownReplWriteConcern",
  85: "IndexOptionsConflict",
  86: "IndexKeySpecsConflict",
  89: "NetworkTimeout",
  91: "ShutdownInProgress",
  100: "UnsatisfiableWriteConcern",
  112: "WriteConflict",
  115: "CommandNotSupported",
  121: "DocumentValidationFailure",
  134: "ReadConcernMajorityNotAvailableYet",
  166: "CommandNotSupportedOnView",
  168: "InvalidPipelineOperator",
  171: "CannotIndexParallelArrays",
  189: "PrimarySteppedDown",
  197: "InvalidIndexSpecificationOption",
  225: "TransactionTooOld",
  238: "NotImplemented",
  239: "SnapshotTooOld",
  241: "ConversionFailure",
  246: "SnapshotUnavailable",
  251: "NoSuchTransaction",
  256: "TransactionCommitted",
  262: "ExceededTimeLimit",
  263: "OperationNotSupportedInTransaction",
  267: "PreparedTransactionInProgress",
  291: "NoQueryExecutionPlans",
  292: "QueryExceededMemoryLimitNoDiskUseAllowed",
  322: "APIVersionError",
  323: "APIStrictError",
  324: "APIDeprecationError",
  359: "CannotConvertIndexToUnique",
  9001: "SocketException",
  10107: "NotWritablePrimary",
  10334: "BSONObjectTooLarge",
  11000: "DuplicateKey",
  11600: "InterruptedAtShutdown",
  11601: "Interrupted",
  11602: "InterruptedDueToReplStateChange",
  13435: "NotPrimaryNoSecondaryOk",
  13436: "NotPrimaryOrSecondary",
  17419: "BSONObjectTooLarge",
  31082: "SearchNotEnabled",
  40324: "Location40324",
  40415: "Location40415",
};

/** Options for {@link CommandError}. */
export interface CommandErrorOptions {
  /** Extra fields copied into the error reply (`keyPattern`, `keyValue`, `errInfo`, ...). */
  readonly extra?: Document;
  /** Error labels such as `TransientTransactionError`. */
  readonly errorLabels?: readonly string[];
  /** Overrides the code name looked up from {@link ERROR_CODE_NAMES}. */
  readonly codeName?: string;
}

/** A mongod-shaped command failure: becomes `{ ok: 0, errmsg, code, codeName, ... }` on the wire. */
export class CommandError extends Error {
  readonly code: number;
  readonly codeName: string;
  readonly extra: Document;
  readonly errorLabels: string[];

  constructor(code: number, message: string, options: CommandErrorOptions = {}) {
    super(message);
    this.name = "CommandError";
    this.code = code;
    this.codeName = options.codeName ?? ERROR_CODE_NAMES[code] ?? `Location${code}`;
    this.extra = options.extra ?? {};
    this.errorLabels = [...(options.errorLabels ?? [])];
  }

  /** The reply document for this error. */
  toReply(): Document {
    const reply: Document = { ok: 0, errmsg: this.message, code: this.code, codeName: this.codeName, ...this.extra };
    if (this.errorLabels.length) reply.errorLabels = this.errorLabels;
    return reply;
  }

  /** The `writeErrors[]` entry for this error at a batch index. */
  toWriteError(index: number): Document {
    return { index, code: this.code, errmsg: this.message, ...this.extra };
  }
}

/** Error for a feature the compat engine does not implement (238 NotImplemented), naming it. */
export function notImplemented(what: string): CommandError {
  return new CommandError(
    238,
    `${what} is not implemented by the @cspm/mongo-engine; run the suite against a real mongod (MONGODB_URI) to use it`,
  );
}

/** Error for a command the compat engine does not support (115 CommandNotSupported), naming it. */
export function commandNotSupported(what: string): CommandError {
  return new CommandError(115, `${what} is not supported by the @cspm/mongo-engine`);
}

/** Error for a malformed request (mongod's FailedToParse/BadValue/TypeMismatch family). */
export function badValue(message: string, code = 2): CommandError {
  return new CommandError(code, message);
}
