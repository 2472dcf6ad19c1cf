import { BSON, type Document, Long, type Timestamp, Timestamp as BsonTimestamp } from "bson";
import { canonicalKey, isPlainDocument } from "./bsonOrder";
import { CommandError, notImplemented } from "./commandError";
import type { EvaluationSettings } from "./mingoContext";
import type { RawChange, StorageCatalog } from "./storageCatalog";

/**
 * Change streams (`$changeStream` as the first stage of an aggregation; events served by `getMore`
 * with awaitData): insert, update, replace, delete, drop, rename, dropDatabase and invalidate events
 * for collection, database and cluster streams, with resume tokens (`resumeAfter`, `startAfter`,
 * `startAtOperationTime`) and `fullDocument: "updateLookup"`.
 *
 * Events are recorded only while change streams exist (and for five minutes after the last one
 * closes): resuming from before that answers 286 ChangeStreamHistoryLost, as mongod does once its
 * oplog has moved on. An update whose `updateDescription` mongod would express with nested or array
 * paths (both the old and the new value of a changed field are documents or arrays) is refused with
 * 238 when it is delivered, as are pre/post images and the change events of `$out`.
 */

/** Pipeline stages mongod allows after `$changeStream`. */
const ALLOWED_STAGES = new Set(["$match", "$project", "$addFields", "$set", "$unset", "$replaceRoot", "$replaceWith", "$redact"]);

const OPTIONS = new Set([
  "fullDocument",
  "fullDocumentBeforeChange",
  "resumeAfter",
  "startAfter",
  "startAtOperationTime",
  "allChangesForCluster",
  "showExpandedEvents",
]);

/** How long events are kept after the last stream closed, and at most how many. */
const RETENTION_MS = 5 * 60_000;
const MAX_EVENTS = 100_000;
const DEFAULT_AWAIT_MS = 1000;
const INTERNAL_DATABASES = new Set(["admin", "local", "config"]);

type Scope =
  | { readonly kind: "collection"; readonly db: string; readonly coll: string }
  | { readonly kind: "database"; readonly db: string }
  | { readonly kind: "cluster" };

interface RecordedChange {
  readonly seq: number;
  readonly clusterTime: Timestamp;
  readonly wallTime: Date;
  readonly change: RawChange;
}

interface StreamCursor {
  readonly id: Long;
  readonly ns: string;
  readonly scope: Scope;
  readonly fullDocument: "default" | "updateLookup";
  readonly stages: Document[];
  readonly settings: EvaluationSettings;
  readonly batchSize: number | undefined;
  position: number;
  invalidated: boolean;
}

/** What the stream registry needs from the engine to open a stream. */
export interface StreamRequest {
  readonly db: string;
  /** The collection, or `undefined` for a database or cluster stream (`aggregate: 1`). */
  readonly collection: string | undefined;
  readonly spec: unknown;
  readonly stages: Document[];
  readonly settings: EvaluationSettings;
  readonly batchSize: number | undefined;
  /** Runs the stages after `$changeStream` over a batch of events. */
  readonly runStages: (events: Document[], stages: Document[], settings: EvaluationSettings) => Document[];
}

function token(clusterTime: Timestamp, position: number): Document {
  const time = clusterTime.toBigInt().toString(16).padStart(16, "0");
  return { _data: `82${time}${position.toString(16).padStart(16, "0")}` };
}

function positionOf(value: unknown): number {
  const data = isPlainDocument(value) ? value._data : undefined;
  if (typeof data !== "string" || !/^82[0-9a-f]{32}$/.test(data)) {
    throw new CommandError(260, "KeyString format error: the resume token was not produced by this server", {
      codeName: "InvalidResumeToken",
    });
  }
  return Number.parseInt(data.slice(18), 16);
}

