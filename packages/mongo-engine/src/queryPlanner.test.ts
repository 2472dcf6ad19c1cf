import type { Document } from "bson";
import { describe, expect, it } from "vitest";
import { parseCollation } from "./collation";
import { buildIndex } from "./collectionCommands";
import { CollectionStore } from "./collectionStore";
import type { IndexSpec } from "./indexStore";
import { assertIndexedPlan, planQuery } from "./queryPlanner";
import { parseSortSpec } from "./sortDocuments";

function storeWith(specs: IndexSpec[]): CollectionStore {
  const store = new CollectionStore("db", "c");
  store.insert({ _id: 1, a: 1, b: "x" }, 1);
  for (const spec of specs) store.indexes.push(buildIndex(store, spec));
  return store;
}

const index = (key: Document, extra: Partial<IndexSpec> = {}): IndexSpec => ({
  v: 2,
  key,
  name: Object.entries(key)
    .map(([k, v]) => `${k}_${String(v)}`)
    .join("_"),
  ...extra,
});

describe("planQuery", () => {
  it("picks the index pinning the most leading fields by equality", () => {
    const store = storeWith([index({ a: 1 }), index({ a: 1, b: 1 })]);
    expect(planQuery(store, { filter: { a: 1, b: "x" } }).indexName).toBe("a_1_b_1");
    expect(planQuery(store, { filter: { a: { $gt: 0 } } }).indexName).toBe("a_1");
  });

  it("breaks an equality tie by a range or regex on the next key, but not against an index providing the sort", () => {
    const store = storeWith([index({ a: 1, c: 1 }), index({ a: 1, b: 1 }), index({ a: 1, d: 1 })]);
    expect(planQuery(store, { filter: { a: 1, b: { $gte: "m" } } }).indexName).toBe("a_1_b_1");
    expect(planQuery(store, { filter: { a: 1, b: { $regex: "^x" } } }).indexName).toBe("a_1_b_1");
    expect(planQuery(store, { filter: { a: 1 } }).indexName).toBe("a_1_c_1");
    expect(planQuery(store, { filter: { a: 1, b: { $gte: "m" } }, sort: parseSortSpec({ d: 1 }) }).indexName).toBe("a_1_d_1");
  });

  it("does not use a sparse index for a predicate that matches missing fields, nor a hidden one", () => {
    const store = storeWith([index({ a: 1 }, { sparse: true }), index({ b: 1 }, { hidden: true })]);
    expect(planQuery(store, { filter: { a: null } }).collectionScan).toBe(true);
    expect(planQuery(store, { filter: { a: 1 } }).indexName).toBe("a_1");
    expect(planQuery(store, { filter: { b: "x" } }).collectionScan).toBe(true);
  });

  it("uses a partial index only when the query implies its filter", () => {
    const store = storeWith([index({ a: 1 }, { partialFilterExpression: { b: { $exists: true } } })]);
    expect(planQuery(store, { filter: { a: 1 } }).collectionScan).toBe(true);
    expect(planQuery(store, { filter: { a: 1, b: { $exists: true } } }).indexName).toBe("a_1");
    expect(planQuery(store, { filter: { a: 1, b: "x" } }).indexName).toBe("a_1");
  });

  it("uses an index for string bounds only under the index's collation", () => {
    const english = parseCollation({ locale: "en", strength: 2 });
    const store = storeWith([index({ b: 1 }, { collation: english?.spec ?? {} })]);
    expect(planQuery(store, { filter: { b: "x" } }).collectionScan).toBe(true);
    expect(planQuery(store, { filter: { b: "x" }, collation: english }).indexName).toBe("b_1");
    expect(planQuery(store, { filter: { b: 5 } }).indexName).toBe("b_1");
  });

  it("scans an index for a sort it provides and sorts in memory otherwise", () => {
    const store = storeWith([index({ a: -1 })]);
    const byIndex = planQuery(store, { filter: { c: 1 }, sort: parseSortSpec({ a: 1 }) });
    expect(byIndex).toMatchObject({ indexName: "a_-1", blockingSort: false });
    expect(byIndex.winningPlan.inputStage).toMatchObject({
      stage: "IXSCAN",
      direction: "backward",
      indexBounds: { a: ["[MinKey, MaxKey]"] },
    });
    expect(planQuery(store, { filter: {}, sort: parseSortSpec({ b: 1 }) })).toMatchObject({ collectionScan: true, blockingSort: true });
  });

  it("plans $or with an index per branch, and a collection scan when one branch has none", () => {
    const store = storeWith([index({ a: 1 }), index({ b: 1 })]);
    expect(planQuery(store, { filter: { $or: [{ a: 1 }, { b: "x" }] } }).winningPlan.inputStage).toMatchObject({ stage: "OR" });
    expect(planQuery(store, { filter: { $or: [{ a: 1 }, { c: 1 }] } }).collectionScan).toBe(true);
  });

  it("applies notablescan only to non-empty filters on user collections", () => {
    const store = storeWith([]);
    const scan = planQuery(store, { filter: { c: 1 } });
    expect(() => assertIndexedPlan("db", "c", { filter: { c: 1 } }, scan)).toThrow(/notablescan/);
    expect(() => assertIndexedPlan("db", "c", { filter: {} }, planQuery(store, { filter: {} }))).not.toThrow();
    expect(() => assertIndexedPlan("admin", "c", { filter: { c: 1 } }, scan)).not.toThrow();
    expect(() => assertIndexedPlan("db", "system.views", { filter: { c: 1 } }, scan)).not.toThrow();
  });
});
