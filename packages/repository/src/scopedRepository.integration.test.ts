import { ConflictError, isCspmError, NotFoundError, UnavailableError, ValidationError } from "@cspm/errors";
import { type CommandStartedEvent, type Document, MongoClient, ObjectId } from "mongodb";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { BaseRepository } from "./baseRepository";
import { DEFAULT_FIND_LIMIT, MAX_FIND_LIMIT } from "./scopedRepository";
import { createCollectionProvider } from "./collectionProvider";
import { type IntegrationDatabase, openIntegrationDatabase } from "./integrationDatabase";
import { RepositoryFactory } from "./repositoryFactory";
import { defineRepository, type RepositoryContext } from "./repositoryDefinition";
import { trustedFilter } from "./trustedFilter";

const UserSchema = z.strictObject({
  team_id: z.string(),
  email: z.string().email(),
  name: z.string().min(1).max(200),
  role: z.enum(["admin", "member"]).default("member"),
  age: z.number().int().nonnegative().optional(),
  tags: z.array(z.string()).optional(),
  profile: z.record(z.string(), z.unknown()).optional(),
});
const users = defineRepository({ database: "PLATFORM", collection: "users", schema: UserSchema, keyFields: ["email"] });
const versionedUsers = defineRepository({ ...users, versioned: true, softDelete: true });

const TeamSchema = z.object({ slug: z.string().min(1), name: z.string() });
const teams = defineRepository({ database: "PLATFORM", collection: "teams", schema: TeamSchema, keyFields: ["slug"] });

const JobSchema = z.object({ team_id: z.string(), status: z.enum(["pending", "running", "completed"]), worker: z.string().optional() });
const jobs = defineRepository({ database: "ORCHESTRATION", collection: "jobs", schema: JobSchema });

const FindingSchema = z.object({
  check_id: z.string(),
  account_id: z.string(),
  resource_uid: z.string(),
  region: z.string(),
  status: z.string(),
});
const findings = defineRepository({ database: "CLOUD_SECURITY", collection: "prowler_findings", schema: FindingSchema });
const AccountSchema = z.object({ provider: z.string(), account_id: z.string(), name: z.string() });
const accounts = defineRepository({ database: "CLOUD_SECURITY", collection: "enhanced_cloud_accounts", schema: AccountSchema });

let db: IntegrationDatabase;
let factory: RepositoryFactory;

beforeAll(async () => {
  db = await openIntegrationDatabase();
  await db.createIndexes("PLATFORM", "users");
  await db.createIndexes("PLATFORM", "teams");
  factory = new RepositoryFactory({ provider: db.provider });
});

afterAll(async () => {
  await db?.dispose();
});

beforeEach(async () => {
  await db.raw("PLATFORM", "users").deleteMany({});
});

async function rawUsers(): Promise<Document[]> {
  return db.raw("PLATFORM", "users").find({}).sort({ _id: 1 }).toArray();
}

