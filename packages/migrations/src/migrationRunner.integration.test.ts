import { setTimeout as sleep } from "node:timers/promises";
import { isCspmError } from "@cspm/errors";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { defineMigration, type Migration } from "./defineMigration";
import type { LedgerEntry } from "./migrationLedger";
import { MIGRATION_LOCK_ID, MigrationLock, type MigrationLockDocument } from "./migrationLock";
import { MigrationRunner, type MigrationRunnerOptions } from "./migrationRunner";
import { captureLogger, openTestManager, snapshotDatabases, type TestManager } from "./testing/openTestManager";

let t: TestManager;

beforeAll(async () => {
  t = await openTestManager();
});

afterAll(async () => {
  await t?.drop();
});

function ledger() {
  return t.manager.getCollection<LedgerEntry>("PLATFORM", "migration_ledger");
}

function locks() {
  return t.manager.getCollection<MigrationLockDocument>("PLATFORM", "migration_locks");
}

function settings() {
  return t.manager.getCollection("PLATFORM", "settings");
}

beforeEach(async () => {
  await ledger().deleteMany({});
  await locks().deleteMany({});
  await settings().deleteMany({});
});

/** A migration that counts its runs and upserts one settings document (idempotent). */
function counted(
  id: string,
  calls: Map<string, number>,
  extra: (ctx: Parameters<Migration["up"]>[0]) => Promise<void> = async () => undefined,
): Migration {
  return defineMigration({
    id,
    description: `test migration ${id}`,
    up: async (ctx) => {
      calls.set(id, (calls.get(id) ?? 0) + 1);
      await extra(ctx);
      await ctx.manager
        .getCollection("PLATFORM", "settings")
        .updateOne({ team_id: "t", key: id }, { $set: { value: id } }, { upsert: true });
      return { touched: 1 };
    },
  });
}

