import { MongoClient, MongoServerError, MongoWriteConcernError } from "mongodb";
import { describe, expect, it } from "vitest";
import { useHarness } from "../conformanceHarness";

const h = useHarness("concern");

describe("read and write concerns of a one-member replica set", () => {
  it("reports a write concern it cannot satisfy after writing, also on commit", async () => {
    const coll = h.coll("w");
    const error = await coll.insertOne({ _id: 1 } as never, { writeConcern: { w: 10 } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MongoWriteConcernError);
    expect(error).toMatchObject({ code: 100 });
    const session = h.client().startSession();
    try {
      session.startTransaction({ writeConcern: { w: 10 } });
      await coll.insertOne({ _id: 2 } as never, { session });
      const commit = await session.commitTransaction().catch((e: unknown) => e);
      expect(commit).toBeInstanceOf(MongoServerError);
      expect((commit as MongoServerError).hasErrorLabel("TransientTransactionError")).toBe(false);
    } finally {
      await session.endSession();
    }
    expect(await coll.countDocuments()).toBe(2);
  });

  it("refuses $out with linearizable read concern", async () => {
    const coll = h.coll("src");
    await coll.insertOne({ _id: 1 } as never);
    await expect(coll.aggregate([{ $out: "dst" }], { readConcern: { level: "linearizable" } }).toArray()).rejects.toMatchObject({
      code: 72,
    });
  });

  it("puts keyPattern and keyValue on a $merge duplicate key error", async () => {
    const coll = h.coll("merge");
    await coll.insertOne({ _id: 2, x: 1 } as never);
    const error = await h
      .db()
      .aggregate([{ $documents: [{ _id: 2, x: 1 }] }, { $merge: { into: "merge", whenMatched: "fail" } }])
      .toArray()
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 11000, errorResponse: { keyPattern: { _id: 1 }, keyValue: { _id: 2 } } });
  });

  it("enforces Stable API strict mode: commands outside API Version 1 fail with APIStrictError", async () => {
    const strict = new MongoClient(process.env.MONGODB_URI ?? (process.env.CSPM_TEST_MONGODB_URI as string), {
      serverApi: { version: "1", strict: true },
    });
    try {
      const coll = strict.db(h.db().databaseName).collection("api");
      await coll.insertOne({ a: 1 });
      expect(await coll.find({}).toArray()).toHaveLength(1);
      await expect(coll.distinct("a")).rejects.toMatchObject({ code: 323, codeName: "APIStrictError" });
    } finally {
      await strict.close();
    }
  });
});
