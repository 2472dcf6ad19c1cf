import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LedgerEntry } from "../migrationLedger";
import { MigrationRunner } from "../migrationRunner";
import { captureLogger, openTestManager, type TestManager } from "../testing/openTestManager";
import { FINDING_QUERY_FIELDS_MIGRATION } from "./findingQueryFields";

let t: TestManager;

beforeAll(async () => {
  t = await openTestManager();
});

afterAll(async () => {
  await t?.drop();
});

const run = () =>
  new MigrationRunner({ manager: t.manager, migrations: [FINDING_QUERY_FIELDS_MIGRATION], logger: captureLogger().logger }).up();

describe("0005-finding-query-fields", () => {
  it("backfills severity_rank, search_terms and state on older findings only, and changes nothing on a second run", async () => {
    const findings = t.manager.getCollection("CLOUD_SECURITY", "prowler_findings");
    const base = { team_id: "team-1", check_title: "Ensure MFA is enabled", resource_name: "Root-Account", status: "FAIL" };
    await findings.insertMany([
      { ...base, check_id: "a", severity: "critical" },
      { ...base, check_id: "b", severity: "low", resolved_at: new Date() },
      { ...base, check_id: "c", severity: "high", reopened_at: new Date() },
      { ...base, check_id: "d", severity: "medium", severity_rank: 3, search_terms: ["kept"], state: "open" },
    ]);
    const first = await run();
    expect(first.applied[0]?.result).toEqual({ findings_backfilled: 3 });
    const byCheck = new Map((await findings.find({}).toArray()).map((d) => [d.check_id, d]));
    expect(byCheck.get("a")).toMatchObject({
      severity_rank: 5,
      state: "open",
      search_terms: ["ensure", "mfa", "is", "enabled", "root", "account"],
    });
    expect(byCheck.get("b")).toMatchObject({ severity_rank: 2, state: "resolved" });
    expect(byCheck.get("c")).toMatchObject({ severity_rank: 4, state: "reopened" });
    expect(byCheck.get("d")).toMatchObject({ search_terms: ["kept"] });
    await t.manager.getCollection<LedgerEntry>("PLATFORM", "migration_ledger").deleteMany({});
    expect((await run()).applied[0]?.result).toEqual({ findings_backfilled: 0 });
  });
});
