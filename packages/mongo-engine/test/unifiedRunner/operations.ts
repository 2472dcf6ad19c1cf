import {
  type AnyBulkWriteOperation,
  type BulkWriteResult,
  ClientSession,
  Collection,
  Db,
  type Document,
  GridFSBucket,
  type MongoClient,
  ReadConcern,
  WriteConcern,
} from "mongodb";
import { ClientEntity, concernOptions, type EntityMap, toReadPreference, UnsupportedFeature } from "./entities";

/** What an operation returned, and how `expectResult` is to be matched against it. */
export interface OperationOutcome {
  readonly result: unknown;
  /** Results that are lists of documents from a cursor: each element is matched as a root-level document. */
  readonly rootList?: boolean;
}

/** Everything an operation can reach. */
export interface OperationScope {
  readonly entities: EntityMap;
  /** The runner's own client (initial data, outcome, assertions, disabling fail points). */
  readonly internal: MongoClient;
  /** Records a fail point to switch off after the test. */
  readonly recordFailPoint: (client: MongoClient, name: string) => void;
  /** Runs nested operations (the `withTransaction` callback). */
  readonly runNested: (operations: readonly Document[]) => Promise<void>;
  /** Marks that the test used a transaction (open ones are killed after it). */
  readonly usedTransactions: () => void;
}

type Handler = (args: Document, target: unknown, scope: OperationScope) => Promise<OperationOutcome>;

/** Arguments the runner cannot pass on faithfully: the test is counted as unsupported. */
const UNSUPPORTED_ARGUMENTS = new Set(["timeoutMS"]);

/** Turns the format's arguments into driver options (sessions resolved, concerns converted). */
function driverOptions(args: Document, scope: OperationScope, skip: readonly string[] = []): Document {
  const out: Document = {};
  for (const [key, value] of Object.entries(args)) {
    if (skip.includes(key)) continue;
    if (UNSUPPORTED_ARGUMENTS.has(key)) throw new UnsupportedFeature(`argument '${key}'`);
    if (key === "session") out.session = scope.entities.session(String(value));
    else Object.assign(out, concernOptions({ [key]: value }));
  }
  return out;
}

function asCollection(target: unknown): Collection {
  if (!(target instanceof Collection)) throw new Error("operation needs a collection entity");
  return target;
}

function asDb(target: unknown): Db {
  if (!(target instanceof Db)) throw new Error("operation needs a database entity");
  return target;
}

function asSession(target: unknown): ClientSession {
  if (!(target instanceof ClientSession)) throw new Error("operation needs a session entity");
  return target;
}

function asClient(target: unknown): ClientEntity {
  if (!(target instanceof ClientEntity)) throw new Error("operation needs a client entity");
  return target;
}

function asBucket(target: unknown): GridFSBucket {
  if (!(target instanceof GridFSBucket)) throw new Error("operation needs a bucket entity");
  return target;
}

/** A BulkWriteResult as the format describes it. */
export function bulkResultDocument(result: BulkWriteResult): Document {
  return {
    insertedCount: result.insertedCount,
    matchedCount: result.matchedCount,
    modifiedCount: result.modifiedCount,
    deletedCount: result.deletedCount,
    upsertedCount: result.upsertedCount,
    upsertedIds: result.upsertedIds,
    insertedIds: result.insertedIds,
  };
}

function returnDocument(args: Document): Document {
  const { returnDocument: mode, ...rest } = args;
  if (mode === undefined) return rest;
  const lower = String(mode).toLowerCase();
  if (lower !== "before" && lower !== "after") throw new Error(`returnDocument must be Before or After, got ${String(mode)}`);
  return { ...rest, returnDocument: lower };
}

async function initialized<T>(stream: T): Promise<T> {
  const cursor = (stream as unknown as { cursor: { cursorInit(): Promise<void> } }).cursor;
  await cursor.cursorInit();
  return stream;
}

