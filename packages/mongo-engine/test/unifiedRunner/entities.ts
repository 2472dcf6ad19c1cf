import { BSON } from "bson";
import {
  type ClientSession,
  type Collection,
  type Db,
  type Document,
  GridFSBucket,
  type MongoClient,
  type MongoClientOptions,
  ReadConcern,
  ReadPreference,
  WriteConcern,
} from "mongodb";
import type { MatchEntities } from "./matcher";

/** Raised for a part of the format (or an operation) this runner does not implement: the test counts as unsupported. */
export class UnsupportedFeature extends Error {
  constructor(what: string) {
    super(what);
    this.name = "UnsupportedFeature";
  }
}

/** One observed event: the spec's name (`commandStartedEvent`, `poolClearedEvent`, ...) and its fields. */
export interface ObservedEvent {
  readonly name: string;
  readonly kind: "command" | "cmap";
  readonly fields: Document;
}

const COMMAND_EVENTS: Readonly<Record<string, string>> = {
  commandStarted: "commandStartedEvent",
  commandSucceeded: "commandSucceededEvent",
  commandFailed: "commandFailedEvent",
};

const CMAP_EVENTS: Readonly<Record<string, string>> = {
  connectionPoolCreated: "poolCreatedEvent",
  connectionPoolReady: "poolReadyEvent",
  connectionPoolCleared: "poolClearedEvent",
  connectionPoolClosed: "poolClosedEvent",
  connectionCreated: "connectionCreatedEvent",
  connectionReady: "connectionReadyEvent",
  connectionClosed: "connectionClosedEvent",
  connectionCheckOutStarted: "connectionCheckOutStartedEvent",
  connectionCheckOutFailed: "connectionCheckOutFailedEvent",
  connectionCheckedOut: "connectionCheckedOutEvent",
  connectionCheckedIn: "connectionCheckedInEvent",
};

const SENSITIVE = new Set([
  "authenticate",
  "saslstart",
  "saslcontinue",
  "getnonce",
  "createuser",
  "updateuser",
  "copydbgetnonce",
  "copydbsaslstart",
  "copydb",
]);

/** The codes the engine refuses with (115 CommandNotSupported, 238 NotImplemented). */
export const REFUSAL_CODES: ReadonlySet<number> = new Set([115, 238]);

/**
 * A refusal by the engine: 115/238 with a message that names it. A real mongod answering 115/238
 * (e.g. search index commands without Atlas) is an ordinary answer, held to the test's expectations.
 */
function isEngineRefusal(code: unknown, message: unknown): boolean {
  return typeof code === "number" && REFUSAL_CODES.has(code) && String(message).includes("@cspm/mongo-engine");
}

/** A refusal seen on the wire while a test ran: the command and the engine's message. */
export interface Refusal {
  readonly command: string;
  readonly code: number;
  readonly message: string;
}

/** The refusal a command event carries (a failed command, or a write error in a successful reply). */
export function refusalIn(event: Document): Refusal | undefined {
  const command = String(event.commandName);
  const failure = event.failure as { code?: unknown; message?: string } | undefined;
  if (failure && isEngineRefusal(failure.code, failure.message)) {
    return { command, code: Number(failure.code), message: String(failure.message) };
  }
  const reply = event.reply as Document | undefined;
  for (const we of (reply?.writeErrors as Document[] | undefined) ?? []) {
    if (isEngineRefusal(we.code, we.errmsg)) return { command, code: Number(we.code), message: String(we.errmsg) };
  }
  return undefined;
}

/** A client entity: the driver client plus the events the test observes on it. */
export class ClientEntity {
  readonly events: ObservedEvent[] = [];
  private observing = false;

  constructor(
    readonly id: string,
    readonly client: MongoClient,
    readonly observe: ReadonlySet<string>,
    readonly ignoreCommands: ReadonlySet<string>,
    readonly observeSensitive: boolean,
    refusals: Refusal[],
  ) {
    for (const [driverName, specName] of Object.entries(COMMAND_EVENTS)) {
      client.on(driverName as "commandStarted", (event: Document) => {
        const seen = refusalIn(event);
        if (seen) refusals.push(seen);
        if (!this.observing || !observe.has(specName) || this.ignored(event)) return;
        this.events.push({ name: specName, kind: "command", fields: commandEventFields(specName, event) });
      });
    }
    for (const [driverName, specName] of Object.entries(CMAP_EVENTS)) {
      client.on(driverName as "connectionCreated", (event: Document) => {
        if (!this.observing || !observe.has(specName)) return;
        this.events.push({ name: specName, kind: "cmap", fields: cmapEventFields(event) });
      });
    }
  }

