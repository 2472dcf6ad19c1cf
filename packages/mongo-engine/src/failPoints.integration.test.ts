import { type Document, MongoClient, MongoNetworkError, MongoServerError, MongoWriteConcernError } from "mongodb";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type CompatServer, startCompatServer } from "./compatServer";

let server: CompatServer;
let client: MongoClient;

beforeAll(async () => {
  server = await startCompatServer({ enableTestCommands: true });
  client = await MongoClient.connect(server.uri, { minHeartbeatFrequencyMS: 20 });
});

afterEach(async () => {
  await client.db("admin").command({ configureFailPoint: "failCommand", mode: "off" });
  await client.db("admin").command({ configureFailPoint: "onPrimaryTransactionalWrite", mode: "off" });
});

afterAll(async () => {
  await client.close();
  await server.stop();
});

const failCommand = (mode: unknown, data: Document) => client.db("admin").command({ configureFailPoint: "failCommand", mode, data });

describe("configureFailPoint failCommand", () => {
  it("fails the named command with the error code for {times: n}, then runs it again", async () => {
    const coll = client.db("fp").collection("times");
    await failCommand({ times: 2 }, { failCommands: ["find"], errorCode: 2, errorLabels: [] });
    for (let i = 0; i < 2; i++) {
      const error = await coll.findOne({}).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MongoServerError);
      expect(error).toMatchObject({ code: 2, codeName: "BadValue", message: "Failing command via 'failCommand' failpoint" });
    }
    await expect(coll.findOne({})).resolves.toBeNull();
  });

  it("skips the first n matching commands with {skip: n}, then fails every one (alwaysOn)", async () => {
    const coll = client.db("fp").collection("skip");
    await failCommand({ skip: 1 }, { failCommands: ["count"], errorCode: 8 });
    await expect(coll.estimatedDocumentCount()).resolves.toBe(0);
    await expect(coll.estimatedDocumentCount()).rejects.toMatchObject({ code: 8, codeName: "UnknownError" });
    await expect(coll.estimatedDocumentCount()).rejects.toMatchObject({ code: 8 });
  });

  it("labels retryable codes of retryable writes RetryableWriteError, so the driver retries them", async () => {
    const coll = client.db("fp").collection("retry");
    await failCommand({ times: 1 }, { failCommands: ["insert"], errorCode: 91 });
    await coll.insertOne({ _id: 1 } as never);
    expect(await coll.countDocuments()).toBe(1);
    await failCommand({ times: 1 }, { failCommands: ["insert"], errorCode: 91 });
    const noRetry = new MongoClient(server.uri, { retryWrites: false });
    try {
      const error = await noRetry
        .db("fp")
        .collection("retry")
        .insertOne({ _id: 2 } as never)
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 91, codeName: "ShutdownInProgress" });
      expect((error as MongoServerError).errorLabels).not.toContain("RetryableWriteError");
    } finally {
      await noRetry.close();
    }
  });

  it("lets errorLabels replace the server's labels", async () => {
    await failCommand({ times: 1 }, { failCommands: ["ping"], errorCode: 11600, errorLabels: ["CustomLabel"] });
    const error = (await client
      .db("fp")
      .command({ ping: 1 })
      .catch((e: unknown) => e)) as MongoServerError;
    expect(error.code).toBe(11600);
    expect(error.errorLabels).toContain("CustomLabel");
    expect(error.errorLabels).not.toContain("RetryableWriteError");
  });

  it("closes the connection for closeConnection: the client sees a network error", async () => {
    const noRetry = new MongoClient(server.uri, { retryReads: false, minHeartbeatFrequencyMS: 20 });
    try {
      await noRetry.db("fp").command({ ping: 1 });
      await failCommand({ times: 1 }, { failCommands: ["find"], closeConnection: true });
      await expect(noRetry.db("fp").collection("net").findOne({})).rejects.toBeInstanceOf(MongoNetworkError);
      await expect(noRetry.db("fp").collection("net").findOne({})).resolves.toBeNull();
    } finally {
      await noRetry.close();
    }
  });

  it("holds the command back with blockConnection while other connections go on", async () => {
    const other = await MongoClient.connect(server.uri, { appName: "bystander" });
    const blocked = new MongoClient(server.uri, { appName: "blocked" });
    try {
      await blocked.db("fp").command({ ping: 1 });
      await failCommand({ times: 1 }, { failCommands: ["ping"], blockConnection: true, blockTimeMS: 500, appName: "blocked" });
      const order: string[] = [];
      const slow = blocked
        .db("fp")
        .command({ ping: 1 })
        .then(() => order.push("blocked"));
      await other.db("fp").command({ ping: 1 });
      order.push("bystander");
      await slow;
      expect(order).toEqual(["bystander", "blocked"]);
    } finally {
      await other.close();
      await blocked.close();
    }
  });

  it("runs the write and reports writeConcernError", async () => {
    await failCommand(
      { times: 1 },
      { failCommands: ["insert"], writeConcernError: { code: 64, codeName: "WriteConcernTimeout", errmsg: "waiting" } },
    );
    const error = await client
      .db("fp")
      .collection("wce")
      .insertOne({ _id: "w" } as never, { writeConcern: { w: "majority" } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MongoWriteConcernError);
    expect(error).toMatchObject({ code: 64 });
    expect(await client.db("fp").collection("wce").countDocuments()).toBe(1);
  });

  it("applies only to clients with the given appName", async () => {
    const named = new MongoClient(server.uri, { appName: "victim" });
    try {
      await failCommand("alwaysOn", { failCommands: ["ping"], errorCode: 2, appName: "victim" });
      await expect(client.db("fp").command({ ping: 1 })).resolves.toMatchObject({ ok: 1 });
      await expect(named.db("fp").command({ ping: 1 })).rejects.toMatchObject({ code: 2 });
    } finally {
      await named.close();
    }
  });

  it("rejects bad configurations and unknown fail points", async () => {
    await expect(failCommand("sometimes", { failCommands: ["ping"] })).rejects.toMatchObject({ code: 9 });
    await expect(failCommand("alwaysOn", { errorCode: 2 })).rejects.toMatchObject({ code: 2 });
    await expect(client.db("admin").command({ configureFailPoint: "hangBeforeCommit", mode: "alwaysOn" })).rejects.toMatchObject({
      code: 238,
    });
    await expect(client.db("fp").command({ configureFailPoint: "failCommand", mode: "off" })).rejects.toMatchObject({ code: 13 });
  });
});

