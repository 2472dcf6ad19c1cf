import { Timestamp } from "bson";
import { CommandError, notImplemented } from "./commandError";
import { type StorageCatalog, type StorageView, Transaction } from "./storageCatalog";

/**
 * Snapshot reads outside transactions (`readConcern: {level: "snapshot"}`, mongod 5.0+): the first
 * read of a snapshot session gets a point-in-time view of every collection at a cluster time, which
 * it reports as `atClusterTime`; later reads with that `atClusterTime` see the same state, whatever
 * was written since. Views are kept copy-on-write (a collection is copied the first time it changes
 * while a view needs it) for mongod's default history window of 300 s after their last use.
 */

/** mongod's `minSnapshotHistoryWindowInSeconds` default. */
const HISTORY_WINDOW_MS = 300_000;

interface PointInTime {
  readonly capture: Transaction;
  lastUse: number;
}

function timeKey(ts: Timestamp): string {
  return `${ts.t}:${ts.i}`;
}

/** A snapshot read's view of the data and the cluster time it reads at. */
export interface SnapshotRead {
  readonly view: StorageView;
  readonly atClusterTime: Timestamp;
}

/** The point-in-time views of one engine. */
export class SnapshotRegistry {
  private readonly views = new Map<string, PointInTime>();
  /** Cluster time of the last command that changed base data. */
  private lastChange: Timestamp = new Timestamp({ t: 0, i: 0 });

  constructor(private readonly catalog: StorageCatalog) {}

  /** Records that the command running at `opTime` changed data (called after each such command). */
  noteChange(opTime: Timestamp): void {
    if (opTime.greaterThan(this.lastChange)) this.lastChange = opTime;
  }

  private register(at: Timestamp, now: number): PointInTime {
    const capture = new Transaction("snapshot", -1, this.catalog.currentSeq);
    this.catalog.pointInTimeViews.add(capture);
    const entry = { capture, lastUse: now };
    this.views.set(timeKey(at), entry);
    return entry;
  }

  /**
   * The view for a snapshot read: a new point in time at `now` when `atClusterTime` is absent, else
   * the one at `atClusterTime` (an unknown time is served when nothing changed since it).
   */
  read(atClusterTime: unknown, now: Timestamp, clusterTime: Timestamp): SnapshotRead {
    const wall = Date.now();
    if (atClusterTime === undefined) {
      return { view: this.catalog.transactionView(this.register(now, wall).capture), atClusterTime: now };
    }
    if (!(atClusterTime instanceof Timestamp)) {
      throw new CommandError(14, "BSON field 'readConcern.atClusterTime' is the wrong type, expected type 'timestamp'");
    }
    const known = this.views.get(timeKey(atClusterTime));
    if (known) {
      known.lastUse = wall;
      return { view: this.catalog.transactionView(known.capture), atClusterTime };
    }
    if (atClusterTime.greaterThan(clusterTime)) {
      throw notImplemented("readConcern.atClusterTime later than the current cluster time (mongod would wait for it)");
    }
    if (atClusterTime.lessThan(this.lastChange)) {
      throw notImplemented(
        "readConcern.atClusterTime before the last write that the engine keeps no point-in-time view for (it keeps one per snapshot read it answered)",
      );
    }
    return { view: this.catalog.transactionView(this.register(atClusterTime, wall).capture), atClusterTime };
  }

  /** Drops views unused for longer than the history window. */
  sweep(now = Date.now()): void {
    for (const [key, entry] of this.views) {
      if (now - entry.lastUse <= HISTORY_WINDOW_MS) continue;
      this.catalog.pointInTimeViews.delete(entry.capture);
      this.views.delete(key);
    }
  }

  clear(): void {
    for (const entry of this.views.values()) this.catalog.pointInTimeViews.delete(entry.capture);
    this.views.clear();
  }
}
