import { MongoClient, Timestamp } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CompatServer, startCompatServer } from "./compatServer";

let server: CompatServer;
let client: MongoClient;

beforeAll(async () => {
  server = await startCompatServer();
  client = await MongoClient.connect(server.uri);
});

afterAll(async () => {
  await client.close();
  await server.stop();
});

describe("change stream limits", () => {
  it("refuses (238) an update event whose updateDescription mongod would give as nested or array paths", async () => {
    const coll = client.db("cs_limits").collection("arrays");
    await coll.insertOne({ _id: 1, list: [1] } as never);
    const stream = coll.watch([], { maxAwaitTimeMS: 20 });
    try {
      await stream.tryNext();
      await coll.updateOne({ _id: 1 } as never, { $push: { list: 2 } } as never);
      await expect(stream.next()).rejects.toMatchObject({ code: 238 });
    } finally {
      await stream.close();
    }
  });

  it("answers 286 ChangeStreamHistoryLost for a resume point from before the engine kept events, and 260 for a foreign token", async () => {
    const coll = client.db("cs_limits").collection("resume");
    await expect(coll.watch([], { startAtOperationTime: new Timestamp({ t: 1, i: 1 }) }).tryNext()).rejects.toMatchObject({ code: 286 });
    await expect(coll.watch([], { resumeAfter: { _data: "not-ours" } }).tryNext()).rejects.toMatchObject({ code: 260 });
  });

  it("refuses pre- and post-images", async () => {
    const coll = client.db("cs_limits").collection("images");
    await expect(coll.watch([], { fullDocumentBeforeChange: "required" }).tryNext()).rejects.toMatchObject({ code: 238 });
  });
});