  private ignored(event: Document): boolean {
    const name = String(event.commandName);
    if (name === "configureFailPoint" || this.ignoreCommands.has(name)) return true;
    if (this.observeSensitive) return false;
    const lower = name.toLowerCase();
    if (SENSITIVE.has(lower)) return true;
    if (lower === "hello" || lower === "ismaster") {
      const command = event.command as Document | undefined;
      const reply = event.reply as Document | undefined;
      return (
        (command !== undefined && (Object.keys(command).length === 0 || command.speculativeAuthenticate !== undefined)) ||
        (reply !== undefined && Object.keys(reply).length === 0)
      );
    }
    return false;
  }

  /** Starts recording (after the client connected, so handshake events are not counted). */
  startObserving(): void {
    this.observing = true;
  }

  /** Stops recording (the test's operations are over). */
  stopObserving(): void {
    this.observing = false;
  }
}

/**
 * A copy of a command or reply as it went over the wire: the driver shares nested objects (read
 * concerns) between commands and changes them later, so events are copied through BSON when seen.
 */
function asSent(doc: unknown): Document | undefined {
  if (doc === undefined || doc === null) return undefined;
  return BSON.deserialize(BSON.serialize(doc as Document));
}

function commandEventFields(specName: string, event: Document): Document {
  const fields: Document = { commandName: event.commandName, databaseName: event.databaseName };
  if (specName === "commandStartedEvent") fields.command = asSent(event.command);
  if (specName === "commandSucceededEvent") fields.reply = asSent(event.reply);
  fields.hasServiceId = event.serviceId !== undefined && event.serviceId !== null;
  fields.hasServerConnectionId = typeof event.serverConnectionId === "bigint" || typeof event.serverConnectionId === "number";
  return fields;
}

function cmapEventFields(event: Document): Document {
  const fields: Document = {};
  if (event.reason !== undefined) fields.reason = event.reason;
  if (event.interruptInUseConnections !== undefined) fields.interruptInUseConnections = event.interruptInUseConnections;
  fields.hasServiceId = event.serviceId !== undefined && event.serviceId !== null;
  return fields;
}

/** Converts the format's read preference document into the driver's. */
export function toReadPreference(value: unknown): ReadPreference | undefined {
  if (value === undefined) return undefined;
  const doc = value as Document;
  const options: Document = {};
  if (doc.maxStalenessSeconds !== undefined) options.maxStalenessSeconds = doc.maxStalenessSeconds;
  if (doc.hedge !== undefined) options.hedge = doc.hedge;
  return new ReadPreference(doc.mode, doc.tagSets, options);
}

/** readConcern / writeConcern / readPreference of the format, as driver options. */
export function concernOptions(doc: Document | undefined): Document {
  const out: Document = {};
  if (!doc) return out;
  for (const [key, value] of Object.entries(doc)) {
    if (key === "readConcern") out.readConcern = new ReadConcern((value as Document).level);
    else if (key === "writeConcern") out.writeConcern = WriteConcern.fromOptions({ writeConcern: value as Document });
    else if (key === "readPreference") out.readPreference = toReadPreference(value);
    else if (key === "timeoutMS") throw new UnsupportedFeature("client-side operation timeout (timeoutMS)");
    else out[key] = value;
  }
  return out;
}

type Entity =
  | { kind: "client"; value: ClientEntity }
  | { kind: "database"; value: Db }
  | { kind: "collection"; value: Collection }
  | { kind: "session"; value: ClientSession; lsid: Document }
  | { kind: "bucket"; value: GridFSBucket }
  | { kind: "value"; value: unknown };

/** Where the runner connects and what clients it makes. */
export interface ClientFactory {
  /** Builds a client entity's driver options from `uriOptions` (and the runner's own settings). */
  create(uriOptions: Document, extra: MongoClientOptions): MongoClient;
}

/** The per-test entity map. */
export class EntityMap implements MatchEntities {
  private readonly entries = new Map<string, Entity>();
  /** Refusals (115/238) any client of this test saw. */
  readonly refusals: Refusal[] = [];

  constructor(private readonly factory: ClientFactory) {}

  private put(id: string, entity: Entity): void {
    if (this.entries.has(id)) throw new Error(`entity '${id}' already exists`);
    this.entries.set(id, entity);
  }

  private get<K extends Entity["kind"]>(id: string, kind: K): Extract<Entity, { kind: K }> {
    const entity = this.entries.get(id);
    if (!entity) throw new Error(`no entity '${id}'`);
    if (entity.kind !== kind) throw new Error(`entity '${id}' is a ${entity.kind}, not a ${kind}`);
    return entity as Extract<Entity, { kind: K }>;
  }

  kindOf(id: string): Entity["kind"] | undefined {
    return this.entries.get(id)?.kind;
  }

