import { ContractViolationError, ForbiddenError, ValidationError } from "@cspm/errors";
import type { Collection, Document } from "mongodb";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { BaseRepository } from "./baseRepository";
import type { CollectionProvider } from "./collectionProvider";
import { RepositoryFactory } from "./repositoryFactory";
import { defineRepository, type RepositoryContext } from "./repositoryDefinition";
import { ScopedRepository, TENANT_SCOPED_OPERATIONS } from "./scopedRepository";
import { trustedFilter } from "./trustedFilter";

/** A provider that fails the test if anything reaches the database: these checks must happen before. */
const offline: CollectionProvider = {
  getCollection<T extends Document>(): Collection<T> {
    throw new Error("the database must not be reached");
  },
};
const context: RepositoryContext = { provider: offline };

const UserSchema = z.strictObject({
  email: z.string().email(),
  name: z.string().min(1),
  team_id: z.string().optional(),
  profile: z.record(z.string(), z.unknown()).optional(),
});
const users = defineRepository({ database: "PLATFORM", collection: "users", schema: UserSchema, keyFields: ["email"] });
const teams = defineRepository({ database: "core", collection: "teams", schema: z.object({ slug: z.string() }) });

describe("BaseRepository construction", () => {
  it("binds to a registry collection and reads tenantOwned from the registry", () => {
    const repo = new BaseRepository(context, users);
    expect(repo.tenantOwned).toBe(true);
    expect(repo.key).toBe("PLATFORM.users");
    expect(new BaseRepository(context, teams).tenantOwned).toBe(false);
  });

  it("refuses foreign, unknown and legacy collections, bad schemas and bad key fields", () => {
    expect(() => new BaseRepository(context, { ...users, database: "CLOUD_SECURITY" })).toThrow(ValidationError);
    expect(() => new BaseRepository(context, { ...users, collection: "nope" })).toThrow(ValidationError);
    expect(() => new BaseRepository(context, { ...users, collection: "cloud_accounts", database: "CLOUD_SECURITY" })).toThrow(
      ContractViolationError,
    );
    expect(() => new BaseRepository(context, { ...users, schema: z.string() as never })).toThrow(ContractViolationError);
    expect(() => new BaseRepository(context, { ...users, keyFields: ["nope" as "email"] })).toThrow(ContractViolationError);
    expect(() => new BaseRepository(context, { ...users, keyFields: ["team_id" as "email"] })).toThrow(ContractViolationError);
  });
});

describe("scopes", () => {
  const repo = new BaseRepository(context, users);

  it("requires a well-formed team on tenant-owned collections", () => {
    expect(repo.forTeam("team-a")).toBeInstanceOf(ScopedRepository);
    expect(repo.forTeam("team-a").teamId).toBe("team-a");
    for (const bad of ["", "a b", "x".repeat(129), "$ne", { $ne: null }, null, undefined]) {
      expect(() => repo.forTeam(bad as string)).toThrow(ValidationError);
    }
    expect(() => repo.shared()).toThrow(ForbiddenError);
  });

  it("offers shared() only on shared collections", () => {
    const shared = new BaseRepository(context, teams);
    expect(shared.shared().teamId).toBeNull();
    expect(() => shared.forTeam("team-a")).toThrow(ContractViolationError);
  });

  it("has no data method outside a scope", () => {
    for (const operation of TENANT_SCOPED_OPERATIONS) expect(operation in repo).toBe(false);
  });

  it("lists every public data method of ScopedRepository in TENANT_SCOPED_OPERATIONS", () => {
    const methods = Object.getOwnPropertyNames(ScopedRepository.prototype).filter(
      (name) => name !== "constructor" && typeof Object.getOwnPropertyDescriptor(ScopedRepository.prototype, name)?.value === "function",
    );
    expect(new Set(methods)).toEqual(new Set(TENANT_SCOPED_OPERATIONS));
  });
});

