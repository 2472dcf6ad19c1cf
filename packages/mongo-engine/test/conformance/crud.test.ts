import { ObjectId } from "mongodb";
import { describe, expect, it } from "vitest";
import { useHarness } from "../conformanceHarness";

const h = useHarness("crud");

const coll = (name: string) => h.coll(name, "db");

describe("CRUD", () => {
  it("inserts and finds documents with filters, sort, skip, limit and projection", async () => {
    const c = coll("basic");
    await c.insertMany([
      { _id: 1, name: "a", n: 5, tags: ["x", "y"] },
      { _id: 2, name: "b", n: 3, tags: ["y"] },
      { _id: 3, name: "c", n: 9 },
    ] as never[]);
    expect(
      await c
        .find({ n: { $gt: 3 } })
        .sort({ n: 1 })
        .toArray(),
    ).toEqual([
      { _id: 1, name: "a", n: 5, tags: ["x", "y"] },
      { _id: 3, name: "c", n: 9 },
    ]);
    expect(
      await c
        .find({ tags: "y" }, { projection: { _id: 0, name: 1 } })
        .sort({ name: -1 })
        .toArray(),
    ).toEqual([{ name: "b" }, { name: "a" }]);
    expect(await c.find({}).sort({ _id: 1 }).skip(1).limit(1).toArray()).toEqual([{ _id: 2, name: "b", n: 3, tags: ["y"] }]);
    expect(await c.findOne({ _id: 3 as never }, { projection: { n: 0 } })).toEqual({ _id: 3, name: "c" });
  });

  it("generates an ObjectId _id when missing and keeps _id first", async () => {
    const c = coll("ids");
    const { insertedId } = await c.insertOne({ a: 1 });
    expect(insertedId).toBeInstanceOf(ObjectId);
    const doc = await c.findOne({ _id: insertedId });
    expect(Object.keys(doc ?? {})).toEqual(["_id", "a"]);
    await c.insertOne({ b: 2, _id: "s" } as never);
    expect(Object.keys((await c.findOne({ _id: "s" as never })) ?? {})).toEqual(["_id", "b"]);
  });

  it("updates with operators, counts matched and modified", async () => {
    const c = coll("updates");
    await c.insertMany([
      { _id: 1, n: 1 },
      { _id: 2, n: 1 },
      { _id: 3, n: 2 },
    ] as never[]);
    const many = await c.updateMany({ n: 1 }, { $inc: { n: 10 }, $set: { touched: true } });
    expect(many.matchedCount).toBe(2);
    expect(many.modifiedCount).toBe(2);
    const same = await c.updateOne({ _id: 3 as never }, { $set: { n: 2 } });
    expect(same.matchedCount).toBe(1);
    expect(same.modifiedCount).toBe(0);
    expect(await c.find({}).sort({ _id: 1 }).toArray()).toEqual([
      { _id: 1, n: 11, touched: true },
      { _id: 2, n: 11, touched: true },
      { _id: 3, n: 2 },
    ]);
  });

  it("replaces documents and deletes with limit 1 and 0", async () => {
    const c = coll("deletes");
    await c.insertMany([
      { _id: 1, k: "x" },
      { _id: 2, k: "x" },
      { _id: 3, k: "x" },
    ] as never[]);
    await c.replaceOne({ _id: 1 as never }, { k: "y", extra: 1 });
    expect(await c.findOne({ _id: 1 as never })).toEqual({ _id: 1, k: "y", extra: 1 });
    expect((await c.deleteOne({ k: "x" })).deletedCount).toBe(1);
    expect((await c.deleteMany({ k: "x" })).deletedCount).toBe(1);
    expect(await c.countDocuments()).toBe(1);
  });

  it("reports an unknown command as 59 CommandNotFound", async () => {
    await expect(h.db("db").command({ noSuchCommandAtAll: 1 })).rejects.toMatchObject({ code: 59 });
  });
});
