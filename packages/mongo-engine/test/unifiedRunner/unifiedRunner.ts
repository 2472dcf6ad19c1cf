import { setTimeout as sleep } from "node:timers/promises";
import { EJSON } from "bson";
import { type Document, MongoBulkWriteError, MongoClient, type MongoClientOptions, MongoError, MongoServerError } from "mongodb";
import { EntityMap, type ObservedEvent, type Refusal, refusalIn, UnsupportedFeature } from "./entities";
import { isDocument, MatchFailure, matchExactly, matchValue } from "./matcher";
import { bulkResultDocument, type OperationScope, runEntityOperation } from "./operations";
import { deviationFor, withoutDriverWtimeout } from "./knownDeviations";
import { learnServer, requirementsUnmet, type ServerFacts } from "./requirements";

/**
 * A runner for MongoDB's Unified Test Format (the subset the crud, transactions, sessions,
 * collection/index management and retryable reads/writes folders use), driving the official
 * Node driver against any server. Every test ends in one verdict:
 * - `pass`: every assertion held;
 * - `refused`: the server answered 115 CommandNotSupported / 238 NotImplemented somewhere in the
 *   test (the engine's loud refusal); listed with the server's message;
 * - `skipped`: `runOnRequirements`/`skipReason` exclude this server;
 * - `unsupported`: the runner (or the Node driver) cannot express the test;
 * - `wrong`: anything else: a wrong result, error, event or outcome.
 */

/** The verdicts, in table order. */
export const VERDICTS = ["pass", "refused", "skipped", "unsupported", "wrong"] as const;
export type Verdict = (typeof VERDICTS)[number];

/** One test's verdict and why. */
export interface TestVerdict {
  readonly file: string;
  readonly test: string;
  readonly verdict: Verdict;
  readonly reason?: string;
}

/** Highest schema version this runner understands (same major version). */
const SUPPORTED_SCHEMA: readonly [number, number] = [1, 21];

const TRANSACTION_STATES: Readonly<Record<string, string>> = {
  none: "NO_TRANSACTION",
  starting: "STARTING_TRANSACTION",
  in_progress: "TRANSACTION_IN_PROGRESS",
  committed: "TRANSACTION_COMMITTED",
  aborted: "TRANSACTION_ABORTED",
};

/** A test's assertion failed (as opposed to the runner or server failing to run it). */
class AssertionFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AssertionFailure";
  }
}

function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionFailure(message);
}

/** Where the runner connects. */
export interface RunnerTarget {
  /** Connection string of the server under test. */
  readonly uri: string;
}