function inScope(scope: Scope, change: RawChange): boolean {
  switch (scope.kind) {
    case "collection":
      return change.db === scope.db && change.coll === scope.coll;
    case "database":
      return change.db === scope.db && !change.coll?.startsWith("system.");
    case "cluster":
      return !INTERNAL_DATABASES.has(change.db) && !change.coll?.startsWith("system.");
  }
}

/** Whether this event ends a stream of this scope (it is followed by an invalidate). */
function invalidates(scope: Scope, change: RawChange): boolean {
  if (scope.kind === "collection") return change.operationType === "drop" || change.operationType === "rename";
  if (scope.kind === "database") return change.operationType === "dropDatabase";
  return false;
}

function sameBson(a: unknown, b: unknown): boolean {
  return Buffer.from(BSON.serialize({ v: a })).equals(Buffer.from(BSON.serialize({ v: b })));
}

const isContainer = (v: unknown) => isPlainDocument(v) || Array.isArray(v);

function updateDescription(previous: Document, doc: Document): Document {
  const updatedFields: Document = {};
  const removedFields: string[] = [];
  for (const [key, value] of Object.entries(doc)) {
    if (Object.hasOwn(previous, key) && sameBson(previous[key], value)) continue;
    if (Object.hasOwn(previous, key) && isContainer(previous[key]) && isContainer(value)) {
      throw notImplemented(`the updateDescription of a change to the document or array in field '${key}' (mongod reports nested paths)`);
    }
    updatedFields[key] = value;
  }
  for (const key of Object.keys(previous)) if (!Object.hasOwn(doc, key)) removedFields.push(key);
  return { updatedFields, removedFields, truncatedArrays: [] };
}

/** The change streams of one engine. */
export class ChangeStreamRegistry {
  private readonly log: RecordedChange[] = [];
  /** Sequence number of the first retained event (events before it are lost). */
  private first = 0;
  private next = 0;
  private recording = false;
  private historyStart: Timestamp | undefined;
  private lastStreamClosed = 0;
  private readonly cursors = new Map<string, StreamCursor>();
  private nextId = 1;
  private waiters: (() => void)[] = [];

  constructor(
    private readonly catalog: StorageCatalog,
    private readonly clock: { now(): Timestamp },
  ) {}

  private startRecording(): void {
    if (this.recording) return;
    this.recording = true;
    this.historyStart = this.clock.now();
    this.catalog.onChange = (change) => this.record(change);
  }

  private record(change: RawChange): void {
    this.log.push({ seq: this.next, clusterTime: this.clock.now(), wallTime: new Date(), change });
    this.next += 1;
    if (this.log.length > MAX_EVENTS) {
      const dropped = this.log.shift() as RecordedChange;
      this.first = dropped.seq + 1;
      this.historyStart = dropped.clusterTime;
    }
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** Stops recording once no stream has been open for the retention window. */
  sweep(now = Date.now()): void {
    if (!this.recording || this.cursors.size > 0 || now - this.lastStreamClosed < RETENTION_MS) return;
    this.recording = false;
    this.catalog.onChange = undefined;
    this.first = this.next;
    this.log.length = 0;
    this.historyStart = undefined;
  }

  /** Whether a cursor id belongs to a change stream. */
  owns(id: unknown): boolean {
    return this.cursors.has(String(id));
  }

  private startPosition(options: Document): number {
    const resume = options.resumeAfter ?? options.startAfter;
    const lost = () =>
      new CommandError(286, "Resume of change stream was not possible, as the resume point may no longer be in the oplog.", {
        codeName: "ChangeStreamHistoryLost",
      });
    if (resume !== undefined) {
      const position = positionOf(resume);
      if (position < this.first || position > this.next) throw lost();
      return position;
    }
    const at = options.startAtOperationTime;
    if (at !== undefined) {
      if (!(at instanceof BsonTimestamp)) {
        throw new CommandError(14, "BSON field '$changeStream.startAtOperationTime' is the wrong type, expected type 'timestamp'");
      }
      if (!this.historyStart || (at as Timestamp).lessThan(this.historyStart)) throw lost();
      const hit = this.log.find((e) => !e.clusterTime.lessThan(at as Timestamp));
      return hit ? hit.seq : this.next;
    }
    return this.next;
  }

