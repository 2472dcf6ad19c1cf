/**
 * Fault: several migration runners start at once, each with its own client (as separate deployments
 * would). Exactly one applies each migration — counted in the database by a deliberately
 * non-idempotent `$inc`, so a double application could not hide — the others are refused with CONFLICT
 * naming the holder (or wait and find nothing to do), and the lock is released afterwards.
 */
import { defineMigration, type Migration, type MigrationLogger, MigrationRunner, SYNC_INDEXES_MIGRATION } from "@cspm/migrations";
import { isCspmError } from "@cspm/errors";
import { CSPMDatabaseManager } from "@cspm/mongo";
import { testMongoUri } from "@cspm/testkit";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openReliabilityTestbed, type ReliabilityTestbed } from "./reliabilityTestbed";

let bed: ReliabilityTestbed;
const managers: CSPMDatabaseManager[] = [];
const logLines: string[] = [];

const logger: MigrationLogger = {
  info: (message, fields) => logLines.push(`info ${message} ${JSON.stringify(fields ?? {})}`),
  warn: (message, fields) => logLines.push(`warn ${message} ${JSON.stringify(fields ?? {})}`),
  error: (message, fields) => logLines.push(`error ${message} ${JSON.stringify(fields ?? {})}`),
};

/** A migration whose every application adds one to a counter document (so two applications would show as 2). */
function counting(id: string, pauseMs: number): Migration {
  return defineMigration({
    id,
    description: `counts its applications (${id})`,
    version: 1,
    up: async (ctx) => {
      const counters = ctx.manager.getCollection("PLATFORM", "teams");
      await counters.updateOne({ slug: `counter-${id}` }, { $inc: { applied: 1 }, $setOnInsert: { name: id } }, { upsert: true });
      await sleep(pauseMs);
      ctx.throwIfAborted();
      return { counted: true };
    },
  });
}

/** A runner on its own client (appName differs, so no client is shared between runners). */
async function runnerOn(owner: string, migrations: readonly Migration[], extra: { waitForLockMs?: number } = {}): Promise<MigrationRunner> {
  const manager = new CSPMDatabaseManager({ uri: testMongoUri(), prefix: bed.prefix, appName: `reliability-migrate-${owner}` });
  await manager.connect();
  managers.push(manager);
  return new MigrationRunner({ manager, migrations, owner, logger, lockTtlMs: 5_000, lockPollMs: 50, ...extra });
}

async function applications(id: string): Promise<number> {
  const doc = await bed.manager.getCollection("PLATFORM", "teams").findOne({ slug: `counter-${id}` });
  return Number(doc?.applied ?? 0);
}

beforeAll(async () => {
  bed = await openReliabilityTestbed({ label: "migrate" });
});

afterAll(async () => {
  for (const manager of managers) await manager.close();
  await bed?.close();
});

describe("concurrent migration runners", () => {
  it("two runners at once: exactly one applies, the other gets CONFLICT naming the holder", async () => {
    const migrations = [SYNC_INDEXES_MIGRATION, counting("r-0002-count", 300)];
    const [a, b] = await Promise.all([runnerOn("runner-a", migrations), runnerOn("runner-b", migrations)]);
    const results = await Promise.allSettled([a.up(), b.up()]);
    const won = results.filter((r) => r.status === "fulfilled");
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    const report = won[0]?.status === "fulfilled" ? won[0].value : undefined;
    expect(report?.outcome).toBe("applied");
    expect(report?.applied.map((m) => m.id)).toEqual([SYNC_INDEXES_MIGRATION.id, "r-0002-count"]);
    const error = lost[0]?.reason as unknown;
    expect(isCspmError(error) ? error.code : String(error)).toBe("CONFLICT");
    if (isCspmError(error)) expect(error.details).toMatchObject({ owner: report?.owner });

    expect(await applications("r-0002-count")).toBe(1);
    const ledger = bed.manager.getCollection("PLATFORM", "migration_ledger");
    expect(await ledger.countDocuments({ id: "r-0002-count" })).toBe(1);
    expect(await ledger.countDocuments({ id: SYNC_INDEXES_MIGRATION.id })).toBe(1);
    expect(await bed.manager.getCollection("PLATFORM", "migration_locks").countDocuments({})).toBe(0);

    // Both then agree there is nothing left to do.
    expect((await a.up()).outcome).toBe("up_to_date");
    expect((await b.up()).outcome).toBe("up_to_date");
    expect(await applications("r-0002-count")).toBe(1);
  }, 60_000);

  it("four waiting runners and a new migration: one applies it, three find it done", async () => {
    const migrations = [SYNC_INDEXES_MIGRATION, counting("r-0002-count", 300), counting("r-0003-count", 200)];
    const runners = await Promise.all(["w1", "w2", "w3", "w4"].map((owner) => runnerOn(owner, migrations, { waitForLockMs: 20_000 })));
    const reports = await Promise.all(runners.map((r) => r.up()));
    expect(reports.map((r) => r.outcome).sort()).toEqual(["applied", "up_to_date", "up_to_date", "up_to_date"]);
    expect(reports.flatMap((r) => r.applied.map((m) => m.id))).toEqual(["r-0003-count"]);
    expect(await applications("r-0002-count")).toBe(1);
    expect(await applications("r-0003-count")).toBe(1);
    expect(await bed.manager.getCollection("PLATFORM", "migration_locks").countDocuments({})).toBe(0);
    expect(logLines.some((line) => line.includes("r-0003-count"))).toBe(true);
  }, 60_000);
});
