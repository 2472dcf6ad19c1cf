import { type Attributes, SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { dataLayerInstruments, metricsEnabled } from "./instruments";
import { hashTeamId } from "./teamHash";
import { ATTRIBUTES, dataLayerTracer, errorType, settle, tracingEnabled } from "./telemetry";

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function";
}

/** How `instrumentMethods` reads a call. */
export interface InstrumentOptions {
  /**
   * The first argument is the team id (the data layer's tenant-scoped calls are team-first): recorded
   * hashed as `cspm.team.hash`. Default true; false for objects whose first argument may be a credential.
   */
  readonly teamFirst?: boolean;
}

/**
 * Wraps every method of `target` (own and inherited, not the constructor) so each call runs in a span
 * `${prefix}.${method}`, with the hashed team from the first argument unless `teamFirst` is false. Methods
 * run with `this` bound to `target`, so private fields keep working; a method returning a non-promise (an
 * async iterable, a value) ends its span at return. No argument value is recorded. With no SDK registered
 * the cost is a no-op span per call.
 */
export function instrumentMethods<T extends object>(prefix: string, target: T, options: InstrumentOptions = {}): T {
  const teamFirst = options.teamFirst !== false;
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(target, {
    get(object, property, receiver) {
      const value = Reflect.get(object, property, receiver);
      if (typeof value !== "function" || property === "constructor" || typeof property === "symbol") return value;
      let wrapper = wrapped.get(property);
      if (wrapper === undefined) {
        const method = value as (...args: unknown[]) => unknown;
        const name = `${prefix}.${property}`;
        wrapper = (...args: unknown[]) => {
          if (!tracingEnabled()) return method.apply(object, args);
          return dataLayerTracer().startActiveSpan(name, { kind: SpanKind.INTERNAL }, (span) => {
            if (teamFirst && span.isRecording() && typeof args[0] === "string")
              span.setAttribute(ATTRIBUTES.TEAM_HASH, hashTeamId(args[0]));
            const fail = (error: unknown): never => {
              span.setStatus({ code: SpanStatusCode.ERROR });
              span.setAttribute(ATTRIBUTES.ERROR_TYPE, errorType(error));
              span.end();
              throw error;
            };
            let result: unknown;
            try {
              result = method.apply(object, args);
            } catch (error) {
              return fail(error);
            }
            if (!isThenable(result)) {
              span.end();
              return result;
            }
            return Promise.resolve(result).then((resolved) => {
              span.end();
              return resolved;
            }, fail);
          });
        };
        wrapped.set(property, wrapper);
      }
      return wrapper;
    },
  });
}

/** What a MongoDB operation span names: the operation, the database and the collection. */
export interface DbOperation {
  readonly operation: string;
  readonly database: string;
  readonly collection: string;
  /** The team the operation is scoped to (recorded hashed), if any. */
  readonly teamId?: string | undefined;
}

/**
 * Runs one repository operation in a span `repository.${operation} ${collection}` with OpenTelemetry's
 * database attributes, and records its duration in `db.client.operation.duration`. The span is internal:
 * the client spans are the driver's commands beneath it (`ClientTelemetry` of `@cspm/mongo`, when on).
 * Failures record `error.type` and are rethrown unchanged. Filter values and documents are never recorded.
 * With neither a tracer nor a meter provider registered, `fn` just runs: no span, no clock, no attributes.
 */
export function traceDbOperation<R>(details: DbOperation, fn: () => Promise<R>): Promise<R> {
  if (!tracingEnabled() && !metricsEnabled()) return settle(fn);
  const attributes: Attributes = {
    [ATTRIBUTES.DB_SYSTEM]: "mongodb",
    [ATTRIBUTES.DB_NAMESPACE]: details.database,
    [ATTRIBUTES.DB_COLLECTION]: details.collection,
    [ATTRIBUTES.DB_OPERATION]: details.operation,
  };
  const started = performance.now();
  return dataLayerTracer().startActiveSpan(
    `repository.${details.operation} ${details.collection}`,
    { kind: SpanKind.INTERNAL, attributes },
    async (span) => {
      if (details.teamId !== undefined && span.isRecording()) span.setAttribute(ATTRIBUTES.TEAM_HASH, hashTeamId(details.teamId));
      try {
        return await fn();
      } catch (error) {
        const type = errorType(error);
        span.setStatus({ code: SpanStatusCode.ERROR });
        span.setAttribute(ATTRIBUTES.ERROR_TYPE, type);
        attributes[ATTRIBUTES.ERROR_TYPE] = type;
        throw error;
      } finally {
        span.end();
        dataLayerInstruments().dbOperationDuration.record((performance.now() - started) / 1000, attributes);
      }
    },
  );
}
