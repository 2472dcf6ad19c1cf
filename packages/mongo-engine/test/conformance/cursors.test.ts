import { describe, expect, it } from "vitest";
import { useHarness } from "../conformanceHarness";

const h = useHarness("cursors");

describe("cursors", () => {
  it("returns more than 101 documents through getMore, in order", async () => {
    const c = h.coll("many");
    await c.insertMany(Array.from({ length: 250 }, (_, i) => ({ _id: i, i })) as never[]);
    const all = await c.find({}).sort({ i: 1 }).toArray();
    expect(all).toHaveLength(250);
    expect(all.map((d) => d.i)).toEqual(Array.from({ length: 250 }, (_, i) => i));
  });

  it("honours batchSize across getMore calls", async () => {
    const c = h.coll("batches");
    await c.insertMany(Array.from({ length: 35 }, (_, i) => ({ i })));
    const cursor = c.find({}, { batchSize: 10 }).sort({ i: -1 });
    const seen: number[] = [];
    for await (const doc of cursor) seen.push(doc.i as number);
    expect(seen).toEqual(Array.from({ length: 35 }, (_, i) => 34 - i));
  });

  it("can be closed early and limit applies across batches", async () => {
    const c = h.coll("early");
    await c.insertMany(Array.from({ length: 300 }, (_, i) => ({ i })));
    const cursor = c.find({}).batchSize(5);
    const first = await cursor.next();
    expect(first?.i).toBe(0);
    await cursor.close();
    expect(await c.find({}).limit(120).batchSize(50).toArray()).toHaveLength(120);
  });

  it("sorts missing fields and nulls before numbers, and mixed types in BSON order", async () => {
    const c = h.coll("mixed");
    await c.insertMany([
      { _id: 1, v: 10 },
      { _id: 2, v: null },
      { _id: 3 },
      { _id: 4, v: "text" },
      { _id: 5, v: 2.5 },
      { _id: 6, v: true },
      { _id: 7, v: new Date(0) },
      { _id: 8, v: { a: 1 } },
      { _id: 9, v: [7, 1] },
    ] as never[]);
    const asc = await c.find({}).sort({ v: 1, _id: 1 }).toArray();
    expect(asc.map((d) => d._id)).toEqual([2, 3, 9, 5, 1, 4, 8, 6, 7]);
    const desc = await c.find({}).sort({ v: -1, _id: 1 }).toArray();
    expect(desc.map((d) => d._id)).toEqual([7, 6, 8, 4, 1, 9, 5, 2, 3]);
  });

  it("aggregate cursors also page through getMore", async () => {
    const c = h.coll("aggpages");
    await c.insertMany(Array.from({ length: 150 }, (_, i) => ({ i, even: i % 2 === 0 })));
    const out = await c.aggregate([{ $match: { even: true } }, { $sort: { i: 1 } }], { batchSize: 20 }).toArray();
    expect(out).toHaveLength(75);
    expect(out[74]?.i).toBe(148);
  });
});
