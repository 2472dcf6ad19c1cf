import { type Document, ObjectId } from "mongodb";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { BaseRepository } from "./baseRepository";
import { type IntegrationDatabase, openIntegrationDatabase } from "./integrationDatabase";
import { defineRepository } from "./repositoryDefinition";

const UserSchema = z.strictObject({
  team_id: z.string(),
  external_id: z.string().min(1),
  email: z.string().email(),
  name: z.string().min(1),
  tags: z.array(z.string()).default([]),
  profile: z.record(z.string(), z.unknown()).optional(),
});
const users = defineRepository({ database: "PLATFORM", collection: "users", schema: UserSchema, keyFields: ["external_id"], versioned: true });

let db: IntegrationDatabase;
let repo: BaseRepository<typeof UserSchema>;

beforeAll(async () => {
  db = await openIntegrationDatabase();
  await db.createIndexes("PLATFORM", "users");
  repo = new BaseRepository({ provider: db.provider }, users);
});

afterAll(async () => {
  await db?.dispose();
});

beforeEach(async () => {
  await db.raw("PLATFORM", "users").deleteMany({});
});

function user(n: number, extra: Document = {}): Document {
  return { external_id: `ext-${n}`, email: `u${n}@example.com`, name: `User ${n}`, tags: ["a"], profile: { level: n }, ...extra };
}

describe("bulkUpsert", () => {
  it("writes valid documents and reports invalid ones and duplicate unique keys per index", async () => {
    const scope = repo.forTeam("t1");
    const docs = [
      user(0),
      { external_id: "ext-1", email: "not-an-email", name: "" }, // invalid
      user(2, { email: "u0@example.com" }), // valid, but violates the unique (team_id, email) index
      user(3),
      "not even an object",
      user(5, { external_id: undefined }), // key field missing
      user(6),
    ];
    const result = await scope.bulkUpsert(docs, { batchSize: 2 });
    expect(result.inserted).toBe(3);
    expect(result.updated).toBe(0);
    expect(result.unchanged).toBe(0);
    expect(result.errors.map((e) => [e.index, e.code])).toEqual([
      [1, "VALIDATION_FAILED"],
      [2, "CONFLICT"],
      [4, "VALIDATION_FAILED"],
      [5, "VALIDATION_FAILED"],
    ]);
    expect(result.errors[0]?.issues?.map((i) => i.path).sort()).toEqual(["1.email", "1.name"]);
    expect(result.errors[1]?.fields).toEqual(["team_id", "email"]);
    expect(result.errors[3]?.issues?.[0]?.path).toBe("5.external_id");
    const stored = await db.raw("PLATFORM", "users").find({}).sort({ external_id: 1 }).toArray();
    expect(stored.map((d) => d.external_id)).toEqual(["ext-0", "ext-3", "ext-6"]);
    for (const doc of stored) {
      expect(doc.team_id).toBe("t1");
      expect(doc.version).toBe(1);
      expect(doc.created_at).toBeInstanceOf(Date);
      expect(doc.updated_at).toEqual(doc.created_at);
      expect(doc._id).toBeInstanceOf(ObjectId);
    }
  });

  it("reports a re-import of the same data as unchanged and leaves updated_at and version alone", async () => {
    const scope = repo.forTeam("t1");
    const docs = Array.from({ length: 25 }, (_, i) => user(i));
    expect(await scope.bulkUpsert(docs, { batchSize: 10 })).toEqual({ inserted: 25, updated: 0, unchanged: 0, errors: [] });
    const before = await db.raw("PLATFORM", "users").find({}).sort({ external_id: 1 }).toArray();
    expect(await scope.bulkUpsert(docs, { batchSize: 10 })).toEqual({ inserted: 0, updated: 0, unchanged: 25, errors: [] });
    expect(await db.raw("PLATFORM", "users").find({}).sort({ external_id: 1 }).toArray()).toEqual(before);

    const changed = docs.map((d, i) => (i % 5 === 0 ? { ...d, name: `Renamed ${i}` } : i % 5 === 1 ? { ...d, profile: { level: -1 } } : d));
    const added = [...changed, user(100)];
    expect(await scope.bulkUpsert(added)).toEqual({ inserted: 1, updated: 10, unchanged: 15, errors: [] });
    const byKey = (docs: Document[]) => new Map(docs.map((d) => [d.external_id as string, d]));
    const after = byKey(await db.raw("PLATFORM", "users").find({}).toArray());
    const old = byKey(before);
    const [d0, d1, d2] = ["ext-0", "ext-1", "ext-2"].map((k) => after.get(k)) as [Document, Document, Document];
    const [b0, b2] = ["ext-0", "ext-2"].map((k) => old.get(k)) as [Document, Document];
    expect(d0.name).toBe("Renamed 0");
    expect(d0.version).toBe(2);
    expect(d0.created_at).toEqual(b0.created_at);
    expect((d0.updated_at as Date).getTime()).toBeGreaterThanOrEqual((b0.updated_at as Date).getTime());
    expect(d1.profile).toEqual({ level: -1 });
    expect(d2).toEqual(b2);
  });

  it("never writes another team's id and keeps teams' keys apart", async () => {
    await repo.forTeam("t1").bulkUpsert([user(1)]);
    const result = await repo.forTeam("t2").bulkUpsert([{ ...user(1), team_id: "t1", name: "Other team" }]);
    expect(result).toEqual({ inserted: 1, updated: 0, unchanged: 0, errors: [] });
    const stored = await db.raw("PLATFORM", "users").find({ external_id: "ext-1" }).sort({ team_id: 1 }).toArray();
    expect(stored.map((d) => [d.team_id, d.name])).toEqual([
      ["t1", "User 1"],
      ["t2", "Other team"],
    ]);
  });

  it("stores values that look like operators or paths as data", async () => {
    const scope = repo.forTeam("t1");
    const tricky = user(7, { name: "$team_id", tags: ["$ne", "$$ROOT"], profile: { note: "$literal" } });
    expect((await scope.bulkUpsert([tricky])).inserted).toBe(1);
    expect((await scope.bulkUpsert([tricky])).unchanged).toBe(1);
    const stored = await db.raw("PLATFORM", "users").findOne({ external_id: "ext-7" });
    expect(stored?.name).toBe("$team_id");
    expect(stored?.tags).toEqual(["$ne", "$$ROOT"]);
    expect(stored?.profile).toEqual({ note: "$literal" });
  });
});
