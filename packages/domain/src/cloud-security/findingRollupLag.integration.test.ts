import { metrics } from "@opentelemetry/api";
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DomainTestContext, openDomainTestContext } from "../testing/openDomainTestContext";
import { FindingRollupMarkRepository } from "./findingRollupMarkRepository";
import { FindingRollupRepository } from "./findingRollupRepository";

const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 });
let ctx: DomainTestContext;

beforeAll(async () => {
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
  ctx = await openDomainTestContext(["CLOUD_SECURITY"]);
});

afterAll(async () => {
  await ctx?.dispose();
  metrics.disable();
});

describe("cspm.rollup.lag", () => {
  it("records, per rebuild step, how long its oldest account had been marked stale", async () => {
    const markedAt = new Date(Date.now() - 90_000);
    await ctx.factory.get(FindingRollupMarkRepository).mark("team-lag", ["111111111111", "222222222222"], markedAt);
    await ctx.factory.get(FindingRollupRepository).refresh("team-lag");
    await reader.forceFlush();
    const points =
      exporter
        .getMetrics()
        .at(-1)
        ?.scopeMetrics.flatMap((scope) => scope.metrics)
        .find((metric) => metric.descriptor.name === "cspm.rollup.lag")?.dataPoints ?? [];
    expect(points).toHaveLength(1);
    const point = points[0] as { attributes: Record<string, unknown>; value: { count: number; min?: number; max?: number } };
    expect(point.attributes).toEqual({ "cspm.rollup": "findings" });
    expect(point.value.count).toBe(1);
    expect(point.value.min).toBeGreaterThanOrEqual(90);
    expect(point.value.max).toBeLessThan(600);
  });
});