describe("writes and reads", () => {
  it("validates, stamps and returns plain documents", async () => {
    const scope = factory.get(users).forTeam("t1");
    const doc = await scope.insertOne({ email: "a@example.com", name: "Ann", created_at: new Date(0), version: 99 } as never);
    expect(doc._id).toBeInstanceOf(ObjectId);
    expect(doc.team_id).toBe("t1");
    expect(doc.role).toBe("member");
    expect(doc.created_at).toBeInstanceOf(Date);
    expect(doc.created_at.getTime()).not.toBe(0);
    expect(doc.updated_at).toEqual(doc.created_at);
    expect("version" in doc).toBe(false);
    const read = await scope.getById(doc._id.toHexString());
    expect(read).toEqual(doc);
    expect(Object.getPrototypeOf(read)).toBe(Object.prototype);
  });

  it("reports invalid documents with field paths and writes nothing", async () => {
    const scope = factory.get(users).forTeam("t1");
    const error = await scope.insertOne({ email: "nope", name: "" } as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues.map((i) => i.path).sort()).toEqual(["email", "name"]);
    const many = await scope
      .insertMany([
        { email: "ok@example.com", name: "Ok" },
        { email: "x@example.com", name: "X", age: -1 },
      ])
      .catch((e: unknown) => e);
    expect((many as ValidationError).issues.map((i) => i.path)).toEqual(["1.age"]);
    expect(await rawUsers()).toEqual([]);
  });

  it("updates fields with validation and bumps updated_at", async () => {
    const scope = factory.get(users).forTeam("t1");
    const doc = await scope.insertOne({ email: "a@example.com", name: "Ann" });
    const updated = await scope.update(doc._id, { name: "Anna", age: 31 });
    expect(updated.name).toBe("Anna");
    expect(updated.age).toBe(31);
    expect(updated.created_at).toEqual(doc.created_at);
    expect(updated.updated_at.getTime()).toBeGreaterThanOrEqual(doc.updated_at.getTime());
    await expect(scope.update(doc._id, { age: "old" as never })).rejects.toBeInstanceOf(ValidationError);
    await expect(scope.update(doc._id, { email: "x" })).rejects.toBeInstanceOf(ValidationError);
    await expect(scope.update(new ObjectId(), { name: "x" })).rejects.toBeInstanceOf(NotFoundError);
  });

  it("applies operator updates and keeps the system fields out of reach", async () => {
    const scope = factory.get(users).forTeam("t1");
    const doc = await scope.insertOne({ email: "a@example.com", name: "Ann", age: 1, tags: ["x"] });
    await scope.updateOne({ email: "a@example.com" }, { $inc: { age: 2 }, $push: { tags: "y" } });
    await scope.updateOne({ email: "a@example.com" }, { $push: { tags: { $each: ["z", "w"], $slice: 3 } }, $set: { "profile.level": 2 } });
    const after = await scope.getById(doc._id);
    expect(after.age).toBe(3);
    expect(after.tags).toEqual(["x", "y", "z"]);
    expect(after.profile).toEqual({ level: 2 });
    await expect(scope.updateOne({ email: "a@example.com" }, { $push: { tags: { $each: [{ $gt: 1 }] } } } as never)).rejects.toBeInstanceOf(
      ValidationError,
    );
    for (const update of [
      { $set: { team_id: "t2" } },
      { $unset: { created_at: "" } },
      { $rename: { name: "team_id" } },
      { $set: { "profile.$where": 1 } },
    ]) {
      await expect(scope.updateOne({ email: "a@example.com" }, update as never)).rejects.toBeInstanceOf(ValidationError);
    }
    expect((await rawUsers())[0]?.team_id).toBe("t1");
  });

  it("treats filter strings as data, never as operators", async () => {
    const scope = factory.get(users).forTeam("t1");
    await scope.insertOne({ email: "a@example.com", name: "$ne" });
    expect(await scope.findMany({ name: "$ne" })).toHaveLength(1);
    expect(await scope.findMany({ email: "$gt" })).toEqual([]);
    expect(await scope.findMany({ _id: new ObjectId().toHexString() })).toEqual([]);
  });

  it("upserts by natural key: inserted, unchanged, updated", async () => {
    const scope = factory.get(users).forTeam("t1");
    const first = await scope.upsert({ email: "u@example.com", name: "U" });
    expect(first.status).toBe("inserted");
    const again = await scope.upsert({ email: "u@example.com", name: "U" });
    expect(again.status).toBe("unchanged");
    expect(again.document.updated_at).toEqual(first.document.updated_at);
    expect(again.document._id).toEqual(first.document._id);
    const changed = await scope.upsert({ email: "u@example.com", name: "U2" });
    expect(changed.status).toBe("updated");
    expect(changed.document.name).toBe("U2");
    expect(changed.document.created_at).toEqual(first.document.created_at);
    expect(await db.raw("PLATFORM", "users").countDocuments({})).toBe(1);
  });

  it("works on shared collections through shared()", async () => {
    const scope = factory.get(teams).shared();
    const team = await scope.insertOne({ slug: "acme", name: "Acme" });
    expect("team_id" in team).toBe(false);
    expect((await scope.findOne({ slug: "acme" }))?._id).toEqual(team._id);
    await db.raw("PLATFORM", "teams").deleteMany({});
  });
});

