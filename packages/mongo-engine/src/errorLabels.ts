import type { Document } from "bson";

/**
 * The error labels mongod attaches to a failed command (`TransientTransactionError`,
 * `RetryableWriteError`, `NoWritesPerformed`), decided the way mongod's ErrorLabelBuilder decides:
 * from the error code, the write concern error code, and whether the command ran in a transaction
 * or as a retryable write. Drivers retry on these labels, so they must match mongod's.
 */

/** mongod's `RetriableError` category. */
const RETRIABLE = new Set([6, 7, 89, 91, 134, 189, 262, 317, 358, 384, 402, 406, 407, 412, 9001, 10107, 11600, 11602, 13435, 13436]);

/** mongod's `SnapshotError` and `NeedRetargettingError` categories. */
const SNAPSHOT_OR_RETARGET = new Set([239, 246, 250, 272, 150, 13388, 249]);

/** Codes that are always transient inside a transaction. */
const ALWAYS_TRANSIENT = new Set([112, 24, 267, 343, 249]);

const COMMIT_OR_ABORT = new Set(["commitTransaction", "abortTransaction"]);

/** Whether a code is in mongod's `RetriableError` category. */
export function isRetriableCode(code: number | undefined): boolean {
  return code !== undefined && RETRIABLE.has(code);
}

function isTransient(code: number, hasWriteConcernError: boolean, commitOrAbort: boolean): boolean {
  if (code === 358) return false;
  if (ALWAYS_TRANSIENT.has(code) || SNAPSHOT_OR_RETARGET.has(code)) return true;
  if (commitOrAbort) return code === 251 && !hasWriteConcernError;
  return RETRIABLE.has(code) || code === 251;
}

/** What the labels depend on. */
export interface LabelFacts {
  readonly command: string;
  readonly body: Document;
  /** Code of the command error, if the command failed. */
  readonly code?: number | undefined;
  /** Code of the reply's `writeConcernError`, if any. */
  readonly writeConcernCode?: number | undefined;
  /** True when the command wrote nothing (for `NoWritesPerformed`). */
  readonly noWritesPerformed?: boolean;
}

/** The labels mongod would add to this reply (possibly none). */
export function errorLabelsFor(facts: LabelFacts): string[] {
  const { command, body, code, writeConcernCode } = facts;
  const hasTxnNumber = body.txnNumber !== undefined;
  const inTransaction = hasTxnNumber && body.autocommit !== undefined;
  const commitOrAbort = COMMIT_OR_ABORT.has(command);
  if (code !== undefined && inTransaction && isTransient(code, writeConcernCode !== undefined, commitOrAbort)) {
    return ["TransientTransactionError"];
  }
  const retryableWrite = hasTxnNumber && body.autocommit === undefined;
  if ((retryableWrite || (inTransaction && commitOrAbort)) && (isRetriableCode(code) || isRetriableCode(writeConcernCode))) {
    return facts.noWritesPerformed ? ["RetryableWriteError", "NoWritesPerformed"] : ["RetryableWriteError"];
  }
  return [];
}
