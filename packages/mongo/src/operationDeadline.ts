import { UnavailableError } from "@cspm/errors";

/** Operations that only read: a timed-out read can simply be retried. */
const READ_OPERATIONS: ReadonlySet<string> = new Set([
  "find",
  "findOne",
  "countDocuments",
  "distinct",
  "aggregate",
  "getMore",
  "ping",
  "listCollections",
  "listIndexes",
]);

/** Where an operation that ran out of time was going, for the error's details (never values). */
export interface DeadlineContext {
  readonly operation: string;
  readonly database?: string;
  readonly collection?: string;
}

/** The `UNAVAILABLE` error of an operation that got no answer within `timeoutMS`. */
export function deadlineExceeded(timeoutMS: number, context: DeadlineContext): UnavailableError {
  const read = READ_OPERATIONS.has(context.operation);
  return new UnavailableError(`MongoDB did not answer ${context.operation} within ${timeoutMS} ms.`, {
    log: { ...(context.database ? { database: context.database } : {}), ...(context.collection ? { collection: context.collection } : {}) },
    details: {
      operation: context.operation,
      timeoutMS,
      retryable: read,
      hint: read
        ? "The server or the network is not answering (a stall, a failover in progress, an overloaded server). Retry later."
        : "The server or the network is not answering; the write may or may not have been applied. Read the data back before retrying a non-idempotent write.",
    },
  });
}

/**
 * Settles with `work`, or rejects with `UNAVAILABLE` (`deadlineExceeded`) once `timeoutMS` has passed
 * without an answer — whatever the driver is doing (a stalled socket, a retry, server selection). The
 * driver call itself is left to its own socket timeout; its late outcome is ignored. `timeoutMS`
 * undefined or 0 means no deadline. Never changes what `work` resolves to.
 */
export function withDeadline<T>(work: Promise<T>, timeoutMS: number | undefined, context: DeadlineContext): Promise<T> {
  if (timeoutMS === undefined || timeoutMS <= 0) return work;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(deadlineExceeded(timeoutMS, context)), timeoutMS);
    timer.unref?.();
  });
  work.catch(() => undefined); // a late failure after the deadline must not become an unhandled rejection
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}