describe("injection payloads are rejected and nothing is written", () => {
  const payloads: Array<[string, Record<string, unknown>]> = [
    ["$ne operator value", { email: { $ne: null } }],
    ["$where", JSON.parse('{"$where": "function() { return true }"}')],
    ["$where nested", JSON.parse('{"name": {"$where": "1"}}')],
    ["dotted key", { "profile.role": "admin" }],
    ["$nor smuggling", JSON.parse('{"$nor": [{"team_id": "t1"}]}')],
    ["$expr smuggling", JSON.parse('{"$expr": {"$ne": ["$team_id", "t1"]}}')],
    ["$or widening", JSON.parse('{"$or": [{"team_id": "t2"}, {"team_id": "t1"}]}')],
    ["__proto__", JSON.parse('{"__proto__": {"team_id": "t2"}}')],
    ["constructor", JSON.parse('{"constructor": {"prototype": {"team_id": "t2"}}}')],
    ["team_id operator", JSON.parse('{"team_id": {"$ne": "nobody"}}')],
  ];

  it.each(payloads)("%s", async (_label, payload) => {
    const scope = factory.get(users).forTeam("t1");
    await db.raw("PLATFORM", "users").insertMany([
      { team_id: "t1", email: "a@example.com", name: "A", role: "member", created_at: new Date(), updated_at: new Date() },
      { team_id: "t2", email: "b@example.com", name: "B", role: "member", created_at: new Date(), updated_at: new Date() },
    ]);
    const before = await rawUsers();
    const attempts = [
      () => scope.findMany(payload),
      () => scope.count(payload),
      () => scope.updateMany(payload, { $set: { name: "pwned" } }),
      () => scope.deleteMany(payload),
      () => scope.paginate({ filter: payload }),
    ];
    for (const attempt of attempts) {
      const error = await attempt().catch((e: unknown) => e);
      expect(isCspmError(error) && error.code).toBe("VALIDATION_FAILED");
    }
    expect(await rawUsers()).toEqual(before);
  });

  it("refuses unsafe keys inside written data", async () => {
    const scope = factory.get(users).forTeam("t1");
    for (const profile of [JSON.parse('{"$set": {"team_id": "t2"}}'), { "a.b": 1 }, JSON.parse('{"x": {"__proto__": {"y": 1}}}')]) {
      await expect(scope.insertOne({ email: "a@example.com", name: "A", profile })).rejects.toBeInstanceOf(ValidationError);
      const bulk = await scope.bulkUpsert([{ email: "a@example.com", name: "A", profile }]);
      expect(bulk.errors[0]?.code).toBe("VALIDATION_FAILED");
    }
    expect(await rawUsers()).toEqual([]);
  });
});

