import { Double, Int32, Long, MongoClient } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useHarness } from "../conformanceHarness";

const h = useHarness("nums");

/** A client that keeps BSON number types as they come off the wire. */
let raw: MongoClient;
const rawColl = (name: string) => raw.db(h.db().databaseName).collection(name);

beforeAll(async () => {
  raw = await MongoClient.connect(process.env.MONGODB_URI ?? (process.env.CSPM_TEST_MONGODB_URI as string), {
    promoteValues: false,
    promoteLongs: false,
  });
});

afterAll(async () => {
  await raw?.close();
});

const typeOf = (v: unknown) => (v as { _bsontype?: string })?._bsontype ?? typeof v;

describe("BSON numeric types", () => {
  it("stores and returns int32, int64 and double as they were written, and $type names them", async () => {
    const c = h.coll("kinds");
    await c.insertOne({ _id: 1, i: new Int32(1), l: Long.fromNumber(1), d: new Double(1), f: 1.5, z: new Double(-0) } as never);
    const back = await rawColl("kinds").findOne({ _id: new Int32(1) } as never);
    expect([typeOf(back?.i), typeOf(back?.l), typeOf(back?.d), typeOf(back?.f), typeOf(back?.z)]).toEqual([
      "Int32",
      "Long",
      "Double",
      "Double",
      "Double",
    ]);
    expect(Object.is((back?.z as Double).value, -0)).toBe(true);
    const [types] = await c
      .aggregate([{ $project: { _id: 0, i: { $type: "$i" }, l: { $type: "$l" }, d: { $type: "$d" }, f: { $type: "$f" } } }])
      .toArray();
    expect(types).toEqual({ i: "int", l: "long", d: "double", f: "double" });
    expect(await c.countDocuments({ l: { $type: "long" } })).toBe(1);
    expect(await c.countDocuments({ d: { $type: "int" } })).toBe(0);
    expect(await c.countDocuments({ d: 1, l: 1, i: 1 })).toBe(1);
  });

  it("widens $inc and $mul as mongod does", async () => {
    const c = h.coll("inc");
    await c.insertOne({ _id: 1, i: 2147483647, j: 5, k: Long.fromNumber(3), n: 1 } as never);
    await c.updateOne({ _id: 1 } as never, { $inc: { i: 1, j: new Double(0.5), k: 1 }, $mul: { n: new Double(2), m: Long.fromNumber(7) } });
    const back = await rawColl("inc").findOne({});
    expect(typeOf(back?.i)).toBe("Long");
    expect(String(back?.i)).toBe("2147483648");
    expect([typeOf(back?.j), typeOf(back?.k), typeOf(back?.n), typeOf(back?.m)]).toEqual(["Double", "Long", "Double", "Long"]);
    expect((back?.n as Double).value).toBe(2);
  });

  it("types arithmetic and accumulator results as mongod does", async () => {
    const c = h.coll("math");
    await c.insertMany([
      { _id: 1, g: "a", v: 2000000000 },
      { _id: 2, g: "a", v: 2000000000 },
      { _id: 3, g: "b", v: 2 },
      { _id: 4, g: "b", v: 4 },
    ] as never[]);
    const sums = await raw
      .db(h.db().databaseName)
      .collection("math")
      .aggregate([{ $group: { _id: "$g", s: { $sum: "$v" }, a: { $avg: "$v" } } }, { $sort: { _id: 1 } }])
      .toArray();
    expect(sums.map((g) => [typeOf(g.s), typeOf(g.a)])).toEqual([
      ["Long", "Double"],
      ["Int32", "Double"],
    ]);
    const [row] = await rawColl("math")
      .aggregate([
        { $match: { _id: new Int32(3) } },
        {
          $project: {
            add: { $add: ["$v", Long.fromNumber(1)] },
            mul: { $multiply: ["$v", 2000000000] },
            div: { $divide: [6, 3] },
            mod: { $mod: [7, 2] },
            toLong: { $toLong: "$v" },
            toDouble: { $toDouble: "$v" },
            toInt: { $toInt: new Double(2.9) },
            converted: { $convert: { input: "42", to: "long" } },
            rounded: { $round: [new Double(2.4)] },
            sqrt: { $sqrt: 4 },
          },
        },
      ])
      .toArray();
    expect(row && Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeOf(v)]))).toEqual({
      _id: "Int32",
      add: "Long",
      mul: "Long",
      div: "Double",
      mod: "Int32",
      toLong: "Long",
      toDouble: "Double",
      toInt: "Int32",
      converted: "Long",
      rounded: "Double",
      sqrt: "Double",
    });
    expect((row?.toInt as Int32).value).toBe(2);
    expect(String(row?.mul)).toBe("4000000000");
  });
});
