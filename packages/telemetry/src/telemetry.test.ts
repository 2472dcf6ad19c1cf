import { context, metrics, SpanStatusCode, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ATTRIBUTES, dataLayerInstruments, hashTeamId, withSpan } from "./index";

const spans = new InMemorySpanExporter();
const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 60_000 });

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }));
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
});

afterAll(() => {
  trace.disable();
  context.disable();
  metrics.disable();
});

describe("withSpan", () => {
  it("records a span with its attributes, and an error as status plus error.type, rethrowing it", async () => {
    spans.reset();
    expect(await withSpan("ok", { [ATTRIBUTES.DB_OPERATION]: "find" }, async () => 42)).toBe(42);
    const failure = Object.assign(new Error("secret detail"), { code: "NOT_FOUND" });
    await expect(withSpan("fails", {}, async () => Promise.reject(failure))).rejects.toBe(failure);
    const [ok, failed] = spans.getFinishedSpans();
    expect(ok?.name).toBe("ok");
    expect(ok?.attributes[ATTRIBUTES.DB_OPERATION]).toBe("find");
    expect(failed?.status.code).toBe(SpanStatusCode.ERROR);
    expect(failed?.attributes[ATTRIBUTES.ERROR_TYPE]).toBe("NOT_FOUND");
    expect(JSON.stringify(failed?.events ?? [])).not.toContain("secret detail");
  });

  it("nests: a span started inside another is its child", async () => {
    spans.reset();
    await withSpan("parent", {}, () => withSpan("child", {}, async () => undefined));
    const [child, parent] = spans.getFinishedSpans();
    expect(child?.parentSpanContext?.spanId).toBe(parent?.spanContext().spanId);
  });
});

describe("instruments", () => {
  it("follow the global meter provider and report what was recorded", async () => {
    dataLayerInstruments().cacheRequests.add(2, { [ATTRIBUTES.CACHE_OPERATION]: "get", outcome: "hit" });
    await reader.forceFlush();
    const names = metricExporter.getMetrics().flatMap((m) => m.scopeMetrics.flatMap((s) => s.metrics.map((x) => x.descriptor.name)));
    expect(names).toContain("cspm.cache.requests");
  });
});

describe("hashTeamId", () => {
  it("is stable, short and does not contain the id", () => {
    expect(hashTeamId("team-a")).toBe(hashTeamId("team-a"));
    expect(hashTeamId("team-a")).not.toBe(hashTeamId("team-b"));
    expect(hashTeamId("team-a")).toMatch(/^[0-9a-f]{16}$/);
  });
});
