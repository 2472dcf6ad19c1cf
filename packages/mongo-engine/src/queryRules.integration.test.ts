import { MongoClient, MongoServerError } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CompatServer, startCompatServer } from "./compatServer";

let server: CompatServer;
let client: MongoClient;
const db = () => client.db("rules_tests");
const coll = () => db().collection("items");
const admin = () => client.db("admin");

beforeAll(async () => {
  server = await startCompatServer({ notablescan: true });
  client = await MongoClient.connect(server.uri);
  await coll().insertMany([
    { _id: 1, team: "a", email: "a@x", score: 1 },
    { _id: 2, team: "b", email: "b@x", score: 2 },
  ] as never[]);
  await coll().createIndex({ team: 1 });
});

afterAll(async () => {
  await client.close();
  await server.stop();
});

const NO_PLAN = { code: 291, codeName: "NoQueryExecutionPlans", message: "No indexed plans available, and running with 'notablescan'" };

describe("notablescan", () => {
  it("fails every command whose query only a collection scan can answer, with mongod's error", async () => {
    await expect(coll().find({ email: "a@x" }).toArray()).rejects.toMatchObject(NO_PLAN);
    await expect(coll().countDocuments({ email: "a@x" })).rejects.toMatchObject(NO_PLAN);
    await expect(coll().distinct("team", { email: "a@x" })).rejects.toMatchObject(NO_PLAN);
    await expect(
      coll()
        .aggregate([{ $match: { email: "a@x" } }])
        .toArray(),
    ).rejects.toMatchObject(NO_PLAN);
    await expect(coll().findOneAndUpdate({ email: "a@x" }, { $set: { seen: true } })).rejects.toMatchObject(NO_PLAN);
    const update = await coll()
      .updateOne({ email: "a@x" }, { $set: { seen: true } })
      .catch((e: unknown) => e);
    expect(update).toBeInstanceOf(MongoServerError);
    expect(update).toMatchObject({ code: 291 });
    await expect(coll().deleteMany({ email: "a@x" })).rejects.toMatchObject({ code: 291 });
    expect(await coll().find({}).toArray()).toEqual([
      { _id: 1, team: "a", email: "a@x", score: 1 },
      { _id: 2, team: "b", email: "b@x", score: 2 },
    ]);
  });

  it("allows indexed queries, _id look-ups, sorts an index provides, empty filters and missing collections", async () => {
    expect(await coll().find({ team: "a", email: "a@x" }).toArray()).toHaveLength(1);
    expect(
      await coll()
        .find({ _id: 2 } as never)
        .toArray(),
    ).toHaveLength(1);
    expect(
      await coll()
        .find({ email: { $exists: true } })
        .sort({ team: 1 })
        .toArray(),
    ).toHaveLength(2);
    expect(await coll().find({}).toArray()).toHaveLength(2);
    expect(
      await coll()
        .aggregate([{ $group: { _id: "$team" } }])
        .toArray(),
    ).toHaveLength(2);
    expect(await db().collection("absent").find({ email: "a@x" }).toArray()).toEqual([]);
    expect(await coll().find({ email: "a@x" }).hint({ team: 1 }).toArray()).toHaveLength(1);
  });

  it("exempts system collections and the admin, local and config databases, and refuses a $natural hint", async () => {
    await client.db("local").collection("scan").insertOne({ x: 1 });
    expect(await client.db("local").collection("scan").find({ x: 1 }).toArray()).toHaveLength(1);
    await expect(coll().find({ team: "a" }).hint({ $natural: 1 }).toArray()).rejects.toMatchObject({
      code: 2,
      message: "hint $natural is not allowed, because 'notablescan' is enabled",
    });
  });

  it("is a server parameter: getParameter reads it, setParameter turns it off and on and answers the old value", async () => {
    expect(await admin().command({ getParameter: 1, notablescan: 1 })).toMatchObject({ notablescan: true });
    expect(await admin().command({ setParameter: 1, notablescan: false })).toMatchObject({ was: true });
    expect(await coll().find({ email: "b@x" }).toArray()).toHaveLength(1);
    expect(await admin().command({ setParameter: 1, notablescan: true })).toMatchObject({ was: false });
    await expect(coll().find({ email: "b@x" }).toArray()).rejects.toMatchObject({ code: 291 });
    await expect(admin().command({ setParameter: 1, noSuchParameter: 1 })).rejects.toMatchObject({ code: 2 });
    await expect(admin().command({ getParameter: 1, noSuchParameter: 1 })).rejects.toMatchObject({ code: 72 });
  });
});