describe("configureFailPoint onPrimaryTransactionalWrite", () => {
  it("closes the connection after a retryable write commits; the retry returns the first result without writing again", async () => {
    const coll = client.db("fp").collection("optw");
    await client.db("admin").command({ configureFailPoint: "onPrimaryTransactionalWrite", mode: { times: 1 } });
    const result = await coll.insertOne({ _id: "once" } as never);
    expect(result.insertedId).toBe("once");
    expect(await coll.find().toArray()).toEqual([{ _id: "once" }]);
  });

  it("with failBeforeCommitExceptionCode the first attempt writes nothing", async () => {
    const coll = client.db("fp").collection("optw2");
    await coll.insertOne({ _id: 1, n: 0 } as never);
    await client.db("admin").command({
      configureFailPoint: "onPrimaryTransactionalWrite",
      mode: { times: 1 },
      data: { failBeforeCommitExceptionCode: 1 },
    });
    await coll.updateOne({ _id: 1 } as never, { $inc: { n: 1 } });
    expect(await coll.findOne({ _id: 1 } as never)).toEqual({ _id: 1, n: 1 });
  });
});

describe("without test commands", () => {
  it("has no configureFailPoint, as mongod without enableTestCommands", async () => {
    const plain = await startCompatServer();
    const plainClient = await MongoClient.connect(plain.uri);
    try {
      await expect(plainClient.db("admin").command({ configureFailPoint: "failCommand", mode: "alwaysOn" })).rejects.toMatchObject({
        code: 59,
      });
      const info = await plainClient.db("admin").command({ getParameter: 1, enableTestCommands: 1 });
      expect(info.enableTestCommands).toBe(false);
    } finally {
      await plainClient.close();
      await plain.stop();
    }
  });
});
