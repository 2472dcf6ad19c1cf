import { NotFoundError } from "@cspm/errors";
import { type Document, ObjectId } from "mongodb";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { BaseRepository } from "./baseRepository";
import { type IntegrationDatabase, openIntegrationDatabase } from "./integrationDatabase";
import { defineRepository } from "./repositoryDefinition";
import { type ScopedRepository, TENANT_SCOPED_OPERATIONS, type TenantScopedOperation } from "./scopedRepository";
import { trustedFilter } from "./trustedFilter";

const UserSchema = z.strictObject({
  team_id: z.string(),
  email: z.string().email(),
  name: z.string().min(1),
  role: z.enum(["admin", "member"]).default("member"),
  age: z.number().int().optional(),
});
const users = defineRepository({
  database: "PLATFORM",
  collection: "users",
  schema: UserSchema,
  versioned: true,
  softDelete: true,
  keyFields: ["email"],
});

const A = "team-a";
const B = "team-b";
const SHARED_EMAIL = "same@example.com";
const B_ONLY_EMAIL = "only-b@example.com";

let db: IntegrationDatabase;
let repo: BaseRepository<typeof UserSchema>;
let scopeA: ScopedRepository<typeof UserSchema>;
let bIds: ObjectId[];
let bDeletedId: ObjectId;
let bSnapshot: Document[];

function seedDoc(team: string, email: string, name: string, extra: Document = {}): Document {
  const now = new Date("2024-01-01T00:00:00Z");
  return {
    _id: new ObjectId(),
    team_id: team,
    email,
    name,
    role: "member",
    age: 30,
    created_at: now,
    updated_at: now,
    version: 1,
    ...extra,
  };
}

async function teamBDocs(): Promise<Document[]> {
  return db.raw("PLATFORM", "users").find({ team_id: B }).sort({ _id: 1 }).toArray();
}

async function teamADocs(): Promise<Document[]> {
  return db.raw("PLATFORM", "users").find({ team_id: A }).toArray();
}

beforeAll(async () => {
  db = await openIntegrationDatabase();
  await db.createIndexes("PLATFORM", "users");
  repo = new BaseRepository({ provider: db.provider }, users);
  scopeA = repo.forTeam(A);
});

afterAll(async () => {
  await db?.dispose();
});

beforeEach(async () => {
  const raw = db.raw("PLATFORM", "users");
  await raw.deleteMany({});
  const bDocs = [
    seedDoc(B, SHARED_EMAIL, "Bea"),
    seedDoc(B, B_ONLY_EMAIL, "Bob"),
    seedDoc(B, "b3@example.com", "Bert", { age: 41 }),
    seedDoc(B, "b-deleted@example.com", "Ben", { deleted_at: new Date("2024-02-01T00:00:00Z") }),
  ];
  bIds = bDocs.map((d) => d._id as ObjectId);
  bDeletedId = bIds[3] as ObjectId;
  await raw.insertMany([...bDocs, seedDoc(A, SHARED_EMAIL, "Ann"), seedDoc(A, "a2@example.com", "Abe", { age: 41 })]);
  bSnapshot = await teamBDocs();
});

function expectOnlyTeamA(docs: readonly Document[]): void {
  for (const doc of docs) expect(doc.team_id).toBe(A);
}

/**
 * One case per operation of TENANT_SCOPED_OPERATIONS. Each acts in team A's scope with filters, ids or
 * payloads that would reach team B's documents if scoping were missing, and checks what A sees.
 * After every case, team B's documents must be byte-for-byte what they were.
 */
