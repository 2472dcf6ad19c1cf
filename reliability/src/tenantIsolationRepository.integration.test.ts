/**
 * Tenant isolation, property style, over every repository path: seeded random operations from five teams
 * (every operation of TENANT_SCOPED_OPERATIONS, with ids, keys and filters taken from every team's
 * documents), checked after each one against the raw driver — no other team's document changed, no
 * document changed owner, every result belongs to the acting team — and afterwards, for every pair of
 * teams, an exhaustive attempt to see, count, update and delete the other team's documents (0 leaks).
 */
import { CloudAccountRepository } from "@cspm/domain";
import { isCspmError } from "@cspm/errors";
import { type ScopedRepository, TENANT_SCOPED_OPERATIONS, type TenantScopedOperation, trustedFilter } from "@cspm/repository";
import { BSON, type Collection, type Document, ObjectId } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openReliabilityTestbed, type ReliabilityTestbed } from "./reliabilityTestbed";
import { reliabilitySeed, type SeededRandom, seededRandom } from "./seededRandom";

const TEAMS = ["team_1", "team_2", "team_3", "team_4", "team_5"] as const;
type Team = (typeof TEAMS)[number];
const OPERATIONS_PER_KIND = 6;
const SEED = reliabilitySeed(20_240_615);

let bed: ReliabilityTestbed;
let raw: Collection<Document>;
let repo: CloudAccountRepository;
let random: SeededRandom;
let accountSerial = 0;

type Scope = ScopedRepository<(typeof CloudAccountRepository)["definition"]["schema"]>;

function scopeOf(team: Team): Scope {
  return repo.forTeam(team);
}

function newAccount(random: SeededRandom): Document {
  accountSerial += 1;
  return {
    provider: "aws",
    account_id: String(100_000_000_000 + accountSerial * 7 + random.int(7)),
    name: `Account ${accountSerial}`,
    status: random.pick(["active", "inactive", "pending"]),
    regions: ["us-east-1"],
    tags: [{ key: "serial", value: String(accountSerial) }],
  };
}

async function snapshot(): Promise<Map<string, string>> {
  const docs = await raw.find({}).toArray();
  return new Map(docs.map((d) => [(d._id as ObjectId).toHexString(), BSON.EJSON.stringify(d, { relaxed: false })]));
}

function ownerOf(serialized: string): string {
  return String((BSON.EJSON.parse(serialized) as Document).team_id);
}

/** Every document a result holds (documents, arrays, pages, upsert results). */
function documentsIn(result: unknown): Document[] {
  if (Array.isArray(result)) return result.filter((r): r is Document => typeof r === "object" && r !== null && "_id" in r);
  if (typeof result !== "object" || result === null) return [];
  const r = result as Document;
  if (Array.isArray(r.items)) return documentsIn(r.items);
  if (typeof r.document === "object" && r.document !== null) return [r.document as Document];
  return "_id" in r ? [r] : [];
}

/** A random target: a document of any team (so attacks on other teams are as likely as own use). */
async function anyDocument(includeDeleted = true): Promise<Document | undefined> {
  const docs = await raw
    .find(includeDeleted ? {} : { deleted_at: null }, { projection: { _id: 1, team_id: 1, account_id: 1, provider: 1, name: 1 } })
    .toArray();
  return docs.length === 0 ? undefined : random.pick(docs);
}

type Operation = (scope: Scope, team: Team) => Promise<unknown>;

