import { describe, expect, it } from "vitest";
import { canonicalKey, compareBsonValues } from "./bsonOrder";
import { parseCollation } from "./collation";

describe("parseCollation", () => {
  it("is undefined for no collation and for the simple one", () => {
    expect(parseCollation(undefined)).toBeUndefined();
    expect(parseCollation({ locale: "simple" })).toBeUndefined();
  });

  it("reports the full spec as mongod does", () => {
    expect(parseCollation({ locale: "en_US", strength: 2 })?.spec).toEqual({
      locale: "en_US",
      caseLevel: false,
      caseFirst: "off",
      strength: 2,
      numericOrdering: false,
      alternate: "non-ignorable",
      maxVariable: "punct",
      normalization: false,
      backwards: false,
      version: "57.1",
    });
  });

  it("gives equal keys exactly to strings the collation holds equal", () => {
    const base = parseCollation({ locale: "en", strength: 1 });
    const accent = parseCollation({ locale: "en", strength: 2 });
    expect(canonicalKey("Résumé", base)).toBe(canonicalKey("resume", base));
    expect(canonicalKey("Résumé", accent)).not.toBe(canonicalKey("resume", accent));
    expect(canonicalKey("RÉSUMÉ", accent)).toBe(canonicalKey("résumé", accent));
    expect(canonicalKey({ a: ["X"] }, accent)).toBe(canonicalKey({ a: ["x"] }, accent));
    expect(compareBsonValues("b", "A", accent)).toBeGreaterThan(0);
    expect(compareBsonValues("b", "A")).toBeGreaterThan(0);
    expect(compareBsonValues("a", "B", accent)).toBeLessThan(0);
    expect(compareBsonValues("a", "B")).toBeGreaterThan(0);
  });

  it("refuses what Intl.Collator cannot honour exactly, and rejects malformed specs", () => {
    for (const spec of [
      { locale: "en", strength: 4 },
      { locale: "en", alternate: "shifted" },
      { locale: "fr", backwards: true },
      { locale: "en", normalization: true },
      { locale: "en", strength: 2, caseLevel: true },
    ]) {
      expect(() => parseCollation(spec)).toThrow(expect.objectContaining({ code: 238 }));
    }
    expect(() => parseCollation({ locale: "en", strength: 0 })).toThrow(expect.objectContaining({ code: 2 }));
    expect(() => parseCollation({ locale: "en", colour: 1 })).toThrow(expect.objectContaining({ code: 40415 }));
    expect(() => parseCollation({ locale: "simple", strength: 2 })).toThrow(expect.objectContaining({ code: 2 }));
    expect(() => parseCollation({ locale: "xx_YY_nonsense" })).toThrow(expect.objectContaining({ code: 2 }));
  });
});
