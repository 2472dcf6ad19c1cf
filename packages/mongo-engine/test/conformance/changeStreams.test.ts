import { describe, expect, it } from "vitest";
import { useHarness } from "../conformanceHarness";

const h = useHarness("streams");

describe("change streams", () => {
  it("reports inserts, updates, replacements and deletes of a collection, then drop and invalidate", async () => {
    const coll = h.coll("events");
    await coll.insertOne({ _id: 0 } as never);
    const stream = coll.watch([], { fullDocument: "updateLookup", maxAwaitTimeMS: 50 });
    try {
      await stream.tryNext();
      await coll.insertOne({ _id: 1, a: 1 } as never);
      await coll.updateOne({ _id: 1 } as never, { $set: { b: 2 }, $unset: { a: "" } });
      await coll.replaceOne({ _id: 1 } as never, { z: 1 });
      await coll.deleteOne({ _id: 1 } as never);
      await coll.drop();
      const events = [];
      for (let i = 0; i < 6; i++) events.push(await stream.next());
      expect(events.map((e) => e.operationType)).toEqual(["insert", "update", "replace", "delete", "drop", "invalidate"]);
      expect(events[0]).toMatchObject({
        fullDocument: { _id: 1, a: 1 },
        documentKey: { _id: 1 },
        ns: { db: h.db().databaseName, coll: "events" },
      });
      expect(events[1]).toMatchObject({ updateDescription: { updatedFields: { b: 2 }, removedFields: ["a"] } });
      expect(events[2]).toMatchObject({ fullDocument: { _id: 1, z: 1 } });
      expect(stream.closed).toBe(true);
    } finally {
      await stream.close();
    }
  });

  it("follows a database, reports transaction writes with their session, and resumes after a token", async () => {
    const db = h.db("watched");
    await db.collection("seed").insertOne({ seed: true });
    const stream = db.watch([], { maxAwaitTimeMS: 50 });
    try {
      await stream.tryNext();
      const token = stream.resumeToken;
      const session = h.client().startSession();
      try {
        await session.withTransaction(async () => {
          await db.collection("a").insertOne({ _id: "t1" } as never, { session });
          await db.collection("b").insertOne({ _id: "t2" } as never, { session });
        });
      } finally {
        await session.endSession();
      }
      const first = await stream.next();
      const second = await stream.next();
      expect([first.ns, second.ns]).toEqual([
        { db: db.databaseName, coll: "a" },
        { db: db.databaseName, coll: "b" },
      ]);
      expect(first).toHaveProperty("txnNumber");
      expect(first).toHaveProperty("lsid");
      const resumed = db.watch([], { resumeAfter: token, maxAwaitTimeMS: 50 });
      try {
        expect((await resumed.next()).documentKey).toEqual({ _id: "t1" });
      } finally {
        await resumed.close();
      }
    } finally {
      await stream.close();
    }
  });

  it("applies the stages after $changeStream", async () => {
    const coll = h.coll("filtered");
    const stream = coll.watch([{ $match: { "fullDocument.keep": true } }, { $project: { "fullDocument.keep": 1, operationType: 1 } }], {
      maxAwaitTimeMS: 50,
    });
    try {
      await stream.tryNext();
      await coll.insertMany([{ keep: false }, { keep: true }]);
      const event = await stream.next();
      expect(event).toMatchObject({ operationType: "insert", fullDocument: { keep: true } });
      expect(event).not.toHaveProperty("ns");
    } finally {
      await stream.close();
    }
  });
});