/** One random call per repository operation; each may aim at any team's document. */
const OPERATIONS: Record<TenantScopedOperation, Operation> = {
  async findById(scope) {
    const target = await anyDocument();
    return scope.findById(target?._id ?? new ObjectId(), { includeDeleted: random.chance(0.5) });
  },
  async getById(scope) {
    const target = await anyDocument(false);
    return scope.getById(target?._id ?? new ObjectId());
  },
  async findOne(scope) {
    const target = await anyDocument();
    return random.chance(0.5)
      ? scope.findOne({ account_id: target?.account_id ?? "x" })
      : scope.findOne(trustedFilter({ $or: [{ team_id: { $ne: "nobody" } }, { _id: target?._id }] }), { includeDeleted: true });
  },
  async findMany(scope) {
    const target = await anyDocument();
    return random.chance(0.5)
      ? scope.findMany({}, { includeDeleted: random.chance(0.5), limit: 500 })
      : scope.findMany(trustedFilter({ $or: [{ team_id: target?.team_id }, { name: target?.name }] }), { includeDeleted: true });
  },
  async count(scope) {
    const target = await anyDocument();
    return scope.count(random.chance(0.5) ? {} : trustedFilter({ team_id: { $in: [...TEAMS] }, account_id: target?.account_id }), {
      includeDeleted: true,
    });
  },
  async exists(scope) {
    const target = await anyDocument();
    return scope.exists(
      { _id: (target?._id as ObjectId | undefined)?.toHexString() ?? new ObjectId().toHexString() },
      { includeDeleted: true },
    );
  },
  async distinct(scope) {
    return scope.distinct(random.pick(["team_id", "account_id", "name"] as const) as "account_id", undefined, { includeDeleted: true });
  },
  async aggregate(scope) {
    return scope.aggregate(
      [{ $match: { team_id: { $exists: true } } }, { $group: { _id: "$team_id", n: { $sum: 1 }, ids: { $push: "$_id" } } }],
      {
        includeDeleted: true,
      },
    );
  },
  async stream(scope) {
    const out: Document[] = [];
    for await (const doc of scope.stream(trustedFilter({ team_id: { $ne: null } }), { includeDeleted: true, batchSize: 7 }))
      out.push(doc as Document);
    return out;
  },
  async paginate(scope) {
    const out: Document[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: Document[]; nextCursor: string | null } = await scope.paginate({
        limit: 3,
        cursor,
        includeDeleted: true,
        sort: { field: "name", direction: random.pick(["asc", "desc"] as const) },
      });
      out.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor !== null && out.length < 200);
    return out;
  },
  async insertOne(scope) {
    return scope.insertOne(newAccount(random) as never);
  },
  async insertMany(scope) {
    return scope.insertMany([newAccount(random), newAccount(random)] as never[]);
  },
  async update(scope) {
    const target = await anyDocument(false);
    return scope.update(target?._id ?? new ObjectId(), { name: `renamed ${random.int(1000)}` } as never);
  },
  async updateOne(scope) {
    const target = await anyDocument();
    return scope.updateOne(trustedFilter({ _id: target?._id }), { $set: { status_message: `touched ${random.int(1000)}` } });
  },
  async updateMany(scope) {
    const target = await anyDocument();
    return scope.updateMany(trustedFilter({ $or: [{ team_id: target?.team_id }, { account_id: target?.account_id }] }), {
      $set: { status_message: "bulk" },
    });
  },
  async findOneAndUpdate(scope) {
    const target = await anyDocument();
    return scope.findOneAndUpdate({ account_id: target?.account_id ?? "x" }, { $set: { status: "error" } });
  },
  async upsert(scope) {
    // Reuse another team's natural key half the time: it must create this team's own document, never touch theirs.
    const target = await anyDocument(false);
    const doc = newAccount(random);
    if (target && random.chance(0.5)) doc.account_id = target.account_id;
    return scope.upsert(doc as never);
  },
  async bulkUpsert(scope) {
    const target = await anyDocument(false);
    const docs = [newAccount(random), newAccount(random)];
    if (target) (docs[0] as Document).account_id = target.account_id;
    return scope.bulkUpsert(docs);
  },
  async deleteById(scope) {
    const target = await anyDocument(false);
    return scope.deleteById(target?._id ?? new ObjectId(), { hard: random.chance(0.3) });
  },
  async deleteOne(scope) {
    const target = await anyDocument(false);
    return scope.deleteOne({ account_id: target?.account_id ?? "x" });
  },
  async deleteMany(scope) {
    const target = await anyDocument(false);
    return scope.deleteMany(trustedFilter({ $or: [{ team_id: target?.team_id }, { name: target?.name }] }), { hard: random.chance(0.2) });
  },
  async restore(scope) {
    const deleted = await raw.find({ deleted_at: { $ne: null } }, { projection: { _id: 1 } }).toArray();
    return scope.restore(deleted.length > 0 ? (random.pick(deleted)._id as ObjectId) : new ObjectId());
  },
  async bulkUpdate(scope) {
    const target = await anyDocument(false);
    return scope.bulkUpdate([
      { filter: { account_id: target?.account_id ?? "x" }, pipeline: [{ $set: { name: `bulk ${random.int(1000)}` } }] },
      { filter: { _id: target?._id ?? new ObjectId() }, pipeline: [{ $set: { status: "inactive" } }] },
    ]);
  },
  async moveStatus(scope) {
    const target = await anyDocument(false);
    const to = random.pick(["active", "inactive"] as const);
    return scope.moveStatus(target?._id ?? new ObjectId(), {
      from: ["active", "inactive", "pending", "error"],
      to,
      entity: "cloud account",
    });
  },
};

