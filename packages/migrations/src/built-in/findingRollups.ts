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

async function markTeams(ctx: MigrationContext): Promise<MigrationReport> {
  const { teams, marks } = await teamsWithoutRollups(ctx);
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
}

async function markTeamsDryRun(ctx: MigrationContext): Promise<MigrationReport> {
  return { teams_to_mark: (await teamsWithoutRollups(ctx)).teams.length };
}

/**
 * Marks the finding rollups of every team that has findings but no rollups yet stale (one `*` mark per
 * team), so the team's first dashboard or overview read — or `rollups rebuild` of the worker CLI — builds
 * them from its findings. Cheap (no finding is read), idempotent: a second run finds every team marked.
 */
export const FINDING_ROLLUPS_MIGRATION = defineMigration({
  id: "0006-finding-rollups",
  description: "Mark the finding rollups of teams stored before rollups existed stale, so they are built from their findings.",
  version: 1,
  up: markTeams,
  dryRun: markTeamsDryRun,
});
