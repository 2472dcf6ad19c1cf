import { ValidationError } from "@cspm/errors";
import type { CommandFailedEvent, CommandStartedEvent, CommandSucceededEvent, Document, MongoClient } from "mongodb";

/** Outcome of one monitored command. */
export type CommandOutcome = "pending" | "succeeded" | "failed";

/** One command the driver sent to the server: one round trip. */
export interface CommandRecord {
  /** Command name as sent (`find`, `aggregate`, `insert`, `getMore`, `commitTransaction` …). */
  readonly name: string;
  /** Physical database the command ran against. */
  readonly database: string;
  /** Target collection, when the command names one. */
  readonly collection: string | undefined;
  readonly outcome: CommandOutcome;
  /** Server round-trip time reported by the driver, once the command finished. */
  readonly durationMs: number | undefined;
}

/** Selects commands by name (one or several), database, collection and outcome; omitted fields match all. */
export interface CommandFilter {
  readonly name?: string | readonly string[];
  readonly database?: string;
  readonly collection?: string;
  readonly outcome?: CommandOutcome;
}

/** Options of a `CommandMonitor`. */
export interface CommandMonitorOptions {
  /** Command names never counted; defaults to `CommandMonitor.DEFAULT_IGNORED` (handshake, auth, session cleanup). */
  readonly ignore?: Iterable<string>;
  /** How many records `commands()` keeps (oldest dropped first); counts are kept in full. Default 10 000. */
  readonly maxRecords?: number;
}

/** What `measure` returns: the function's result and the commands it caused. */
export interface Measurement<T> {
  readonly result: T;
  readonly commands: readonly CommandRecord[];
}

interface MutableRecord {
  name: string;
  database: string;
  collection: string | undefined;
  outcome: CommandOutcome;
  durationMs: number | undefined;
}

interface Tally {
  readonly name: string;
  readonly database: string;
  readonly collection: string | undefined;
  started: number;
  succeeded: number;
  failed: number;
}

interface Listeners {
  readonly started: (event: CommandStartedEvent) => void;
  readonly succeeded: (event: CommandSucceededEvent) => void;
  readonly failed: (event: CommandFailedEvent) => void;
}

/** The collection a command targets: the value of its first key (`{ find: "users" }`), or `getMore`'s `collection`. */
/** The collection a command names (`find: "accounts"`, a `getMore`'s `collection`), if any. */
export function collectionOf(name: string, command: Document): string | undefined {
  const value = name === "getMore" ? command.collection : command[name];
  return typeof value === "string" ? value : undefined;
}

function matches(
  record: Pick<MutableRecord, "name" | "database" | "collection"> & { outcome?: CommandOutcome },
  filter: CommandFilter,
): boolean {
  if (filter.name !== undefined) {
    const names = typeof filter.name === "string" ? [filter.name] : filter.name;
    if (!names.includes(record.name)) return false;
  }
  if (filter.database !== undefined && record.database !== filter.database) return false;
  if (filter.collection !== undefined && record.collection !== filter.collection) return false;
  if (filter.outcome !== undefined && record.outcome !== undefined && record.outcome !== filter.outcome) return false;
  return true;
}

function snapshot(record: MutableRecord): CommandRecord {
  return { ...record };
}

/**
 * Counts the commands (round trips) a `MongoClient` sends, by name, database and collection, so
 * services and benchmarks can prove how many queries an operation costs. Attach it to a client created
 * with `monitorCommands: true` (`getAsyncClient(uri, { commandMonitor })` does that); `attach` throws
 * `VALIDATION_FAILED` for a client without it, rather than silently counting nothing.
 * @example const { result, commands } = await monitor.measure(() => service.dashboardSummary(teamId));
 */
export class CommandMonitor {
  /** Driver-internal commands that are not the application's round trips. */
  static readonly DEFAULT_IGNORED: readonly string[] = Object.freeze([
    "hello",
    "isMaster",
    "ismaster",
    "saslStart",
    "saslContinue",
    "authenticate",
    "getnonce",
    "endSessions",
  ]);

  readonly #ignored: ReadonlySet<string>;
  readonly #maxRecords: number;
  readonly #attached = new Map<MongoClient, Listeners>();
  /** In-flight commands by the driver's request id (unique per process, whatever the connection). */
  readonly #pending = new Map<number, MutableRecord>();
  readonly #collectors = new Set<MutableRecord[]>();
  /** The most recent `maxRecords` records as a ring: `#records[#head]` is the oldest once the ring is full. */
  #records: MutableRecord[] = [];
  #head = 0;
  /** Counts per name/database/collection since the last reset (records may be trimmed, counts are not). */
  #counts = new Map<string, Tally>();