beforeAll(async () => {
  bed = await openReliabilityTestbed({ label: "isorepo" });
  await bed.manager.ensureIndexes({ databases: ["CLOUD_SECURITY"] });
  raw = bed.manager.getCollection("CLOUD_SECURITY", "enhanced_cloud_accounts");
  repo = bed.repositories.get(CloudAccountRepository);
  random = seededRandom(SEED);
  for (const team of TEAMS) {
    for (let i = 0; i < 4; i++) await scopeOf(team).insertOne(newAccount(random) as never);
  }
});

afterAll(async () => {
  await bed?.close();
});

describe(`tenant isolation over every repository path (seed ${SEED})`, () => {
  it("the operation table covers exactly TENANT_SCOPED_OPERATIONS", () => {
    expect(Object.keys(OPERATIONS).sort()).toEqual([...TENANT_SCOPED_OPERATIONS].sort());
  });

  it("random operations by five teams never reach another team's documents", async () => {
    const schedule = random.shuffle(TENANT_SCOPED_OPERATIONS.flatMap((op) => Array.from({ length: OPERATIONS_PER_KIND }, () => op)));
    const problems: string[] = [];
    const codes = new Map<string, number>();
    let before = await snapshot();
    const owners = new Set<string>();
    for (const [step, op] of schedule.entries()) {
      const team = random.pick(TEAMS);
      let result: unknown;
      try {
        result = await OPERATIONS[op](scopeOf(team), team);
      } catch (error) {
        const code = isCspmError(error) ? error.code : `raw:${String(error)}`;
        codes.set(code, (codes.get(code) ?? 0) + 1);
        if (!["NOT_FOUND", "CONFLICT", "VALIDATION_FAILED"].includes(code)) problems.push(`#${step} ${team} ${op}: unexpected ${code}`);
      }
      for (const doc of documentsIn(result)) {
        if (doc.team_id !== undefined && doc.team_id !== team)
          problems.push(`#${step} ${team} ${op}: returned a document of ${String(doc.team_id)}`);
        if (doc.team_id === undefined && doc._id instanceof ObjectId) {
          const owner = before.get(doc._id.toHexString());
          if (owner !== undefined && ownerOf(owner) !== team) problems.push(`#${step} ${team} ${op}: returned an id of another team`);
        }
      }
      if (op === "aggregate")
        for (const row of result as Document[])
          if (row._id !== team) problems.push(`#${step} ${team} aggregate saw team ${String(row._id)}`);
      if (op === "distinct" && Array.isArray(result)) {
        const foreign = (result as unknown[]).filter((v) => (TEAMS as readonly unknown[]).includes(v) && v !== team);
        if (foreign.length > 0) problems.push(`#${step} ${team} distinct saw ${foreign.join(",")}`);
      }
      const after = await snapshot();
      for (const [id, text] of before) {
        const owner = ownerOf(text);
        const now = after.get(id);
        if (owner !== team && now !== text)
          problems.push(`#${step} ${team} ${op}: ${now === undefined ? "deleted" : "changed"} ${owner}'s document ${id}`);
        if (now !== undefined && ownerOf(now) !== owner) problems.push(`#${step} ${team} ${op}: document ${id} changed owner`);
      }
      for (const [id, text] of after) {
        if (!before.has(id) && ownerOf(text) !== team) problems.push(`#${step} ${team} ${op}: created ${id} for ${ownerOf(text)}`);
      }
      for (const text of after.values()) owners.add(ownerOf(text));
      before = after;
    }
    expect(problems).toEqual([]);
    // The run did real work: every team held documents at some point, and cross-team attempts found nothing.
    expect(owners).toEqual(new Set(TEAMS));
    expect(codes.get("NOT_FOUND") ?? 0).toBeGreaterThan(0);
  }, 120_000);

  it("afterwards no team can see, count, update or delete another team's documents (checked with the raw driver)", async () => {
    const leaks: string[] = [];
    // The random run may have deleted a team's last document; every team needs one to be attacked.
    for (const team of TEAMS)
      if ((await raw.countDocuments({ team_id: team })) === 0) await scopeOf(team).insertOne(newAccount(random) as never);
    const frozen = await snapshot();
    for (const attacker of TEAMS) {
      const scope = scopeOf(attacker);
      for (const victim of TEAMS) {
        if (victim === attacker) continue;
        const victimDocs = await raw.find({ team_id: victim }).toArray();
        expect(victimDocs.length).toBeGreaterThan(0);
        const ids = victimDocs.map((d) => d._id as ObjectId);
        const all = trustedFilter({ _id: { $in: ids } });
        const byTeam = trustedFilter({ team_id: victim });
        const check = (what: string, leaked: boolean): void => {
          if (leaked) leaks.push(`${attacker} -> ${victim}: ${what}`);
        };
        // see
        check("findMany by ids", (await scope.findMany(all, { includeDeleted: true })).length > 0);
        check("findMany by team", (await scope.findMany(byTeam, { includeDeleted: true })).length > 0);
        check("findOne by ids", (await scope.findOne(all, { includeDeleted: true })) !== null);
        check("exists", await scope.exists(all, { includeDeleted: true }));
        check("distinct", (await scope.distinct("account_id", all, { includeDeleted: true })).length > 0);
        check("aggregate", (await scope.aggregate([{ $match: { _id: { $in: ids } } }], { includeDeleted: true })).length > 0);
        let streamed = 0;
        for await (const _ of scope.stream(all, { includeDeleted: true })) streamed += 1;
        check("stream", streamed > 0);
        check("paginate", (await scope.paginate({ filter: all, includeDeleted: true, limit: 100 })).items.length > 0);
        for (const doc of victimDocs.slice(0, 3)) {
          const id = doc._id as ObjectId;
          check("findById", (await scope.findById(id, { includeDeleted: true })) !== null);
          check("findById (hex)", (await scope.findById(id.toHexString(), { includeDeleted: true })) !== null);
          check(
            "getById",
            await scope.getById(id).then(
              () => true,
              (e: unknown) => !(isCspmError(e) && e.code === "NOT_FOUND"),
            ),
          );
          check(
            "findOne by natural key",
            (await scope.findOne({ provider: "aws", account_id: doc.account_id as string }, { includeDeleted: true }))?.team_id === victim,
          );
          // update
          check(
            "update",
            await scope.update(id, { name: "stolen" } as never).then(
              () => true,
              (e: unknown) => !(isCspmError(e) && e.code === "NOT_FOUND"),
            ),
          );
          check("updateOne", (await scope.updateOne({ _id: id.toHexString() }, { $set: { name: "stolen" } })).matchedCount > 0);
          check("findOneAndUpdate", (await scope.findOneAndUpdate(trustedFilter({ _id: id }), { $set: { name: "stolen" } })) !== null);
          // delete
          check("deleteById", await scope.deleteById(id));
          check("deleteById hard", await scope.deleteById(id, { hard: true }));
          check("deleteOne", await scope.deleteOne({ _id: id.toHexString() }));
          check("restore", await scope.restore(id));
        }
        // count
        check("count by ids", (await scope.count(all, { includeDeleted: true })) > 0);
        check("count by team", (await scope.count(byTeam, { includeDeleted: true })) > 0);
        check("updateMany", (await scope.updateMany(byTeam, { $set: { name: "stolen" } })).matchedCount > 0);
        check("deleteMany", (await scope.deleteMany(all, { hard: true })) > 0);
        // A filter that names the victim's team as plain input is refused outright.
        check(
          "untrusted team_id filter",
          await scope.findMany({ team_id: victim }).then(
            () => true,
            (e: unknown) => !(isCspmError(e) && e.code === "FORBIDDEN"),
          ),
        );
      }
    }
    expect(leaks).toEqual([]);
    // The raw driver agrees: not one byte of any document changed during the attack.
    expect(await snapshot()).toEqual(frozen);
    const orphans = await raw.countDocuments({ team_id: { $nin: [...TEAMS] } });
    expect(orphans).toBe(0);
  }, 120_000);
});
