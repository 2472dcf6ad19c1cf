import { MongoBulkWriteError, MongoServerError } from "mongodb";
import { describe, expect, it } from "vitest";
import { useHarness } from "../conformanceHarness";

const h = useHarness("indexes");

describe("indexes and unique constraints", () => {
  it("creates, lists and drops indexes", async () => {
    const c = h.coll("lifecycle");
    await c.insertOne({ a: 1, b: 2 });
    expect(await c.createIndex({ a: 1 })).toBe("a_1");
    expect(await c.createIndex({ a: 1, b: -1 }, { name: "ab", unique: true })).toBe("ab");
    const indexes = await c.listIndexes().toArray();
    expect(indexes.map((i) => i.name)).toEqual(["_id_", "a_1", "ab"]);
    expect(indexes.find((i) => i.name === "ab")).toMatchObject({ key: { a: 1, b: -1 }, unique: true });
    await c.dropIndex("a_1");
    expect((await c.listIndexes().toArray()).map((i) => i.name)).toEqual(["_id_", "ab"]);
    await expect(c.dropIndex("nope")).rejects.toMatchObject({ code: 27 });
  });

  it("finds the same documents through compound-index prefixes as by scanning, across writes", async () => {
    const c = h.coll("prefix");
    await c.createIndex({ t: 1, m: 1, d: -1 });
    await c.createIndex({ t: 1, k: 1 }, { unique: true });
    const docs = Array.from({ length: 60 }, (_, i) => ({
      _id: i,
      t: i % 10 === 0 ? ["a", "b"] : i < 40 ? "a" : i % 2 ? "b" : "c",
      m: i % 3 === 0,
      d: i,
      k: `k${i}`,
    }));
    await c.insertMany(docs as never[]);
    const ids = async (filter: object): Promise<number[]> =>
      (await c.find(filter).toArray()).map((d) => d._id as unknown as number).sort((x, y) => x - y);
    const expected = (pick: (d: (typeof docs)[number]) => boolean): number[] => docs.filter(pick).map((d) => d._id);
    const hasT = (d: (typeof docs)[number], t: string): boolean => (Array.isArray(d.t) ? d.t.includes(t) : d.t === t);
    expect(await ids({ t: "b", m: false, d: { $gte: 20 } })).toEqual(expected((d) => hasT(d, "b") && !d.m && d.d >= 20));
    expect(await ids({ t: "c" })).toEqual(expected((d) => hasT(d, "c")));
    expect(await ids({ t: { $in: ["b", "c"] }, m: true })).toEqual(expected((d) => (hasT(d, "b") || hasT(d, "c")) && d.m));
    expect(await ids({ t: "b", k: "k41" })).toEqual([41]);
    await c.updateMany({ d: { $gte: 50 } }, { $set: { t: "c", m: true } });
    await c.deleteMany({ d: { $in: [41, 43, 44] } });
    for (const d of docs) {
      if (d.d >= 50) Object.assign(d, { t: "c", m: true });
    }
    const left = docs.filter((d) => ![41, 43, 44].includes(d.d));
    const expectedLeft = (pick: (d: (typeof docs)[number]) => boolean): number[] => left.filter(pick).map((d) => d._id);
    expect(await ids({ t: "b", m: false })).toEqual(expectedLeft((d) => hasT(d, "b") && !d.m));
    expect(await ids({ t: "c", m: true, d: { $lt: 58 } })).toEqual(expectedLeft((d) => hasT(d, "c") && d.m && d.d < 58));
    const [counted] = await c.aggregate([{ $match: { t: "c", m: true } }, { $count: "n" }]).toArray();
    expect(counted?.n).toBe(expectedLeft((d) => hasT(d, "c") && d.m).length);
  });

  it("shapes duplicate-key errors exactly like mongod", async () => {
    const c = h.coll("dup");
    await c.createIndex({ email: 1 }, { unique: true });
    await c.insertOne({ _id: 1, email: "a@x.io" } as never);
    const error = await c.insertOne({ _id: 2, email: "a@x.io" } as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MongoServerError);
    expect(error).toMatchObject({ code: 11000, keyPattern: { email: 1 }, keyValue: { email: "a@x.io" } });
    expect((error as Error).message).toBe(
      `E11000 duplicate key error collection: ${h.prefix}main.dup index: email_1 dup key: { email: "a@x.io" }`,
    );
    const idError = await c.insertOne({ _id: 1, email: "other" } as never).catch((e: unknown) => e);
    expect(idError).toMatchObject({ code: 11000, keyPattern: { _id: 1 }, keyValue: { _id: 1 } });
    expect((idError as Error).message).toContain("index: _id_ dup key: { _id: 1 }");
  });

  it("reports per-write errors in ordered and unordered bulk writes", async () => {
    const c = h.coll("bulk");
    await c.createIndex({ k: 1 }, { unique: true });
    const ordered = await c.insertMany([{ k: 1 }, { k: 2 }, { k: 1 }, { k: 3 }]).catch((e: unknown) => e as MongoBulkWriteError);
    expect(ordered).toBeInstanceOf(MongoBulkWriteError);
    const o = ordered as MongoBulkWriteError;
    expect(o.insertedCount).toBe(2);
    expect(o.writeErrors).toHaveLength(1);
    const first = Array.isArray(o.writeErrors) ? o.writeErrors[0] : o.writeErrors;
    expect(first?.index).toBe(2);
    expect(first?.code).toBe(11000);
    expect(first?.errmsg).toBe(`E11000 duplicate key error collection: ${h.prefix}main.bulk index: k_1 dup key: { k: 1 }`);
    expect(await c.countDocuments()).toBe(2);

    const unordered = await c
      .bulkWrite(
        [
          { insertOne: { document: { k: 2 } } },
          { insertOne: { document: { k: 4 } } },
          { updateOne: { filter: { k: 4 }, update: { $set: { seen: true } } } },
          { insertOne: { document: { k: 1 } } },
          { insertOne: { document: { k: 5 } } },
        ],
        { ordered: false },
      )
      .catch((e: unknown) => e as MongoBulkWriteError);
    expect(unordered).toBeInstanceOf(MongoBulkWriteError);
    const u = unordered as MongoBulkWriteError;
    const errors = Array.isArray(u.writeErrors) ? u.writeErrors : [u.writeErrors];
    expect(errors.map((e) => [e.index, e.code])).toEqual([
      [0, 11000],
      [3, 11000],
    ]);
    expect(u.insertedCount).toBe(2);
    expect(u.matchedCount).toBe(1);
    expect(u.modifiedCount).toBe(1);
    expect(await c.countDocuments()).toBe(4);
  });

  it("reports keyValue for compound and nested unique keys", async () => {
    const c = h.coll("compound");
    await c.createIndex({ team: 1, "profile.handle": 1 }, { unique: true });
    await c.insertOne({ team: "t1", profile: { handle: "h" } });
    const error = await c.insertOne({ team: "t1", profile: { handle: "h" } }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 11000,
      keyPattern: { team: 1, "profile.handle": 1 },
      keyValue: { team: "t1", "profile.handle": "h" },
    });
  });

  it("enforces partial unique indexes only on matching documents", async () => {
    const c = h.coll("partial");
    await c.createIndex({ sku: 1 }, { unique: true, partialFilterExpression: { active: true } });
    await c.insertMany([
      { sku: "a", active: false },
      { sku: "a", active: false },
      { sku: "a", active: true },
    ]);
    await expect(c.insertOne({ sku: "a", active: true })).rejects.toMatchObject({ code: 11000 });
    await c.insertOne({ sku: "b", active: true });
    expect(await c.countDocuments({ sku: "a" })).toBe(3);
  });

  it("rejects a unique index over existing duplicates and upserts that collide", async () => {
    const c = h.coll("late");
    await c.insertMany([{ x: 1 }, { x: 1 }]);
    await expect(c.createIndex({ x: 1 }, { unique: true })).rejects.toMatchObject({ code: 11000 });
    await c.deleteOne({ x: 1 });
    await c.createIndex({ x: 1 }, { unique: true });
    await c.insertOne({ x: 2 });
    await expect(c.updateOne({ x: 2 }, { $set: { x: 1 } })).rejects.toMatchObject({ code: 11000, keyValue: { x: 1 } });
  });

  it("finds by indexed equality and by _id", async () => {
    const c = h.coll("lookup");
    await c.createIndex({ tenant: 1 });
    await c.insertMany(Array.from({ length: 50 }, (_, i) => ({ _id: i, tenant: `t${i % 5}` })) as never[]);
    const hits = await c.find({ tenant: "t3" }).toArray();
    expect(hits.map((d) => d._id)).toEqual([3, 8, 13, 18, 23, 28, 33, 38, 43, 48]);
    expect(await c.findOne({ _id: 42 as never })).toEqual({ _id: 42, tenant: "t2" });
    expect(await c.countDocuments({ tenant: { $in: ["t1", "t2"] }, _id: { $lt: 10 } })).toBe(4);
  });
});
