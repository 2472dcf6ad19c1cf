import { describe, expect, it } from "vitest";
import { useHarness } from "../conformanceHarness";

const h = useHarness("query");

const seed = async () => {
  const c = h.coll("people");
  if ((await c.countDocuments()) > 0) return c;
  await c.insertMany([
    { _id: 1, name: "ann", age: 30, tags: ["a", "b"], address: { city: "Oslo" }, scores: [{ s: 5 }, { s: 9 }] },
    { _id: 2, name: "bob", age: null, tags: [], address: { city: "Rome" } },
    { _id: 3, name: "cat", tags: ["b"], scores: [{ s: 1 }] },
    { _id: 4, name: "Dan", age: 41, tags: "a", nested: [[1, 2], [3]] },
  ] as never[]);
  return c;
};

const ids = async (filter: object) => (await (await seed()).find(filter).sort({ _id: 1 }).toArray()).map((d) => d._id);

describe("query semantics", () => {
  it("null matches null and missing; $exists distinguishes them", async () => {
    expect(await ids({ age: null })).toEqual([2, 3]);
    expect(await ids({ age: { $exists: false } })).toEqual([3]);
    expect(await ids({ age: { $exists: true } })).toEqual([1, 2, 4]);
    expect(await ids({ age: { $ne: null } })).toEqual([1, 4]);
    expect(await ids({ age: { $in: [null, 41] } })).toEqual([2, 3, 4]);
  });

  it("comparison operators respect type brackets", async () => {
    expect(await ids({ age: { $gt: 0 } })).toEqual([1, 4]);
    expect(await ids({ age: { $lt: 100 } })).toEqual([1, 4]);
    expect(await ids({ name: { $gte: "b" } })).toEqual([2, 3]);
    expect(await ids({ age: { $gte: null } })).toEqual([2, 3]);
  });

  it("array fields match elements and whole arrays", async () => {
    expect(await ids({ tags: "a" })).toEqual([1, 4]);
    expect(await ids({ tags: ["a", "b"] })).toEqual([1]);
    expect(await ids({ tags: [] })).toEqual([2]);
    expect(await ids({ tags: { $size: 1 } })).toEqual([3]);
    expect(await ids({ tags: { $all: ["b", "a"] } })).toEqual([1]);
    expect(await ids({ "scores.s": { $gt: 8 } })).toEqual([1]);
    expect(await ids({ scores: { $elemMatch: { s: { $gte: 1, $lt: 2 } } } })).toEqual([3]);
    expect(await ids({ "scores.0.s": 5 })).toEqual([1]);
    expect(await ids({ nested: [3] })).toEqual([4]);
  });

  it("logical operators, regex, $not, $nor, $expr, $type, $mod", async () => {
    expect(await ids({ $or: [{ name: "ann" }, { "address.city": "Rome" }] })).toEqual([1, 2]);
    expect(await ids({ $nor: [{ name: "ann" }, { age: null }] })).toEqual([4]);
    expect(await ids({ name: /^d/i })).toEqual([4]);
    expect(await ids({ name: { $regex: "^[ab]", $options: "" } })).toEqual([1, 2]);
    expect(await ids({ name: { $not: /^a/ } })).toEqual([2, 3, 4]);
    expect(await ids({ $expr: { $gt: [{ $size: { $ifNull: ["$scores", []] } }, 1] } })).toEqual([1]);
    expect(await ids({ tags: { $type: "array" } })).toEqual([1, 2, 3]);
    expect(await ids({ age: { $type: "null" } })).toEqual([2]);
    expect(await ids({ age: { $mod: [10, 1] } })).toEqual([4]);
    expect(await ids({ "address.city": { $in: [/^R/, "Oslo"] } })).toEqual([1, 2]);
  });

  it("find projections: inclusion, exclusion, nested paths, $slice, $elemMatch and positional $", async () => {
    const c = await seed();
    expect(await c.findOne({ _id: 1 as never }, { projection: { name: 1, "address.city": 1 } })).toEqual({
      _id: 1,
      name: "ann",
      address: { city: "Oslo" },
    });
    expect(await c.findOne({ _id: 1 as never }, { projection: { tags: 0, scores: 0, address: 0, _id: 0 } })).toEqual({
      name: "ann",
      age: 30,
    });
    expect(await c.findOne({ _id: 1 as never }, { projection: { tags: { $slice: 1 }, name: 1 } })).toEqual({
      _id: 1,
      name: "ann",
      tags: ["a"],
    });
    expect(await c.findOne({ _id: 1 as never }, { projection: { scores: { $elemMatch: { s: { $gt: 6 } } } } })).toEqual({
      _id: 1,
      scores: [{ s: 9 }],
    });
    expect(await c.findOne({ "scores.s": 9 }, { projection: { "scores.$": 1 } })).toEqual({ _id: 1, scores: [{ s: 9 }] });
    expect(await c.findOne({ _id: 1 as never }, { projection: { upper: { $toUpper: "$name" }, _id: 0 } })).toEqual({ upper: "ANN" });
    await expect(c.findOne({}, { projection: { name: 1, age: 0 } })).rejects.toMatchObject({ code: 31254 });
  });
});
