import { type Document, MongoClient } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CompatServer, startCompatServer } from "./compatServer";

let server: CompatServer;
let client: MongoClient;
const db = () => client.db("explain_tests");
const coll = () => db().collection("items");

/** The first stage of a plan tree with the given name. */
function findStage(plan: Document, name: string): Document | undefined {
  if (plan.stage === name) return plan;
  for (const child of [plan.inputStage, ...((plan.inputStages as Document[] | undefined) ?? [])]) {
    const found = child ? findStage(child as Document, name) : undefined;
    if (found) return found;
  }
  return undefined;
}

beforeAll(async () => {
  server = await startCompatServer();
  client = await MongoClient.connect(server.uri);
  await coll().insertMany([
    { _id: 1, team: "a", score: 5, tags: ["x"] },
    { _id: 2, team: "b", score: 7, tags: ["y", "z"] },
    { _id: 3, team: "a", score: 9 },
  ] as never[]);
  await coll().createIndex({ team: 1, score: -1 });
  await coll().createIndex({ tags: 1 });
});

afterAll(async () => {
  await client.close();
  await server.stop();
});

describe("explain", () => {
  it("reports an IXSCAN with the index name and bounds under FETCH for an indexed equality", async () => {
    const explained = await coll().find({ team: "a" }).explain("queryPlanner");
    const plan = explained.queryPlanner.winningPlan as Document;
    expect(plan.stage).toBe("FETCH");
    expect(plan.inputStage).toMatchObject({
      stage: "IXSCAN",
      indexName: "team_1_score_-1",
      keyPattern: { team: 1, score: -1 },
      direction: "forward",
      indexBounds: { team: ['["a", "a"]'], score: ["[MaxKey, MinKey]"] },
    });
    expect(explained.queryPlanner.namespace).toBe("explain_tests.items");
  });

  it("uses the compound index for the sort (no SORT stage) and reports range bounds", async () => {
    const plan = (
      await coll()
        .find({ team: "a", score: { $gt: 6 } })
        .sort({ score: -1 })
        .explain()
    ).queryPlanner.winningPlan as Document;
    expect(findStage(plan, "SORT")).toBeUndefined();
    expect(findStage(plan, "IXSCAN")).toMatchObject({ indexName: "team_1_score_-1" });
  });

  it("reports COLLSCAN with the filter, and a blocking SORT, when no index helps", async () => {
    const plan = (await coll().find({ missing: 1 }).sort({ other: 1 }).explain()).queryPlanner.winningPlan as Document;
    expect(plan).toMatchObject({ stage: "SORT", sortPattern: { other: 1 } });
    expect(plan.inputStage).toMatchObject({ stage: "COLLSCAN", filter: { missing: 1 }, direction: "forward" });
  });

  it("reports IDHACK for an _id equality, a multikey index as such, and EOF for a missing collection", async () => {
    expect(
      (
        await coll()
          .find({ _id: 2 } as never)
          .explain()
      ).queryPlanner.winningPlan,
    ).toEqual({ stage: "IDHACK" });
    const tags = (await coll().find({ tags: "y" }).explain()).queryPlanner.winningPlan as Document;
    expect(findStage(tags, "IXSCAN")).toMatchObject({ indexName: "tags_1", isMultiKey: true });
    expect((await db().collection("nope").find({ a: 1 }).explain()).queryPlanner.winningPlan).toEqual({ stage: "EOF" });
  });

  it("counts what the query returns in executionStats", async () => {
    const explained = await coll().find({ team: "a" }).explain("executionStats");
    expect(explained.executionStats).toMatchObject({ executionSuccess: true, nReturned: 2 });
  });

  it("explains count, distinct, update, delete and findAndModify through the explain command", async () => {
    const run = (explain: Document) => db().command({ explain, verbosity: "queryPlanner" });
    const count = await run({ count: "items", query: { team: "b" } });
    expect(count.queryPlanner.winningPlan).toMatchObject({ stage: "COUNT", inputStage: { stage: "FETCH" } });
    const fast = await run({ count: "items", query: {} });
    expect(fast.queryPlanner.winningPlan).toEqual({ stage: "RECORD_STORE_FAST_COUNT" });
    const distinct = await run({ distinct: "items", key: "team" });
    expect(findStage(distinct.queryPlanner.winningPlan, "DISTINCT_SCAN")).toMatchObject({ indexName: "team_1_score_-1" });
    const update = await run({ update: "items", updates: [{ q: { team: "a" }, u: { $set: { x: 1 } } }] });
    expect(update.queryPlanner.winningPlan).toMatchObject({ stage: "UPDATE", inputStage: { stage: "FETCH" } });
    const remove = await run({ delete: "items", deletes: [{ q: { nope: 1 }, limit: 1 }] });
    expect(remove.queryPlanner.winningPlan).toMatchObject({ stage: "DELETE", inputStage: { stage: "COLLSCAN" } });
    const fam = await run({ findAndModify: "items", query: { _id: 1 }, update: { $set: { y: 1 } } });
    expect(fam.queryPlanner.winningPlan).toMatchObject({ stage: "UPDATE" });
    expect(await coll().countDocuments({ x: 1 })).toBe(0);
  });

  it("explains an aggregation: the query layer under $cursor, the rest as stages", async () => {
    const explained = await coll()
      .aggregate([{ $match: { team: "a" } }, { $group: { _id: "$team", n: { $sum: 1 } } }])
      .explain();
    const stages = explained.stages as Document[];
    expect(stages[0]?.$cursor.queryPlanner.winningPlan).toMatchObject({ stage: "FETCH", inputStage: { stage: "IXSCAN" } });
    expect(stages[1]).toEqual({ $group: { _id: "$team", n: { $sum: 1 } } });
  });

  it("rejects an unknown verbosity", async () => {
    await expect(db().command({ explain: { find: "items" }, verbosity: "everything" })).rejects.toMatchObject({ code: 9 });
  });
});