describe("optimistic versioning", () => {
  it("bumps version and reports stale writes as VERSION_CONFLICT", async () => {
    const scope = factory.get(versionedUsers).forTeam("t1");
    const doc = await scope.insertOne({ email: "v@example.com", name: "V" });
    expect(doc.version).toBe(1);
    const v2 = await scope.update(doc._id, { name: "V2" }, { expectedVersion: 1 });
    expect(v2.version).toBe(2);
    const stale = await scope.update(doc._id, { name: "V3" }, { expectedVersion: 1 }).catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(ConflictError);
    expect((stale as ConflictError).details).toMatchObject({ reason: "VERSION_CONFLICT", expectedVersion: 1, actualVersion: 2 });
    await expect(scope.updateOne({ email: "v@example.com" }, { $set: { name: "x" } }, { expectedVersion: 1 })).rejects.toMatchObject({
      code: "CONFLICT",
      details: { reason: "VERSION_CONFLICT" },
    });
    await expect(scope.update(new ObjectId(), { name: "x" }, { expectedVersion: 1 })).rejects.toBeInstanceOf(NotFoundError);
    expect((await scope.getById(doc._id)).name).toBe("V2");
  });

  it("lets exactly one of two concurrent writers with the same version win", async () => {
    const scope = factory.get(versionedUsers).forTeam("t1");
    const doc = await scope.insertOne({ email: "race@example.com", name: "R" });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 5 }, (_, i) => scope.update(doc._id, { name: `W${i}` }, { expectedVersion: 1 })),
    );
    expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(1);
    for (const o of outcomes) if (o.status === "rejected") expect(o.reason).toBeInstanceOf(ConflictError);
    expect((await scope.getById(doc._id)).version).toBe(2);
  });
});

describe("soft delete", () => {
  it("hides deleted documents from every read, restores and hard-deletes", async () => {
    const scope = factory.get(versionedUsers).forTeam("t1");
    const kept = await scope.insertOne({ email: "keep@example.com", name: "K" });
    const gone = await scope.insertOne({ email: "gone@example.com", name: "G" });
    expect(await scope.deleteById(gone._id)).toBe(true);
    expect(await scope.deleteById(gone._id)).toBe(false);
    expect(await scope.findById(gone._id)).toBeNull();
    expect((await scope.findById(gone._id, { includeDeleted: true }))?.deleted_at).toBeInstanceOf(Date);
    expect((await scope.findMany()).map((d) => d.email)).toEqual(["keep@example.com"]);
    expect(await scope.count()).toBe(1);
    expect(await scope.count({}, { includeDeleted: true })).toBe(2);
    expect(await scope.exists({ email: "gone@example.com" })).toBe(false);
    expect(await scope.distinct("email")).toEqual(["keep@example.com"]);
    expect(await scope.aggregate([{ $count: "n" }])).toEqual([{ n: 1 }]);
    expect((await scope.paginate()).items).toHaveLength(1);
    const streamed: string[] = [];
    for await (const doc of scope.stream()) streamed.push(doc.email);
    expect(streamed).toEqual(["keep@example.com"]);
    expect((await scope.updateMany({}, { $set: { name: "all" } })).matchedCount).toBe(1);

    expect(await scope.restore(gone._id)).toBe(true);
    expect(await scope.restore(gone._id)).toBe(false);
    const back = await scope.getById(gone._id);
    expect("deleted_at" in back).toBe(false);
    expect(back.version).toBe(3);

    expect(await scope.deleteById(kept._id, { hard: true })).toBe(true);
    expect(await db.raw("PLATFORM", "users").countDocuments({ _id: kept._id })).toBe(0);
  });

  it("revives a soft-deleted document when it is upserted again", async () => {
    const scope = factory.get(versionedUsers).forTeam("t1");
    const doc = await scope.insertOne({ email: "z@example.com", name: "Z" });
    await scope.deleteById(doc._id);
    const result = await scope.upsert({ email: "z@example.com", name: "Z" });
    expect(result.status).toBe("updated");
    expect(result.document._id).toEqual(doc._id);
    expect("deleted_at" in result.document).toBe(false);
  });
});