  /** Opens a stream (the `aggregate` with `$changeStream` first) and answers its first batch. */
  open(request: StreamRequest): Document {
    const options = request.spec;
    if (!isPlainDocument(options)) throw new CommandError(50808, "$changeStream stage expects a document as argument");
    for (const key of Object.keys(options)) {
      if (!OPTIONS.has(key)) throw new CommandError(40415, `BSON field '$changeStream.${key}' is an unknown field.`);
    }
    const fullDocument = options.fullDocument ?? "default";
    if (fullDocument !== "default" && fullDocument !== "updateLookup") {
      if (fullDocument === "whenAvailable" || fullDocument === "required")
        throw notImplemented(`$changeStream fullDocument "${fullDocument}" (post-images)`);
      throw new CommandError(9, `Enumeration value '${String(fullDocument)}' for field 'fullDocument' is not a valid value.`);
    }
    if (options.fullDocumentBeforeChange !== undefined && options.fullDocumentBeforeChange !== "off") {
      throw notImplemented("$changeStream fullDocumentBeforeChange (pre-images)");
    }
    if (options.showExpandedEvents === true) throw notImplemented("$changeStream showExpandedEvents");
    for (const stage of request.stages) {
      const name = Object.keys(stage)[0] as string;
      if (!ALLOWED_STAGES.has(name)) throw new CommandError(31108, `${name} is not permitted in a $changeStream pipeline`);
    }
    let scope: Scope;
    if (request.collection !== undefined) scope = { kind: "collection", db: request.db, coll: request.collection };
    else if (options.allChangesForCluster === true) {
      if (request.db !== "admin")
        throw new CommandError(31123, "A $changeStream with 'allChangesForCluster:true' may only be opened on the 'admin' database");
      scope = { kind: "cluster" };
    } else if (INTERNAL_DATABASES.has(request.db)) {
      throw new CommandError(73, `$changeStream may not be opened on the internal ${request.db} database`);
    } else scope = { kind: "database", db: request.db };
    const position = this.startPosition(options);
    this.startRecording();
    const ns = request.collection !== undefined ? `${request.db}.${request.collection}` : `${request.db}.$cmd.aggregate`;
    const cursor: StreamCursor = {
      id: Long.fromNumber(this.nextId++ + 2 ** 40),
      ns,
      scope,
      fullDocument,
      stages: request.stages,
      settings: request.settings,
      batchSize: request.batchSize,
      position,
      invalidated: false,
    };
    this.cursors.set(cursor.id.toString(), cursor);
    const batch = this.take(cursor, request.runStages, request.batchSize);
    return { cursor: { firstBatch: batch, postBatchResumeToken: this.resumeToken(cursor), id: this.idOf(cursor), ns }, ok: 1 };
  }

  private idOf(cursor: StreamCursor): Long {
    if (!cursor.invalidated) return cursor.id;
    this.close(cursor);
    return Long.ZERO;
  }

  private close(cursor: StreamCursor): void {
    this.cursors.delete(cursor.id.toString());
    if (this.cursors.size === 0) this.lastStreamClosed = Date.now();
  }

  private resumeToken(cursor: StreamCursor): Document {
    return token(this.clock.now(), cursor.position);
  }

