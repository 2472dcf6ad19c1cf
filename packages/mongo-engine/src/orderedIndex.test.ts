import { describe, expect, it } from "vitest";
import { comparePairs, fieldRange, pairRange, partitionPoint } from "./orderedIndex";

describe("fieldRange", () => {
  it("narrows to the tightest comparison and equality at the top level and under $and", () => {
    const range = fieldRange({ a: { $gt: 3, $lte: 10 }, $and: [{ a: { $gte: 5 } }, { b: 1 }] }, "a");
    expect(range.low).toEqual({ value: 5, inclusive: true });
    expect(range.high).toEqual({ value: 10, inclusive: true });
    expect(fieldRange({ a: 4 }, "a")).toEqual({ low: { value: 4, inclusive: true }, high: { value: 4, inclusive: true } });
  });

  it("takes the hull of an $or only on the sides every clause bounds", () => {
    const keyset = { $or: [{ a: { $lt: 7 } }, { a: 7, _id: { $lt: 3 } }, { a: null }] };
    const range = fieldRange(keyset, "a");
    expect(range.low).toBeUndefined();
    expect(range.high).toEqual({ value: 7, inclusive: true });
    expect(fieldRange({ $or: [{ a: 1 }, { b: 2 }] }, "a")).toEqual({ low: undefined, high: undefined });
  });

  it("ignores operators that do not bound (regex, $ne, $not) and $in spans its values", () => {
    expect(fieldRange({ a: { $ne: 3 }, b: /x/ }, "a")).toEqual({});
    expect(fieldRange({ a: { $in: [9, 2, 5] } }, "a")).toEqual({
      low: { value: 2, inclusive: true },
      high: { value: 9, inclusive: true },
    });
  });
});

describe("pairRange", () => {
  it("bounds a descending keyset cursor at (value, id), exclusive", () => {
    const range = pairRange({ $and: [{ team: "t" }, { $or: [{ a: { $lt: 7 } }, { a: 7, _id: { $lt: 3 } }, { a: null }] }] }, "a", "_id");
    expect(range.low).toBeUndefined();
    expect(range.high).toEqual({ value: [7, 3], inclusive: false });
  });

  it("bounds an ascending keyset cursor at (value, id) from below", () => {
    const range = pairRange({ $or: [{ a: { $gt: 7 } }, { a: 7, _id: { $gt: 3 } }] }, "a", "_id");
    expect(range.low).toEqual({ value: [7, 3], inclusive: false });
    expect(range.high).toBeUndefined();
  });

  it("orders pairs lexicographically with open ends on the second value", () => {
    const low = pairRange({ a: { $gte: 2 } }, "a", "_id").low?.value as [unknown, unknown];
    expect(comparePairs(low, [2, -1e9])).toBeLessThan(0);
    expect(comparePairs([1, 5], [2, 0])).toBeLessThan(0);
    expect(comparePairs([2, 5], [2, 5])).toBe(0);
  });
});

describe("partitionPoint", () => {
  it("finds the first position where the predicate turns false", () => {
    const values = [1, 3, 3, 5, 8];
    expect(partitionPoint(0, values.length, (i) => (values[i] as number) < 3)).toBe(1);
    expect(partitionPoint(0, values.length, (i) => (values[i] as number) <= 3)).toBe(3);
    expect(partitionPoint(0, values.length, () => true)).toBe(5);
  });
});
