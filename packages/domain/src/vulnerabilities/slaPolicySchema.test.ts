import { describe, expect, it } from "vitest";
import { slaExpiry } from "./slaPolicySchema";

describe("slaExpiry", () => {
  it("adds the severity's days to the start", () => {
    const policy = { days: { critical: 7, high: 30, medium: 90, low: 180, informational: 365 } };
    const start = new Date("2025-01-01T00:00:00Z");
    expect(slaExpiry(policy, "critical", start).toISOString()).toBe("2025-01-08T00:00:00.000Z");
    expect(slaExpiry(policy, "high", start).toISOString()).toBe("2025-01-31T00:00:00.000Z");
  });
});
