import { MongoServerError } from "mongodb";
import { describe, expect, it } from "vitest";
import { useHarness } from "../conformanceHarness";

const h = useHarness("snap");

describe("snapshot reads", () => {
  it("pins every read of a snapshot session to the cluster time of its first read", async () => {
    const coll = h.coll("s");
    await coll.insertMany(
      [
        { _id: 1, x: 11 },
        { _id: 2, x: 11 },
      ] as never[],
      { writeConcern: { w: "majority" } },
    );
    const session = h.client().startSession({ snapshot: true });
    try {
      expect(await coll.find({}, { session }).toArray()).toHaveLength(2);
      await coll.updateOne({ _id: 1 } as never, { $inc: { x: 1 } }, { writeConcern: { w: "majority" } });
      await coll.insertOne({ _id: 3, x: 33 } as never, { writeConcern: { w: "majority" } });
      expect(await coll.find({}, { session }).toArray()).toEqual([
        { _id: 1, x: 11 },
        { _id: 2, x: 11 },
      ]);
      expect(await coll.distinct("x", {}, { session })).toEqual([11]);
      expect(await coll.countDocuments({}, { session })).toBe(2);
      expect(await coll.countDocuments({})).toBe(3);
    } finally {
      await session.endSession();
    }
  });

  it("rejects snapshot read concern on writes and non-snapshot commands outside transactions", async () => {
    const coll = h.coll("w");
    await coll.insertOne({ _id: 1 } as never);
    const session = h.client().startSession({ snapshot: true });
    try {
      const error = await coll.insertOne({ _id: 2 } as never, { session }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MongoServerError);
      await expect(h.db().command({ listCollections: 1 }, { session })).rejects.toBeInstanceOf(MongoServerError);
    } finally {
      await session.endSession();
    }
    expect(await coll.countDocuments()).toBe(1);
  });
});
