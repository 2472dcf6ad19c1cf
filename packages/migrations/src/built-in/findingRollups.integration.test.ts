import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LedgerEntry } from "../migrationLedger";
import { MigrationRunner } from "../migrationRunner";
import { captureLogger, openTestManager, type TestManager } from "../testing/openTestManager";
import {
  FINDING_CHECK_WEEK_ROLLUPS_MIGRATION,
  FINDING_FACET_CELLS_MIGRATION,
  FINDING_ROLLUPS_MIGRATION,
  FINDING_TREND_ROLLUPS_MIGRATION,
} from "./findingRollups";

let t: TestManager;

beforeAll(async () => {
  t = await openTestManager();
});

afterAll(async () => {
  await t?.drop();
});

const run = (migration = FINDING_ROLLUPS_MIGRATION) =>
  new MigrationRunner({ manager: t.manager, migrations: [migration], logger: captureLogger().logger }).up();

describe("0006-finding-rollups", () => {
  it("marks the rollups of teams with findings but no rollups stale, once", async () => {
    const db = (name: string) => t.manager.getCollection("CLOUD_SECURITY", name);
    await db("prowler_findings").insertMany([
      { team_id: "team-old", account_id: "111111111111", check_id: "a" },
      { team_id: "team-old", account_id: "222222222222", check_id: "a" },
      { team_id: "team-built", account_id: "333333333333", check_id: "a" },
      { team_id: "team-marked", account_id: "444444444444", check_id: "a" },
    ]);
    await db("finding_rollups").insertOne({ team_id: "team-built", account_id: "333333333333", dimension: "all" });
    await db("finding_rollup_marks").insertOne({
      team_id: "team-marked",
      account_id: "444444444444",
      generation: 3,
      marked_at: new Date(),
    });
    expect((await run()).applied[0]?.result).toEqual({ teams_marked: 1 });
    const marks = await db("finding_rollup_marks")
      .find({}, { projection: { _id: 0, team_id: 1, account_id: 1, generation: 1 } })
      .toArray();
    expect(marks.sort((a, b) => String(a["team_id"]).localeCompare(String(b["team_id"])))).toEqual([
      { team_id: "team-marked", account_id: "444444444444", generation: 3 },
      { team_id: "team-old", account_id: "*", generation: 1 },
    ]);
    await t.manager.getCollection<LedgerEntry>("PLATFORM", "migration_ledger").deleteMany({});
    expect((await run()).applied[0]?.result).toEqual({ teams_marked: 0 });
  });
});

/**
 * A migration that marks the teams whose rollups predate `dimension`: a team with rows of another dimension
 * only is marked, one with `dimension` rows or a pending `*` mark is not, and a second run marks nothing.
 */
function marksTeamsWithout(migration: Parameters<typeof run>[0], dimension: string, older: string): void {
  it(`marks the teams whose rollups have no ${dimension} rows stale, once, and leaves rebuilt and marked teams alone`, async () => {
    const db = (name: string) => t.manager.getCollection("CLOUD_SECURITY", name);
    await db("finding_rollup_marks").deleteMany({});
    await db("finding_rollups").deleteMany({});
    await db("finding_rollups").insertMany([
      { team_id: "team-before", account_id: "111111111111", dimension: "all" },
      { team_id: "team-before", account_id: "111111111111", dimension: older },
      { team_id: "team-current", account_id: "222222222222", dimension: older },
      { team_id: "team-current", account_id: "222222222222", dimension },
      { team_id: "team-pending", account_id: "333333333333", dimension: "all" },
    ]);
    await db("finding_rollup_marks").insertOne({ team_id: "team-pending", account_id: "*", generation: 2, marked_at: new Date() });
    expect((await run(migration)).applied[0]?.result).toEqual({ teams_marked: 1 });
    const marks = await db("finding_rollup_marks")
      .find({}, { projection: { _id: 0, team_id: 1, account_id: 1, generation: 1 } })
      .sort({ team_id: 1 })
      .toArray();
    expect(marks).toEqual([
      { team_id: "team-before", account_id: "*", generation: 1 },
      { team_id: "team-pending", account_id: "*", generation: 2 },
    ]);
    await t.manager.getCollection<LedgerEntry>("PLATFORM", "migration_ledger").deleteMany({});
    expect((await run(migration)).applied[0]?.result).toEqual({ teams_marked: 0 });
  });
}

describe("0007-finding-trend-rollups", () => marksTeamsWithout(FINDING_TREND_ROLLUPS_MIGRATION, "first_seen", "check"));

describe("0008-finding-check-week-rollups", () => marksTeamsWithout(FINDING_CHECK_WEEK_ROLLUPS_MIGRATION, "check_week", "first_seen"));

describe("0009-finding-facet-cells", () => {
  it("marks the teams with an account that has findings but no facet cells stale, once", async () => {
    const db = (name: string) => t.manager.getCollection("CLOUD_SECURITY", name);
    for (const name of ["prowler_findings", "finding_facet_cells", "finding_rollup_marks", "finding_rollups"])
      await db(name).deleteMany({});
    await db("prowler_findings").insertMany([
      { team_id: "team-none", account_id: "111111111111", check_id: "a" },
      { team_id: "team-part", account_id: "222222222222", check_id: "a" },
      { team_id: "team-part", account_id: "333333333333", check_id: "a" },
      { team_id: "team-built", account_id: "444444444444", check_id: "a", muted: true },
      { team_id: "team-pending", account_id: "555555555555", check_id: "a" },
    ]);
    await db("finding_facet_cells").insertMany([
      { team_id: "team-part", account_id: "222222222222", row_key: "x", count: 1 },
      { team_id: "team-built", account_id: "444444444444", row_key: "x", count: 1 },
    ]);
    await db("finding_rollup_marks").insertOne({ team_id: "team-pending", account_id: "*", generation: 2, marked_at: new Date() });
    expect((await run(FINDING_FACET_CELLS_MIGRATION)).applied[0]?.result).toEqual({ teams_marked: 2 });
    const marks = await db("finding_rollup_marks")
      .find({}, { projection: { _id: 0, team_id: 1, account_id: 1, generation: 1 } })
      .sort({ team_id: 1 })
      .toArray();
    expect(marks).toEqual([
      { team_id: "team-none", account_id: "*", generation: 1 },
      { team_id: "team-part", account_id: "*", generation: 1 },
      { team_id: "team-pending", account_id: "*", generation: 2 },
    ]);
    await t.manager.getCollection<LedgerEntry>("PLATFORM", "migration_ledger").deleteMany({});
    expect((await run(FINDING_FACET_CELLS_MIGRATION)).applied[0]?.result).toEqual({ teams_marked: 0 });
  });
});
