import { MongoServerError } from "mongodb";
import { describe, expect, it } from "vitest";
import { useHarness } from "../conformanceHarness";

const h = useHarness("unsup");

/**
 * Never silently wrong: a real mongod gives the right answer; the compat engine may instead refuse
 * with 115 CommandNotSupported / 238 NotImplemented naming what it lacks. Anything else fails.
 */
async function correctOrRefused<T>(run: () => Promise<T>, named: string, check: (value: T) => void): Promise<void> {
  let value: T;
  try {
    value = await run();
  } catch (error) {
    expect(error).toBeInstanceOf(MongoServerError);
    expect([115, 238]).toContain((error as MongoServerError).code);
    expect((error as Error).message).toContain(named);
    return;
  }
  check(value);
}

describe("unsupported features fail loudly or work", () => {
  it("collation on find", async () => {
    const c = h.coll("collation");
    await c.insertMany([
      { _id: 1, n: "b" },
      { _id: 2, n: "A" },
      { _id: 3, n: "a" },
    ] as never[]);
    await correctOrRefused(
      () =>
        c
          .find({ n: "a" }, { collation: { locale: "en", strength: 2 } })
          .sort({ _id: 1 })
          .toArray(),
      "collation",
      (docs) => expect(docs.map((d) => d._id)).toEqual([2, 3]),
    );
  });

  it("$graphLookup stage", async () => {
    const c = h.coll("graph");
    await c.insertMany([
      { _id: 1, parent: null },
      { _id: 2, parent: 1 },
      { _id: 3, parent: 2 },
    ] as never[]);
    await correctOrRefused(
      () =>
        c
          .aggregate([
            { $match: { _id: 3 } },
            { $graphLookup: { from: "graph", startWith: "$parent", connectFromField: "parent", connectToField: "_id", as: "up" } },
          ])
          .toArray(),
      "$graphLookup",
      (docs) => expect((docs[0]?.up as { _id: number }[]).map((d) => d._id).sort()).toEqual([1, 2]),
    );
  });

  it("text indexes", async () => {
    const c = h.coll("text");
    await correctOrRefused(
      () => c.createIndex({ body: "text" }),
      "text",
      (name) => expect(name).toBe("body_text"),
    );
  });

  it("$where queries", async () => {
    const c = h.coll("where");
    await c.insertOne({ a: 1 });
    await correctOrRefused(
      () => c.find({ $where: "this.a === 1" }).toArray(),
      "$where",
      (docs) => expect(docs).toHaveLength(1),
    );
  });

  it("capped collections", async () => {
    await correctOrRefused(
      () => h.db().createCollection("capped", { capped: true, size: 4096 }),
      "capped",
      (coll) => expect(coll.collectionName).toBe("capped"),
    );
  });

  it("unknown commands are CommandNotFound (59)", async () => {
    await expect(h.db().command({ thisIsNotACommand: 1 })).rejects.toMatchObject({ code: 59, codeName: "CommandNotFound" });
  });
});