  constructor(options: CommandMonitorOptions = {}) {
    this.#ignored = new Set(options.ignore ?? CommandMonitor.DEFAULT_IGNORED);
    this.#maxRecords = Math.max(1, options.maxRecords ?? 10_000);
  }

  /** Starts counting the client's commands. Idempotent per client. Throws `VALIDATION_FAILED` if the client does not emit command events. */
  attach(client: MongoClient): this {
    if (this.#attached.has(client)) return this;
    if (client.options.monitorCommands !== true) {
      throw new ValidationError(
        "This MongoClient does not emit command events: create it with monitorCommands: true, e.g. getAsyncClient(uri, { commandMonitor }).",
        [{ path: "monitorCommands", message: "must be true to attach a CommandMonitor" }],
      );
    }
    const listeners: Listeners = {
      started: (event) => this.#onStarted(event),
      succeeded: (event) => this.#onFinished(event, "succeeded"),
      failed: (event) => this.#onFinished(event, "failed"),
    };
    client.on("commandStarted", listeners.started);
    client.on("commandSucceeded", listeners.succeeded);
    client.on("commandFailed", listeners.failed);
    this.#attached.set(client, listeners);
    return this;
  }

  /** Stops counting one client's commands, or every attached client's when called without one. */
  detach(client?: MongoClient): void {
    const clients = client ? [client] : [...this.#attached.keys()];
    for (const c of clients) {
      const listeners = this.#attached.get(c);
      if (!listeners) continue;
      c.off("commandStarted", listeners.started);
      c.off("commandSucceeded", listeners.succeeded);
      c.off("commandFailed", listeners.failed);
      this.#attached.delete(c);
    }
  }

  /** Forgets every command counted so far; commands still in flight are not counted when they finish. */
  reset(): void {
    this.#records = [];
    this.#head = 0;
    this.#counts = new Map();
    this.#pending.clear();
  }

  /** Number of commands started since the last reset that match the filter (all of them without one). */
  count(filter: CommandFilter = {}): number {
    let total = 0;
    for (const tally of this.#counts.values()) {
      if (!matches(tally, filter)) continue;
      switch (filter.outcome) {
        case undefined:
          total += tally.started;
          break;
        case "succeeded":
          total += tally.succeeded;
          break;
        case "failed":
          total += tally.failed;
          break;
        case "pending":
          total += tally.started - tally.succeeded - tally.failed;
          break;
      }
    }
    return total;
  }

  /** A snapshot of the recorded commands (the most recent `maxRecords`), oldest first, optionally filtered. */
  commands(filter: CommandFilter = {}): readonly CommandRecord[] {
    const ordered = this.#head === 0 ? this.#records : [...this.#records.slice(this.#head), ...this.#records.slice(0, this.#head)];
    return ordered.filter((record) => matches(record, filter)).map(snapshot);
  }

  /**
   * Runs `fn` and returns its result with the commands started while it ran. Commands other code sends
   * on the same client at the same time are included too, so measure on an otherwise idle client.
   * Errors of `fn` propagate unchanged.
   */
  async measure<T>(fn: () => Promise<T> | T): Promise<Measurement<T>> {
    const collected: MutableRecord[] = [];
    this.#collectors.add(collected);
    try {
      const result = await fn();
      return { result, commands: collected.map(snapshot) };
    } finally {
      this.#collectors.delete(collected);
    }
  }

  #onStarted(event: CommandStartedEvent): void {
    if (this.#ignored.has(event.commandName)) return;
    const record: MutableRecord = {
      name: event.commandName,
      database: event.databaseName,
      collection: collectionOf(event.commandName, event.command),
      outcome: "pending",
      durationMs: undefined,
    };
    this.#pending.set(event.requestId, record);
    if (this.#records.length < this.#maxRecords) this.#records.push(record);
    else {
      // Full: overwrite the oldest record in place instead of shifting the whole array.
      this.#records[this.#head] = record;
      this.#head = (this.#head + 1) % this.#maxRecords;
    }
    for (const collected of this.#collectors) collected.push(record);
    this.#tally(record).started += 1;
  }

  #onFinished(event: CommandSucceededEvent | CommandFailedEvent, outcome: "succeeded" | "failed"): void {
    const record = this.#pending.get(event.requestId);
    if (!record) return;
    this.#pending.delete(event.requestId);
    record.outcome = outcome;
    record.durationMs = event.duration;
    this.#tally(record)[outcome] += 1;
  }

  #tally(record: MutableRecord): Tally {
    const key = `${record.name}\u0000${record.database}\u0000${record.collection ?? ""}`;
    let tally = this.#counts.get(key);
    if (!tally) {
      tally = { name: record.name, database: record.database, collection: record.collection, started: 0, succeeded: 0, failed: 0 };
      this.#counts.set(key, tally);
    }
    return tally;
  }
}
