import { describe, expect, it } from "vitest";
import { useHarness } from "../conformanceHarness";

const h = useHarness("coll8n");
const en2 = { locale: "en_US", strength: 2 };

describe("collation", () => {
  it("matches, counts and finds case-insensitively at strength 2", async () => {
    const coll = h.coll("q");
    await coll.insertMany([
      { _id: 1, x: "ping" },
      { _id: 2, x: "PING" },
      { _id: 3, x: "pong" },
    ] as never[]);
    expect(await coll.find({ x: "PING" }, { collation: en2 }).sort({ _id: 1 }).toArray()).toEqual([
      { _id: 1, x: "ping" },
      { _id: 2, x: "PING" },
    ]);
    expect(await coll.find({ x: "PING" }).toArray()).toEqual([{ _id: 2, x: "PING" }]);
    expect(await coll.countDocuments({ x: { $in: ["PONG"] } }, { collation: en2 })).toBe(1);
    expect(await coll.distinct("x", {}, { collation: en2 })).toHaveLength(2);
  });

  it("sorts by the locale and numerically with numericOrdering", async () => {
    const coll = h.coll("sort");
    await coll.insertMany([{ v: "b" }, { v: "A" }, { v: "a" }, { v: "10" }, { v: "9" }] as never[]);
    const plain = (
      await coll
        .find({}, { projection: { _id: 0 } })
        .sort({ v: 1 })
        .toArray()
    ).map((d) => d.v);
    expect(plain).toEqual(["10", "9", "A", "a", "b"]);
    const numeric = (
      await coll
        .find({}, { projection: { _id: 0 }, collation: { locale: "en", numericOrdering: true, caseFirst: "upper" } })
        .sort({ v: 1 })
        .toArray()
    ).map((d) => d.v);
    expect(numeric).toEqual(["9", "10", "A", "a", "b"]);
  });

  it("groups, updates and deletes under the collation", async () => {
    const coll = h.coll("w");
    await coll.insertMany([
      { _id: 1, x: "Cat" },
      { _id: 2, x: "cat" },
      { _id: 3, x: "dog" },
    ] as never[]);
    const groups = await coll.aggregate([{ $group: { _id: "$x", n: { $sum: 1 } } }, { $sort: { n: -1 } }], { collation: en2 }).toArray();
    expect(groups.map((g) => g.n)).toEqual([2, 1]);
    expect((await coll.updateMany({ x: "CAT" }, { $set: { y: 1 } }, { collation: en2 })).modifiedCount).toBe(2);
    expect((await coll.deleteMany({ x: "DOG" }, { collation: en2 })).deletedCount).toBe(1);
    const fam = await coll.findOneAndUpdate(
      { x: "cAt" },
      { $set: { z: 1 } },
      { collation: en2, sort: { _id: -1 }, returnDocument: "after" },
    );
    expect(fam).toEqual({ _id: 2, x: "cat", y: 1, z: 1 });
  });

  it("enforces a unique index with a collation by that collation", async () => {
    const coll = h.coll("uniq");
    await coll.createIndex({ email: 1 }, { unique: true, collation: en2 });
    await coll.insertOne({ email: "A@X.TEST" });
    await expect(coll.insertOne({ email: "a@x.test" })).rejects.toMatchObject({ code: 11000 });
    const indexes = await coll.listIndexes().toArray();
    expect(indexes.find((i) => i.name === "email_1")?.collation).toMatchObject({ locale: "en_US", strength: 2 });
  });

  it("rejects malformed collations", async () => {
    const coll = h.coll("bad");
    await expect(coll.find({}, { collation: { locale: "en", strength: 9 } }).toArray()).rejects.toMatchObject({ code: 2 });
    await expect(coll.find({}, { collation: { strength: 2 } as never }).toArray()).rejects.toMatchObject({ code: 40414 });
  });
});
