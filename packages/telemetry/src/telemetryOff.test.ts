import { metrics, trace } from "@opentelemetry/api";
import { MeterProvider } from "@opentelemetry/sdk-metrics";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { instrumentMethods, metricsEnabled, settle, traceDbOperation, tracingEnabled, withSpan } from "./index";

// No SDK at the start of each test: what a host without telemetry runs.
beforeEach(() => {
  trace.disable();
  metrics.disable();
});
afterEach(() => {
  trace.disable();
  metrics.disable();
});

class Accounts {
  readonly #prefix = "acct";
  async list(teamId: string): Promise<string> {
    return `${this.#prefix}:${teamId}`;
  }
  fail(): never {
    throw new Error("sync failure");
  }
}

describe("with no SDK registered", () => {
  it("reports tracing and metrics off, and on as soon as a provider is registered", () => {
    expect(tracingEnabled()).toBe(false);
    expect(metricsEnabled()).toBe(false);
    trace.setGlobalTracerProvider(new BasicTracerProvider());
    metrics.setGlobalMeterProvider(new MeterProvider());
    expect(tracingEnabled()).toBe(true);
    expect(metricsEnabled()).toBe(true);
  });

  it("runs instrumented methods, operations and withSpan directly, with their results and errors unchanged", async () => {
    const accounts = instrumentMethods("Accounts", new Accounts());
    expect(await accounts.list("team-a")).toBe("acct:team-a");
    expect(() => accounts.fail()).toThrow("sync failure");
    expect(await traceDbOperation({ operation: "find", database: "db", collection: "c" }, async () => 7)).toBe(7);
    const failure = new Error("rejected");
    await expect(
      traceDbOperation({ operation: "find", database: "db", collection: "c" }, async () => Promise.reject(failure)),
    ).rejects.toBe(failure);
    await expect(
      withSpan("x", {}, async (span) => {
        expect(span.isRecording()).toBe(false);
        return 1;
      }),
    ).resolves.toBe(1);
  });

  it("turns a synchronous throw into a rejection in settle, as an async wrapper would", async () => {
    const failure = new Error("thrown");
    const result = settle(() => {
      throw failure;
    });
    await expect(result).rejects.toBe(failure);
  });

  it("records spans again once an SDK is registered after the objects were instrumented", async () => {
    const accounts = instrumentMethods("Accounts", new Accounts());
    await accounts.list("team-a");
    const spans = new InMemorySpanExporter();
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }));
    await accounts.list("team-a");
    await traceDbOperation({ operation: "find", database: "db", collection: "c" }, async () => 7);
    expect(spans.getFinishedSpans().map((s) => s.name)).toEqual(["Accounts.list", "repository.find c"]);
  });
});
