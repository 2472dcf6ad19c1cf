import { ALL_ACCOUNTS_MARK } from "@cspm/domain";
import type { Collection, Document } from "mongodb";
import { defineMigration, type MigrationReport } from "../defineMigration";
import { driverCall } from "../driverCall";
import type { MigrationContext } from "../migrationContext";

/** The teams that have findings but neither rollup rows nor a rollup mark: their rollups were never built. */
async function teamsWithoutRollups(ctx: MigrationContext): Promise<{ teams: string[]; marks: Collection<Document> }> {
  const findings = ctx.manager.getCollection("CLOUD_SECURITY", "prowler_findings");
  const rollups = ctx.manager.getCollection("CLOUD_SECURITY", "finding_rollups");
  const marks = ctx.manager.getCollection("CLOUD_SECURITY", "finding_rollup_marks");
  const teams = (await driverCall("list teams with findings", "prowler_findings", () => findings.distinct("team_id"))).map(String);
  const built = new Set(
    [
      ...(await driverCall("list teams with rollups", "finding_rollups", () => rollups.distinct("team_id"))),
      ...(await driverCall("list teams with rollup marks", "finding_rollup_marks", () => marks.distinct("team_id"))),
    ].map(String),
  );
  return { teams: teams.filter((team) => !built.has(team)).sort(), marks };
}

/**
 * The teams whose rollup rows were built before `dimension` existed: they have rows, none of `dimension`, and
 * no pending full rebuild. (Every unmuted finding counts in a row of each dimension a migration checks.)
 */
const teamsWithoutRowsOf =
  (dimension: string) =>
  async (ctx: MigrationContext): Promise<{ teams: string[]; marks: Collection<Document> }> => {
    const rollups = ctx.manager.getCollection("CLOUD_SECURITY", "finding_rollups");
    const marks = ctx.manager.getCollection("CLOUD_SECURITY", "finding_rollup_marks");
    const built = (await driverCall("list teams with rollups", "finding_rollups", () => rollups.distinct("team_id"))).map(String);
    const current = new Set(
      [
        ...(await driverCall(`list teams with ${dimension} rollups`, "finding_rollups", () => rollups.distinct("team_id", { dimension }))),
        ...(await driverCall("list teams marked for a full rebuild", "finding_rollup_marks", () =>
          marks.distinct("team_id", { account_id: ALL_ACCOUNTS_MARK }),
        )),
      ].map(String),
    );
    return { teams: built.filter((team) => !current.has(team)).sort(), marks };
  };

/**
 * The teams with an account that has findings but no facet cell, and no pending full rebuild: their rollups
 * were built before facet cells existed (or only in part). Every account with findings has at least one cell
 * once rebuilt, so comparing the distinct accounts per team is exact; no finding document is read.
 */
async function teamsWithoutFacetCells(ctx: MigrationContext): Promise<{ teams: string[]; marks: Collection<Document> }> {
  const findings = ctx.manager.getCollection("CLOUD_SECURITY", "prowler_findings");
  const cells = ctx.manager.getCollection("CLOUD_SECURITY", "finding_facet_cells");
  const marks = ctx.manager.getCollection("CLOUD_SECURITY", "finding_rollup_marks");
  const pending = new Set(
    (
      await driverCall("list teams marked for a full rebuild", "finding_rollup_marks", () =>
        marks.distinct("team_id", { account_id: ALL_ACCOUNTS_MARK }),
      )
    ).map(String),
  );
  const teams = (await driverCall("list teams with findings", "prowler_findings", () => findings.distinct("team_id"))).map(String);
  const missing: string[] = [];
  for (const team_id of teams.filter((team) => !pending.has(team)).sort()) {
    ctx.throwIfAborted();
    const withCells = new Set(
      (await driverCall("list accounts with facet cells", "finding_facet_cells", () => cells.distinct("account_id", { team_id }))).map(
        String,
      ),
    );
    const accounts = await driverCall("list accounts with findings", "prowler_findings", () =>
      findings.distinct("account_id", { team_id }),
    );
    if (accounts.some((account) => !withCells.has(String(account)))) missing.push(team_id);
  }
  return { teams: missing, marks };
}

