import { Binary, Decimal128, Long, MongoServerError, ObjectId, Timestamp, UUID } from "mongodb";
import { describe, expect, it } from "vitest";
import { useHarness } from "../conformanceHarness";

const h = useHarness("types");

describe("BSON types", () => {
  it("round-trips Date, ObjectId, Decimal128, Long, Binary, UUID, Timestamp and nested values", async () => {
    const c = h.coll("roundtrip");
    const oid = new ObjectId();
    const when = new Date("2024-02-29T12:34:56.789Z");
    const doc = {
      _id: oid,
      when,
      price: Decimal128.fromString("1234.5678"),
      big: Long.fromString("9007199254740993"),
      small: Long.fromNumber(42),
      bytes: new Binary(Buffer.from([1, 2, 3])),
      uuid: new UUID("0e0a8b2c-8d4c-4c53-9b9a-3f5b7d7c1e2f"),
      ts: new Timestamp({ t: 1700000000, i: 7 }),
      nested: { list: [1, "two", { three: 3 }], empty: {}, nul: null },
      flag: false,
      text: "ünïcødé ✓",
    };
    await c.insertOne(doc);
    const back = await c.findOne({ _id: oid });
    expect(back?._id).toEqual(oid);
    expect(back?.when).toEqual(when);
    expect(back?.price).toBeInstanceOf(Decimal128);
    expect(back?.price.toString()).toBe("1234.5678");
    expect(back?.big).toBeInstanceOf(Long);
    expect(back?.big.toString()).toBe("9007199254740993");
    expect(back?.small).toBe(42);
    expect(Buffer.from((back?.bytes as Binary).buffer)).toEqual(Buffer.from([1, 2, 3]));
    expect((back?.uuid as Binary).toUUID().toString()).toBe("0e0a8b2c-8d4c-4c53-9b9a-3f5b7d7c1e2f");
    expect(back?.ts).toEqual(new Timestamp({ t: 1700000000, i: 7 }));
    expect(back?.nested).toEqual({ list: [1, "two", { three: 3 }], empty: {}, nul: null });
    expect(back?.text).toBe("ünïcødé ✓");
  });

  it("queries by ObjectId, Date range and Decimal128 equality", async () => {
    const c = h.coll("queries");
    const ids = [new ObjectId(), new ObjectId(), new ObjectId()];
    await c.insertMany(ids.map((id, i) => ({ _id: id, at: new Date(Date.UTC(2024, 0, i + 1)), amount: Decimal128.fromString(`${i}.50`) })));
    expect(await c.countDocuments({ _id: { $in: [ids[0], ids[2]] } })).toBe(2);
    expect(await c.countDocuments({ at: { $gte: new Date(Date.UTC(2024, 0, 2)) } })).toBe(2);
    expect(await c.countDocuments({ amount: Decimal128.fromString("1.50") })).toBe(1);
    const sorted = await c.find().sort({ _id: -1 }).toArray();
    expect(sorted.map((d) => d._id.toHexString())).toEqual([...ids].reverse().map((id) => id.toHexString()));
  });

  it("numbers compare across int and double", async () => {
    const c = h.coll("numbers");
    await c.insertMany([{ v: 1 }, { v: 1.5 }, { v: 2 }, { v: "2" }]);
    expect(await c.countDocuments({ v: { $gte: 1.5 } })).toBe(2);
    expect(await c.countDocuments({ v: 2.0 })).toBe(1);
    expect(await c.countDocuments({ v: { $type: "string" } })).toBe(1);
    expect(await c.countDocuments({ v: { $type: "number" } })).toBe(3);
  });

  it("rejects documents over 16 MiB and leaves nothing stored", async () => {
    const c = h.coll("huge");
    for (const size of [16 * 1024 * 1024 + 200 * 1024, 17 * 1024 * 1024]) {
      const error = await c.insertOne({ big: "x".repeat(size) }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      if (error instanceof MongoServerError) expect([10334, 2, 17419]).toContain(error.code);
    }
    expect(await c.countDocuments()).toBe(0);
    await c.insertOne({ _id: 1, part: "y".repeat(9 * 1024 * 1024) } as never);
    await expect(c.updateOne({ _id: 1 as never }, { $set: { more: "z".repeat(9 * 1024 * 1024) } })).rejects.toMatchObject({
      code: 17419,
    });
  });
});
