import { describe, expect, it } from "vitest";
import { deriveAiActStatus } from "./euAiActComplianceRepository";

describe("deriveAiActStatus", () => {
  it("derives the overall status from the obligations", () => {
    expect(deriveAiActStatus([])).toBe("not_assessed");
    expect(deriveAiActStatus([{ status: "met" }, { status: "not_applicable" }])).toBe("compliant");
    expect(deriveAiActStatus([{ status: "met" }, { status: "in_progress" }])).toBe("partially_compliant");
    expect(deriveAiActStatus([{ status: "not_started" }, { status: "in_progress" }])).toBe("non_compliant");
  });
});