  client(id: string): ClientEntity {
    return this.get(id, "client").value;
  }

  database(id: string): Db {
    return this.get(id, "database").value;
  }

  collection(id: string): Collection {
    return this.get(id, "collection").value;
  }

  session(id: string): ClientSession {
    return this.get(id, "session").value;
  }

  bucket(id: string): GridFSBucket {
    return this.get(id, "bucket").value;
  }

  value(id: string): unknown {
    return this.get(id, "value").value;
  }

  sessionLsid(id: string): Document {
    return this.get(id, "session").lsid;
  }

  /** Stores an operation result (`saveResultAsEntity`). */
  saveValue(id: string, value: unknown): void {
    this.put(id, { kind: "value", value });
  }

  /** The database or collection an operation runs on. */
  target(id: string): Db | Collection | ClientEntity | ClientSession | GridFSBucket {
    const entity = this.entries.get(id);
    if (!entity) throw new Error(`no entity '${id}'`);
    if (entity.kind === "value") throw new Error(`entity '${id}' is a value`);
    return entity.value;
  }

  clients(): ClientEntity[] {
    return [...this.entries.values()].filter((e) => e.kind === "client").map((e) => e.value as ClientEntity);
  }

  /** Creates the entities of `createEntities` (in order); clients are connected before they observe events. */
  async create(specs: readonly Document[]): Promise<void> {
    for (const spec of specs) {
      const [kind, raw] = Object.entries(spec)[0] as [string, Document];
      const id = String(raw.id);
      switch (kind) {
        case "client": {
          const entity = this.createClient(id, raw);
          this.put(id, { kind: "client", value: entity });
          await entity.client.connect();
          entity.startObserving();
          break;
        }
        case "database": {
          const client = this.client(String(raw.client)).client;
          this.put(id, { kind: "database", value: client.db(String(raw.databaseName), concernOptions(raw.databaseOptions)) });
          break;
        }
        case "collection": {
          const db = this.database(String(raw.database));
          this.put(id, { kind: "collection", value: db.collection(String(raw.collectionName), concernOptions(raw.collectionOptions)) });
          break;
        }
        case "session": {
          const client = this.client(String(raw.client)).client;
          const { snapshotTime, ...options } = { ...(raw.sessionOptions as Document | undefined) };
          if (options.defaultTransactionOptions) {
            options.defaultTransactionOptions = concernOptions(options.defaultTransactionOptions as Document);
          }
          const session = client.startSession(options);
          // Node driver 6 has no `snapshotTime` session option; the field it reads is set directly.
          if (snapshotTime !== undefined) Object.assign(session, { snapshotTime: this.value(String(snapshotTime)) });
          const lsid = session.id;
          if (!lsid) throw new Error("session has no id");
          this.put(id, { kind: "session", value: session, lsid });
          break;
        }
        case "bucket": {
          const db = this.database(String(raw.database));
          this.put(id, { kind: "bucket", value: new GridFSBucket(db, concernOptions(raw.bucketOptions)) });
          break;
        }
        default:
          throw new UnsupportedFeature(`entity type '${kind}'`);
      }
    }
  }

  private createClient(id: string, raw: Document): ClientEntity {
    for (const key of Object.keys(raw)) {
      if (
        ![
          "id",
          "uriOptions",
          "useMultipleMongoses",
          "observeEvents",
          "ignoreCommandMonitoringEvents",
          "observeSensitiveCommands",
          "serverApi",
        ].includes(key)
      ) {
        throw new UnsupportedFeature(`client option '${key}'`);
      }
    }
    const extra: MongoClientOptions = { monitorCommands: true };
    const api = raw.serverApi as Document | undefined;
    if (api) {
      extra.serverApi = {
        version: api.version,
        ...(api.strict !== undefined ? { strict: api.strict } : {}),
        ...(api.deprecationErrors !== undefined ? { deprecationErrors: api.deprecationErrors } : {}),
      };
    }
    const client = this.factory.create((raw.uriOptions as Document | undefined) ?? {}, extra);
    return new ClientEntity(
      id,
      client,
      new Set((raw.observeEvents as string[] | undefined) ?? []),
      new Set((raw.ignoreCommandMonitoringEvents as string[] | undefined) ?? []),
      raw.observeSensitiveCommands === true,
      this.refusals,
    );
  }

  /** Ends sessions and closes clients. */
  async close(): Promise<void> {
    for (const entity of this.entries.values()) {
      if (entity.kind === "session") await entity.value.endSession().catch(() => undefined);
    }
    for (const entity of this.entries.values()) {
      if (entity.kind === "client") await entity.value.client.close(true).catch(() => undefined);
    }
    this.entries.clear();
  }
}
