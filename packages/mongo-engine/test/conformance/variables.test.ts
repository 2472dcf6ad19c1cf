import { Timestamp } from "mongodb";
import { describe, expect, it } from "vitest";
import { useHarness } from "../conformanceHarness";

const h = useHarness("vars");

describe("let and system variables", () => {
  it("evaluates aggregate let values once, as expressions", async () => {
    const coll = h.coll("agg");
    await coll.insertMany([{ _id: 1, bar: "B" }, { _id: 2 }] as never[]);
    const docs = await coll
      .aggregate([{ $project: { _id: 1, y: "$$y", sum: "$$sum", same: { $eq: ["$$now", "$$NOW"] } } }], {
        let: { y: { $literal: "$bar" }, sum: { $add: [1, 2] }, now: "$$NOW" },
      })
      .toArray();
    expect(docs).toEqual([
      { _id: 1, y: "$bar", sum: 3, same: true },
      { _id: 2, y: "$bar", sum: 3, same: true },
    ]);
  });

  it("gives $$NOW as a Date and $$CLUSTER_TIME as a Timestamp, the same for every document of a command", async () => {
    const coll = h.coll("now");
    await coll.insertMany([{ _id: 1 }, { _id: 2 }, { _id: 3 }] as never[]);
    const docs = await coll.aggregate([{ $addFields: { now: "$$NOW", ct: "$$CLUSTER_TIME" } }]).toArray();
    expect(docs[0]?.now).toBeInstanceOf(Date);
    expect(docs[0]?.ct).toBeInstanceOf(Timestamp);
    expect(new Set(docs.map((d) => (d.now as Date).getTime())).size).toBe(1);
  });

  it("honours $$ROOT, $$CURRENT and $$REMOVE", async () => {
    const coll = h.coll("sys");
    await coll.insertOne({ _id: 1, a: 1, b: 2 } as never);
    const [doc] = await coll
      .aggregate([{ $project: { root: "$$ROOT", a: "$$CURRENT.a", b: { $cond: [true, "$$REMOVE", "$b"] } } }])
      .toArray();
    expect(doc).toEqual({ _id: 1, root: { _id: 1, a: 1, b: 2 }, a: 1 });
  });

  it("uses let in find, update (pipeline), delete and findAndModify", async () => {
    const coll = h.coll("crud");
    await coll.insertMany([
      { _id: 1, name: "x" },
      { _id: 2, name: "y" },
      { _id: 3, name: "z" },
    ] as never[]);
    expect(await coll.find({ $expr: { $eq: ["$name", "$$target"] } }, { let: { target: "y" } }).toArray()).toEqual([{ _id: 2, name: "y" }]);
    await coll.updateMany({ $expr: { $lte: ["$_id", "$$limit"] } }, [{ $set: { tag: "$$tag" } }], {
      let: { limit: 2, tag: { $concat: ["t", "-", "1"] } },
    });
    expect(await coll.find({ tag: "t-1" }).toArray()).toHaveLength(2);
    const found = await coll.findOneAndUpdate(
      { $expr: { $eq: ["$_id", "$$id"] } },
      { $set: { hit: true } },
      { let: { id: 3 }, returnDocument: "after" },
    );
    expect(found).toEqual({ _id: 3, name: "z", hit: true });
    const removed = await coll.deleteOne({ $expr: { $eq: ["$name", "$$name"] } }, { let: { name: "x" } });
    expect(removed.deletedCount).toBe(1);
  });

  it("answers an invalid filter on a collection that does not exist with BadValue, as on one that does", async () => {
    await expect(
      h
        .coll("never_created")
        .find({ $unsupportedQueryOperator: 1 } as never)
        .toArray(),
    ).rejects.toMatchObject({ code: 2 });
  });
});