type TeamsToMark = (ctx: MigrationContext) => Promise<{ teams: string[]; marks: Collection<Document> }>;

/** Marks every team `find` returns stale with one `*` mark (a full rebuild on its next rollup read). */
const markTeams =
  (find: TeamsToMark) =>
  async (ctx: MigrationContext): Promise<MigrationReport> => {
    const { teams, marks } = await find(ctx);
    let marked = 0;
    for (const team_id of teams) {
      ctx.throwIfAborted();
      const now = new Date();
      await driverCall("mark finding rollups stale", "finding_rollup_marks", () =>
        marks.updateOne(
          { team_id, account_id: ALL_ACCOUNTS_MARK },
          { $inc: { generation: 1 }, $setOnInsert: { marked_at: now, created_at: now } },
          { upsert: true },
        ),
      );
      marked += 1;
      ctx.progress(marked, teams.length);
    }
    return { teams_marked: marked };
  };

const markTeamsDryRun =
  (find: TeamsToMark) =>
  async (ctx: MigrationContext): Promise<MigrationReport> => ({ teams_to_mark: (await find(ctx)).teams.length });

/**
 * Marks the finding rollups of every team that has findings but no rollups yet stale (one `*` mark per
 * team), so the team's first dashboard or overview read — or `rollups rebuild` of the worker CLI — builds
 * them from its findings. Cheap (no finding is read), idempotent: a second run finds every team marked.
 */
export const FINDING_ROLLUPS_MIGRATION = defineMigration({
  id: "0006-finding-rollups",
  description: "Mark the finding rollups of teams stored before rollups existed stale, so they are built from their findings.",
  version: 1,
  up: markTeams(teamsWithoutRollups),
  dryRun: markTeamsDryRun(teamsWithoutRollups),
});

/**
 * Marks the finding rollups of every team whose rows predate the trend dimensions (`first_seen` and
 * `resolved`, read by `getSeverityTrend` and `getFindingsTrend`) stale, so its next rollup read rebuilds
 * them. Cheap (no finding is read), idempotent: a rebuilt or marked team is not marked again.
 */
export const FINDING_TREND_ROLLUPS_MIGRATION = defineMigration({
  id: "0007-finding-trend-rollups",
  description: "Mark the finding rollups built before the first_seen and resolved trend rows existed stale, so they are rebuilt.",
  version: 1,
  up: markTeams(teamsWithoutRowsOf("first_seen")),
  dryRun: markTeamsDryRun(teamsWithoutRowsOf("first_seen")),
});

/**
 * Marks the finding rollups of every team whose rows predate the `check_week` rows (the dashboard reads a
 * window's checks per whole week, and team-wide check rows by day left its team view) stale, so its next
 * rollup read rebuilds them. Cheap (no finding is read), idempotent: a rebuilt or marked team is not marked again.
 */
export const FINDING_CHECK_WEEK_ROLLUPS_MIGRATION = defineMigration({
  id: "0008-finding-check-week-rollups",
  description: "Mark the finding rollups built before the check_week rows existed stale, so they are rebuilt.",
  version: 1,
  up: markTeams(teamsWithoutRowsOf("check_week")),
  dryRun: markTeamsDryRun(teamsWithoutRowsOf("check_week")),
});

/**
 * Marks the finding rollups of every team with an account that has findings but no facet cells (rollups
 * built before `finding_facet_cells` existed) stale, so its next rollup or facet read rebuilds the rows and
 * the cells. Reads distinct accounts only, idempotent: a rebuilt or marked team is not marked again.
 */
export const FINDING_FACET_CELLS_MIGRATION = defineMigration({
  id: "0009-finding-facet-cells",
  description:
    "Mark the finding rollups of teams whose accounts have no facet cells yet stale, so the cells are built from their findings.",
  version: 1,
  up: markTeams(teamsWithoutFacetCells),
  dryRun: markTeamsDryRun(teamsWithoutFacetCells),
});