describe("driver errors mapped to the taxonomy", () => {
  it("duplicate key -> CONFLICT naming the fields", async () => {
    const scope = factory.get(users).forTeam("t1");
    await scope.insertOne({ email: "dup@example.com", name: "A" });
    const error = await scope.insertOne({ email: "dup@example.com", name: "B" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as ConflictError).details).toMatchObject({ reason: "DUPLICATE_KEY", fields: ["team_id", "email"] });
    const inserted = await factory.get(users).forTeam("t1").insertOne({ email: "other@example.com", name: "O" });
    await expect(scope.update(inserted._id, { email: "dup@example.com" })).rejects.toMatchObject({ code: "CONFLICT" });
    // Another team may use the same email: the unique key includes team_id.
    await expect(factory.get(users).forTeam("t2").insertOne({ email: "dup@example.com", name: "C" })).resolves.toBeDefined();
  });

  it("unreachable server -> UNAVAILABLE without the connection string", async () => {
    const uri = "mongodb://cspm_user:s3cret@127.0.0.1:1/?serverSelectionTimeoutMS=300&connectTimeoutMS=300";
    const client = new MongoClient(uri);
    try {
      const repo = new BaseRepository({ provider: createCollectionProvider(client) }, users);
      const error = await repo
        .forTeam("t1")
        .findMany()
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UnavailableError);
      expect(JSON.stringify(error)).not.toContain("s3cret");
      expect((error as Error).message).not.toContain("s3cret");
    } finally {
      await client.close();
    }
  });
});

describe("stream", () => {
  it("fetches batch by batch through getMore and closes the cursor on break", async () => {
    const monitored = await openIntegrationDatabase({ monitorCommands: true });
    try {
      const raw = monitored.raw("PLATFORM", "users");
      await raw.insertMany(
        Array.from({ length: 1000 }, (_, i) => ({
          team_id: "t1",
          email: `s${i}@example.com`,
          name: `S${i}`,
          created_at: new Date(),
          updated_at: new Date(),
        })),
      );
      const commands: CommandStartedEvent[] = [];
      const listener = (event: CommandStartedEvent) => {
        if (["find", "getMore", "killCursors"].includes(event.commandName)) commands.push(event);
      };
      monitored.client.on("commandStarted", listener);
      const scope = new BaseRepository({ provider: monitored.provider }, users).forTeam("t1");
      let count = 0;
      for await (const doc of scope.stream({}, { batchSize: 100 })) {
        expect(doc.team_id).toBe("t1");
        count++;
      }
      expect(count).toBe(1000);
      const find = commands.find((c) => c.commandName === "find");
      expect(find?.command.batchSize).toBe(100);
      expect(commands.filter((c) => c.commandName === "getMore").length).toBeGreaterThanOrEqual(9);
      for (const getMore of commands.filter((c) => c.commandName === "getMore")) expect(getMore.command.batchSize).toBe(100);

      commands.length = 0;
      for await (const _doc of scope.stream({}, { batchSize: 100 })) break;
      expect(commands.map((c) => c.commandName)).toEqual(["find", "killCursors"]);
      monitored.client.off("commandStarted", listener);
    } finally {
      await monitored.dispose();
    }
  });
});

describe("findMany limits", () => {
  it("returns at most DEFAULT_FIND_LIMIT documents without a limit, up to MAX_FIND_LIMIT with one, and stream reads the rest", async () => {
    const total = DEFAULT_FIND_LIMIT + 25;
    const now = new Date();
    await db.raw("PLATFORM", "users").insertMany(
      Array.from({ length: total }, (_, i) => ({
        team_id: "t1",
        email: `u${String(i).padStart(5, "0")}@example.com`,
        name: `U${i}`,
        role: "member",
        created_at: now,
        updated_at: now,
      })),
    );
    await db
      .raw("PLATFORM", "users")
      .insertOne({ team_id: "t2", email: "other@example.com", name: "Other", created_at: now, updated_at: now });
    const scope = factory.get(users).forTeam("t1");
    const capped = await scope.findMany({}, { sort: { email: 1 } });
    expect(DEFAULT_FIND_LIMIT).toBe(1_000);
    expect(capped).toHaveLength(DEFAULT_FIND_LIMIT);
    expect(capped.at(-1)?.email).toBe("u00999@example.com");
    expect(await scope.findMany({}, { limit: total + 10 })).toHaveLength(total);
    expect(await scope.findMany({}, { limit: MAX_FIND_LIMIT })).toHaveLength(total);
    expect(await scope.findMany({}, { limit: 3, skip: total - 2 })).toHaveLength(2);
    for (const limit of [0, -1, 1.5, MAX_FIND_LIMIT + 1, Number.MAX_SAFE_INTEGER]) {
      await expect(scope.findMany({}, { limit }), String(limit)).rejects.toBeInstanceOf(ValidationError);
    }
    let streamed = 0;
    for await (const doc of scope.stream({}, { batchSize: 400 })) {
      expect(doc.team_id).toBe("t1");
      streamed += 1;
    }
    expect(streamed).toBe(total);
  });
});