function withUriOptions(uri: string, uriOptions: Document): string {
  const [base, query = ""] = uri.split("?", 2) as [string, string?];
  const params = new URLSearchParams(query);
  for (const [key, value] of Object.entries(uriOptions)) {
    if (isDocument(value)) throw new UnsupportedFeature(`uriOption ${key} as a document`);
    params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${base.endsWith("/") ? base : `${base}/`}?${text}` : base;
}

/** Runs spec files against one server; `close()` when done. */
export class UnifiedRunner {
  private internal: MongoClient | undefined;
  private facts: ServerFacts | undefined;
  private currentRefusals: Refusal[] | undefined;

  constructor(private readonly target: RunnerTarget) {}

  private async setup(): Promise<{ internal: MongoClient; facts: ServerFacts }> {
    if (!this.internal || !this.facts) {
      const internal = new MongoClient(this.target.uri, { monitorCommands: true, serverSelectionTimeoutMS: 10_000 });
      for (const name of ["commandFailed", "commandSucceeded"] as const) {
        internal.on(name, (event: unknown) => {
          const seen = refusalIn(event as unknown as Document);
          if (seen) this.currentRefusals?.push(seen);
        });
      }
      await internal.connect();
      this.internal = internal;
      this.facts = await learnServer(internal);
      await this.killAllSessions();
    }
    return { internal: this.internal, facts: this.facts };
  }

  /** The version and topology the requirements are checked against. */
  async serverFacts(): Promise<ServerFacts> {
    return (await this.setup()).facts;
  }

  private async killAllSessions(): Promise<void> {
    try {
      await this.internal?.db("admin").command({ killAllSessions: [] });
    } catch (error) {
      if (!(error instanceof MongoServerError) || ![11601, 13, 59].includes(Number(error.code))) throw error;
    }
  }

  async close(): Promise<void> {
    await this.internal?.close();
    this.internal = undefined;
  }

  /** Runs every test of one file (its text in Extended JSON). */
  async runFile(name: string, text: string): Promise<TestVerdict[]> {
    const { facts } = await this.setup();
    const spec = EJSON.parse(text, { relaxed: true }) as Document;
    const tests = (spec.tests as Document[]) ?? [];
    const all = (verdict: Verdict, reason: string): TestVerdict[] =>
      tests.map((t) => ({ file: name, test: String(t.description), verdict, reason }));
    const [major, minor] = String(spec.schemaVersion)
      .split(".")
      .map((p) => Number.parseInt(p, 10));
    if (major !== SUPPORTED_SCHEMA[0] || (minor ?? 0) > SUPPORTED_SCHEMA[1]) {
      return all("unsupported", `schema version ${String(spec.schemaVersion)} is newer than the runner's ${SUPPORTED_SCHEMA.join(".")}`);
    }
    const fileUnmet = await requirementsUnmet(spec.runOnRequirements, facts);
    if (fileUnmet) return all("skipped", fileUnmet);
    const out: TestVerdict[] = [];
    for (const test of tests) out.push(await this.runTest(name, spec, test));
    return out;
  }

  private async runTest(file: string, spec: Document, test: Document): Promise<TestVerdict> {
    const { internal, facts } = await this.setup();
    const verdict = (v: Verdict, reason?: string): TestVerdict => ({
      file,
      test: String(test.description),
      verdict: v,
      ...(reason === undefined ? {} : { reason }),
    });
    if (test.skipReason !== undefined) return verdict("skipped", `skipReason: ${String(test.skipReason)}`);
    const testUnmet = await requirementsUnmet(test.runOnRequirements, facts);
    if (testUnmet) return verdict("skipped", testUnmet);
    const deviation = deviationFor(file, String(test.description), facts);
    if (deviation) return verdict(deviation.verdict, deviation.reason);

    const refusals: Refusal[] = [];
    this.currentRefusals = refusals;
    const entities = new EntityMap({
      create: (uriOptions, extra) => this.createClient(uriOptions, extra),
    });
    const failPoints: { client: MongoClient; name: string }[] = [];
    let usedTransactions = false;
    let failure: unknown;
    try {
      await this.loadInitialData(internal, spec.initialData as Document[] | undefined);
      await entities.create((spec.createEntities as Document[] | undefined) ?? []);
      const scope: OperationScope = {
        entities,
        internal,
        recordFailPoint: (client, name) => failPoints.push({ client, name }),
        runNested: async (operations) => {
          for (const op of operations) await this.runOperation(op, scope, true);
        },
        usedTransactions: () => {
          usedTransactions = true;
        },
      };
      for (const op of test.operations as Document[]) await this.runOperation(op, scope, false);
      for (const client of entities.clients()) client.stopObserving();
      await this.disableFailPoints(failPoints);
      this.checkEvents(test.expectEvents as Document[] | undefined, entities);
      await this.checkOutcome(internal, test.outcome as Document[] | undefined);
    } catch (error) {
      failure = error;
    } finally {
      await this.disableFailPoints(failPoints).catch(() => undefined);
      await entities.close();
      if (usedTransactions || failure !== undefined) await this.killAllSessions().catch(() => undefined);
      this.currentRefusals = undefined;
    }
    refusals.push(...entities.refusals);
    if (refusals.length > 0) {
      const first = refusals[0] as Refusal;
      return verdict("refused", `${first.command}: ${first.message}`);
    }
    if (failure instanceof UnsupportedFeature) return verdict("unsupported", failure.message);
    if (failure !== undefined) return verdict("wrong", describe(failure));
    return verdict("pass");
  }

  private createClient(uriOptions: Document, extra: MongoClientOptions): MongoClient {
    const options: MongoClientOptions = { ...extra, serverSelectionTimeoutMS: 10_000 };
    // Fail points close connections: let the driver rediscover the server quickly (the format allows it).
    if (uriOptions.heartbeatFrequencyMS === undefined) options.minHeartbeatFrequencyMS = 20;
    return new MongoClient(withUriOptions(this.target.uri, uriOptions), options);
  }

  private async disableFailPoints(failPoints: { client: MongoClient; name: string }[]): Promise<void> {
    const pending = failPoints.splice(0);
    for (const { name } of pending) {
      await this.internal?.db("admin").command({ configureFailPoint: name, mode: "off" });
    }
  }

  private async loadInitialData(internal: MongoClient, data: Document[] | undefined): Promise<void> {
    for (const entry of data ?? []) {
      const db = internal.db(String(entry.databaseName));
      const name = String(entry.collectionName);
      await db
        .collection(name)
        .drop({ writeConcern: { w: "majority" } })
        .catch((error: unknown) => {
          if (!(error instanceof MongoServerError) || error.code !== 26) throw error;
        });
      const documents = entry.documents as Document[];
      if (entry.createOptions !== undefined || documents.length === 0) {
        await db.createCollection(name, { ...(entry.createOptions as Document | undefined), writeConcern: { w: "majority" } });
      }
      if (documents.length > 0) await db.collection(name).insertMany(documents, { writeConcern: { w: "majority" } });
    }
  }

  private async runOperation(op: Document, scope: OperationScope, nested: boolean): Promise<void> {
    if (op.object === "testRunner") {
      await this.runSpecial(op, scope);
      return;
    }
    let result: unknown;
    let rootList = false;
    let error: unknown;
    try {
      const outcome = await runEntityOperation(op, scope);
      result = outcome.result;
      rootList = outcome.rootList === true;
    } catch (thrown) {
      if (thrown instanceof UnsupportedFeature) throw thrown;
      error = thrown;
    }
    const label = `operation ${String(op.name)} on ${String(op.object)}`;
    if (op.ignoreResultAndError === true) {
      if (error !== undefined && nested) throw error;
      return;
    }
    if (op.expectError !== undefined) {
      if (error === undefined) throw new AssertionFailure(`${label}: expected an error, got result ${show(result)}`);
      checkError(op.expectError as Document, error, scope, label);
      if (nested) throw error;
      return;
    }
    if (error !== undefined) throw error;
    if (op.expectResult !== undefined) {
      try {
        if (rootList && Array.isArray(op.expectResult) && Array.isArray(result)) {
          const expected = op.expectResult as unknown[];
          assert(expected.length === result.length, `${label}: expected ${expected.length} results, got ${result.length}: ${show(result)}`);
          expected.forEach((e, i) => matchValue(e, result[i] as unknown, scope.entities, `result.${i}`, true));
        } else {
          matchValue(op.expectResult, result, scope.entities, "result", true);
        }
      } catch (mismatch) {
        if (mismatch instanceof MatchFailure) throw new AssertionFailure(`${label}: ${mismatch.message}`);
        throw mismatch;
      }
    }
    if (op.saveResultAsEntity !== undefined) scope.entities.saveValue(String(op.saveResultAsEntity), result);
  }

  private async runSpecial(op: Document, scope: OperationScope): Promise<void> {
    const args = (op.arguments as Document | undefined) ?? {};
    const { entities, internal } = scope;
    const session = () => entities.session(String(args.session));
    switch (op.name) {
      case "failPoint": {
        const client = entities.client(String(args.client)).client;
        const command = args.failPoint as Document;
        await client.db("admin").command(command);
        scope.recordFailPoint(client, String(command.configureFailPoint));
        return;
      }
      case "targetedFailPoint":
        assert(session().isPinned, "targetedFailPoint: the session is not pinned to a mongos");
        throw new UnsupportedFeature("targetedFailPoint (mongos pinning)");
      case "assertSessionTransactionState": {
        const want = TRANSACTION_STATES[String(args.state)];
        const state = (session() as unknown as { transaction: { state: string } }).transaction.state;
        assert(state === want, `session transaction state is ${state}, expected ${String(want)}`);
        return;
      }
      case "assertSessionPinned":
        assert(session().isPinned, "session is not pinned");
        return;
      case "assertSessionUnpinned":
        assert(!session().isPinned, "session is pinned");
        return;
      case "assertSessionDirty":
      case "assertSessionNotDirty": {
        const dirty = (session() as unknown as { serverSession?: { isDirty?: boolean } }).serverSession?.isDirty === true;
        assert(dirty === (op.name === "assertSessionDirty"), `session dirty is ${dirty}`);
        return;
      }
      case "assertDifferentLsidOnLastTwoCommands":
      case "assertSameLsidOnLastTwoCommands": {
        const started = entities.client(String(args.client)).events.filter((e) => e.name === "commandStartedEvent");
        assert(started.length >= 2, "fewer than two commands observed");
        const [a, b] = started.slice(-2).map((e) => (e.fields.command as Document).lsid as Document | undefined);
        assert(a && b, "a command has no lsid");
        const same = EJSON.stringify(a) === EJSON.stringify(b);
        assert(same === (op.name === "assertSameLsidOnLastTwoCommands"), `last two lsids ${same ? "are equal" : "differ"}`);
        return;
      }
      case "assertCollectionExists":
      case "assertCollectionNotExists": {
        const names = (await internal.db(String(args.databaseName)).listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
        const exists = names.includes(String(args.collectionName));
        assert(exists === (op.name === "assertCollectionExists"), `collection ${String(args.collectionName)} exists: ${exists}`);
        return;
      }
      case "assertIndexExists":
      case "assertIndexNotExists": {
        let names: string[] = [];
        try {
          names = (await internal.db(String(args.databaseName)).collection(String(args.collectionName)).listIndexes().toArray()).map(
            (i) => i.name as string,
          );
        } catch (error) {
          if (!(error instanceof MongoServerError) || error.code !== 26) throw error;
        }
        const exists = names.includes(String(args.indexName));
        assert(exists === (op.name === "assertIndexExists"), `index ${String(args.indexName)} exists: ${exists}`);
        return;
      }
      case "createEntities":
        await entities.create(args.entities as Document[]);
        return;
      case "wait":
        await sleep(Number(args.ms));
        return;
      default:
        throw new UnsupportedFeature(`test runner operation '${String(op.name)}'`);
    }
  }

  private checkEvents(expectations: Document[] | undefined, entities: EntityMap): void {
    for (const expectation of expectations ?? []) {
      const client = entities.client(String(expectation.client));
      const kind = (expectation.eventType as string | undefined) ?? "command";
      if (kind !== "command" && kind !== "cmap") throw new UnsupportedFeature(`${kind} events`);
      const observed = client.events.filter((e) => e.kind === kind);
      const expected = expectation.events as Document[];
      const extra = expectation.ignoreExtraEvents === true;
      const where = `events of ${client.id}`;
      const summary = () => observed.map(describeEvent).join(", ");
      assert(
        extra ? observed.length >= expected.length : observed.length === expected.length,
        `${where}: expected ${expected.length} events, observed ${observed.length}: ${summary()}`,
      );
      expected.forEach((event, i) => {
        const [name, fields] = Object.entries(event)[0] as [string, Document];
        const actual = observed[i] as ObservedEvent;
        assert(actual.name === name, `${where}[${i}]: expected ${name}, observed ${describeEvent(actual)} (all: ${summary()})`);
        for (const [field, want] of Object.entries(fields)) {
          const got =
            field === "command" ? withoutDriverWtimeout(actual.fields.commandName, want, actual.fields.command) : actual.fields[field];
          try {
            matchValue(want, got, entities, `${where}[${i}].${field}`, field === "command" || field === "reply");
          } catch (mismatch) {
            if (mismatch instanceof MatchFailure) throw new AssertionFailure(mismatch.message);
            throw mismatch;
          }
        }
      });
    }
  }

  private async checkOutcome(internal: MongoClient, outcome: Document[] | undefined): Promise<void> {
    for (const entry of outcome ?? []) {
      const docs = await internal
        .db(String(entry.databaseName))
        .collection(String(entry.collectionName))
        .find({}, { sort: { _id: 1 }, readConcern: { level: "local" }, readPreference: "primary" })
        .toArray();
      const expected = entry.documents as Document[];
      const where = `outcome ${String(entry.databaseName)}.${String(entry.collectionName)}`;
      assert(docs.length === expected.length, `${where}: expected ${show(expected)}, found ${show(docs)}`);
      try {
        expected.forEach((doc, i) => matchExactly(doc, docs[i], `${where}.${i}`));
      } catch (mismatch) {
        if (mismatch instanceof MatchFailure) throw new AssertionFailure(`${mismatch.message} (found ${show(docs)})`);
        throw mismatch;
      }
    }
  }
}