async function readStream(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

const value = (result: unknown): OperationOutcome => ({ result });
const rows = (result: unknown): OperationOutcome => ({ result, rootList: true });

const COLLECTION: Record<string, Handler> = {
  aggregate: async (args, target, scope) =>
    rows(
      await asCollection(target)
        .aggregate(args.pipeline, driverOptions(args, scope, ["pipeline"]))
        .toArray(),
    ),
  bulkWrite: async (args, target, scope) => {
    const requests = args.requests as AnyBulkWriteOperation[];
    return value(bulkResultDocument(await asCollection(target).bulkWrite(requests, driverOptions(args, scope, ["requests"]))));
  },
  count: async (args, target, scope) => value(await asCollection(target).count(args.filter, driverOptions(args, scope, ["filter"]))),
  countDocuments: async (args, target, scope) =>
    value(await asCollection(target).countDocuments(args.filter, driverOptions(args, scope, ["filter"]))),
  estimatedDocumentCount: async (args, target, scope) =>
    value(await asCollection(target).estimatedDocumentCount(driverOptions(args, scope))),
  distinct: async (args, target, scope) =>
    value(await asCollection(target).distinct(String(args.fieldName), args.filter, driverOptions(args, scope, ["fieldName", "filter"]))),
  find: async (args, target, scope) =>
    rows(
      await asCollection(target)
        .find(args.filter, driverOptions(args, scope, ["filter"]))
        .toArray(),
    ),
  findOne: async (args, target, scope) => ({
    result: await asCollection(target).findOne(args.filter, driverOptions(args, scope, ["filter"])),
    rootList: false,
  }),
  findOneAndDelete: async (args, target, scope) =>
    value(await asCollection(target).findOneAndDelete(args.filter, driverOptions(args, scope, ["filter"]))),
  findOneAndReplace: async (args, target, scope) =>
    value(
      await asCollection(target).findOneAndReplace(
        args.filter,
        args.replacement,
        driverOptions(returnDocument(args), scope, ["filter", "replacement"]),
      ),
    ),
  findOneAndUpdate: async (args, target, scope) =>
    value(
      await asCollection(target).findOneAndUpdate(
        args.filter,
        args.update,
        driverOptions(returnDocument(args), scope, ["filter", "update"]),
      ),
    ),
  insertOne: async (args, target, scope) =>
    value(await asCollection(target).insertOne(args.document, driverOptions(args, scope, ["document"]))),
  insertMany: async (args, target, scope) =>
    value(await asCollection(target).insertMany(args.documents, driverOptions(args, scope, ["documents"]))),
  updateOne: async (args, target, scope) =>
    value(await asCollection(target).updateOne(args.filter, args.update, driverOptions(args, scope, ["filter", "update"]))),
  updateMany: async (args, target, scope) =>
    value(await asCollection(target).updateMany(args.filter, args.update, driverOptions(args, scope, ["filter", "update"]))),
  replaceOne: async (args, target, scope) =>
    value(await asCollection(target).replaceOne(args.filter, args.replacement, driverOptions(args, scope, ["filter", "replacement"]))),
  deleteOne: async (args, target, scope) =>
    value(await asCollection(target).deleteOne(args.filter, driverOptions(args, scope, ["filter"]))),
  deleteMany: async (args, target, scope) =>
    value(await asCollection(target).deleteMany(args.filter, driverOptions(args, scope, ["filter"]))),
  createIndex: async (args, target, scope) =>
    value(await asCollection(target).createIndex(args.keys, driverOptions(args, scope, ["keys"]))),
  dropIndex: async (args, target, scope) =>
    value(await asCollection(target).dropIndex(String(args.name), driverOptions(args, scope, ["name"]))),
  listIndexes: async (args, target, scope) => rows(await asCollection(target).listIndexes(driverOptions(args, scope)).toArray()),
  listIndexNames: async (args, target, scope) =>
    value((await asCollection(target).listIndexes(driverOptions(args, scope)).toArray()).map((index) => index.name)),
  createSearchIndex: async (args, target) => value(await asCollection(target).createSearchIndex(args.model)),
  createSearchIndexes: async (args, target) => value(await asCollection(target).createSearchIndexes(args.models)),
  dropSearchIndex: async (args, target) => value(await asCollection(target).dropSearchIndex(String(args.name))),
  updateSearchIndex: async (args, target) => value(await asCollection(target).updateSearchIndex(String(args.name), args.definition)),
  listSearchIndexes: async (args, target) => {
    const collection = asCollection(target);
    const options = (args.aggregationOptions as Document | undefined) ?? {};
    const cursor =
      args.name === undefined ? collection.listSearchIndexes(options) : collection.listSearchIndexes(String(args.name), options);
    return rows(await cursor.toArray());
  },
  createChangeStream: async (args, target, scope) =>
    value(await initialized(asCollection(target).watch(args.pipeline, driverOptions(args, scope, ["pipeline"])))),
  mapReduce: async () => {
    throw new UnsupportedFeature("mapReduce (the Node driver 6 has no mapReduce helper)");
  },
};

const DATABASE: Record<string, Handler> = {
  aggregate: async (args, target, scope) =>
    rows(
      await asDb(target)
        .aggregate(args.pipeline, driverOptions(args, scope, ["pipeline"]))
        .toArray(),
    ),
  createCollection: async (args, target, scope) => {
    await asDb(target).createCollection(String(args.collection), driverOptions(args, scope, ["collection"]));
    return value(undefined);
  },
  dropCollection: async (args, target, scope) =>
    value(await asDb(target).dropCollection(String(args.collection), driverOptions(args, scope, ["collection"]))),
  listCollections: async (args, target, scope) =>
    rows(
      await asDb(target)
        .listCollections(args.filter, driverOptions(args, scope, ["filter"]))
        .toArray(),
    ),
  listCollectionObjects: async (args, target, scope) =>
    rows(
      await asDb(target)
        .listCollections(args.filter, driverOptions(args, scope, ["filter"]))
        .toArray(),
    ),
  listCollectionNames: async (args, target, scope) =>
    value(
      (
        await asDb(target)
          .listCollections(args.filter, { ...driverOptions(args, scope, ["filter"]), nameOnly: true })
          .toArray()
      ).map((c) => c.name),
    ),
  runCommand: async (args, target, scope) => {
    const options: Document = {};
    if (args.session !== undefined) options.session = scope.entities.session(String(args.session));
    if (args.readPreference !== undefined) options.readPreference = toReadPreference(args.readPreference);
    return value(await asDb(target).command(args.command, options));
  },
  modifyCollection: async (args, target, scope) => {
    const { collection, session, ...rest } = args;
    const options = session === undefined ? {} : { session: scope.entities.session(String(session)) };
    return value(await asDb(target).command({ collMod: collection, ...rest }, options));
  },
  createChangeStream: async (args, target, scope) =>
    value(await initialized(asDb(target).watch(args.pipeline, driverOptions(args, scope, ["pipeline"])))),
};

const CLIENT: Record<string, Handler> = {
  listDatabases: async (args, target, scope) => {
    const reply = await asClient(target).client.db("admin").admin().listDatabases(driverOptions(args, scope));
    return rows(reply.databases);
  },
  listDatabaseObjects: async (args, target, scope) => {
    const reply = await asClient(target).client.db("admin").admin().listDatabases(driverOptions(args, scope));
    return rows(reply.databases);
  },
  listDatabaseNames: async (args, target, scope) => {
    const reply = await asClient(target)
      .client.db("admin")
      .admin()
      .listDatabases({ ...driverOptions(args, scope), nameOnly: true });
    return value(reply.databases.map((d) => d.name));
  },
  createChangeStream: async (args, target, scope) =>
    value(await initialized(asClient(target).client.watch(args.pipeline, driverOptions(args, scope, ["pipeline"])))),
  clientBulkWrite: async (args, target, scope) => {
    const models = (args.models as Document[]).map((model) => {
      const [name, fields] = Object.entries(model)[0] as [string, Document];
      return { name, ...fields };
    });
    const client = asClient(target).client as unknown as { bulkWrite(models: unknown[], options: Document): Promise<unknown> };
    return value(await client.bulkWrite(models, driverOptions(args, scope, ["models"])));
  },
  close: async (_args, target) => {
    await asClient(target).client.close();
    return value(undefined);
  },
};

function transactionOptions(args: Document): Document {
  const out: Document = {};
  if (args.readConcern !== undefined) out.readConcern = new ReadConcern((args.readConcern as Document).level);
  if (args.writeConcern !== undefined) out.writeConcern = WriteConcern.fromOptions({ writeConcern: args.writeConcern as Document });
  if (args.readPreference !== undefined) out.readPreference = toReadPreference(args.readPreference);
  if (args.maxCommitTimeMS !== undefined) out.maxCommitTimeMS = args.maxCommitTimeMS;
  return out;
}

const SESSION: Record<string, Handler> = {
  startTransaction: async (args, target, scope) => {
    scope.usedTransactions();
    asSession(target).startTransaction(transactionOptions(args));
    return value(undefined);
  },
  commitTransaction: async (_args, target) => value(await asSession(target).commitTransaction()),
  abortTransaction: async (_args, target) => value(await asSession(target).abortTransaction()),
  endSession: async (_args, target) => value(await asSession(target).endSession()),
  withTransaction: async (args, target, scope) => {
    scope.usedTransactions();
    const callback = args.callback as Document[];
    await asSession(target).withTransaction(() => scope.runNested(callback), transactionOptions(args));
    return value(undefined);
  },
  getSnapshotTime: async (_args, target) => value((asSession(target) as unknown as { snapshotTime?: unknown }).snapshotTime),
};

const BUCKET: Record<string, Handler> = {
  download: async (args, target) => value(await readStream(asBucket(target).openDownloadStream(args.id))),
  downloadByName: async (args, target) => {
    const { filename, ...options } = args;
    return value(await readStream(asBucket(target).openDownloadStreamByName(String(filename), options)));
  },
};

/** Runs one entity operation and returns what it produced (errors propagate). */
export async function runEntityOperation(operation: Document, scope: OperationScope): Promise<OperationOutcome> {
  const name = String(operation.name);
  const objectId = String(operation.object);
  const kind = scope.entities.kindOf(objectId);
  const table =
    kind === "collection"
      ? COLLECTION
      : kind === "database"
        ? DATABASE
        : kind === "client"
          ? CLIENT
          : kind === "session"
            ? SESSION
            : kind === "bucket"
              ? BUCKET
              : undefined;
  if (!table) throw new Error(`operation '${name}' on unknown entity '${objectId}'`);
  const handler = table[name];
  if (!handler) throw new UnsupportedFeature(`${kind} operation '${name}'`);
  return handler((operation.arguments as Document | undefined) ?? {}, scope.entities.target(objectId), scope);
}
