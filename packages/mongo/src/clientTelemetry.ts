import { ATTRIBUTES, dataLayerInstruments, dataLayerTracer, metricsEnabled } from "@cspm/telemetry";
import { type Context, context, type Span, SpanKind, SpanStatusCode } from "@opentelemetry/api";
import type {
  CommandFailedEvent,
  CommandStartedEvent,
  CommandSucceededEvent,
  ConnectionCheckedInEvent,
  ConnectionCheckedOutEvent,
  ConnectionCheckOutFailedEvent,
  ConnectionCheckOutStartedEvent,
  ConnectionClosedEvent,
  ConnectionCreatedEvent,
  MongoClient,
} from "mongodb";
import { collectionOf, CommandMonitor } from "./commandMonitor";

/** Options of `ClientTelemetry`. */
export interface ClientTelemetryOptions {
  /**
   * One client span per MongoDB command, from the driver's command events (the client is then created with
   * `monitorCommands: true`, which makes the driver decode every reply a second time). Default false: the
   * repositories' operation spans and the pool metrics only.
   */
  readonly commandSpans?: boolean;
}

const STATE = "db.client.connection.state";
const POOL = "db.client.connection.pool.name";

interface Attached {
  readonly listeners: Readonly<Record<string, (event: never) => void>>;
  readonly forget: () => void;
}

/**
 * The driver's view in OpenTelemetry: pool metrics from its connection-pool events — connections by state
 * (`db.client.connection.count`, `used`/`idle`) and the wait to check one out
 * (`db.client.connection.wait_time`) — and, with `commandSpans`, one client span per command, a child of
 * whatever span was active when the command started (a repository operation). Spans carry the command
 * name, database and collection: never the command's documents or filter values. Attach it through
 * `CSPMDatabaseManager`'s `telemetry` option; a no-op until the host registers an SDK.
 */
export class ClientTelemetry {
  readonly commandSpans: boolean;
  readonly #attached = new Map<MongoClient, Attached>();
  readonly #spans = new Map<number, Span>();

  constructor(options: ClientTelemetryOptions = {}) {
    this.commandSpans = options.commandSpans === true;
  }

  /** Starts reporting the client's pool (and, with `commandSpans`, its commands). Idempotent per client. */
  attach(client: MongoClient): this {
    if (this.#attached.has(client)) return this;
    const pool = client.options.hosts.map((host) => String(host)).join(",");
    const counted = { used: 0, idle: 0 };
    // While no meter records (no SDK) nothing is counted: no attributes, no instrument lookups per event.
    const connections = (state: "used" | "idle", delta: number): void => {
      if (!metricsEnabled()) return;
      counted[state] += delta;
      dataLayerInstruments().dbConnections.add(delta, { [STATE]: state, [POOL]: pool });
    };
    // Check-out events carry no id that pairs them, so waits are timed first in, first out: the pool hands
    // connections to its wait queue in order.
    const waits: number[] = [];
    const waitEnded = (): void => {
      const started = waits.shift();
      if (started !== undefined && metricsEnabled())
        dataLayerInstruments().dbConnectionWait.record((performance.now() - started) / 1000, { [POOL]: pool });
    };
    const listeners: Record<string, (event: never) => void> = {
      connectionCreated: (_event: ConnectionCreatedEvent) => connections("idle", 1),
      connectionClosed: (_event: ConnectionClosedEvent) => connections("idle", -1),
      connectionCheckOutStarted: (_event: ConnectionCheckOutStartedEvent) => waits.push(performance.now()),
      connectionCheckedOut: (_event: ConnectionCheckedOutEvent) => {
        waitEnded();
        connections("idle", -1);
        connections("used", 1);
      },
      connectionCheckOutFailed: (_event: ConnectionCheckOutFailedEvent) => waitEnded(),
      connectionCheckedIn: (_event: ConnectionCheckedInEvent) => {
        connections("used", -1);
        connections("idle", 1);
      },
    };
    if (this.commandSpans && client.options.monitorCommands === true) {
      listeners["commandStarted"] = (event: CommandStartedEvent) => this.#commandStarted(event, context.active());
      listeners["commandSucceeded"] = (event: CommandSucceededEvent) => this.#commandEnded(event.requestId, undefined);
      listeners["commandFailed"] = (event: CommandFailedEvent) => this.#commandEnded(event.requestId, event.failure);
    }
    for (const [name, listener] of Object.entries(listeners)) client.on(name as "commandStarted", listener as never);
    // On detach (the client is given back, usually closed), what it still counts leaves the figures.
    const forget = (): void => {
      if (counted.used !== 0) connections("used", -counted.used);
      if (counted.idle !== 0) connections("idle", -counted.idle);
    };
    this.#attached.set(client, { listeners, forget });
    return this;
  }

  /** Stops reporting one client, or every attached client without one. */
  detach(client?: MongoClient): void {
    for (const c of client ? [client] : [...this.#attached.keys()]) {
      const attached = this.#attached.get(c);
      if (!attached) continue;
      for (const [name, listener] of Object.entries(attached.listeners)) c.off(name as "commandStarted", listener as never);
      attached.forget();
      this.#attached.delete(c);
    }
  }

  #commandStarted(event: CommandStartedEvent, parent: Context): void {
    if (CommandMonitor.DEFAULT_IGNORED.includes(event.commandName)) return;
    const collection = collectionOf(event.commandName, event.command);
    const span = dataLayerTracer().startSpan(
      collection === undefined ? event.commandName : `${event.commandName} ${collection}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          [ATTRIBUTES.DB_SYSTEM]: "mongodb",
          [ATTRIBUTES.DB_NAMESPACE]: event.databaseName,
          [ATTRIBUTES.DB_OPERATION]: event.commandName,
          ...(collection === undefined ? {} : { [ATTRIBUTES.DB_COLLECTION]: collection }),
          "server.address": event.address,
        },
      },
      parent,
    );
    this.#spans.set(event.requestId, span);
  }

  #commandEnded(requestId: number, failure: Error | undefined): void {
    const span = this.#spans.get(requestId);
    if (span === undefined) return;
    this.#spans.delete(requestId);
    if (failure !== undefined) {
      span.setStatus({ code: SpanStatusCode.ERROR });
      const code = (failure as { codeName?: unknown }).codeName;
      span.setAttribute(ATTRIBUTES.ERROR_TYPE, typeof code === "string" ? code : failure.name);
    }
    span.end();
  }
}
