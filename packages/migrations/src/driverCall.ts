import { mapMongoError } from "@cspm/mongo";

/** Runs one driver call and rethrows its failure mapped into `@cspm/errors` (`UNAVAILABLE`, `CONFLICT`, `INTERNAL` …), naming where it happened. */
export async function driverCall<T>(operation: string, collection: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw mapMongoError(error, { operation, collection });
  }
}

/**
 * Iterates a driver cursor, mapping only the cursor's own failures (the loop body's errors pass through
 * untouched), and closes it however the loop ends.
 */
export async function* driverCursor<T>(
  cursor: AsyncIterable<T> & { close(): Promise<void> },
  operation: string,
  collection: string,
): AsyncGenerator<T, void, undefined> {
  const iterator = cursor[Symbol.asyncIterator]();
  try {
    for (;;) {
      let next: IteratorResult<T>;
      try {
        next = await iterator.next();
      } catch (error) {
        throw mapMongoError(error, { operation, collection });
      }
      if (next.done) return;
      yield next.value;
    }
  } finally {
    await cursor.close().catch(() => undefined);
  }
}