function describeEvent(event: ObservedEvent): string {
  return event.kind === "command" ? `${event.name}(${String(event.fields.commandName)})` : event.name;
}

function show(value: unknown): string {
  try {
    const text = EJSON.stringify(value as never, { relaxed: true });
    return text.length > 600 ? `${text.slice(0, 600)}...` : text;
  } catch {
    return String(value);
  }
}

function describe(error: unknown): string {
  if (error instanceof AssertionFailure) return error.message;
  if (error instanceof MongoError) {
    const code = (error as { code?: unknown }).code;
    return `unexpected ${error.name}${code === undefined ? "" : ` ${String(code)}`}: ${error.message}`;
  }
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

const CODE_NAMES: Readonly<Record<string, number>> = {
  DuplicateKey: 11000,
  WriteConflict: 112,
  NoSuchTransaction: 251,
  DocumentValidationFailure: 121,
  NamespaceNotFound: 26,
  CannotCreateIndex: 67,
  OperationNotSupportedInTransaction: 263,
  InvalidOptions: 72,
  BadValue: 2,
  FailedToParse: 9,
};

interface ErrorParts {
  readonly messages: string[];
  readonly codes: unknown[];
  readonly codeNames: string[];
}

function errorParts(error: unknown): ErrorParts {
  const messages: string[] = [];
  const codes: unknown[] = [];
  const codeNames: string[] = [];
  if (error instanceof Error) messages.push(error.message);
  const top = error as { code?: unknown; codeName?: unknown; writeConcernError?: Document; errorResponse?: Document };
  if (top.code !== undefined) codes.push(top.code);
  if (typeof top.codeName === "string") codeNames.push(top.codeName);
  if (error instanceof MongoBulkWriteError) {
    for (const we of error.writeErrors as unknown as { code: number; errmsg?: string }[]) {
      codes.push(we.code);
      if (we.errmsg) messages.push(we.errmsg);
    }
  }
  const wce = (error as { writeConcernError?: Document; result?: { writeConcernErrors?: Document[] } }).writeConcernError;
  for (const w of [
    wce,
    ...((error as { errorResponse?: { writeConcernError?: Document } }).errorResponse?.writeConcernError
      ? [(error as { errorResponse: { writeConcernError: Document } }).errorResponse.writeConcernError]
      : []),
  ]) {
    if (!w) continue;
    codes.push(w.code);
    if (typeof w.codeName === "string") codeNames.push(w.codeName);
    if (typeof w.errmsg === "string") messages.push(w.errmsg);
  }
  return { messages, codes, codeNames };
}

function checkError(expected: Document, error: unknown, scope: OperationScope, label: string): void {
  const parts = errorParts(error);
  const where = `${label}: ${describe(error)}`;
  for (const key of Object.keys(expected)) {
    switch (key) {
      case "isError":
        break;
      case "isClientError": {
        const client = !(error instanceof MongoServerError);
        assert(client === expected.isClientError, `${where}: expected a ${expected.isClientError ? "client" : "server"} error`);
        break;
      }
      case "errorContains": {
        const want = String(expected.errorContains).toLowerCase();
        assert(
          parts.messages.some((m) => m.toLowerCase().includes(want)),
          `${where}: message does not contain "${String(expected.errorContains)}"`,
        );
        break;
      }
      case "errorCode":
        assert(
          parts.codes.some((c) => Number(c) === Number(expected.errorCode)),
          `${where}: expected code ${String(expected.errorCode)}, got ${parts.codes.join(",")}`,
        );
        break;
      case "errorCodeName": {
        const want = String(expected.errorCodeName).toLowerCase();
        const code = CODE_NAMES[String(expected.errorCodeName)];
        assert(
          parts.codeNames.some((n) => n.toLowerCase() === want) || (code !== undefined && parts.codes.some((c) => Number(c) === code)),
          `${where}: expected code name ${String(expected.errorCodeName)}, got ${parts.codeNames.join(",") || "none"}`,
        );
        break;
      }
      case "errorLabelsContain":
        for (const labelName of expected.errorLabelsContain as string[]) {
          assert(
            error instanceof MongoError && error.hasErrorLabel(labelName),
            `${where}: missing error label ${labelName} (has ${labelsOf(error)})`,
          );
        }
        break;
      case "errorLabelsOmit":
        for (const labelName of expected.errorLabelsOmit as string[]) {
          assert(!(error instanceof MongoError && error.hasErrorLabel(labelName)), `${where}: unexpected error label ${labelName}`);
        }
        break;
      case "errorResponse": {
        const response = (error as { errorResponse?: Document }).errorResponse;
        assert(response !== undefined, `${where}: the error has no server response`);
        try {
          matchValue(expected.errorResponse, response, scope.entities, "errorResponse", true);
        } catch (mismatch) {
          if (mismatch instanceof MatchFailure) throw new AssertionFailure(`${where}: ${mismatch.message}`);
          throw mismatch;
        }
        break;
      }
      case "expectResult": {
        const result = error instanceof MongoBulkWriteError ? bulkResultDocument(error.result) : undefined;
        try {
          matchValue(expected.expectResult, result, scope.entities, "errorResult", true);
        } catch (mismatch) {
          if (mismatch instanceof MatchFailure) throw new AssertionFailure(`${where}: ${mismatch.message}`);
          throw mismatch;
        }
        break;
      }
      default:
        throw new UnsupportedFeature(`expectError.${key}`);
    }
  }
}

function labelsOf(error: unknown): string {
  return error instanceof MongoError ? error.errorLabels.join(",") || "none" : "none";
}
