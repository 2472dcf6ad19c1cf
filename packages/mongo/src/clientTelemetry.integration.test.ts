import { testDatabasePrefix, testMongoUri } from "@cspm/testkit";
import { context, metrics, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClientTelemetry } from "./clientTelemetry";
import { MongoClientPool } from "./getAsyncClient";

const spans = new InMemorySpanExporter();
const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 60_000 });
const pool = new MongoClientPool();
const database = `${testDatabasePrefix("clienttelemetry")}_db`;

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }));
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
});

afterAll(async () => {
  await pool.close();
  trace.disable();
  context.disable();
  metrics.disable();
});

async function metricPoints(name: string) {
  await reader.forceFlush();
  const last = metricExporter.getMetrics().at(-1);
  return last?.scopeMetrics.flatMap((scope) => scope.metrics).find((metric) => metric.descriptor.name === name)?.dataPoints ?? [];
}

describe("ClientTelemetry", () => {
  it("with commandSpans: one client span per command, a child of the span active when it started, without values", async () => {
    const telemetry = new ClientTelemetry({ commandSpans: true });
    const { client, release } = await pool.acquire(testMongoUri(), { telemetry, appName: "telemetry-spans" });
    try {
      expect(client.options.monitorCommands).toBe(true);
      spans.reset();
      await trace.getTracer("test").startActiveSpan("parent", async (parent) => {
        await client.db(database).collection("things").insertOne({ secret_value: "s3cr3t-in-a-document" });
        await client.db(database).collection("things").find({ secret_value: "s3cr3t-in-a-document" }).toArray();
        parent.end();
      });
      await expect(client.db(database).command({ notACommand: 1 })).rejects.toThrow();
      const finished = spans.getFinishedSpans();
      const parent = finished.find((span) => span.name === "parent");
      const insert = finished.find((span) => span.name === "insert things");
      const find = finished.find((span) => span.name === "find things");
      expect(insert?.parentSpanContext?.spanId).toBe(parent?.spanContext().spanId);
      expect(find?.attributes).toMatchObject({ "db.system": "mongodb", "db.namespace": database, "db.operation.name": "find" });
      const failed = finished.find((span) => span.name === "notACommand");
      expect(failed?.status.code).toBe(2);
      expect(failed?.attributes["error.type"]).toBeDefined();
      expect(JSON.stringify(finished.map((span) => [span.attributes, span.events]))).not.toContain("s3cr3t");
    } finally {
      await release();
    }
  });

  it("reports connections by state and check-out waits; without commandSpans no command spans and no command monitoring", async () => {
    const telemetry = new ClientTelemetry();
    const { client, release } = await pool.acquire(testMongoUri(), { telemetry, appName: "telemetry-pool", maxPoolSize: 2 });
    try {
      expect(client.options.monitorCommands).toBe(false);
      spans.reset();
      // More concurrent operations than connections: some wait for a check-out.
      await Promise.all(Array.from({ length: 6 }, (_, i) => client.db(database).collection("pool").insertOne({ i })));
      expect(spans.getFinishedSpans()).toEqual([]);
      const pool = `${client.options.hosts.map(String).join(",")}`;
      const connections = (await metricPoints("db.client.connection.count")).filter(
        (point) => point.attributes["db.client.connection.pool.name"] === pool,
      );
      const value = (state: string) =>
        connections
          .filter((point) => point.attributes["db.client.connection.state"] === state)
          .reduce((n, point) => n + Number(point.value), 0);
      expect(value("used")).toBe(0);
      expect(value("idle")).toBeGreaterThanOrEqual(1);
      expect(value("idle")).toBeLessThanOrEqual(2);
      const waits = (await metricPoints("db.client.connection.wait_time")).reduce(
        (n, point) => n + ((point.value as { count?: number }).count ?? 0),
        0,
      );
      expect(waits).toBeGreaterThanOrEqual(6);
    } finally {
      await release();
    }
    // Given back (and closed), the client's connections leave the figures.
    const after = (await metricPoints("db.client.connection.count")).reduce((n, point) => n + Number(point.value), 0);
    expect(after).toBe(0);
  });
});
