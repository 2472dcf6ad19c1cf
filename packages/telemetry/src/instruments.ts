import type { Counter, Histogram, Meter, MeterProvider, UpDownCounter } from "@opentelemetry/api";
import { createNoopMeter, metrics } from "@opentelemetry/api";
import { TELEMETRY_SCOPE } from "./telemetry";

/** The data layer's metric instruments. Names follow OpenTelemetry's semantic conventions where they exist. */
export interface DataLayerInstruments {
  /** `db.client.operation.duration` (s), per `db.operation.name`, `db.namespace`, `db.collection.name`, `error.type`. */
  readonly dbOperationDuration: Histogram;
  /** `db.client.connection.count` by `db.client.connection.state` (`used`/`idle`) and pool. */
  readonly dbConnections: UpDownCounter;
  /** `db.client.connection.wait_time` (s): time to check a connection out of the pool. */
  readonly dbConnectionWait: Histogram;
  /** `cspm.cache.requests` by `cspm.cache.operation` and outcome (`hit`, `miss`, `error`). */
  readonly cacheRequests: Counter;
  /** `cspm.cache.breaker.open`: 1 while the Redis circuit breaker is open. */
  readonly cacheBreakerOpen: UpDownCounter;
  /** `cspm.ingest.records` by `cspm.ingest.format` and outcome (`accepted`, `rejected`). */
  readonly ingestRecords: Counter;
  /** `cspm.rollup.lag` (s): per rebuild of stale rollups, how long the oldest of them had been stale. */
  readonly rollupLag: Histogram;
}

let cached: { provider: MeterProvider; instruments: DataLayerInstruments; recording: boolean } | undefined;
/** The class of the API's no-op meter, which the no-op provider hands out. */
const NOOP_METER = Object.getPrototypeOf(createNoopMeter()) as object;

function current(): NonNullable<typeof cached> {
  const provider = metrics.getMeterProvider();
  if (cached?.provider !== provider) {
    const meter = provider.getMeter(TELEMETRY_SCOPE);
    cached = { provider, instruments: create(meter), recording: Object.getPrototypeOf(meter) !== NOOP_METER };
  }
  return cached;
}

function create(meter: Meter): DataLayerInstruments {
  return {
    dbOperationDuration: meter.createHistogram("db.client.operation.duration", {
      unit: "s",
      description: "Duration of MongoDB commands sent by the data layer.",
      advice: { explicitBucketBoundaries: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] },
    }),
    dbConnections: meter.createUpDownCounter("db.client.connection.count", { description: "MongoDB connections by state." }),
    dbConnectionWait: meter.createHistogram("db.client.connection.wait_time", {
      unit: "s",
      description: "Time to check out a MongoDB connection.",
    }),
    cacheRequests: meter.createCounter("cspm.cache.requests", { description: "Cache reads and writes by operation and outcome." }),
    cacheBreakerOpen: meter.createUpDownCounter("cspm.cache.breaker.open", { description: "1 while the Redis circuit breaker is open." }),
    ingestRecords: meter.createCounter("cspm.ingest.records", { description: "Imported scanner records by format and outcome." }),
    rollupLag: meter.createHistogram("cspm.rollup.lag", {
      unit: "s",
      description: "Per rebuild of stale finding rollups: how long the oldest of them had been stale.",
      advice: { explicitBucketBoundaries: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600] },
    }),
  };
}

/**
 * The instruments on the global meter provider current now; created again when the host registers (or
 * replaces) a provider, since the metrics API hands out no proxy. Cheap to call on every use.
 */
export function dataLayerInstruments(): DataLayerInstruments {
  return current().instruments;
}

/**
 * True when the global meter provider current now records (the host registered an SDK's): measurements are
 * worth taking. Without one every instrument is a no-op, so hot paths skip the timing and the attributes.
 */
export function metricsEnabled(): boolean {
  return current().recording;
}