function runner(migrations: readonly Migration[], options: Partial<MigrationRunnerOptions> = {}): MigrationRunner {
  return new MigrationRunner({ manager: t.manager, migrations, logger: captureLogger().logger, lockTtlMs: 5_000, ...options });
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

describe("MigrationRunner.up", () => {
  it("applies pending migrations in order and records id, checksum, applied_at, duration_ms and outcome", async () => {
    const calls = new Map<string, number>();
    const order: string[] = [];
    const a = counted("t-0001-a", calls, async () => void order.push("a"));
    const b = counted("t-0002-b", calls, async () => void order.push("b"));
    const report = await runner([a, b], { owner: "runner-1" }).up();

    expect(report.outcome).toBe("applied");
    expect(report.applied.map((m) => m.id)).toEqual(["t-0001-a", "t-0002-b"]);
    expect(order).toEqual(["a", "b"]);
    const entries = await ledger()
      .find({}, { projection: { _id: 0 } })
      .sort({ id: 1 })
      .toArray();
    expect(entries).toHaveLength(2);
    for (const [entry, migration] of [
      [entries[0], a],
      [entries[1], b],
    ] as const) {
      expect(entry).toMatchObject({
        id: migration.id,
        checksum: migration.checksum,
        outcome: "applied",
        owner: "runner-1",
        attempts: 1,
        result: { touched: 1 },
      });
      expect(entry?.applied_at).toBeInstanceOf(Date);
      expect(typeof entry?.duration_ms).toBe("number");
    }
    expect(await locks().countDocuments({})).toBe(0);
  });

  it("a second up changes nothing: migrations are not re-run and the databases are identical", async () => {
    const calls = new Map<string, number>();
    const migrations = [counted("t-0001-a", calls), counted("t-0002-b", calls)];
    await runner(migrations).up();
    const before = await snapshotDatabases(t.manager);
    const second = await runner(migrations).up();
    expect(second.outcome).toBe("up_to_date");
    expect(second.applied).toEqual([]);
    expect(await snapshotDatabases(t.manager)).toEqual(before);
    expect(calls).toEqual(
      new Map([
        ["t-0001-a", 1],
        ["t-0002-b", 1],
      ]),
    );
  });

  it("two runners started at once: exactly one applies, the other throws CONFLICT naming the holder", async () => {
    const calls = new Map<string, number>();
    const migrations = [counted("t-0001-a", calls, () => sleep(200)), counted("t-0002-b", calls)];
    const first = runner(migrations, { owner: "runner-A" });
    const second = runner(migrations, { owner: "runner-B" });
    const results = await Promise.allSettled([first.up(), second.up()]);

    const fulfilled = results.filter((r) => r.status === "fulfilled");
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(fulfilled).toHaveLength(1);
    expect(rejected).toHaveLength(1);
    const winner = fulfilled[0]?.status === "fulfilled" ? fulfilled[0].value : undefined;
    expect(winner?.applied.map((m) => m.id)).toEqual(["t-0001-a", "t-0002-b"]);
    const error = rejected[0]?.reason;
    expect(isCspmError(error) && error.code).toBe("CONFLICT");
    if (!isCspmError(error)) return;
    expect(error.details).toMatchObject({ reason: "MIGRATION_LOCK_HELD", owner: winner?.owner });
    expect(typeof error.details?.expires_at).toBe("string");
    expect(error.message).toContain(`"${winner?.owner}" until `);

    expect(calls).toEqual(
      new Map([
        ["t-0001-a", 1],
        ["t-0002-b", 1],
      ]),
    );
    expect(await ledger().countDocuments({})).toBe(2);
    expect(await ledger().countDocuments({ id: "t-0001-a" })).toBe(1);
  });

  it("with waitForLockMs the second runner waits, then finds nothing pending", async () => {
    const calls = new Map<string, number>();
    const migrations = [counted("t-0001-a", calls, () => sleep(300))];
    const results = await Promise.all([
      runner(migrations, { owner: "runner-A", waitForLockMs: 20_000, lockPollMs: 50 }).up(),
      runner(migrations, { owner: "runner-B", waitForLockMs: 20_000, lockPollMs: 50 }).up(),
    ]);
    expect(results.map((r) => r.outcome).sort()).toEqual(["applied", "up_to_date"]);
    expect(calls.get("t-0001-a")).toBe(1);
    expect(await ledger().countDocuments({})).toBe(1);
  });

  it("stops at the first failure, records it as failed, releases the lock, and retries it next time", async () => {
    const calls = new Map<string, number>();
    let broken = true;
    const failing = defineMigration({
      id: "t-0002-fails",
      description: "fails the first time",
      version: 1,
      up: async () => {
        calls.set("t-0002-fails", (calls.get("t-0002-fails") ?? 0) + 1);
        if (broken) throw new Error("boom");
        return { fixed: true };
      },
    });
    const migrations = [counted("t-0001-a", calls), failing, counted("t-0003-c", calls)];
    const report = await runner(migrations).up();

    expect(report.outcome).toBe("failed");
    expect(report.failed?.id).toBe("t-0002-fails");
    expect(report.failed?.error.code).toBe("INTERNAL");
    expect(report.applied.map((m) => m.id)).toEqual(["t-0001-a"]);
    expect(calls.get("t-0003-c")).toBeUndefined();
    const failed = await ledger().findOne({ id: "t-0002-fails" });
    expect(failed).toMatchObject({ outcome: "failed", error: { code: "INTERNAL" }, attempts: 1 });
    expect(failed?.error?.cause).toContain("boom");
    expect(await ledger().findOne({ id: "t-0003-c" })).toBeNull();
    expect(await locks().countDocuments({})).toBe(0);

    const status = await runner(migrations).status();
    expect(status.migrations.map((m) => [m.id, m.state])).toEqual([
      ["t-0001-a", "applied"],
      ["t-0002-fails", "failed"],
      ["t-0003-c", "pending"],
    ]);

    broken = false;
    const retry = await runner(migrations).up();
    expect(retry.outcome).toBe("applied");
    expect(retry.applied.map((m) => m.id)).toEqual(["t-0002-fails", "t-0003-c"]);
    expect(await ledger().findOne({ id: "t-0002-fails" })).toMatchObject({ outcome: "applied", attempts: 2, result: { fixed: true } });
    expect((await ledger().findOne({ id: "t-0002-fails" }))?.error).toBeUndefined();
  });

  it("reports a changed checksum of an applied migration and refuses to proceed unless allowed", async () => {
    const calls = new Map<string, number>();
    const original = defineMigration({
      id: "t-0001-x",
      description: "x",
      up: async () => void calls.set("orig", (calls.get("orig") ?? 0) + 1),
    });
    await runner([original]).up();
    const edited = defineMigration({
      id: "t-0001-x",
      description: "x",
      up: async () => void calls.set("edited", (calls.get("edited") ?? 0) + 1),
    });
    const later = counted("t-0002-later", calls);

    const status = await runner([edited, later]).status();
    expect(status.migrations[0]).toMatchObject({
      id: "t-0001-x",
      state: "checksum_mismatch",
      checksum: edited.checksum,
      recordedChecksum: original.checksum,
    });
    expect(status.counts.checksum_mismatch).toBe(1);

    const error = await rejection(runner([edited, later]).up());
    expect(isCspmError(error) && error.code).toBe("CONFLICT");
    expect(isCspmError(error) && error.details?.reason).toBe("CHECKSUM_MISMATCH");
    expect(calls.get("edited")).toBeUndefined();
    expect(calls.get("t-0002-later")).toBeUndefined();
    expect(await locks().countDocuments({})).toBe(0);

    const accepted = await runner([edited, later], { allowChecksumChange: true }).up();
    expect(accepted.acceptedChecksums).toEqual(["t-0001-x"]);
    expect(accepted.applied.map((m) => m.id)).toEqual(["t-0002-later"]);
    expect(calls.get("edited")).toBeUndefined();
    expect(await ledger().findOne({ id: "t-0001-x" })).toMatchObject({
      checksum: edited.checksum,
      previous_checksums: [original.checksum],
    });
    expect((await runner([edited, later]).status()).counts).toMatchObject({ applied: 2, checksum_mismatch: 0 });
  });

  it("re-runs a repeatable migration when its checksum changes instead of reporting a mismatch", async () => {
    let runs = 0;
    const v1 = defineMigration({ id: "t-0001-rep", description: "r", version: "v1", repeatable: true, up: async () => void (runs += 1) });
    const v2 = defineMigration({ id: "t-0001-rep", description: "r", version: "v2", repeatable: true, up: async () => void (runs += 1) });
    await runner([v1]).up();
    expect((await runner([v1]).up()).outcome).toBe("up_to_date");
    expect((await runner([v2]).status()).migrations[0]?.state).toBe("pending");
    expect((await runner([v2]).up()).applied.map((m) => m.id)).toEqual(["t-0001-rep"]);
    expect(runs).toBe(2);
    expect(await ledger().findOne({ id: "t-0001-rep" })).toMatchObject({ checksum: v2.checksum, attempts: 2 });
  });

  it("holds the lock while running (renewed by the heartbeat) and releases it at the end", async () => {
    const seen: (MigrationLockDocument | null)[] = [];
    let intruder: unknown;
    const slow = defineMigration({
      id: "t-0001-slow",
      description: "slow",
      up: async () => {
        seen.push(await locks().findOne({ _id: MIGRATION_LOCK_ID }));
        await sleep(2_000); // several leases of 600 ms: only the heartbeat keeps the lock
        intruder = await rejection(runner([slow], { owner: "intruder" }).up());
        seen.push(await locks().findOne({ _id: MIGRATION_LOCK_ID }));
      },
    });
    const owner = "heartbeat-runner";
    await runner([slow], { owner, lockTtlMs: 600 }).up();
    expect(seen[0]?.owner).toBe(owner);
    expect(seen[1]?.owner).toBe(owner);
    expect((seen[1]?.expires_at as Date).getTime()).toBeGreaterThan((seen[0]?.expires_at as Date).getTime());
    expect(isCspmError(intruder) && intruder.details?.owner).toBe(owner);
    expect(await locks().countDocuments({})).toBe(0);
  });

  it("lets a new runner take over the lock of a dead runner once its lease expired (server time)", async () => {
    const dead = new MigrationLock({ collection: locks(), owner: "dead-runner", ttlMs: 300 });
    expect(await dead.tryAcquire()).toEqual({ acquired: true });
    const calls = new Map<string, number>();
    const migrations = [counted("t-0001-a", calls)];

    const error = await rejection(runner(migrations, { owner: "fresh" }).up());
    expect(isCspmError(error) && error.details?.owner).toBe("dead-runner");

    const report = await runner(migrations, { owner: "fresh", waitForLockMs: 20_000, lockPollMs: 50 }).up();
    expect(report.applied.map((m) => m.id)).toEqual(["t-0001-a"]);
    expect(await ledger().findOne({ id: "t-0001-a" })).toMatchObject({ owner: "fresh", outcome: "applied" });
    expect(await dead.renew()).toBe(false);
  });

  it("stops without recording when the lock is lost mid-run", async () => {
    const lossy = defineMigration({
      id: "t-0001-lossy",
      description: "loses its lock",
      up: async (ctx) => {
        await locks().updateOne({ _id: MIGRATION_LOCK_ID }, { $set: { owner: "thief" } });
        for (let i = 0; i < 200; i += 1) {
          ctx.progress(i, 200);
          await sleep(20);
        }
      },
    });
    const error = await rejection(runner([lossy], { lockTtlMs: 300 }).up());
    expect(isCspmError(error) && error.code).toBe("CONFLICT");
    expect(isCspmError(error) && error.details?.reason).toBe("MIGRATION_LOCK_LOST");
    expect(await ledger().countDocuments({})).toBe(0);
    expect((await locks().findOne({ _id: MIGRATION_LOCK_ID }))?.owner).toBe("thief");
  });

  it("logs progress through ctx.progress at a bounded rate", async () => {
    const { lines, logger } = captureLogger();
    const progressive = defineMigration({
      id: "0001-consolidate-cloud-accounts",
      description: "progress",
      up: async (ctx) => {
        for (let done = 0; done <= 12_000; done += 1_000) ctx.progress(done, 12_000);
      },
    });
    await new MigrationRunner({ manager: t.manager, migrations: [progressive], logger, progressIntervalMs: 0 }).up();
    expect(lines).toContain("[0001-consolidate-cloud-accounts] 5,000/12,000 (41%)");
    expect(lines).toContain("[0001-consolidate-cloud-accounts] 12,000/12,000 (100%)");

    const quiet = captureLogger();
    await ledger().deleteMany({});
    await new MigrationRunner({ manager: t.manager, migrations: [progressive], logger: quiet.logger, progressIntervalMs: 3_600_000 }).up();
    expect(quiet.lines.filter((l) => l.startsWith("[0001-consolidate-cloud-accounts] ") && l.includes("/"))).toEqual([
      "[0001-consolidate-cloud-accounts] 0/12,000 (0%)",
      "[0001-consolidate-cloud-accounts] 12,000/12,000 (100%)",
    ]);
  });
});

describe("MigrationRunner.status and dryRun", () => {
  it("lists applied, pending, not applicable and unknown migrations", async () => {
    const calls = new Map<string, number>();
    const gone = counted("t-0000-gone", calls);
    await runner([gone]).up();
    const a = counted("t-0001-a", calls);
    const optional = defineMigration({
      id: "t-0002-optional",
      description: "needs a service",
      applicable: () => "service missing",
      up: async () => undefined,
    });
    await runner([a]).up();

    const status = await runner([a, optional]).status();
    expect(status.migrations.map((m) => [m.id, m.state, m.reason])).toEqual([
      ["t-0001-a", "applied", undefined],
      ["t-0002-optional", "not_applicable", "service missing"],
      ["t-0000-gone", "unknown", undefined],
    ]);
    const up = await runner([a, optional]).up();
    expect(up.skipped).toEqual([{ id: "t-0002-optional", reason: "service missing" }]);
    expect(await ledger().findOne({ id: "t-0002-optional" })).toBeNull();
  });

  it("dry run reports what each pending migration would touch and writes nothing", async () => {
    const calls = new Map<string, number>();
    const applied = counted("t-0001-a", calls);
    await runner([applied]).up();
    const pending = defineMigration({
      id: "t-0002-b",
      description: "b",
      up: async () => void calls.set("b", 1),
      dryRun: async (ctx) => ({ would_touch: await ctx.manager.getCollection("PLATFORM", "settings").countDocuments({}) }),
    });
    const noDryRun = counted("t-0003-c", calls);
    const before = await snapshotDatabases(t.manager);
    const report = await runner([applied, pending, noDryRun]).dryRun();
    expect(report.migrations).toEqual([
      { id: "t-0001-a", description: "test migration t-0001-a", state: "applied", wouldRun: false },
      { id: "t-0002-b", description: "b", state: "pending", wouldRun: true, counts: { would_touch: 1 } },
      { id: "t-0003-c", description: "test migration t-0003-c", state: "pending", wouldRun: true, reason: "this migration has no dry run" },
    ]);
    expect(calls.get("b")).toBeUndefined();
    expect(calls.get("t-0003-c")).toBeUndefined();
    expect(await snapshotDatabases(t.manager)).toEqual(before);
  });
});
