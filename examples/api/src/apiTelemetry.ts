import { FastifyOtelInstrumentation } from "@fastify/otel";
import { context, metrics, propagation, trace } from "@opentelemetry/api";
import { OTLPMetricExporter } from "@opentelemetry/exporter-metrics-otlp-http";
import { PrometheusExporter, PrometheusSerializer } from "@opentelemetry/exporter-prometheus";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { type MetricReader, MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { BatchSpanProcessor, type SpanProcessor } from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";

/** Options of `startApiTelemetry`. */
export interface ApiTelemetryOptions {
  /** Where `OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_SERVICE_NAME` and `CSPM_METRICS_PUBLIC` are read (default `process.env`). */
  readonly env?: NodeJS.ProcessEnv;
  /** More span processors (a test's in-memory exporter). */
  readonly spanProcessors?: readonly SpanProcessor[];
  /** More metric readers (a test's in-memory reader). */
  readonly metricReaders?: readonly MetricReader[];
}

/** The host's OpenTelemetry SDK, as `buildApp({ telemetry })` uses it. */
export interface ApiTelemetry {
  /** Request spans (`@fastify/otel`), registered by `buildApp` before any route. */
  readonly fastifyInstrumentation: FastifyOtelInstrumentation;
  /** True when spans go to an OTLP endpoint (`OTEL_EXPORTER_OTLP_ENDPOINT`) or a given processor. */
  readonly exportsTraces: boolean;
  /** `GET /metrics` answers without a credential (`CSPM_METRICS_PUBLIC=1`: a scraper on a private network). */
  readonly metricsPublic: boolean;
  /** Every metric of the process in Prometheus text format (version 0.0.4). */
  prometheusText(): Promise<string>;
  /** Flushes and stops the providers and unregisters them from the OpenTelemetry API. */
  shutdown(): Promise<void>;
}

/**
 * Registers the OpenTelemetry SDK for the example API: a tracer provider (so every log line can carry a
 * `trace_id`; spans are exported over OTLP/HTTP when `OTEL_EXPORTER_OTLP_ENDPOINT` is set), a meter provider
 * read by the Prometheus exporter for `GET /metrics` (and pushed over OTLP with the same variable), and the
 * Fastify instrumentation. The data-layer packages report through `@opentelemetry/api` and need nothing more.
 * Call once per process; `shutdown()` before exit.
 */
export function startApiTelemetry(options: ApiTelemetryOptions = {}): ApiTelemetry {
  const env = options.env ?? process.env;
  const otlp = (env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() ?? "") !== "";
  const resource = resourceFromAttributes({ "service.name": env.OTEL_SERVICE_NAME?.trim() || "cspm-example-api" });
  // The exporters read OTEL_EXPORTER_OTLP_ENDPOINT (and the per-signal variables) themselves.
  const spanProcessors = [...(otlp ? [new BatchSpanProcessor(new OTLPTraceExporter())] : []), ...(options.spanProcessors ?? [])];
  const tracerProvider = new NodeTracerProvider({ resource, spanProcessors });
  tracerProvider.register();

  // preventServerStart: the exporter is read through GET /metrics of the API, not a port of its own.
  const prometheus = new PrometheusExporter({ preventServerStart: true });
  const readers: MetricReader[] = [prometheus, ...(options.metricReaders ?? [])];
  if (otlp) readers.push(new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter(), exportIntervalMillis: 15_000 }));
  const meterProvider = new MeterProvider({ resource, readers });
  metrics.setGlobalMeterProvider(meterProvider);

  const fastifyInstrumentation = new FastifyOtelInstrumentation({
    // The message of an error is the client's business, not the trace store's.
    recordExceptions: false,
    // The path only: a query string carries filter values.
    requestHook: (span, request) => span.setAttribute("url.path", request.url.split("?")[0] ?? "/"),
  });
  const serializer = new PrometheusSerializer();

  return {
    fastifyInstrumentation,
    exportsTraces: spanProcessors.length > 0,
    metricsPublic: env.CSPM_METRICS_PUBLIC === "1",
    async prometheusText() {
      const { resourceMetrics } = await prometheus.collect();
      return serializer.serialize(resourceMetrics);
    },
    async shutdown() {
      fastifyInstrumentation.disable();
      await Promise.allSettled([tracerProvider.shutdown(), meterProvider.shutdown()]);
      trace.disable();
      metrics.disable();
      propagation.disable();
      context.disable();
    },
  };
}
