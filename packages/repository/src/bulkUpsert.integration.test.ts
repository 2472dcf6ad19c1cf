import { CommandMonitor } from "@cspm/mongo";
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
const users = defineRepository({
  database: "PLATFORM",
  collection: "users",
  schema: UserSchema,
  keyFields: ["external_id"],
  versioned: true,
});

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

  it("counts a change to one nested value as updated and an identical re-import as unchanged, leaving no pipeline field behind", async () => {
    const scope = repo.forTeam("t1");
    const docs = Array.from({ length: 6 }, (_, i) => user(i, { profile: { level: i, prefs: { theme: "dark", langs: ["en", "de"] } } }));
    expect(await scope.bulkUpsert(docs)).toEqual({ inserted: 6, updated: 0, unchanged: 0, errors: [] });
    const before = await db.raw("PLATFORM", "users").find({}).sort({ external_id: 1 }).toArray();
    for (const doc of before) {
      expect(doc._id).toBeInstanceOf(ObjectId);
      expect(Object.keys(doc)).not.toContain("__cspm_stored");
    }
    expect(new Set(before.map((d) => String(d._id))).size).toBe(6);
    // Fresh but identical objects: nothing to write.
    const same = docs.map((d) => structuredClone(d));
    expect(await scope.bulkUpsert(same)).toEqual({ inserted: 0, updated: 0, unchanged: 6, errors: [] });
    expect(await db.raw("PLATFORM", "users").find({}).sort({ external_id: 1 }).toArray()).toEqual(before);

    // One leaf two levels down, one array element, one array order: each is a change of its document only.
    const changed = same.map((d) => structuredClone(d));
    (changed[1]?.profile as Document).prefs.theme = "light";
    (changed[2]?.profile as Document).prefs.langs[1] = "fr";
    (changed[3]?.profile as Document).prefs.langs.reverse();
    expect(await scope.bulkUpsert(changed)).toEqual({ inserted: 0, updated: 3, unchanged: 3, errors: [] });
    const after = await db.raw("PLATFORM", "users").find({}).sort({ external_id: 1 }).toArray();
    for (const [i, doc] of after.entries()) {
      const old = before[i] as Document;
      expect(doc._id).toEqual(old._id);
      expect(doc.created_at).toEqual(old.created_at);
      expect(Object.keys(doc)).not.toContain("__cspm_stored");
      if (i >= 1 && i <= 3) {
        expect(doc.version).toBe(2);
        expect(doc.profile).toEqual(changed[i]?.profile);
      } else {
        expect(doc).toEqual(old);
      }
    }
    expect(after[1]?.profile.prefs.theme).toBe("light");
    expect(after[3]?.profile.prefs.langs).toEqual(["de", "en"]);
    // Key fields come from the filter: still stored, in place, and re-importing them changes nothing.
    expect(after.map((d) => d.external_id)).toEqual(docs.map((d) => d.external_id));
    expect(await scope.bulkUpsert(changed)).toMatchObject({ updated: 0, unchanged: 6 });
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

// ------------------------------------------------------------------ write rules (insert-only, defaults, reset, relative)

const DAY = 86_400_000;
const T0 = new Date("2025-01-01T00:00:00Z");
const T1 = new Date("2025-01-08T00:00:00Z");
const T2 = new Date("2025-01-15T00:00:00Z");

const SightingSchema = z.strictObject({
  cve_id: z.string().min(1),
  asset_id: z.string().min(1),
  component_name: z.string().min(1),
  component_version: z.string().min(1),
  severity: z.enum(["low", "critical"]),
  status: z.enum(["open", "mitigated", "accepted"]),
  muted: z.boolean(),
  first_seen_at: z.date(),
  last_seen_at: z.date(),
  sla_started_at: z.date(),
  sla_expires_at: z.date().optional(),
  mitigated_at: z.date().optional(),
  note: z.string().optional(),
});
const sightings = defineRepository({
  database: "VULNERABILITIES",
  collection: "vulnerability_occurrences",
  schema: SightingSchema,
  keyFields: ["cve_id", "asset_id", "component_name", "component_version"],
});
const SLA_DAYS = { low: 90, critical: 7 } as const;
/** The rules an import of sightings uses: what VulnerabilityOccurrenceRepository does in @cspm/domain. */
const RULES = {
  insertOnlyFields: ["first_seen_at", "status", "sla_started_at"],
  defaults: { muted: false },
  relativeFields: { sla_expires_at: "sla_started_at" },
  resetWhen: { field: "status", in: ["mitigated"], fields: ["status", "sla_started_at"], unset: ["mitigated_at", "note"] },
} as const;

function sighting(n: number, seenAt: Date, extra: Document = {}): Document {
  const severity = (extra.severity as "low" | "critical" | undefined) ?? (n % 2 === 0 ? "critical" : "low");
  return {
    cve_id: `CVE-2024-${String(1000 + n)}`,
    asset_id: `host-${n % 3}`,
    component_name: "openssl",
    component_version: "3.0.1",
    severity,
    status: "open",
    first_seen_at: seenAt,
    last_seen_at: seenAt,
    sla_started_at: seenAt,
    sla_expires_at: new Date(seenAt.getTime() + SLA_DAYS[severity] * DAY),
    ...extra,
  };
}

describe("bulkUpsert / upsert write rules", () => {
  let sightingRepo: BaseRepository<typeof SightingSchema>;
  const raw = () => db.raw("VULNERABILITIES", "vulnerability_occurrences");

  beforeAll(async () => {
    await db.createIndexes("VULNERABILITIES", "vulnerability_occurrences");
    sightingRepo = new BaseRepository({ provider: db.provider }, sightings);
  });

  beforeEach(async () => {
    await raw().deleteMany({});
  });

  it("writes insert-only fields once: a re-import keeps them, reports unchanged, and moves only the other fields", async () => {
    const scope = sightingRepo.forTeam("t1");
    const batch = Array.from({ length: 6 }, (_, i) => sighting(i, T0));
    expect(await scope.bulkUpsert(batch, RULES)).toEqual({ inserted: 6, updated: 0, unchanged: 0, errors: [] });
    const first = await raw().find({}).sort({ cve_id: 1 }).toArray();
    expect(first.every((d) => d.muted === false && (d.first_seen_at as Date).getTime() === T0.getTime())).toBe(true);

    // Same data, a later scan's first_seen_at/sla_started_at: those are insert-only, so nothing changes.
    const rescan = batch.map((d) => ({ ...d, first_seen_at: T1, sla_started_at: T1, sla_expires_at: new Date(T1.getTime() + 7 * DAY) }));
    const sameExpiry = rescan.map((d, i) => ({
      ...d,
      sla_expires_at: new Date(T1.getTime() + SLA_DAYS[i % 2 === 0 ? "critical" : "low"] * DAY),
    }));
    expect(await scope.bulkUpsert(sameExpiry, RULES)).toEqual({ inserted: 0, updated: 0, unchanged: 6, errors: [] });
    expect(await raw().find({}).sort({ cve_id: 1 }).toArray()).toEqual(first);

    const later = batch.map((d) => ({
      ...d,
      first_seen_at: T2,
      last_seen_at: T2,
      sla_started_at: T2,
      sla_expires_at: new Date(T2.getTime() + DAY),
    }));
    expect(await scope.bulkUpsert(later, RULES)).toEqual({ inserted: 0, updated: 6, unchanged: 0, errors: [] });
    for (const doc of await raw().find({}).toArray()) {
      expect(doc.first_seen_at).toEqual(T0);
      expect(doc.sla_started_at).toEqual(T0);
      expect(doc.last_seen_at).toEqual(T2);
      expect(doc.version).toBeUndefined();
      expect((doc.updated_at as Date).getTime()).toBeGreaterThanOrEqual((doc.created_at as Date).getTime());
    }
  });

  it("keeps a user's change to a defaulted field unless the input sets it; upsert reports the same statuses", async () => {
    const scope = sightingRepo.forTeam("t1");
    const doc = sighting(1, T0);
    expect((await scope.upsert(doc as never, RULES)).status).toBe("inserted");
    expect((await scope.upsert(doc as never, RULES)).status).toBe("unchanged");
    await scope.updateOne({ cve_id: doc.cve_id }, { $set: { muted: true } });

    const kept = await scope.upsert({ ...doc, last_seen_at: T1 } as never, RULES);
    expect(kept.status).toBe("updated");
    expect(kept.document).toMatchObject({ muted: true, first_seen_at: T0, last_seen_at: T1 });
    expect((await scope.upsert({ ...doc, last_seen_at: T1 } as never, RULES)).status).toBe("unchanged");

    const overridden = await scope.upsert({ ...doc, last_seen_at: T1, muted: false } as never, RULES);
    expect(overridden).toMatchObject({ status: "updated", document: { muted: false } });
  });

  it("fills insert-only and defaulted fields into a stored document that lacks them (an update)", async () => {
    const scope = sightingRepo.forTeam("t1");
    const doc = sighting(2, T1);
    const legacy: Document = { ...doc, team_id: "t1", created_at: T0, updated_at: T0 };
    delete legacy.first_seen_at;
    await raw().insertOne(legacy);
    expect(await scope.bulkUpsert([doc], RULES)).toMatchObject({ updated: 1, unchanged: 0 });
    expect(await raw().findOne({ cve_id: doc.cve_id })).toMatchObject({ first_seen_at: T1, muted: false, created_at: T0 });
  });

  it("resets a matching stored document: reset fields rewritten, unset fields removed, relative fields follow their anchor", async () => {
    const scope = sightingRepo.forTeam("t1");
    const mitigated = sighting(0, T0); // critical
    const accepted = sighting(2, T0); // critical
    await scope.bulkUpsert([mitigated, accepted], RULES);
    await scope.updateOne({ cve_id: mitigated.cve_id }, { $set: { status: "mitigated", mitigated_at: T1, note: "patched" } });
    await scope.updateOne({ cve_id: accepted.cve_id }, { $set: { status: "accepted", note: "compensating control" } });

    // Seen again at T2; the accepted one is now reported low: its deadline moves with its kept start.
    const again = [sighting(0, T2), sighting(2, T2, { severity: "low" })];
    expect(await scope.bulkUpsert(again, RULES)).toEqual({ inserted: 0, updated: 2, unchanged: 0, errors: [] });
    const reopened = await raw().findOne({ cve_id: mitigated.cve_id });
    expect(reopened).toMatchObject({
      status: "open",
      sla_started_at: T2,
      sla_expires_at: new Date(T2.getTime() + 7 * DAY),
      first_seen_at: T0,
      last_seen_at: T2,
    });
    expect(reopened).not.toHaveProperty("mitigated_at");
    expect(reopened).not.toHaveProperty("note");
    const stillAccepted = await raw().findOne({ cve_id: accepted.cve_id });
    expect(stillAccepted).toMatchObject({
      status: "accepted",
      note: "compensating control",
      sla_started_at: T0,
      sla_expires_at: new Date(T0.getTime() + 90 * DAY),
      first_seen_at: T0,
      severity: "low",
    });
    // The reset document is an ordinary open one now: the same data again changes nothing.
    expect(await scope.bulkUpsert(again, RULES)).toEqual({ inserted: 0, updated: 0, unchanged: 2, errors: [] });
  });

  it("concurrent imports of the same batch never reset first_seen_at", async () => {
    const scope = sightingRepo.forTeam("t1");
    const batch = (seenAt: Date) => Array.from({ length: 40 }, (_, i) => sighting(i, seenAt));
    // Both first-ever: whichever writes a document first sets first_seen_at, the other only moves last_seen_at.
    const [a, b] = await Promise.all([
      scope.bulkUpsert(batch(T1), { ...RULES, batchSize: 7 }),
      scope.bulkUpsert(batch(T2), { ...RULES, batchSize: 5 }),
    ]);
    expect(a.errors).toEqual([]);
    expect(b.errors).toEqual([]);
    expect(a.inserted + b.inserted).toBe(40);
    const stored = await raw().find({}).toArray();
    expect(stored).toHaveLength(40);
    for (const doc of stored) {
      expect([T1.getTime(), T2.getTime()]).toContain((doc.first_seen_at as Date).getTime());
      // The second writer kept the first one's first_seen_at: an overwrite would leave them equal.
      expect(doc.first_seen_at).not.toEqual(doc.last_seen_at);
    }
    // Known documents: concurrent re-imports keep the first-ever value.
    await raw().updateMany({}, { $set: { first_seen_at: T0 } });
    await Promise.all([
      scope.bulkUpsert(batch(T2), RULES),
      scope.bulkUpsert(batch(T1), RULES),
      scope.upsert(sighting(0, T2) as never, RULES),
    ]);
    expect(await raw().countDocuments({ first_seen_at: T0 })).toBe(40);
  });

  it("costs exactly one command per batch, whatever the rules: no read before the write", async () => {
    const monitored = await openIntegrationDatabase({ monitorCommands: true });
    const monitor = new CommandMonitor().attach(monitored.client);
    try {
      await monitored.createIndexes("VULNERABILITIES", "vulnerability_occurrences");
      const scope = new BaseRepository({ provider: monitored.provider }, sightings).forTeam("t1");
      const batch = Array.from({ length: 50 }, (_, i) => sighting(i, T0));
      const first = await monitor.measure(() => scope.bulkUpsert(batch, { ...RULES, batchSize: 50 }));
      expect(first.result.inserted).toBe(50);
      expect(first.commands.map((c) => c.name)).toEqual(["update"]);
      const moved = batch.map((d) => ({ ...d, last_seen_at: T1 }));
      const again = await monitor.measure(() => scope.bulkUpsert(moved, { ...RULES, batchSize: 50 }));
      expect(again.result).toMatchObject({ updated: 50, inserted: 0 });
      expect(again.commands.map((c) => c.name)).toEqual(["update"]);
      const split = await monitor.measure(() =>
        scope.bulkUpsert([...moved, ...Array.from({ length: 70 }, (_, i) => sighting(100 + i, T0))], { ...RULES, batchSize: 50 }),
      );
      expect(split.result).toMatchObject({ inserted: 70, unchanged: 50 });
      expect(split.commands.map((c) => c.name)).toEqual(["update", "update", "update"]);
      const single = await monitor.measure(() => scope.upsert(sighting(0, T2) as never, RULES));
      expect(single.commands.map((c) => c.name)).toEqual(["findAndModify"]);
    } finally {
      monitor.detach();
      await monitored.dispose();
    }
  });

  it("refuses rules that name unknown, reserved or key fields, or contradict each other (CONTRACT_VIOLATION)", async () => {
    const scope = sightingRepo.forTeam("t1");
    const bad = [
      { insertOnlyFields: ["nope"] },
      { insertOnlyFields: ["created_at"] },
      { insertOnlyFields: ["cve_id"] },
      { defaults: { asset_id: "x" } },
      { defaults: { muted: undefined } },
      { relativeFields: { sla_expires_at: "sla_expires_at" } },
      { relativeFields: { sla_expires_at: "nope" } },
      { insertOnlyFields: ["sla_expires_at"], relativeFields: { sla_expires_at: "sla_started_at" } },
      { relativeFields: { sla_expires_at: "sla_started_at", sla_started_at: "first_seen_at" } },
      { resetWhen: { field: "status", in: [] } },
      { resetWhen: { field: "status", in: [{ $ne: 1 }] } },
      { resetWhen: { field: "status", in: ["mitigated"], fields: ["last_seen_at"] } },
      { resetWhen: { field: "status", in: ["mitigated"], unset: ["severity"] } },
    ];
    for (const rules of bad) {
      await expect(scope.bulkUpsert([sighting(0, T0)], rules as never), JSON.stringify(rules)).rejects.toMatchObject({
        code: "CONTRACT_VIOLATION",
      });
    }
    expect(await raw().countDocuments({})).toBe(0);
  });

  it("reports a document whose relative field lacks its anchor date, and writes the rest", async () => {
    const scope = sightingRepo.forTeam("t1");
    const rules = { defaults: { muted: false }, relativeFields: { mitigated_at: "sla_expires_at" } };
    const result = await scope.bulkUpsert(
      [sighting(0, T0, { mitigated_at: T1 }), sighting(1, T0, { mitigated_at: T1, sla_expires_at: undefined })],
      rules,
    );
    expect(result.inserted).toBe(1);
    expect(result.errors.map((e) => [e.index, e.code, e.issues?.[0]?.path])).toEqual([[1, "VALIDATION_FAILED", "1.sla_expires_at"]]);
    const expires = new Date(T0.getTime() + 7 * DAY);
    expect(await raw().findOne({ cve_id: sighting(0, T0).cve_id })).toMatchObject({ sla_expires_at: expires, mitigated_at: T1 });
  });

  it("stores rule values that look like operators or paths as data", async () => {
    const scope = sightingRepo.forTeam("t1");
    const doc = sighting(5, T0, { note: "$status" });
    const rules = {
      insertOnlyFields: ["note", "first_seen_at"],
      defaults: { muted: false },
      resetWhen: { field: "status", in: ["$status"] },
    } as const;
    expect((await scope.bulkUpsert([doc], rules)).inserted).toBe(1);
    expect((await scope.bulkUpsert([doc], rules)).unchanged).toBe(1);
    expect(await raw().findOne({ cve_id: doc.cve_id })).toMatchObject({ note: "$status", status: "open" });
  });
});
