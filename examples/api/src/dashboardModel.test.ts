import { describe, expect, it } from "vitest";
import {
  accountLabel,
  findingsQuery,
  formatCount,
  formatDateTime,
  formatPercent,
  keyFromFragment,
  selectedCount,
  toggleFilterValue,
  type FindingFilter,
} from "../dashboard/model";

describe("keyFromFragment", () => {
  it("reads the key of a #key= link, decoded, and nothing else", () => {
    expect(keyFromFragment("#key=cspm-ak.abc.def_GHI-123")).toBe("cspm-ak.abc.def_GHI-123");
    expect(keyFromFragment("#key=a%2Eb%20")).toBe("a.b");
    expect(keyFromFragment("#view=findings&key=k1")).toBe("k1");
    expect(keyFromFragment("key=k2")).toBe("k2");
    for (const hash of ["", "#", "#key=", "#key=%20", "#keys=k", "#k=key", "#key=%E0%A4%A"])
      expect(keyFromFragment(hash), hash).toBeUndefined();
  });
});

describe("the findings filter", () => {
  it("toggles values on and off, dropping a facet left empty", () => {
    let filter: FindingFilter = {};
    filter = toggleFilterValue(filter, "severity", "high");
    filter = toggleFilterValue(filter, "severity", "low");
    filter = toggleFilterValue(filter, "region", "eu-west-1");
    expect(filter).toEqual({ severity: ["high", "low"], region: ["eu-west-1"] });
    expect(selectedCount(filter)).toBe(3);
    filter = toggleFilterValue(filter, "region", "eu-west-1");
    expect(filter).toEqual({ severity: ["high", "low"] });
    expect(Object.keys(filter)).toEqual(["severity"]);
    const before = filter;
    toggleFilterValue(before, "severity", "high");
    expect(before).toEqual({ severity: ["high", "low"] }); // never mutated
  });

  it("becomes repeated query parameters in facet order, then limit and cursor", () => {
    const filter: FindingFilter = { region: ["eu-west-1"], severity: ["high", "low"], check_id: ["a&b=c"] };
    expect(findingsQuery(filter)).toBe("severity=high&severity=low&region=eu-west-1&check_id=a%26b%3Dc");
    expect(findingsQuery(filter, { limit: 25, cursor: "c/1+" })).toBe(
      "severity=high&severity=low&region=eu-west-1&check_id=a%26b%3Dc&limit=25&cursor=c%2F1%2B",
    );
    expect(findingsQuery({}, { limit: 10, cursor: null })).toBe("limit=10");
    expect(findingsQuery({})).toBe("");
    expect(new URLSearchParams(findingsQuery(filter)).getAll("severity")).toEqual(["high", "low"]);
  });
});

describe("formatting", () => {
  it("shows counts with separators, rates as the API's two decimals, instants in UTC", () => {
    expect(formatCount(1234567)).toBe("1,234,567");
    expect(formatPercent(87.53)).toBe("87.53 %");
    expect(formatPercent(87.5)).toBe("87.5 %");
    expect(formatPercent(100)).toBe("100 %");
    expect(formatPercent(0)).toBe("0 %");
    expect(formatDateTime("2024-06-01T14:03:59.999Z")).toBe("2024-06-01 14:03 UTC");
    expect(formatDateTime("2024-06-01T16:03:00+02:00")).toBe("2024-06-01 14:03 UTC");
    expect(formatDateTime("not a date")).toBe("not a date");
    expect(formatDateTime(undefined)).toBe("");
  });

  it("labels an account by name, else by its provider id", () => {
    expect(accountLabel({ name: "Prod", account_id: "123456789012" })).toBe("Prod");
    expect(accountLabel({ name: null, account_id: "123456789012" })).toBe("123456789012");
    expect(accountLabel({ name: "", account_id: "x" })).toBe("x");
  });
});
