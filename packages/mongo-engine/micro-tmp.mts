import { CompatEngine as OldEngine } from "/tmp/engine-old/packages/mongo-engine/src/compatEngine";
import { CompatEngine as NewEngine } from "/work/wt-engine/packages/mongo-engine/src/compatEngine";
import { BSON } from "bson";
const conn = { id: 1, remote: "x" };
async function setup(E: any) {
  const e = new E({ ttlMonitorIntervalMs: 3600_000 });
  const docs = Array.from({ length: 20000 }, (_, i) => ({
    _id: i,
    email: `u${i}@x`,
    team: `t${i % 50}`,
    n: i,
    status: i % 3 ? "closed" : "open",
    score: (i * 37) % 1000,
  }));
  await e.runCommand("b", { insert: "c", documents: docs }, conn);
  await e.runCommand("b", { createIndexes: "c", indexes: [{ key: { email: 1 }, name: "e" }] }, conn);
  return e;
}
const engines = { old: await setup(OldEngine), new: await setup(NewEngine) };
const work: Record<string, (e: any, i: number) => Promise<unknown>> = {
  unindexed: (e, i) => e.runCommand("b", { find: "c", filter: { n: (i * 7) % 20000, status: "x" } }, conn),
  indexed: (e, i) => e.runCommand("b", { find: "c", filter: { email: `u${i % 20000}@x` } }, conn),
  facet: (e) =>
    e.runCommand(
      "b",
      {
        aggregate: "c",
        pipeline: [
          { $match: { status: "open" } },
          {
            $facet: {
              byTeam: [{ $group: { _id: "$team", n: { $sum: 1 }, avg: { $avg: "$score" } } }, { $sort: { n: -1, _id: 1 } }],
              top: [{ $sort: { score: -1 } }, { $limit: 10 }],
              total: [{ $count: "n" }],
            },
          },
        ],
        cursor: {},
      },
      conn,
    ),
  update: (e, i) =>
    e.runCommand(
      "b",
      {
        update: "c",
        updates: Array.from({ length: 100 }, (_, k) => ({ q: { _id: (i * 100 + k) % 20000 }, u: { $set: { v: i }, $inc: { n: 1 } } })),
      },
      conn,
    ),
};
const buf = BSON.serialize({
  insert: "c",
  documents: Array.from({ length: 2000 }, (_, i) => ({ _id: i, a: `x${i}`, n: i, f: i * 1.5, tags: ["a", "b"], sub: { k: i } })),
});
const { decodeMessage: oldDecode } = await import("/tmp/engine-old/packages/mongo-engine/src/wireProtocol");
const { decodeMessage: newDecode } = await import("/work/wt-engine/packages/mongo-engine/src/wireProtocol");
const header = Buffer.alloc(21);
header.writeInt32LE(21 + buf.length, 0);
header.writeInt32LE(2013, 12);
header.writeUInt8(0, 20);
const msg = Buffer.concat([header, buf]);
const times: Record<string, Record<string, number[]>> = {};
for (let round = 0; round < 30; round++) {
  for (const label of (round % 2 ? ["old", "new"] : ["new", "old"]) as ("old" | "new")[]) {
    for (const [name, fn] of Object.entries(work)) {
      const t = performance.now();
      const reps = name === "indexed" ? 50 : name === "facet" ? 3 : 5;
      for (let i = 0; i < reps; i++) await fn(engines[label], round * 50 + i);
      ((times[name] ??= {})[label] ??= []).push((performance.now() - t) / reps);
    }
    const t = performance.now();
    (label === "old" ? oldDecode : newDecode)(msg);
    ((times.decode2000 ??= {})[label] ??= []).push(performance.now() - t);
  }
}
const med = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
console.table(
  Object.entries(times).map(([k, v]) => ({
    work: k,
    oldMs: +med(v.old).toFixed(3),
    newMs: +med(v.new).toFixed(3),
    ratio: +(med(v.new) / med(v.old)).toFixed(2),
  })),
);
process.exit(0);