const CASES: Record<TenantScopedOperation, () => Promise<void>> = {
  async findById() {
    for (const id of bIds) expect(await scopeA.findById(id, { includeDeleted: true })).toBeNull();
  },
  async getById() {
    await expect(scopeA.getById(bIds[0] as ObjectId)).rejects.toBeInstanceOf(NotFoundError);
  },
  async findOne() {
    const doc = await scopeA.findOne({ email: SHARED_EMAIL });
    expect(doc?.team_id).toBe(A);
    expect(await scopeA.findOne({ email: B_ONLY_EMAIL })).toBeNull();
    expect(await scopeA.findOne(trustedFilter({ $or: [{ team_id: B }, { email: B_ONLY_EMAIL }] }))).toBeNull();
  },
  async findMany() {
    const docs = await scopeA.findMany({}, { includeDeleted: true });
    expect(docs).toHaveLength(2);
    expectOnlyTeamA(docs);
    expect(await scopeA.findMany(trustedFilter({ team_id: B }))).toEqual([]);
    expect(await scopeA.findMany({ team_id: A, age: 41 })).toHaveLength(1);
  },
  async count() {
    expect(await scopeA.count({}, { includeDeleted: true })).toBe(2);
    expect(await scopeA.count(trustedFilter({ team_id: { $ne: A } }))).toBe(0);
  },
  async exists() {
    expect(await scopeA.exists({ email: B_ONLY_EMAIL })).toBe(false);
    expect(await scopeA.exists({ email: SHARED_EMAIL })).toBe(true);
  },
  async distinct() {
    expect(new Set(await scopeA.distinct("email", undefined, { includeDeleted: true }))).toEqual(new Set([SHARED_EMAIL, "a2@example.com"]));
    expect(await scopeA.distinct("team_id" as "email")).toEqual([A]);
  },
  async aggregate() {
    const groups = await scopeA.aggregate<{ _id: string; n: number }>([{ $group: { _id: "$team_id", n: { $sum: 1 } } }], {
      includeDeleted: true,
    });
    expect(groups).toEqual([{ _id: A, n: 2 }]);
    expect(await scopeA.aggregate([{ $match: { team_id: B } }])).toEqual([]);
  },
  async stream() {
    const seen: Document[] = [];
    for await (const doc of scopeA.stream({}, { batchSize: 1, includeDeleted: true })) seen.push(doc);
    expect(seen).toHaveLength(2);
    expectOnlyTeamA(seen);
  },
  async paginate() {
    const seen: Document[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof scopeA.paginate>> = await scopeA.paginate({ limit: 1, cursor, includeDeleted: true });
      seen.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor !== null);
    expect(seen).toHaveLength(2);
    expectOnlyTeamA(seen);
  },
  async insertOne() {
    const doc = await scopeA.insertOne({ email: "new@example.com", name: "Nia", team_id: B } as never);
    expect(doc.team_id).toBe(A);
    expect((await db.raw("PLATFORM", "users").findOne({ _id: doc._id }))?.team_id).toBe(A);
  },
  async insertMany() {
    const docs = await scopeA.insertMany([
      { email: "m1@example.com", name: "M1", team_id: B } as never,
      { email: "m2@example.com", name: "M2" },
    ]);
    expectOnlyTeamA(docs);
    expect(await db.raw("PLATFORM", "users").countDocuments({ email: { $in: ["m1@example.com", "m2@example.com"] }, team_id: A })).toBe(2);
  },
  async update() {
    await expect(scopeA.update(bIds[0] as ObjectId, { name: "Hacked" })).rejects.toBeInstanceOf(NotFoundError);
  },
  async updateOne() {
    const result = await scopeA.updateOne({ email: SHARED_EMAIL }, { $set: { name: "Ann 2" } });
    expect(result).toEqual({ matchedCount: 1, modifiedCount: 1 });
    expect((await scopeA.findOne({ email: SHARED_EMAIL }))?.name).toBe("Ann 2");
    expect((await scopeA.updateOne({ email: B_ONLY_EMAIL }, { $set: { name: "x" } })).matchedCount).toBe(0);
  },
  async updateMany() {
    const result = await scopeA.updateMany({}, { $set: { name: "Everyone" } });
    expect(result.matchedCount).toBe(2);
    expect((await scopeA.updateMany(trustedFilter({ team_id: B }), { $inc: { age: 1 } })).matchedCount).toBe(0);
  },
  async findOneAndUpdate() {
    const doc = await scopeA.findOneAndUpdate({ email: SHARED_EMAIL }, { $set: { role: "admin" } });
    expect(doc?.team_id).toBe(A);
    expect(doc?.role).toBe("admin");
    expect(await scopeA.findOneAndUpdate({ email: B_ONLY_EMAIL }, { $set: { role: "admin" } })).toBeNull();
  },
  async upsert() {
    const result = await scopeA.upsert({ email: B_ONLY_EMAIL, name: "Mine now", team_id: B } as never);
    expect(result.status).toBe("inserted");
    expect(result.document.team_id).toBe(A);
    expect(await db.raw("PLATFORM", "users").countDocuments({ email: B_ONLY_EMAIL })).toBe(2);
  },
  async bulkUpsert() {
    const result = await scopeA.bulkUpsert([
      { email: B_ONLY_EMAIL, name: "Bulk", team_id: B },
      { email: SHARED_EMAIL, name: "Ann" },
    ]);
    expect(result.errors).toEqual([]);
    expect(result.inserted).toBe(1);
    expectOnlyTeamA(await db.raw("PLATFORM", "users").find({ name: "Bulk" }).toArray());
  },
  async deleteById() {
    for (const id of bIds) {
      expect(await scopeA.deleteById(id)).toBe(false);
      expect(await scopeA.deleteById(id, { hard: true })).toBe(false);
    }
  },
  async deleteOne() {
    expect(await scopeA.deleteOne({ email: B_ONLY_EMAIL })).toBe(false);
    expect(await scopeA.deleteOne({ email: B_ONLY_EMAIL }, { hard: true })).toBe(false);
    expect(await scopeA.deleteOne({ email: SHARED_EMAIL })).toBe(true);
  },
  async deleteMany() {
    expect(await scopeA.deleteMany({})).toBe(2);
    expect(await scopeA.deleteMany({}, { hard: true })).toBe(2);
    expect(await teamADocs()).toEqual([]);
  },
  async restore() {
    expect(await scopeA.restore(bDeletedId)).toBe(false);
  },
  async bulkUpdate() {
    const rename = [{ $set: { name: "renamed" } }];
    const result = await scopeA.bulkUpdate([
      { filter: { email: B_ONLY_EMAIL }, pipeline: rename },
      { filter: { email: SHARED_EMAIL }, pipeline: rename },
      { filter: { email: "new@example.com" }, pipeline: [{ $set: { name: "New", role: "member", age: 1 } }], upsert: true },
    ]);
    expect(result).toMatchObject({ matched: 1, modified: 1, upserted: 1, errors: [] });
    await expect(scopeA.bulkUpdate([{ filter: { team_id: B, email: SHARED_EMAIL }, pipeline: rename }])).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    await expect(scopeA.bulkUpdate([{ filter: { email: SHARED_EMAIL }, pipeline: [{ $set: { team_id: B } }] }])).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    await expect(
      scopeA.bulkUpdate([{ filter: { email: SHARED_EMAIL }, pipeline: [{ $replaceWith: { team_id: B } }] }]),
    ).rejects.toMatchObject({
      code: "VALIDATION_FAILED",
    });
    expect((await scopeA.findOne({ email: "new@example.com" }))?.team_id).toBe(A);
  },
  async moveStatus() {
    const move = { field: "role", from: ["member"], to: "admin", entity: "user" } as const;
    for (const id of bIds) await expect(scopeA.moveStatus(id, move)).rejects.toBeInstanceOf(NotFoundError);
    const [own] = await scopeA.findMany({ email: SHARED_EMAIL });
    const moved = await scopeA.moveStatus(own?._id as ObjectId, move);
    expect(moved).toMatchObject({ team_id: A, role: "admin" });
    await expect(scopeA.moveStatus(own?._id as ObjectId, move)).rejects.toMatchObject({
      code: "CONFLICT",
      details: { reason: "ILLEGAL_TRANSITION", from: "admin", to: "admin" },
    });
  },
};

describe("tenant isolation on every scoped operation", () => {
  it("has a case for exactly the operations in TENANT_SCOPED_OPERATIONS", () => {
    expect(new Set(Object.keys(CASES))).toEqual(new Set(TENANT_SCOPED_OPERATIONS));
  });

  it.each(TENANT_SCOPED_OPERATIONS.map((operation) => [operation]))("%s never sees or changes team B", async (operation) => {
    await CASES[operation as TenantScopedOperation]();
    expect(await teamBDocs()).toEqual(bSnapshot);
  });
});