describe("aggregate", () => {
  it("scopes $lookup joins to the team", async () => {
    const findingsScope = (team: string) => factory.get(findings).forTeam(team);
    const accountsScope = (team: string) => factory.get(accounts).forTeam(team);
    for (const team of ["t1", "t2"]) {
      await accountsScope(team).insertOne({ provider: "aws", account_id: "123456789012", name: `acct-${team}` });
      await findingsScope(team).insertOne({ check_id: "c1", account_id: "123456789012", resource_uid: "r", region: "eu", status: "FAIL" });
    }
    const joined = await findingsScope("t1").aggregate<{ accounts: Document[] }>([
      { $lookup: { from: "enhanced_cloud_accounts", localField: "account_id", foreignField: "account_id", as: "accounts" } },
    ]);
    expect(joined).toHaveLength(1);
    expect(joined[0]?.accounts.map((a) => a.name)).toEqual(["acct-t1"]);
    const piped = await findingsScope("t1").aggregate<{ accounts: Document[] }>([
      {
        $lookup: {
          from: "enhanced_cloud_accounts",
          let: { a: "$account_id" },
          pipeline: [{ $match: { $expr: { $eq: ["$account_id", "$$a"] } } }],
          as: "accounts",
        },
      },
    ]);
    expect(piped[0]?.accounts.map((a) => a.name)).toEqual(["acct-t1"]);
    await expect(
      findingsScope("t1").aggregate([{ $lookup: { from: "users", localField: "a", foreignField: "b", as: "u" } }]),
    ).rejects.toMatchObject({
      code: "CONTRACT_VIOLATION",
    });
  });
});

describe("findOneAndUpdate", () => {
  it("lets exactly one of many concurrent claimers take a pending job", async () => {
    const scope = factory.get(jobs).forTeam("t1");
    const job = await scope.insertOne({ status: "pending" });
    const claims = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        scope.findOneAndUpdate(trustedFilter({ _id: job._id, status: "pending" }), { $set: { status: "running", worker: `w${i}` } }),
      ),
    );
    const winners = claims.filter((c) => c !== null);
    expect(winners).toHaveLength(1);
    expect((await scope.getById(job._id)).worker).toBe(winners[0]?.worker);
  });
});

describe("RepositoryFactory with subclasses", () => {
  class UserRepository extends BaseRepository<typeof UserSchema> {
    constructor(context: RepositoryContext) {
      super(context, users);
    }
    admins(teamId: string) {
      return this.forTeam(teamId).findMany({ role: "admin" }, { sort: { email: 1 } });
    }
  }

  it("builds and caches domain repositories whose methods stay scoped", async () => {
    const repo = factory.get(UserRepository);
    expect(factory.get(UserRepository)).toBe(repo);
    await repo.forTeam("t1").insertMany([
      { email: "b@example.com", name: "B", role: "admin" },
      { email: "a@example.com", name: "A", role: "admin" },
    ]);
    await repo.forTeam("t2").insertOne({ email: "c@example.com", name: "C", role: "admin" });
    expect((await repo.admins("t1")).map((u) => u.email)).toEqual(["a@example.com", "b@example.com"]);
  });
});
