import { context, metrics, SpanStatusCode, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ATTRIBUTES, dataLayerInstruments, hashTeamId, instrumentMethods, traceDbOperation, withSpan } from "./index";

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

class Counter {
  #count = 0;
  async increment(_teamId: string, by: number): Promise<number> {
    this.#count += by;
    return this.#count;
  }
  async fail(_teamId: string): Promise<never> {
    throw Object.assign(new Error("with a secret in it"), { code: "CONFLICT" });
  }
  *items(_teamId: string): Iterable<number> {
    yield this.#count;
  }
}

describe("instrumentMethods", () => {
  it("runs each call in a span named after the object, with the hashed team and this bound to the target", async () => {
    spans.reset();
    const counter = instrumentMethods("Counter", new Counter());
    expect(await counter.increment("team-a", 2)).toBe(2);
    expect([...counter.items("team-a")]).toEqual([2]);
    await expect(counter.fail("team-a")).rejects.toMatchObject({ code: "CONFLICT" });
    const finished = spans.getFinishedSpans();
    expect(finished.map((span) => span.name)).toEqual(["Counter.increment", "Counter.items", "Counter.fail"]);
    expect(finished[0]?.attributes[ATTRIBUTES.TEAM_HASH]).toBe(hashTeamId("team-a"));
    expect(finished[2]?.status.code).toBe(SpanStatusCode.ERROR);
    expect(finished[2]?.attributes[ATTRIBUTES.ERROR_TYPE]).toBe("CONFLICT");
    expect(JSON.stringify(finished.map((span) => [span.attributes, span.events]))).not.toContain("team-a");
  });

  it("does not read the first argument as a team when told it may be a credential", async () => {
    spans.reset();
    const counter = instrumentMethods("Counter", new Counter(), { teamFirst: false });
    await counter.increment("cspm_live_secret", 1);
    expect(spans.getFinishedSpans()[0]?.attributes[ATTRIBUTES.TEAM_HASH]).toBeUndefined();
  });
});

describe("traceDbOperation", () => {
  it("records a span named after the operation and collection, and the operation duration histogram", async () => {
    spans.reset();
    const result = await traceDbOperation(
      { operation: "find", database: "cspm_core", collection: "accounts", teamId: "t1" },
      async () => 7,
    );
    expect(result).toBe(7);
    await expect(
      traceDbOperation({ operation: "insertOne", database: "cspm_core", collection: "accounts" }, () =>
        Promise.reject(Object.assign(new Error("E11000 dup key"), { code: "CONFLICT" })),
      ),
    ).rejects.toThrow("E11000");
    const [found, inserted] = spans.getFinishedSpans();
    expect(found?.name).toBe("repository.find accounts");
    expect(found?.attributes).toMatchObject({ "db.system": "mongodb", "db.namespace": "cspm_core", "db.collection.name": "accounts" });
    expect(found?.attributes[ATTRIBUTES.TEAM_HASH]).toBe(hashTeamId("t1"));
    expect(inserted?.attributes[ATTRIBUTES.ERROR_TYPE]).toBe("CONFLICT");
    await reader.forceFlush();
    const histogram = metricExporter
      .getMetrics()
      .flatMap((m) => m.scopeMetrics.flatMap((s) => s.metrics))
      .filter((metric) => metric.descriptor.name === "db.client.operation.duration")
      .at(-1);
    const failedPoint = histogram?.dataPoints.find((point) => point.attributes[ATTRIBUTES.ERROR_TYPE] === "CONFLICT");
    expect(failedPoint?.attributes[ATTRIBUTES.DB_OPERATION]).toBe("insertOne");
  });
});
