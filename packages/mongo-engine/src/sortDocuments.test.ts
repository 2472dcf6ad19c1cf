import type { Document } from "bson";
import { describe, expect, it } from "vitest";
import { seededRandom as prng } from "../test/seededRandom";
import { parseSortSpec, sortDocuments, sortTopK } from "./sortDocuments";

describe("sortTopK", () => {
  it("gives the first k documents of the stable sort, ties and mixed types included", () => {
    const random = prng(11);
    const values: unknown[] = [1, 2, 2.5, "a", "b", null, [3, 1], [], { x: 1 }, true, new Date(5)];
    const docs: Document[] = Array.from({ length: 3000 }, (_, i) => {
      const doc: Document = { i, g: Math.floor(random() * 5) };
      if (random() < 0.9) doc.v = values[Math.floor(random() * values.length)];
      return doc;
    });
    for (const spec of [{ v: 1 }, { v: -1 }, { g: 1, v: -1 }, { g: -1, i: 1 }]) {
      const parsed = parseSortSpec(spec);
      const full = sortDocuments([...docs], parsed);
      for (const k of [1, 7, 100, 700, 2999, 5000]) {
        expect(
          sortTopK(docs, parsed, k).map((d) => d.i),
          `${JSON.stringify(spec)} k=${k}`,
        ).toEqual(full.slice(0, k).map((d) => d.i));
      }
    }
    expect(docs.map((d) => d.i)).toEqual(Array.from({ length: 3000 }, (_, i) => i));
  });
});
