import { Long } from "mongodb";
import { describe, expect, it } from "vitest";
import { useHarness } from "../conformanceHarness";

const h = useHarness("agg");

const seedOrders = async () => {
  const orders = h.coll("orders");
  const customers = h.coll("customers");
  if ((await orders.countDocuments()) > 0) return { orders, customers };
  await customers.insertMany([
    { _id: "c1", name: "Ada", tier: "gold" },
    { _id: "c2", name: "Bob", tier: "silver" },
  ] as never[]);
  await orders.insertMany([
    { _id: 1, customer: "c1", total: 30, items: ["a", "b"], status: "open" },
    { _id: 2, customer: "c1", total: 20, items: ["b"], status: "done" },
    { _id: 3, customer: "c2", total: 50, items: [], status: "open" },
    { _id: 4, customer: "c9", total: 5, status: "open" },
  ] as never[]);
  return { orders, customers };
};

describe("aggregation", () => {
  it("$group with _id null and common accumulators", async () => {
    const { orders } = await seedOrders();
    const [row] = await orders
      .aggregate([
        {
          $group: {
            _id: null,
            n: { $sum: 1 },
            total: { $sum: "$total" },
            avg: { $avg: "$total" },
            max: { $max: "$total" },
            min: { $min: "$total" },
            customers: { $addToSet: "$customer" },
            first: { $first: "$_id" },
            ids: { $push: "$_id" },
          },
        },
      ])
      .toArray();
    expect(row).toMatchObject({ _id: null, n: 4, total: 105, avg: 26.25, max: 50, min: 5, first: 1, ids: [1, 2, 3, 4] });
    expect([...(row?.customers as string[])].sort()).toEqual(["c1", "c2", "c9"]);
  });

  it("$group by key then $sort, and $group on empty input yields nothing", async () => {
    const { orders } = await seedOrders();
    const out = await orders
      .aggregate([{ $group: { _id: "$customer", spent: { $sum: "$total" } } }, { $sort: { spent: -1, _id: 1 } }])
      .toArray();
    expect(out).toEqual([
      { _id: "c1", spent: 50 },
      { _id: "c2", spent: 50 },
      { _id: "c9", spent: 5 },
    ]);
    expect(await orders.aggregate([{ $match: { total: 999 } }, { $group: { _id: null, n: { $sum: 1 } } }]).toArray()).toEqual([]);
    expect(await orders.aggregate([{ $match: { total: 999 } }, { $count: "n" }]).toArray()).toEqual([]);
  });

  it("$facet returns one document with an array per facet", async () => {
    const { orders } = await seedOrders();
    const out = await orders
      .aggregate([
        { $match: { status: "open" } },
        {
          $facet: {
            count: [{ $count: "n" }],
            big: [{ $match: { total: { $gte: 30 } } }, { $project: { _id: 1 } }, { $sort: { _id: 1 } }],
            none: [{ $match: { total: -1 } }],
          },
        },
      ])
      .toArray();
    expect(out).toEqual([{ count: [{ n: 3 }], big: [{ _id: 1 }, { _id: 3 }], none: [] }]);
  });

  it("$lookup (localField/foreignField) gives [] when nothing matches", async () => {
    const { orders } = await seedOrders();
    const out = await orders
      .aggregate([
        { $sort: { _id: 1 } },
        { $lookup: { from: "customers", localField: "customer", foreignField: "_id", as: "who" } },
        { $project: { _id: 1, who: "$who.name" } },
      ])
      .toArray();
    expect(out).toEqual([
      { _id: 1, who: ["Ada"] },
      { _id: 2, who: ["Ada"] },
      { _id: 3, who: ["Bob"] },
      { _id: 4, who: [] },
    ]);
    const missingColl = await orders
      .aggregate([{ $match: { _id: 1 } }, { $lookup: { from: "nothing_here", localField: "customer", foreignField: "_id", as: "x" } }])
      .toArray();
    expect(missingColl[0]?.x).toEqual([]);
  });

  it("$lookup with let/pipeline evaluates variables", async () => {
    const { customers } = await seedOrders();
    const out = await customers
      .aggregate([
        { $sort: { _id: 1 } },
        {
          $lookup: {
            from: "orders",
            let: { cid: "$_id" },
            pipeline: [
              { $match: { $expr: { $and: [{ $eq: ["$customer", "$$cid"] }, { $eq: ["$status", "open"] }] } } },
              { $project: { _id: 0, total: 1 } },
            ],
            as: "open",
          },
        },
        { $project: { open: 1 } },
      ])
      .toArray();
    expect(out).toEqual([
      { _id: "c1", open: [{ total: 30 }] },
      { _id: "c2", open: [{ total: 50 }] },
    ]);
  });

  it("$project/$addFields/$set evaluate expressions (never left as operators)", async () => {
    const { orders } = await seedOrders();
    const out = await orders
      .aggregate([
        { $match: { _id: { $in: [1, 3] } } },
        { $sort: { _id: 1 } },
        { $addFields: { big: { $cond: [{ $gte: ["$total", 40] }, "yes", "no"] }, doubled: { $multiply: ["$total", 2] } } },
        { $set: { label: { $concat: ["order-", { $toString: "$_id" }] }, n: { $size: "$items" } } },
        { $project: { total: 0, items: 0, status: 0 } },
      ])
      .toArray();
    expect(out).toEqual([
      { _id: 1, customer: "c1", big: "no", doubled: 60, label: "order-1", n: 2 },
      { _id: 3, customer: "c2", big: "yes", doubled: 100, label: "order-3", n: 0 },
    ]);
  });

  it("$project inclusion keeps _id first and document order, computed fields after", async () => {
    const c = h.coll("proj");
    await c.insertOne({ _id: 1, b: 2, a: 1, c: { x: 1, y: 2 } } as never);
    const [doc] = await c.aggregate([{ $project: { a: 1, b: 1, "c.y": 1, sum: { $add: ["$a", "$b"] } } }]).toArray();
    expect(Object.keys(doc ?? {})).toEqual(["_id", "b", "a", "c", "sum"]);
    expect(doc).toEqual({ _id: 1, b: 2, a: 1, c: { y: 2 }, sum: 3 });
  });

  it("$unwind, $sortByCount, $bucket, $replaceRoot, $limit and $skip", async () => {
    const { orders } = await seedOrders();
    const unwound = await orders
      .aggregate([{ $unwind: "$items" }, { $project: { _id: 1, items: 1 } }, { $sort: { _id: 1, items: 1 } }])
      .toArray();
    expect(unwound).toEqual([
      { _id: 1, items: "a" },
      { _id: 1, items: "b" },
      { _id: 2, items: "b" },
    ]);
    const preserved = await orders
      .aggregate([
        { $unwind: { path: "$items", preserveNullAndEmptyArrays: true, includeArrayIndex: "i" } },
        { $match: { _id: { $gte: 3 } } },
        { $sort: { _id: 1 } },
      ])
      .toArray();
    expect(preserved).toEqual([
      { _id: 3, customer: "c2", total: 50, status: "open", i: null },
      { _id: 4, customer: "c9", total: 5, status: "open", i: null },
    ]);
    const counts = await orders.aggregate([{ $sortByCount: "$status" }]).toArray();
    expect(counts).toEqual([
      { _id: "open", count: 3 },
      { _id: "done", count: 1 },
    ]);
    const buckets = await orders
      .aggregate([
        { $bucket: { groupBy: "$total", boundaries: [0, 20, 40], default: "other", output: { n: { $sum: 1 }, ids: { $push: "$_id" } } } },
      ])
      .toArray();
    expect(buckets).toEqual([
      { _id: 0, n: 1, ids: [4] },
      { _id: 20, n: 2, ids: [1, 2] },
      { _id: "other", n: 1, ids: [3] },
    ]);
    const roots = await orders
      .aggregate([{ $sort: { _id: 1 } }, { $skip: 1 }, { $limit: 2 }, { $replaceRoot: { newRoot: { id: "$_id", t: "$total" } } }])
      .toArray();
    expect(roots).toEqual([
      { id: 2, t: 20 },
      { id: 3, t: 50 },
    ]);
  });

  it("$out and $merge write their results", async () => {
    const { orders } = await seedOrders();
    await orders.aggregate([{ $match: { status: "open" } }, { $project: { total: 1 } }, { $out: "open_orders" }]).toArray();
    expect(await h.coll("open_orders").find().sort({ _id: 1 }).toArray()).toEqual([
      { _id: 1, total: 30 },
      { _id: 3, total: 50 },
      { _id: 4, total: 5 },
    ]);
    await orders
      .aggregate([
        { $match: { _id: { $in: [1, 2] } } },
        { $project: { status: 1 } },
        { $merge: { into: "open_orders", whenMatched: "merge", whenNotMatched: "insert" } },
      ])
      .toArray();
    expect(await h.coll("open_orders").find().sort({ _id: 1 }).toArray()).toEqual([
      { _id: 1, total: 30, status: "open" },
      { _id: 2, status: "done" },
      { _id: 3, total: 50 },
      { _id: 4, total: 5 },
    ]);
  });

  it("counts with countDocuments, estimatedDocumentCount and distinct", async () => {
    const { orders } = await seedOrders();
    expect(await orders.countDocuments({ status: "open" })).toBe(3);
    expect(await orders.countDocuments({}, { skip: 1, limit: 2 })).toBe(2);
    expect(await orders.estimatedDocumentCount()).toBe(4);
    expect((await orders.distinct("items")).sort()).toEqual(["a", "b"]);
    expect((await orders.distinct("customer", { total: { $gt: 10 } })).sort()).toEqual(["c1", "c2"]);
  });

  it("$group keys use BSON equality: [] is not null, field order matters, numbers compare by value", async () => {
    const c = h.coll("group_keys");
    await c.insertMany([
      { _id: 1, k: [] },
      { _id: 2 },
      { _id: 3, k: null },
      { _id: 4, k: { a: 1, b: 2 } },
      { _id: 5, k: { b: 2, a: 1 } },
      { _id: 6, k: 1 },
      { _id: 7, k: 1.0 },
      { _id: 8, k: Long.fromNumber(1) },
    ] as never[]);
    const out = await c.aggregate([{ $group: { _id: "$k", ids: { $push: "$_id" } } }, { $sort: { ids: 1 } }]).toArray();
    expect(out).toEqual([
      { _id: [], ids: [1] },
      { _id: null, ids: [2, 3] },
      { _id: { a: 1, b: 2 }, ids: [4] },
      { _id: { b: 2, a: 1 }, ids: [5] },
      { _id: 1, ids: [6, 7, 8] },
    ]);
    const byPair = await c
      .aggregate([{ $match: { _id: { $lte: 3 } } }, { $group: { _id: { k: "$k", x: "$nothing" }, n: { $sum: 1 } } }, { $sort: { n: 1 } }])
      .toArray();
    expect(byPair).toEqual([
      { _id: { k: [] }, n: 1 },
      { _id: {}, n: 1 },
      { _id: { k: null }, n: 1 },
    ]);
  });

  it("$push and $addToSet leave out missing values", async () => {
    const c = h.coll("push_missing");
    await c.insertMany([{ _id: 1, v: "a" }, { _id: 2 }, { _id: 3, v: null }, { _id: 4, v: "a" }] as never[]);
    const [row] = await c
      .aggregate([{ $sort: { _id: 1 } }, { $group: { _id: null, all: { $push: "$v" }, set: { $addToSet: "$v" } } }])
      .toArray();
    expect(row?.all).toEqual(["a", null, "a"]);
    expect([...(row?.set as unknown[])].sort()).toEqual(["a", null].sort());
  });

  it("$unwind never changes stored documents and passes scalars through", async () => {
    const c = h.coll("unwind_pure");
    const docs = [
      { _id: 1, items: ["a", "b"], nested: { list: [1] } },
      { _id: 2, items: [] },
      { _id: 3, items: "solo" },
      { _id: 4, items: null },
      { _id: 5 },
    ];
    await c.insertMany(docs as never[]);
    const out = await c
      .aggregate([{ $unwind: { path: "$items", includeArrayIndex: "i", preserveNullAndEmptyArrays: true } }, { $sort: { _id: 1, i: 1 } }])
      .toArray();
    expect(out).toEqual([
      { _id: 1, items: "a", nested: { list: [1] }, i: 0 },
      { _id: 1, items: "b", nested: { list: [1] }, i: 1 },
      { _id: 2, i: null },
      { _id: 3, items: "solo", i: null },
      { _id: 4, items: null, i: null },
      { _id: 5, i: null },
    ]);
    const nested = await c.aggregate([{ $unwind: "$nested.list" }, { $project: { nested: 1 } }]).toArray();
    expect(nested).toEqual([{ _id: 1, nested: { list: 1 } }]);
    expect(await c.find().sort({ _id: 1 }).toArray()).toEqual(docs);
  });

  it("$facet branches each see the whole input, whatever the other branches do", async () => {
    const c = h.coll("facet_shared");
    await c.insertMany(Array.from({ length: 50 }, (_, i) => ({ _id: i, v: (i * 7) % 50, g: i % 3 })) as never[]);
    const [out] = await c
      .aggregate([
        { $match: { v: { $gte: 10 } } },
        {
          $facet: {
            top: [{ $sort: { v: -1 } }, { $limit: 3 }, { $project: { _id: 0, v: 1 } }],
            bottom: [{ $sort: { v: 1 } }, { $limit: 2 }, { $project: { _id: 0, v: 1 } }],
            skipped: [{ $sort: { v: 1 } }, { $skip: 38 }, { $project: { _id: 0, v: 1 } }],
            groups: [{ $group: { _id: "$g", n: { $sum: 1 } } }, { $sort: { _id: 1 } }],
            renamed: [{ $addFields: { v: 0 } }, { $count: "n" }],
            count: [{ $count: "n" }],
          },
        },
      ])
      .toArray();
    expect(out).toEqual({
      top: [{ v: 49 }, { v: 48 }, { v: 47 }],
      bottom: [{ v: 10 }, { v: 11 }],
      skipped: [{ v: 48 }, { v: 49 }],
      groups: [
        { _id: 0, n: 14 },
        { _id: 1, n: 13 },
        { _id: 2, n: 13 },
      ],
      renamed: [{ n: 40 }],
      count: [{ n: 40 }],
    });
    expect(await c.countDocuments({ v: 0 })).toBe(1);
  });

  it("$lookup sub-pipelines see each document's variables, after filters that need none", async () => {
    const { orders } = await seedOrders();
    const out = await orders
      .aggregate([
        { $sort: { _id: 1 } },
        {
          $lookup: {
            from: "orders",
            let: { c: "$customer", t: "$total" },
            pipeline: [
              { $match: { status: "open" } },
              { $match: { $and: [{ $expr: { $eq: ["$customer", "$$c"] } }, { total: { $gte: 0 } }] } },
              { $match: { $expr: { $lte: ["$total", "$$t"] } } },
              { $project: { _id: 1 } },
            ],
            as: "cheaperOpen",
          },
        },
        { $project: { cheaperOpen: 1 } },
      ])
      .toArray();
    expect(out).toEqual([
      { _id: 1, cheaperOpen: [{ _id: 1 }] },
      { _id: 2, cheaperOpen: [] },
      { _id: 3, cheaperOpen: [{ _id: 3 }] },
      { _id: 4, cheaperOpen: [{ _id: 4 }] },
    ]);
    const richer = await orders
      .aggregate([
        { $match: { _id: 2 } },
        {
          $lookup: {
            from: "orders",
            let: { c: "$customer" },
            pipeline: [{ $match: { status: "open" } }, { $match: { $expr: { $eq: ["$customer", "$$c"] } } }, { $project: { _id: 1 } }],
            as: "open",
          },
        },
      ])
      .toArray();
    expect(richer[0]?.open).toEqual([{ _id: 1 }]);
  });

  it("$documents, $sample, $redact and $setWindowFields", async () => {
    const { orders } = await seedOrders();
    const docs = await h
      .db()
      .aggregate([{ $documents: [{ x: 1 }, { x: 2 }, { x: 3 }] }, { $match: { x: { $gte: 2 } } }])
      .toArray();
    expect(docs).toEqual([{ x: 2 }, { x: 3 }]);
    const joined = await orders
      .aggregate([
        { $match: { _id: 1 } },
        {
          $lookup: {
            let: { t: "$total" },
            pipeline: [{ $documents: [{ n: 10 }, { n: 40 }] }, { $match: { $expr: { $gt: ["$n", "$$t"] } } }],
            as: "above",
          },
        },
        { $project: { above: 1 } },
      ])
      .toArray();
    expect(joined).toEqual([{ _id: 1, above: [{ n: 40 }] }]);
    const sample = await orders.aggregate([{ $sample: { size: 2 } }]).toArray();
    expect(sample).toHaveLength(2);
    expect(sample.every((d) => [1, 2, 3, 4].includes(d._id as number))).toBe(true);
    const redacted = await orders
      .aggregate([
        { $redact: { $cond: [{ $eq: ["$status", "open"] }, "$$KEEP", "$$PRUNE"] } },
        { $sort: { _id: 1 } },
        { $project: { _id: 1 } },
      ])
      .toArray();
    expect(redacted).toEqual([{ _id: 1 }, { _id: 3 }, { _id: 4 }]);
    const before = await orders.find().sort({ _id: 1 }).toArray();
    const running = await orders
      .aggregate([
        {
          $setWindowFields: {
            partitionBy: "$customer",
            sortBy: { _id: 1 },
            output: { run: { $sum: "$total", window: { documents: ["unbounded", "current"] } } },
          },
        },
        { $sort: { _id: 1 } },
        { $project: { run: 1 } },
      ])
      .toArray();
    expect(running).toEqual([
      { _id: 1, run: 30 },
      { _id: 2, run: 50 },
      { _id: 3, run: 50 },
      { _id: 4, run: 5 },
    ]);
    expect(await orders.find().sort({ _id: 1 }).toArray()).toEqual(before);
  });

  it("rejects unknown stages", async () => {
    const { orders } = await seedOrders();
    await expect(orders.aggregate([{ $notAStage: {} }]).toArray()).rejects.toMatchObject({ code: 40324 });
  });
});
