import {
  type Attributes,
  INVALID_SPAN_CONTEXT,
  type Meter,
  metrics,
  ProxyTracerProvider,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from "@opentelemetry/api";

/** The instrumentation scope every span and metric of the data layer is reported under. */
export const TELEMETRY_SCOPE = "@cspm/data-layer";

/** Attribute names beyond OpenTelemetry's semantic conventions (which the data layer uses where they exist). */
export const ATTRIBUTES = Object.freeze({
  TEAM_HASH: "cspm.team.hash",
  RESULT_COUNT: "cspm.result.count",
  ERROR_TYPE: "error.type",
  DB_SYSTEM: "db.system",
  DB_NAMESPACE: "db.namespace",
  DB_COLLECTION: "db.collection.name",
  DB_OPERATION: "db.operation.name",
  CACHE_OPERATION: "cspm.cache.operation",
  CACHE_HIT: "cspm.cache.hit",
  INGEST_FORMAT: "cspm.ingest.format",
});

/** The data layer's tracer: the global provider's (a no-op until the host registers an SDK). */
export function dataLayerTracer(): Tracer {
  return trace.getTracer(TELEMETRY_SCOPE);
}

/** What a `ProxyTracerProvider` delegates to while no SDK is registered: the API's no-op provider. */
const NO_TRACER_PROVIDER = new ProxyTracerProvider().getDelegate();
/** The span `withSpan` hands its function while nobody traces. */
const NON_RECORDING_SPAN = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/** `fn()`, with a synchronous throw turned into a rejection (as an `async` wrapper would). */
export function settle<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return fn();
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * True when the host has registered a tracer provider (an SDK), looked up at the call: only then are spans
 * worth starting. Without one every span would be a no-op, so the data layer skips them (and their context
 * switches and allocations) entirely.
 */
export function tracingEnabled(): boolean {
  const provider = trace.getTracerProvider();
  return !(provider instanceof ProxyTracerProvider) || provider.getDelegate() !== NO_TRACER_PROVIDER;
}

/** The data layer's meter from the global provider current at the call (metrics have no proxy provider). */
export function dataLayerMeter(): Meter {
  return metrics.getMeter(TELEMETRY_SCOPE);
}

/** The error code a span or metric records for a failure: the taxonomy code, the driver's name, or "Error". */
export function errorType(error: unknown): string {
  if (typeof error === "object" && error !== null) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === "string" && /^[A-Z_]+$/.test(code)) return code;
    const name = (error as { name?: unknown }).name;
    if (typeof name === "string") return name;
  }
  return "Error";
}

/**
 * Runs `fn` in an active span `name` with `attributes` (never document contents, filter values or secrets:
 * only names, counts and the hashed team). A failure sets the span's status to error with `error.type` (the
 * taxonomy code) and is rethrown unchanged; the exception message is not recorded. With no SDK registered
 * (`tracingEnabled()` false) `fn` runs directly with a non-recording span.
 */
export function withSpan<T>(
  name: string,
  attributes: Attributes,
  fn: (span: Span) => Promise<T>,
  kind: SpanKind = SpanKind.INTERNAL,
): Promise<T> {
  if (!tracingEnabled()) return settle(() => fn(NON_RECORDING_SPAN));
  return dataLayerTracer().startActiveSpan(name, { kind, attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR });
      span.setAttribute(ATTRIBUTES.ERROR_TYPE, errorType(error));
      throw error;
    } finally {
      span.end();
    }
  });
}
