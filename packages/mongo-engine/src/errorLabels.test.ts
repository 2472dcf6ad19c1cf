import { describe, expect, it } from "vitest";
import { errorLabelsFor } from "./errorLabels";

const retryableWrite = { insert: "c", lsid: { id: 1 }, txnNumber: 1 };
const inTransaction = { insert: "c", lsid: { id: 1 }, txnNumber: 1, autocommit: false };

describe("errorLabelsFor", () => {
  it("labels retriable codes of retryable writes RetryableWriteError, with NoWritesPerformed when nothing was written", () => {
    expect(errorLabelsFor({ command: "insert", body: retryableWrite, code: 91, noWritesPerformed: true })).toEqual([
      "RetryableWriteError",
      "NoWritesPerformed",
    ]);
    expect(errorLabelsFor({ command: "insert", body: retryableWrite, code: 91 })).toEqual(["RetryableWriteError"]);
    expect(errorLabelsFor({ command: "insert", body: { insert: "c" }, code: 91 })).toEqual([]);
    expect(errorLabelsFor({ command: "insert", body: retryableWrite, code: 2 })).toEqual([]);
  });

  it("labels a retriable write concern error of a retryable write", () => {
    expect(errorLabelsFor({ command: "insert", body: retryableWrite, writeConcernCode: 91 })).toEqual(["RetryableWriteError"]);
    expect(errorLabelsFor({ command: "insert", body: retryableWrite, writeConcernCode: 100 })).toEqual([]);
  });

  it("labels transient errors inside transactions TransientTransactionError (and only those)", () => {
    expect(errorLabelsFor({ command: "insert", body: inTransaction, code: 112 })).toEqual(["TransientTransactionError"]);
    expect(errorLabelsFor({ command: "insert", body: inTransaction, code: 251 })).toEqual(["TransientTransactionError"]);
    expect(errorLabelsFor({ command: "insert", body: inTransaction, code: 11000 })).toEqual([]);
    expect(errorLabelsFor({ command: "insert", body: { insert: "c" }, code: 112 })).toEqual([]);
  });

  it("treats commit and abort as mongod does: NoSuchTransaction is transient unless a write concern error came with it", () => {
    const commit = { commitTransaction: 1, lsid: { id: 1 }, txnNumber: 1, autocommit: false };
    expect(errorLabelsFor({ command: "commitTransaction", body: commit, code: 251 })).toEqual(["TransientTransactionError"]);
    expect(errorLabelsFor({ command: "commitTransaction", body: commit, code: 251, writeConcernCode: 64 })).toEqual([]);
    expect(errorLabelsFor({ command: "commitTransaction", body: commit, code: 91 })).toEqual(["RetryableWriteError"]);
    expect(errorLabelsFor({ command: "commitTransaction", body: commit, writeConcernCode: 91 })).toEqual(["RetryableWriteError"]);
  });
});
