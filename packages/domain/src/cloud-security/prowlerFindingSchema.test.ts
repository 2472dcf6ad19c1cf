import { describe, expect, it } from "vitest";
import { complianceFromMap, complianceToMap } from "./prowlerFindingSchema";

describe("compliance conversion", () => {
  it("turns Prowler's map (keys with dots) into sorted { framework, controls } and back", () => {
    const map = { "ISO27001-2013": ["A.9.2.3"], "CIS-2.0": ["1.1", "1.2", "1.1"] };
    const stored = complianceFromMap(map);
    expect(stored).toEqual([
      { framework: "CIS-2.0", controls: ["1.1", "1.2"] },
      { framework: "ISO27001-2013", controls: ["A.9.2.3"] },
    ]);
    expect(complianceToMap(stored)).toEqual({ "CIS-2.0": ["1.1", "1.2"], "ISO27001-2013": ["A.9.2.3"] });
  });
});
