import { type Document, MongoClient } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seededRandom as random } from "../test/seededRandom";
import { type CompatServer, startCompatServer } from "./compatServer";

/**
 * The index order (orderedIndex.ts) changes how the engine finds and orders documents, never what it
 * answers: the same random finds and `$match` aggregations, interleaved with random writes, must return
 * exactly what they return from a copy of the collection without indexes (in-memory filter and sort).
 */

/** A test document: a numeric `_id` and any fields. */
interface Row {
  _id: number;
  [field: string]: unknown;
}

let server: CompatServer;
let client: MongoClient;
const indexed = () => client.db("ordered_index_tests").collection<Row>("indexed");
const plain = () => client.db("ordered_index_tests").collection<Row>("plain");

const TEAMS = ["a", "b", "c"];
const DAY = 86_400_000;
const BASE = Date.UTC(2026, 0, 1);

function pick<T>(next: () => number, values: readonly T[]): T {
  return values[Math.floor(next() * values.length)] as T;
}

/** A score of mixed BSON types (numbers of both kinds, null, missing, a string, a date). */
function score(next: () => number): unknown {
  const roll = next();
  if (roll < 0.55) return Math.floor(next() * 20);
  if (roll < 0.7) return Math.floor(next() * 200) / 10;
  if (roll < 0.78) return null;
  if (roll < 0.86) return undefined;
  if (roll < 0.93) return `s${Math.floor(next() * 5)}`;
  return new Date(BASE + Math.floor(next() * 10) * DAY);
}

function makeDoc(next: () => number, id: number): Row {
  const doc: Row = { _id: id, n: Math.floor(next() * 50) };
  if (next() < 0.95) doc.team = pick(next, TEAMS);
  const s = score(next);
  if (s !== undefined) doc.score = s;
  if (next() < 0.9) doc.day = new Date(BASE + Math.floor(next() * 30) * DAY);
  return doc;
}

/** A range condition on one field, or a keyset condition as `paginate` builds it. */
function rangeOn(next: () => number, field: string, sample: () => unknown): Document {
  const value = sample();
  const roll = next();
  if (roll < 0.2) return { [field]: { $gt: value } };
  if (roll < 0.35) return { [field]: { $gte: value, $lt: sample() } };
  if (roll < 0.5) return { [field]: { $lte: value } };
  if (roll < 0.6) return { [field]: value };
  if (roll < 0.7) return { [field]: { $in: [value, sample()] } };
  const id = Math.floor(next() * 400);
  if (roll < 0.85) return { $or: [{ [field]: { $lt: value } }, { [field]: value, _id: { $lt: id } }, { [field]: null }] };
  return { $or: [{ [field]: { $gt: value } }, { [field]: value, _id: { $gt: id } }] };
}

const SORTS: readonly Document[] = [
  { score: -1, _id: -1 },
  { score: 1, _id: 1 },
  { n: 1, _id: 1 },
  { n: -1, _id: -1 },
  { day: 1, _id: 1 },
  { day: -1 },
  { _id: -1 },
];

function query(next: () => number): { filter: Document; sort: Document; limit: number; skip: number } {
  const parts: Document[] = [];
  const team = next();
  if (team < 0.6) parts.push({ team: pick(next, TEAMS) });
  else if (team < 0.7) parts.push({ team: { $in: ["a", "c"] } });
  const field = pick(next, ["score", "n", "day"]);
  if (next() < 0.7) {
    const sample =
      field === "score"
        ? () => score(next) ?? null
        : field === "n"
          ? () => Math.floor(next() * 50)
          : () => new Date(BASE + Math.floor(next() * 30) * DAY);
    parts.push(rangeOn(next, field, sample));
  }
  if (next() < 0.15) parts.push({ n: { $mod: [3, 0] } });
  const filter = parts.length === 0 ? {} : parts.length === 1 ? (parts[0] as Document) : { $and: parts };
  return { filter, sort: pick(next, SORTS), limit: Math.floor(next() * 30), skip: next() < 0.2 ? Math.floor(next() * 5) : 0 };
}

async function write(next: () => number, nextId: () => number): Promise<void> {
  const roll = next();
  const id = Math.floor(next() * 400);
  if (roll < 0.4) {
    const doc = makeDoc(next, nextId());
    await indexed().insertOne({ ...doc });
    await plain().insertOne({ ...doc });
  } else if (roll < 0.8) {
    const s = score(next);
    const update: Document = s === undefined ? { $unset: { score: "" }, $inc: { n: 1 } } : { $set: { score: s }, $inc: { n: 1 } };
    await indexed().updateOne({ _id: id }, update);
    await plain().updateOne({ _id: id }, update);
  } else {
    await indexed().deleteOne({ _id: id });
    await plain().deleteOne({ _id: id });
  }
}

beforeAll(async () => {
  server = await startCompatServer();
  client = await MongoClient.connect(server.uri);
  const next = random(11);
  const docs = Array.from({ length: 400 }, (_, i) => makeDoc(next, i));
  await indexed().insertMany(docs.map((d) => ({ ...d })));
  await plain().insertMany(docs.map((d) => ({ ...d })));
  await indexed().createIndex({ team: 1, score: -1, _id: -1 });
  await indexed().createIndex({ team: 1, n: 1, _id: 1 });
  await indexed().createIndex({ team: 1, day: 1 });
  await indexed().createIndex({ day: -1, _id: -1 });
});