describe("input checks happen before any database access", () => {
  const scope = new BaseRepository(context, users).forTeam("team-a");

  it.each([
    ["findMany {$ne}", () => scope.findMany({ email: { $ne: null } })],
    ["findOne $where", () => scope.findOne({ $where: "sleep(100)" })],
    ["count dotted", () => scope.count({ "profile.role": "admin" })],
    ["exists __proto__", () => scope.exists(JSON.parse('{"__proto__": {"x": 1}}'))],
    ["distinct unknown field", () => scope.distinct("password" as "email")],
    ["deleteMany $nor", () => scope.deleteMany(JSON.parse('{"$nor": [{"team_id": "x"}]}'))],
    ["updateMany $expr", () => scope.updateMany(JSON.parse('{"$expr": {"$eq": [1, 1]}}'), { $set: { name: "x" } })],
    ["trusted $where", async () => scope.findMany(trustedFilter({ $where: "1" }))],
    [
      "trusted filter mutated after branding",
      () => {
        const filter = trustedFilter({ name: "x" });
        (filter.filter as Record<string, unknown>).$or = [{ $where: "1" }];
        return scope.findMany(filter);
      },
    ],
    ["aggregate $out", () => scope.aggregate([{ $out: "x" }])],
    ["insert invalid", () => scope.insertOne({ email: "not-an-email", name: "" })],
    ["insert $ key in free-form", () => scope.insertOne({ email: "a@b.co", name: "A", profile: { $gt: 1 } })],
    ["update team_id", () => scope.updateOne({ email: "a@b.co" }, { $set: { team_id: "team-b" } })],
    ["update _id", () => scope.updateOne({ email: "a@b.co" }, { $set: { _id: 1 } } as never)],
    ["rename to team_id", () => scope.updateOne({ email: "a@b.co" }, { $rename: { name: "team_id" } })],
    ["update pipeline", () => scope.updateOne({ email: "a@b.co" }, [{ $set: { team_id: "b" } }] as never)],
    ["update $where", () => scope.updateMany({}, { $pull: { tags: { $where: "1" } } } as never)],
    ["unset required", () => scope.updateOne({ email: "a@b.co" }, { $unset: { name: "" } })],
    ["$-segment in dotted path", () => scope.updateOne({ email: "a@b.co" }, { $set: { "profile.$where": 1 } })],
    ["__proto__ segment in dotted path", () => scope.updateOne({ email: "a@b.co" }, { $set: { "profile.__proto__.x": 1 } })],
    ["unknown update operator", () => scope.updateOne({ email: "a@b.co" }, { $setOnInsert: { name: "x" } } as never)],
    ["$ key in dotted $set value", () => scope.updateOne({ email: "a@b.co" }, { $set: { "profile.x": { $ne: 1 } } })],
    ["bad id", () => scope.findById("not-an-id")],
    ["page limit", () => scope.paginate({ limit: 1001 })],
    ["page cursor", () => scope.paginate({ cursor: "forged.cursor" })],
    ["sort injection", () => scope.findMany({}, { sort: { $natural: 1 } as never })],
  ])("%s -> VALIDATION_FAILED", async (_label, run) => {
    await expect(run()).rejects.toBeInstanceOf(ValidationError);
  });

  it("rejects another team's id in a filter with FORBIDDEN", async () => {
    await expect(scope.findMany({ team_id: "team-b" })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(scope.findMany({ team_id: ["team-a", "team-b"] })).rejects.toBeInstanceOf(ForbiddenError);
  });

  it("stream validates its arguments when called", () => {
    expect(() => scope.stream({ email: { $gt: "" } })).toThrow(ValidationError);
    expect(() => scope.stream({}, { batchSize: 0 })).toThrow(ValidationError);
  });

  it("bulkUpsert needs key fields and an array", async () => {
    const noKeys = new BaseRepository(context, { ...users, keyFields: undefined } as never).forTeam("t");
    await expect(noKeys.bulkUpsert([])).rejects.toBeInstanceOf(ContractViolationError);
    await expect(scope.bulkUpsert({} as never)).rejects.toBeInstanceOf(ValidationError);
    await expect(scope.bulkUpsert([], { batchSize: 0 })).rejects.toBeInstanceOf(ValidationError);
  });
});

describe("RepositoryFactory", () => {
  class UserRepository extends BaseRepository<typeof UserSchema> {
    constructor(ctx: RepositoryContext) {
      super(ctx, users);
    }
    byEmail(teamId: string, email: string) {
      return this.forTeam(teamId).findOne({ email });
    }
  }

  it("caches per class and per definition and exposes the provider", () => {
    const factory = new RepositoryFactory({ provider: offline });
    const a = factory.get(UserRepository);
    expect(a).toBeInstanceOf(UserRepository);
    expect(factory.get(UserRepository)).toBe(a);
    expect(factory.has(UserRepository)).toBe(true);
    const plain = factory.get(teams);
    expect(factory.get(teams)).toBe(plain);
    expect(plain).not.toBe(a);
    expect(factory.provider).toBe(offline);
  });
});
