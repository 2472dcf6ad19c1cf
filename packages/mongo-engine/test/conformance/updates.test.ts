import { describe, expect, it } from "vitest";
import { ObjectId } from "mongodb";
import { useHarness } from "../conformanceHarness";

const h = useHarness("upd");

describe("updates", () => {
  it("upsert with $setOnInsert copies query equality fields and reports upsertedId", async () => {
    const c = h.coll("upsert");
    const first = await c.updateOne(
      { tenant: "t1", key: "k" },
      { $set: { value: 1 }, $setOnInsert: { createdBy: "me" }, $inc: { hits: 1 } },
      { upsert: true },
    );
    expect(first.upsertedCount).toBe(1);
    expect(first.matchedCount).toBe(0);
    expect(first.upsertedId).toBeDefined();
    const second = await c.updateOne(
      { tenant: "t1", key: "k" },
      { $set: { value: 2 }, $setOnInsert: { createdBy: "other" }, $inc: { hits: 1 } },
      { upsert: true },
    );
    expect(second.upsertedCount).toBe(0);
    expect(second.matchedCount).toBe(1);
    expect(second.modifiedCount).toBe(1);
    const doc = await c.findOne({ tenant: "t1" }, { projection: { _id: 0 } });
    expect(doc).toEqual({ tenant: "t1", key: "k", createdBy: "me", hits: 2, value: 2 });
  });

  it("upsert takes _id from the query and works with replacement documents", async () => {
    const c = h.coll("upsert2");
    const result = await c.replaceOne({ _id: "fixed" as never }, { v: 1 }, { upsert: true });
    expect(result.upsertedId).toBe("fixed");
    expect(await c.findOne({ _id: "fixed" as never })).toEqual({ _id: "fixed", v: 1 });
  });

  it("updates array elements with arrayFilters, $[] and positional $", async () => {
    const c = h.coll("arrays");
    await c.insertOne({
      _id: 1,
      grades: [
        { subject: "math", score: 80 },
        { subject: "art", score: 95 },
        { subject: "bio", score: 60 },
      ],
      tags: ["a", "b"],
    } as never);
    await c.updateOne({ _id: 1 as never }, { $set: { "grades.$[g].honors": true } }, { arrayFilters: [{ "g.score": { $gte: 80 } }] });
    await c.updateOne({ _id: 1 as never, "grades.subject": "bio" }, { $inc: { "grades.$.score": 5 } });
    await c.updateOne({ _id: 1 as never }, { $set: { "tags.$[]": "x" } });
    expect(await c.findOne({ _id: 1 as never })).toEqual({
      _id: 1,
      grades: [
        { subject: "math", score: 80, honors: true },
        { subject: "art", score: 95, honors: true },
        { subject: "bio", score: 65 },
      ],
      tags: ["x", "x"],
    });
  });

  it("applies array operators $push/$each/$slice/$sort, $addToSet, $pull, $pop", async () => {
    const c = h.coll("arrayops");
    await c.insertOne({ _id: 1, list: [3, 1], set: ["a"], items: [{ k: 1 }, { k: 2 }, { k: 3 }] } as never);
    await c.updateOne(
      { _id: 1 as never },
      {
        $push: { list: { $each: [5, 2], $sort: -1, $slice: 3 } },
        $addToSet: { set: { $each: ["a", "b"] } },
        $pull: { items: { k: { $gte: 2 } } },
      },
    );
    expect(await c.findOne({ _id: 1 as never })).toEqual({ _id: 1, list: [5, 3, 2], set: ["a", "b"], items: [{ k: 1 }] });
    await c.updateOne({ _id: 1 as never }, { $pop: { list: -1 }, $unset: { set: "" }, $rename: { items: "things" } });
    expect(await c.findOne({ _id: 1 as never })).toEqual({ _id: 1, list: [3, 2], things: [{ k: 1 }] });
  });

  it("rejects updates that conflict or change _id", async () => {
    const c = h.coll("invalid");
    await c.insertOne({ _id: 1, a: 1, s: "x" } as never);
    await expect(c.updateOne({ _id: 1 as never }, { $set: { a: 2 }, $inc: { a: 1 } })).rejects.toMatchObject({ code: 40 });
    await expect(c.updateOne({ _id: 1 as never }, { $set: { _id: 2 } })).rejects.toMatchObject({ code: 66 });
    await expect(c.updateOne({ _id: 1 as never }, { $inc: { s: 1 } })).rejects.toMatchObject({ code: 14 });
    await expect(c.updateOne({ _id: 1 as never }, { $set: { "a.b": 1 } })).rejects.toMatchObject({ code: 28 });
  });

  it("supports pipeline-style updates", async () => {
    const c = h.coll("pipeline");
    await c.insertMany([
      { _id: 1, a: 2, b: 3 },
      { _id: 2, a: 10, b: 1 },
    ] as never[]);
    await c.updateMany({}, [{ $set: { sum: { $add: ["$a", "$b"] }, big: { $gt: ["$a", 5] } } }, { $unset: "b" }]);
    expect(await c.find().sort({ _id: 1 }).toArray()).toEqual([
      { _id: 1, a: 2, sum: 5, big: false },
      { _id: 2, a: 10, sum: 11, big: true },
    ]);
  });

  it("a pipeline upsert whose query names no _id inserts a document with a new ObjectId", async () => {
    const c = h.coll("pipelineUpsert");
    const result = await c.updateOne({ k: "a" }, [{ $set: { n: { $ifNull: ["$n", 1] } } }], { upsert: true });
    expect(result.upsertedCount).toBe(1);
    const meta = await c.findOneAndUpdate({ k: "b" }, [{ $set: { n: 2 } }], {
      upsert: true,
      returnDocument: "after",
      includeResultMetadata: true,
    });
    const stored = await c.find({}, { sort: { k: 1 } }).toArray();
    expect(stored.map((d) => [d.k, d.n, d._id instanceof ObjectId])).toEqual([
      ["a", 1, true],
      ["b", 2, true],
    ]);
    expect(stored[0]?._id).toEqual(result.upsertedId);
    expect(meta.value?._id).toEqual(stored[1]?._id);
  });

  it("findOneAndUpdate / findOneAndReplace / findOneAndDelete return the documented shapes", async () => {
    const c = h.coll("fam");
    await c.insertMany([
      { _id: 1, n: 1, team: "a" },
      { _id: 2, n: 5, team: "a" },
    ] as never[]);
    const before = await c.findOneAndUpdate({ team: "a" }, { $inc: { n: 1 } }, { sort: { n: -1 } });
    expect(before).toEqual({ _id: 2, n: 5, team: "a" });
    const after = await c.findOneAndUpdate({ _id: 1 as never }, { $inc: { n: 1 } }, { returnDocument: "after", projection: { n: 1 } });
    expect(after).toEqual({ _id: 1, n: 2 });
    const meta = await c.findOneAndUpdate(
      { _id: 9 as never },
      { $set: { n: 0 } },
      { upsert: true, returnDocument: "after", includeResultMetadata: true },
    );
    expect(meta.value).toEqual({ _id: 9, n: 0 });
    expect(meta.lastErrorObject).toMatchObject({ n: 1, updatedExisting: false, upserted: 9 });
    expect(await c.findOneAndUpdate({ _id: 77 as never }, { $set: { n: 0 } })).toBeNull();
    const replaced = await c.findOneAndReplace({ _id: 2 as never }, { team: "b" }, { returnDocument: "after" });
    expect(replaced).toEqual({ _id: 2, team: "b" });
    const deleted = await c.findOneAndDelete({ team: "b" });
    expect(deleted).toEqual({ _id: 2, team: "b" });
    expect(await c.countDocuments()).toBe(2);
  });

  it("bulkWrite reports n/nModified/upserted counts", async () => {
    const c = h.coll("bulkcounts");
    await c.insertMany([
      { _id: 1, v: 1 },
      { _id: 2, v: 2 },
    ] as never[]);
    const result = await c.bulkWrite([
      { updateOne: { filter: { _id: 1 }, update: { $set: { v: 1 } } } },
      { updateMany: { filter: {}, update: { $inc: { v: 10 } } } },
      { updateOne: { filter: { _id: 3 }, update: { $set: { v: 3 } }, upsert: true } },
      { replaceOne: { filter: { _id: 2 }, replacement: { v: 0 } } },
      { deleteOne: { filter: { _id: 1 } } },
      { insertOne: { document: { _id: 4, v: 4 } } },
    ] as never[]);
    expect(result.insertedCount).toBe(1);
    expect(result.matchedCount).toBe(4);
    expect(result.modifiedCount).toBe(3);
    expect(result.upsertedCount).toBe(1);
    expect(result.upsertedIds).toEqual({ 2: 3 });
    expect(result.deletedCount).toBe(1);
    expect(await c.find().sort({ _id: 1 }).toArray()).toEqual([
      { _id: 2, v: 0 },
      { _id: 3, v: 3 },
      { _id: 4, v: 4 },
    ]);
  });
});
