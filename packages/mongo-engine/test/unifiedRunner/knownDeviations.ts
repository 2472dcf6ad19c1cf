import type { ServerFacts } from "./requirements";

/**
 * Spec tests the runner does not hold the server to, each with its reason. They are counted
 * (`unsupported` or `skipped`) and listed in the report like every other verdict, never dropped.
 * - Node driver 6 behaviours that differ from what the spec file expects of a driver: the same
 *   test fails against a real mongod, so it says nothing about the server.
 * - Deployments a one-member replica set is not (secondaries to read from).
 */

/** One known deviation: a whole file (`folder/file.json`) or one test of it. */
export interface Deviation {
  readonly file: string;
  readonly test?: string;
  readonly verdict: "unsupported" | "skipped";
  readonly reason: string;
  /** When given, the deviation applies only to servers for which this holds. */
  readonly applies?: (facts: ServerFacts) => boolean;
}

const NODE = "Node driver 6";

export const KNOWN_DEVIATIONS: readonly Deviation[] = [
  ...[
    "Aggregate with $out passes bypassDocumentValidation: false",
    "BulkWrite passes bypassDocumentValidation: false",
    "FindOneAndReplace passes bypassDocumentValidation: false",
    "FindOneAndUpdate passes bypassDocumentValidation: false",
    "InsertMany passes bypassDocumentValidation: false",
    "InsertOne passes bypassDocumentValidation: false",
    "ReplaceOne passes bypassDocumentValidation: false",
    "UpdateOne passes bypassDocumentValidation: false",
    "UpdateMany passes bypassDocumentValidation: false",
  ].map((test) => ({
    file: "crud/bypassDocumentValidation.json",
    test,
    verdict: "unsupported" as const,
    reason: `${NODE} leaves bypassDocumentValidation: false out of the command`,
  })),
  {
    file: "crud/create-null-ids.json",
    verdict: "unsupported",
    reason: `${NODE} replaces an _id of null with a new ObjectId before sending`,
  },
  ...["abort", "commit", "reads", "writes"].map((kind) => ({
    file: `transactions/backpressure-retryable-${kind}.json`,
    verdict: "unsupported" as const,
    reason: `${NODE} does not implement client backpressure (retries on SystemOverloadedError labels)`,
  })),
  {
    file: "retryable-writes/bulkWrite.json",
    test: "First insertOne is never committed",
    verdict: "unsupported",
    reason: `${NODE} reports insertedIds for inserts that were never committed`,
  },
  ...[
    ["transactions/commit.json", "reset session state commit"],
    ["transactions/commit.json", "reset session state abort"],
    ["transactions/retryable-writes.json", "increment txnNumber"],
    ["transactions-convenient-api/callback-aborts.json", "withTransaction still succeeds if callback aborts and runs extra op"],
    ["transactions-convenient-api/callback-commits.json", "withTransaction still succeeds if callback commits and runs extra op"],
  ].map(([file, test]) => ({
    file: file as string,
    test: test as string,
    verdict: "unsupported" as const,
    reason: `${NODE} sends afterClusterTime only with read commands, not with the writes of a causally consistent session`,
  })),
  ...[
    [
      "transactions/run-command.json",
      "run command with secondary read preference in client option and primary read preference in transaction options",
    ],
    ["transactions/transaction-options.json", "readPreference inherited from client"],
  ].map(([file, test]) => ({
    file: file as string,
    test: test as string,
    verdict: "skipped" as const,
    reason: "needs a replica set with a secondary (outside the transaction the client's secondary read preference selects no server)",
    applies: (facts: ServerFacts) => facts.members < 2,
  })),
];

/** The deviation that covers a test, if any. */
export function deviationFor(file: string, test: string, facts: ServerFacts): Deviation | undefined {
  return KNOWN_DEVIATIONS.find((d) => d.file === file && (d.test === undefined || d.test === test) && (d.applies?.(facts) ?? true));
}

/**
 * Tolerated driver detail: Node driver 6 adds `wtimeout: 10000` to the write concern of
 * `commitTransaction`/`abortTransaction` whenever one is set (the spec asks for it only on retries).
 * The field is dropped from the observed command when the expected write concern does not name it.
 */
export function withoutDriverWtimeout(commandName: unknown, expected: unknown, actual: unknown): unknown {
  if (commandName !== "commitTransaction" && commandName !== "abortTransaction") return actual;
  const want = (expected as { writeConcern?: unknown } | undefined)?.writeConcern;
  const got = (actual as { writeConcern?: { wtimeout?: unknown } } | undefined)?.writeConcern;
  if (got?.wtimeout !== 10000 || typeof want !== "object" || want === null || "wtimeout" in want) return actual;
  const { wtimeout: _dropped, ...rest } = got;
  return { ...(actual as object), writeConcern: rest };
}