describe("notablescanDatabasePrefixes (this engine's extension)", () => {
  it("refuses collection scans in the listed databases only, changed one prefix at a time", async () => {
    await admin().command({ setParameter: 1, notablescan: false });
    const other = client.db("open_tests").collection("items");
    await other.insertOne({ email: "c@x" });
    expect(await admin().command({ getParameter: 1, notablescanDatabasePrefixes: 1 })).toMatchObject({ notablescanDatabasePrefixes: [] });
    expect(await admin().command({ setParameter: 1, notablescanDatabasePrefixes: { add: "rules_" } })).toMatchObject({ was: [] });
    await admin().command({ setParameter: 1, notablescanDatabasePrefixes: { add: "rules_" } });
    await expect(coll().find({ email: "a@x" }).toArray()).rejects.toMatchObject(NO_PLAN);
    await expect(
      coll()
        .aggregate([{ $match: { email: "a@x" } }])
        .toArray(),
    ).rejects.toMatchObject(NO_PLAN);
    expect(await coll().find({ team: "a", email: "a@x" }).toArray()).toHaveLength(1);
    expect(await other.find({ email: "c@x" }).toArray()).toHaveLength(1);
    expect(await admin().command({ setParameter: 1, notablescanDatabasePrefixes: { add: "open_" } })).toMatchObject({ was: ["rules_"] });
    await expect(other.find({ email: "c@x" }).toArray()).rejects.toMatchObject(NO_PLAN);
    expect(await admin().command({ setParameter: 1, notablescanDatabasePrefixes: { remove: "rules_" } })).toMatchObject({
      was: ["rules_", "open_"],
    });
    expect(await coll().find({ email: "a@x" }).toArray()).toHaveLength(1);
    await admin().command({ setParameter: 1, notablescanDatabasePrefixes: [] });
    expect(await other.find({ email: "c@x" }).toArray()).toHaveLength(1);
    for (const bad of [[""], [3], { add: "" }, { add: "a", remove: "b" }, "rules_", null]) {
      await expect(admin().command({ setParameter: 1, notablescanDatabasePrefixes: bad })).rejects.toMatchObject({ code: 2 });
    }
    await admin().command({ setParameter: 1, notablescan: true });
  });
});

describe("blocking sort memory limit", () => {
  it("fails an in-memory sort over the limit that may not spill (292), and lets an index-backed or spilling sort through", async () => {
    await admin().command({ setParameter: 1, notablescan: false });
    await admin().command({ setParameter: 1, internalQueryMaxBlockingSortMemoryUsageBytes: 40 });
    try {
      await expect(coll().find({}).sort({ email: 1 }).allowDiskUse(false).toArray()).rejects.toMatchObject({
        code: 292,
        codeName: "QueryExceededMemoryLimitNoDiskUseAllowed",
      });
      await expect(
        coll()
          .aggregate([{ $sort: { email: 1 } }], { allowDiskUse: false })
          .toArray(),
      ).rejects.toMatchObject({ code: 292 });
      expect(await coll().find({}).sort({ email: 1 }).toArray()).toHaveLength(2);
      expect(await coll().find({}).sort({ team: 1 }).allowDiskUse(false).toArray()).toHaveLength(2);
      await admin().command({ setParameter: 1, allowDiskUseByDefault: false });
      await expect(coll().find({}).sort({ email: 1 }).toArray()).rejects.toMatchObject({ code: 292 });
      expect(await coll().find({}).sort({ email: 1 }).allowDiskUse(true).toArray()).toHaveLength(2);
    } finally {
      await admin().command({ setParameter: 1, allowDiskUseByDefault: true });
      await admin().command({ setParameter: 1, internalQueryMaxBlockingSortMemoryUsageBytes: 104857600 });
      await admin().command({ setParameter: 1, notablescan: true });
    }
  });
});
