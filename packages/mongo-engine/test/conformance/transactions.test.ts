import { MongoServerError } from "mongodb";
import { describe, expect, it } from "vitest";
import { useHarness } from "../conformanceHarness";

const h = useHarness("txn");

describe("transactions", () => {
  it("commits atomically across collections and two databases", async () => {
    const accounts = h.coll("accounts", "bank");
    const audit = h.coll("audit", "logs");
    await accounts.insertMany([
      { _id: "a", balance: 100 },
      { _id: "b", balance: 0 },
    ] as never[]);
    await audit.insertOne({ seed: true });
    const session = h.client().startSession();
    try {
      await session.withTransaction(async () => {
        await accounts.updateOne({ _id: "a" as never }, { $inc: { balance: -40 } }, { session });
        await accounts.updateOne({ _id: "b" as never }, { $inc: { balance: 40 } }, { session });
        await audit.insertOne({ moved: 40 }, { session });
        expect(await accounts.findOne({ _id: "a" as never }, { session })).toMatchObject({ balance: 60 });
        expect(await accounts.findOne({ _id: "a" as never })).toMatchObject({ balance: 100 });
      });
    } finally {
      await session.endSession();
    }
    expect(await accounts.find().sort({ _id: 1 }).toArray()).toEqual([
      { _id: "a", balance: 60 },
      { _id: "b", balance: 40 },
    ]);
    expect(await audit.countDocuments({ moved: 40 })).toBe(1);
  });

  it("abort leaves nothing behind", async () => {
    const items = h.coll("items");
    const other = h.coll("other", "second");
    await items.insertOne({ _id: 1, v: 1 } as never);
    await other.insertOne({ keep: true });
    const session = h.client().startSession();
    try {
      session.startTransaction();
      await items.insertOne({ _id: 2, v: 2 } as never, { session });
      await items.updateOne({ _id: 1 as never }, { $set: { v: 100 } }, { session });
      await other.deleteMany({}, { session });
      await h.coll("created_in_txn").insertOne({ x: 1 }, { session });
      await session.abortTransaction();
    } finally {
      await session.endSession();
    }
    expect(await items.find().toArray()).toEqual([{ _id: 1, v: 1 }]);
    expect(await other.countDocuments()).toBe(1);
    expect(await h.coll("created_in_txn").countDocuments()).toBe(0);
  });

  it("raises duplicate-key errors inside a transaction and the transaction cannot commit", async () => {
    const users = h.coll("users");
    await users.createIndex({ email: 1 }, { unique: true });
    await users.insertOne({ email: "x@y.z" });
    const session = h.client().startSession();
    try {
      session.startTransaction();
      await users.insertOne({ email: "new@y.z" }, { session });
      const error = await users.insertOne({ email: "x@y.z" }, { session }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MongoServerError);
      expect(error).toMatchObject({ code: 11000, keyPattern: { email: 1 }, keyValue: { email: "x@y.z" } });
      await expect(session.commitTransaction()).rejects.toMatchObject({ code: 251 });
    } finally {
      await session.endSession();
    }
    expect(await users.countDocuments()).toBe(1);
  });

  it("withTransaction retries after a WriteConflict", async () => {
    const counters = h.coll("counters");
    await counters.insertOne({ _id: "c", n: 0 } as never);
    const session = h.client().startSession();
    let attempts = 0;
    const labels: string[][] = [];
    try {
      await session.withTransaction(async () => {
        attempts += 1;
        await counters.findOne({ _id: "c" as never }, { session });
        if (attempts === 1) {
          await counters.updateOne({ _id: "c" as never }, { $inc: { n: 100 } });
        }
        try {
          await counters.updateOne({ _id: "c" as never }, { $inc: { n: 1 } }, { session });
        } catch (error) {
          if (error instanceof MongoServerError) labels.push(error.errorLabels);
          throw error;
        }
      });
    } finally {
      await session.endSession();
    }
    expect(attempts).toBe(2);
    expect(labels[0]).toContain("TransientTransactionError");
    expect(await counters.findOne({ _id: "c" as never })).toEqual({ _id: "c", n: 101 });
  });

  it("two sessions writing the same document: the second gets WriteConflict (112)", async () => {
    const docs = h.coll("contended");
    await docs.insertOne({ _id: 1, v: 0 } as never);
    const s1 = h.client().startSession();
    const s2 = h.client().startSession();
    try {
      s1.startTransaction();
      s2.startTransaction();
      await docs.updateOne({ _id: 1 as never }, { $set: { v: 1 } }, { session: s1 });
      const error = await docs.updateOne({ _id: 1 as never }, { $set: { v: 2 } }, { session: s2 }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 112 });
      expect((error as MongoServerError).errorLabels).toContain("TransientTransactionError");
      await s1.commitTransaction();
      await s2.abortTransaction();
    } finally {
      await s1.endSession();
      await s2.endSession();
    }
    expect(await docs.findOne({ _id: 1 as never })).toEqual({ _id: 1, v: 1 });
  });

  it("reads inside a transaction see a snapshot", async () => {
    const snap = h.coll("snapshot");
    await snap.insertOne({ _id: 1, v: "old" } as never);
    const session = h.client().startSession();
    try {
      session.startTransaction();
      expect(await snap.findOne({ _id: 1 as never }, { session })).toEqual({ _id: 1, v: "old" });
      await snap.updateOne({ _id: 1 as never }, { $set: { v: "new" } });
      await snap.insertOne({ _id: 2, v: "late" } as never);
      expect(await snap.find({}, { session }).toArray()).toEqual([{ _id: 1, v: "old" }]);
      await session.commitTransaction();
    } finally {
      await session.endSession();
    }
    expect(await snap.countDocuments()).toBe(2);
  });
});
