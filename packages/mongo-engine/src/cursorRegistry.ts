import { BSON, Long, type Document } from "bson";
import { CommandError } from "./commandError";

/** Largest reply batch in bytes (mongod caps batches at 16 MiB). */
const MAX_BATCH_BYTES = 16 * 1024 * 1024;

/** Default size of a first batch when the client gives none. */
export const DEFAULT_FIRST_BATCH = 101;

interface OpenCursor {
  readonly id: Long;
  readonly ns: string;
  readonly docs: readonly Document[];
  position: number;
  readonly transform: (doc: Document) => Document;
  lastUse: number;
}

/** Result of taking a batch. */
export interface CursorBatch {
  readonly batch: Document[];
  /** Cursor id for the reply (`0` when exhausted). */
  readonly id: Long;
}

/** Server-side cursors over materialized results, served in batches through `getMore`. */
export class CursorRegistry {
  private readonly cursors = new Map<string, OpenCursor>();
  private next = 1;

  private static take(cursor: OpenCursor, limit: number): Document[] {
    const batch: Document[] = [];
    let bytes = 0;
    while (cursor.position < cursor.docs.length && batch.length < limit) {
      const doc = cursor.transform(cursor.docs[cursor.position] as Document);
      const size = BSON.calculateObjectSize(doc, { ignoreUndefined: true });
      if (batch.length > 0 && bytes + size > MAX_BATCH_BYTES) break;
      bytes += size;
      batch.push(doc);
      cursor.position += 1;
    }
    return batch;
  }

  /**
   * Serves the first batch of a result; keeps a cursor open for the rest unless `singleBatch`.
   * `transform` (projection) runs lazily as documents are served.
   */
  open(
    ns: string,
    docs: readonly Document[],
    batchSize: number | undefined,
    singleBatch: boolean,
    transform: (doc: Document) => Document = (d) => d,
  ): CursorBatch {
    const cursor: OpenCursor = { id: Long.ZERO, ns, docs, position: 0, transform, lastUse: Date.now() };
    const batch = CursorRegistry.take(cursor, batchSize ?? DEFAULT_FIRST_BATCH);
    if (singleBatch || cursor.position >= docs.length) return { batch, id: Long.ZERO };
    const id = Long.fromNumber(this.next++);
    this.cursors.set(id.toString(), { ...cursor, id });
    return { batch, id };
  }

  /** Serves the next batch (`getMore`). */
  getMore(id: Long | number, ns: string, batchSize: number | undefined): CursorBatch {
    const key = String(id);
    const cursor = this.cursors.get(key);
    if (!cursor) throw new CommandError(43, `cursor id ${key} not found`);
    if (cursor.ns !== ns) {
      throw new CommandError(13, `Requested getMore on namespace '${ns}', but cursor belongs to a different namespace ${cursor.ns}`);
    }
    cursor.lastUse = Date.now();
    const batch = CursorRegistry.take(cursor, batchSize && batchSize > 0 ? batchSize : Number.MAX_SAFE_INTEGER);
    if (cursor.position >= cursor.docs.length) {
      this.cursors.delete(key);
      return { batch, id: Long.ZERO };
    }
    return { batch, id: cursor.id };
  }

  /** Closes cursors; returns which were found. */
  kill(ids: readonly unknown[]): { killed: Long[]; notFound: Long[] } {
    const killed: Long[] = [];
    const notFound: Long[] = [];
    for (const raw of ids) {
      const id = Long.isLong(raw) ? raw : Long.fromNumber(Number(raw));
      if (this.cursors.delete(id.toString())) killed.push(id);
      else notFound.push(id);
    }
    return { killed, notFound };
  }

  /** Drops cursors idle for longer than `idleMs`. */
  sweep(idleMs: number): void {
    const cutoff = Date.now() - idleMs;
    for (const [key, cursor] of this.cursors) if (cursor.lastUse < cutoff) this.cursors.delete(key);
  }

  get size(): number {
    return this.cursors.size;
  }

  clear(): void {
    this.cursors.clear();
  }
}
