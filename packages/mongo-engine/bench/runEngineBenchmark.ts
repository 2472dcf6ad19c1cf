import { performance } from "node:perf_hooks";
import { MongoClient, type Collection, type Document } from "mongodb";
import { startCompatServer } from "../src/compatServer";

/** Figures from {@link runEngineBenchmark} (milliseconds unless noted). */
export interface EngineBenchmarkResult {
  /** `compat` when the benchmark started its own engine, else `external`. */
  readonly engine: "compat" | "external";
  readonly insertOneMedianMs: number;
  readonly idLookupMedianMs: number;
  /** Documents in the collection used for the indexed/unindexed finds. */
  readonly largeCollectionSize: number;
  readonly indexedFindMedianMs: number;
  readonly unindexedFindMedianMs: number;
  /** unindexed / indexed through the driver (target: at least 50). */
  readonly indexedSpeedup: number;
  /** The same two finds run on the engine directly (no driver, no socket), in microseconds; compat only. */
  readonly engineIndexedFindMedianUs?: number;
  readonly engineUnindexedFindMedianUs?: number;
  /** unindexed / indexed inside the engine. */
  readonly engineIndexedSpeedup?: number;
  /** Documents the `$match` + `$facet` pipeline runs over. */
  readonly facetCollectionSize: number;
  readonly matchFacetMedianMs: number;
  /**
   * A dashboard-shaped aggregation over the large collection (`$match`, `$project`, then a `$facet`
   * of `$group` counts with `$cond`, a `$dateToString` trend and a `$sort` + `$limit` top list).
   */
  readonly largeFacetMedianMs: number;
  /** Documents written by each bulk upsert (1,000 `updateOne` upserts per `bulkWrite`, unique index). */
  readonly bulkUpsertSize: number;
  /** The bulk upsert inserting every document. */
  readonly bulkUpsertInsertMs: number;
  /** The same bulk upsert again: every document found through the unique index and updated. */
  readonly bulkUpsertUpdateMs: number;
}

/** Options for {@link runEngineBenchmark}. */
export interface EngineBenchmarkOptions {
  /** Benchmark this server instead of starting a compat engine. */
  readonly uri?: string;
  /** Size of the large collection (default 100,000). */
  readonly largeCollectionSize?: number;
  /** Size of the `$facet` collection (default 10,000). */
  readonly facetCollectionSize?: number;
  /** Repetitions for the per-operation medians (default 1,000). */
  readonly samples?: number;
  /** Documents per bulk upsert (default 10,000). */
  readonly bulkUpsertSize?: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const value = sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return Math.round(value * 1000) / 1000;
}

async function timeEach(count: number, op: (i: number) => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await op(i);
    out.push(performance.now() - started);
  }
  return out;
}

async function fill(coll: Collection, count: number, make: (i: number) => Document): Promise<void> {
  const batch = 10_000;
  for (let start = 0; start < count; start += batch) {
    const docs: Document[] = [];
    for (let i = start; i < Math.min(count, start + batch); i++) docs.push(make(i));
    await coll.insertMany(docs, { ordered: false });
  }
}

/**
 * Measures the test MongoDB through the official driver: `insertOne` and `_id` look-up medians, an
 * indexed vs unindexed equality find on a large collection, a `$match` + `$facet` pipeline, a
 * dashboard-shaped aggregation over the large collection and a bulk upsert.
 * Starts (and stops) a compat engine unless `uri` is given.
 *
 * @example
 * const figures = await runEngineBenchmark();
 * console.table(figures);
 */