  private render(cursor: StreamCursor, recorded: RecordedChange): Document {
    const { change } = recorded;
    if (change.operationType === "unsupported") throw notImplemented(change.reason ?? "this change event");
    const event: Document = {
      _id: token(recorded.clusterTime, recorded.seq + 1),
      operationType: change.operationType,
      clusterTime: recorded.clusterTime,
      wallTime: recorded.wallTime,
    };
    const key = change.doc ?? change.previous;
    if (change.operationType === "insert" || change.operationType === "replace") event.fullDocument = change.doc;
    if (change.operationType === "update" && cursor.fullDocument === "updateLookup") {
      const store = change.coll === undefined ? undefined : this.catalog.get(change.db, change.coll);
      event.fullDocument = (key && store?.docs.get(canonicalKey(key._id))) ?? null;
    }
    event.ns = change.coll === undefined ? { db: change.db } : { db: change.db, coll: change.coll };
    if (change.to) event.to = change.to;
    if (key && change.operationType !== "drop" && change.operationType !== "rename" && change.operationType !== "dropDatabase") {
      event.documentKey = { _id: key._id };
    }
    if (change.operationType === "update") event.updateDescription = updateDescription(change.previous ?? {}, change.doc ?? {});
    if (change.txn) {
      event.lsid = change.txn.lsid;
      event.txnNumber = Long.fromNumber(change.txn.txnNumber);
    }
    return event;
  }

  private take(cursor: StreamCursor, runStages: StreamRequest["runStages"], batchSize: number | undefined): Document[] {
    const limit = batchSize && batchSize > 0 ? batchSize : Number.POSITIVE_INFINITY;
    const out: Document[] = [];
    if (cursor.position < this.first) {
      throw new CommandError(286, "Resume of change stream was not possible, as the resume point may no longer be in the oplog.", {
        codeName: "ChangeStreamHistoryLost",
      });
    }
    while (!cursor.invalidated && out.length < limit && cursor.position < this.next) {
      const recorded = this.log[cursor.position - this.first] as RecordedChange;
      cursor.position += 1;
      if (!inScope(cursor.scope, recorded.change)) continue;
      const rendered = runStages([this.render(cursor, recorded)], cursor.stages, cursor.settings);
      out.push(...rendered);
      if (invalidates(cursor.scope, recorded.change)) {
        cursor.invalidated = true;
        out.push({
          _id: token(recorded.clusterTime, cursor.position),
          operationType: "invalidate",
          clusterTime: recorded.clusterTime,
          wallTime: recorded.wallTime,
        });
      }
    }
    return out;
  }

  /** `getMore` on a stream: the events since the last batch, waiting up to `maxTimeMS` when there are none. */
  async getMore(
    id: unknown,
    ns: string,
    batchSize: number | undefined,
    maxTimeMS: number | undefined,
    runStages: StreamRequest["runStages"],
  ): Promise<Document> {
    const cursor = this.cursors.get(String(id));
    if (!cursor) throw new CommandError(43, `cursor id ${String(id)} not found`);
    if (cursor.ns !== ns) {
      throw new CommandError(13, `Requested getMore on namespace '${ns}', but cursor belongs to a different namespace ${cursor.ns}`);
    }
    let batch = this.take(cursor, runStages, batchSize ?? cursor.batchSize);
    if (batch.length === 0 && !cursor.invalidated) {
      const waitMs = maxTimeMS && maxTimeMS > 0 ? maxTimeMS : DEFAULT_AWAIT_MS;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, waitMs);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      if (this.cursors.has(String(id))) batch = this.take(cursor, runStages, batchSize ?? cursor.batchSize);
    }
    return { cursor: { nextBatch: batch, postBatchResumeToken: this.resumeToken(cursor), id: this.idOf(cursor), ns }, ok: 1 };
  }

  /** Closes stream cursors (`killCursors`); returns the ids it knew. */
  kill(ids: readonly unknown[]): Long[] {
    const killed: Long[] = [];
    for (const raw of ids) {
      const cursor = this.cursors.get(String(raw));
      if (!cursor) continue;
      this.close(cursor);
      killed.push(cursor.id);
    }
    return killed;
  }

  clear(): void {
    this.cursors.clear();
    this.catalog.onChange = undefined;
    this.recording = false;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