afterAll(async () => {
  await client.close();
  await server.stop();
});

describe("the index order", () => {
  it("answers random sorted finds exactly as an unindexed collection, across interleaved writes", async () => {
    const next = random(42);
    let id = 1_000;
    for (let round = 0; round < 400; round++) {
      if (round % 7 === 0) await write(next, () => id++);
      const q = query(next);
      const options = { sort: q.sort, limit: q.limit, skip: q.skip };
      const expected = await plain().find(q.filter, options).toArray();
      const actual = await indexed().find(q.filter, options).toArray();
      expect(actual, JSON.stringify(q)).toEqual(expected);
    }
  });

  it("answers ranged $match aggregations with the same documents in the same (natural) order", async () => {
    const next = random(7);
    let id = 5_000;
    for (let round = 0; round < 150; round++) {
      if (round % 5 === 0) await write(next, () => id++);
      const team = pick(next, TEAMS);
      const from = new Date(BASE + Math.floor(next() * 30) * DAY);
      const day = { $gte: from, $lt: new Date(from.getTime() + 5 * DAY) };
      // Without the team the range on the first field of { day: -1, _id: -1 } bounds the walk.
      const pipeline = [{ $match: next() < 0.5 ? { team, day } : { day } }];
      const expected = await plain().aggregate(pipeline).toArray();
      const actual = await indexed().aggregate(pipeline).toArray();
      expect(actual, JSON.stringify(pipeline)).toEqual(expected);
    }
  });

  it("answers equality-prefix $match aggregations (leading fields of a compound index pinned) as an unindexed collection", async () => {
    const next = random(11);
    let id = 8_000;
    for (let round = 0; round < 150; round++) {
      if (round % 5 === 0) await write(next, () => id++);
      const team = next() < 0.7 ? pick(next, TEAMS) : { $in: [pick(next, TEAMS), pick(next, TEAMS)] };
      const roll = next();
      const n = Math.floor(next() * 50);
      const match = roll < 0.4 ? { team } : roll < 0.8 ? { team, n } : { team, n: { $in: [n, (n + 7) % 50] } };
      const pipeline = [{ $match: match }];
      const expected = await plain().aggregate(pipeline).toArray();
      const actual = await indexed().aggregate(pipeline).toArray();
      expect(actual, JSON.stringify(pipeline)).toEqual(expected);
    }
  });

  it("stops using an index's order once a document holds an array there, and still answers correctly", async () => {
    await indexed().insertOne({ _id: 9_000, team: "a", score: [3, 30], n: 1 });
    await plain().insertOne({ _id: 9_000, team: "a", score: [3, 30], n: 1 });
    const sorts: Document[] = [
      { score: -1, _id: -1 },
      { score: 1, _id: 1 },
    ];
    for (const sort of sorts) {
      const expected = await plain().find({ team: "a" }, { sort, limit: 15 }).toArray();
      expect(await indexed().find({ team: "a" }, { sort, limit: 15 }).toArray()).toEqual(expected);
    }
  });

  it("narrows $unionWith and $lookup pipelines by their leading $match, answering as an unindexed collection", async () => {
    const next = random(5);
    let id = 7_000;
    let answered = 0;
    for (let round = 0; round < 120; round++) {
      if (round % 5 === 0) await write(next, () => id++);
      const team = pick(next, TEAMS);
      const from = new Date(BASE + Math.floor(next() * 30) * DAY);
      const day = { $gte: from, $lt: new Date(from.getTime() + 5 * DAY) };
      const roll = next();
      // Consecutive matches on different fields (combined), on the same field (an $and), and a collation
      // the indexes do not have (upper-case team under strength 2 must still find the lower-case documents).
      const caseless = roll >= 0.75;
      const inner: Document[] =
        roll < 0.4
          ? [{ $match: { team } }, { $match: { day } }, { $project: { n: 1, day: 1 } }]
          : roll < 0.75
            ? [{ $match: { team: { $in: [team, "c"] } } }, { $match: { team } }]
            : [{ $match: { team: team.toUpperCase(), day } }];
      const options = caseless ? { collation: { locale: "en", strength: 2 } } : {};
      const union = (coll: string): Document[] => [{ $match: { _id: -1 } }, { $unionWith: { coll, pipeline: inner } }];
      const lookup = (coll: string): Document[] => [
        { $match: { _id: { $lt: 3 } } },
        { $lookup: { from: coll, pipeline: inner, as: "joined" } },
      ];
      for (const pipeline of [union, lookup]) {
        const expected = await plain().aggregate(pipeline("plain"), options).toArray();
        const actual = await indexed().aggregate(pipeline("indexed"), options).toArray();
        expect(actual, JSON.stringify(pipeline("indexed"))).toEqual(expected);
        if (pipeline === union && expected.length > 0) answered += 1;
      }
    }
    // Not vacuous: most unions found documents (the caseless ones included).
    expect(answered).toBeGreaterThan(60);
  });
});