export async function runEngineBenchmark(options: EngineBenchmarkOptions = {}): Promise<EngineBenchmarkResult> {
  const server = options.uri ? undefined : await startCompatServer();
  const uri = options.uri ?? (server?.uri as string);
  const client = await new MongoClient(uri).connect();
  const dbName = `bench_${Date.now().toString(36)}`;
  const db = client.db(dbName);
  const samples = options.samples ?? 1000;
  const largeSize = options.largeCollectionSize ?? 100_000;
  const facetSize = options.facetCollectionSize ?? 10_000;
  try {
    const small = db.collection("small");
    await small.insertOne({ warm: true });
    const insertTimes = await timeEach(samples, (i) => small.insertOne({ _id: `k${i}`, i, payload: { a: i, tags: ["x", "y"] } } as never));
    const lookupTimes = await timeEach(samples, (i) => small.findOne({ _id: `k${(i * 7919) % samples}` } as never));

    const large = db.collection("large");
    const day = 86_400_000;
    await fill(large, largeSize, (i) => ({
      _id: i,
      email: `user${i}@example.test`,
      emailCopy: `user${i}@example.test`,
      team: `t${i % 500}`,
      n: i,
      when: new Date((i * 3_600_000) % (30 * day)),
    }));
    await large.createIndex({ email: 1 }, { unique: true });
    const pick = (i: number) => `user${(i * 48271) % largeSize}@example.test`;
    const largeFacet = [
      { $match: { n: { $gte: 0 }, team: { $ne: "none" } } },
      { $project: { _id: 0, team: 1, n: 1, when: 1 } },
      {
        $facet: {
          byTeam: [
            { $group: { _id: "$team", total: { $sum: 1 }, even: { $sum: { $cond: [{ $eq: [{ $mod: ["$n", 2] }, 0] }, 1, 0] } } } },
            { $sort: { total: -1, _id: 1 } },
            { $limit: 25 },
          ],
          trend: [{ $group: { _id: { $dateToString: { format: "%Y-%m-%d", date: "$when" } }, n: { $sum: 1 } } }, { $sort: { _id: 1 } }],
          top: [{ $sort: { n: -1 } }, { $limit: 10 }],
          count: [{ $count: "n" }],
        },
      },
    ];
    await large.aggregate(largeFacet).toArray();
    const largeFacetTimes = await timeEach(5, () => large.aggregate(largeFacet).toArray());
    await large.find({ email: pick(1) }).toArray();
    await large.find({ emailCopy: pick(1) }).toArray();
    // interleaved so load changes on the machine hit both measurements alike
    const indexedTimes: number[] = [];
    const unindexedTimes: number[] = [];
    for (let round = 0; round < 15; round++) {
      indexedTimes.push(...(await timeEach(20, (i) => large.find({ email: pick(round * 20 + i) }).toArray())));
      unindexedTimes.push(...(await timeEach(1, () => large.find({ emailCopy: pick(round) }).toArray())));
    }
    let engineFigures: Pick<EngineBenchmarkResult, "engineIndexedFindMedianUs" | "engineUnindexedFindMedianUs" | "engineIndexedSpeedup"> =
      {};
    if (server) {
      const connection = { id: 0, remote: "benchmark" };
      const run = (filter: Document) => server.engine.runCommand(dbName, { find: "large", filter, $db: dbName }, connection);
      const engineIndexed: number[] = [];
      const engineUnindexed: number[] = [];
      for (let round = 0; round < 15; round++) {
        engineIndexed.push(...(await timeEach(50, (i) => run({ email: pick(round * 50 + i) }))));
        engineUnindexed.push(...(await timeEach(1, () => run({ emailCopy: pick(round) }))));
      }
      const indexedUs = median(engineIndexed.map((ms) => ms * 1000));
      const unindexedUs = median(engineUnindexed.map((ms) => ms * 1000));
      engineFigures = {
        engineIndexedFindMedianUs: indexedUs,
        engineUnindexedFindMedianUs: unindexedUs,
        engineIndexedSpeedup: Math.round((unindexedUs / indexedUs) * 10) / 10,
      };
    }

    const facet = db.collection("facet");
    await fill(facet, facetSize, (i) => ({ status: i % 3 === 0 ? "open" : "closed", team: `t${i % 20}`, score: (i * 37) % 1000 }));
    const pipeline = [
      { $match: { status: "open" } },
      {
        $facet: {
          byTeam: [{ $group: { _id: "$team", n: { $sum: 1 }, avg: { $avg: "$score" } } }, { $sort: { n: -1, _id: 1 } }],
          top: [{ $sort: { score: -1 } }, { $limit: 10 }, { $project: { _id: 0, score: 1 } }],
          total: [{ $count: "n" }],
        },
      },
    ];
    await facet.aggregate(pipeline).toArray();
    const facetTimes = await timeEach(20, () => facet.aggregate(pipeline).toArray());

    const bulkSize = options.bulkUpsertSize ?? 10_000;
    const upserts = db.collection("upserts");
    await upserts.createIndex({ tenant: 1, key: 1 }, { unique: true });
    const upsertOps = (round: number) =>
      Array.from({ length: bulkSize }, (_, i) => ({
        updateOne: {
          filter: { tenant: "t1", key: `k${i}` },
          update: { $set: { value: i * round, label: `item ${i}`, tags: ["a", "b"] }, $setOnInsert: { created: new Date(0) } },
          upsert: true,
        },
      }));
    const bulkUpsert = async (round: number): Promise<number> => {
      const ops = upsertOps(round);
      const started = performance.now();
      for (let start = 0; start < ops.length; start += 1000) await upserts.bulkWrite(ops.slice(start, start + 1000), { ordered: false });
      return performance.now() - started;
    };
    const bulkUpsertInsertMs = await bulkUpsert(1);
    const bulkUpsertUpdateMs = await bulkUpsert(2);

    const indexedFindMedianMs = median(indexedTimes);
    const unindexedFindMedianMs = median(unindexedTimes);
    return {
      engine: server ? "compat" : "external",
      insertOneMedianMs: median(insertTimes),
      idLookupMedianMs: median(lookupTimes),
      largeCollectionSize: largeSize,
      indexedFindMedianMs,
      unindexedFindMedianMs,
      indexedSpeedup: Math.round((unindexedFindMedianMs / indexedFindMedianMs) * 10) / 10,
      ...engineFigures,
      facetCollectionSize: facetSize,
      matchFacetMedianMs: median(facetTimes),
      largeFacetMedianMs: median(largeFacetTimes),
      bulkUpsertSize: bulkSize,
      bulkUpsertInsertMs: Math.round(bulkUpsertInsertMs),
      bulkUpsertUpdateMs: Math.round(bulkUpsertUpdateMs),
    };
  } finally {
    await db.dropDatabase().catch(() => undefined);
    await client.close();
    await server?.stop();
  }
}
