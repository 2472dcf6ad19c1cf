import { parseTeamId } from "@cspm/repository";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServiceContainer, TOKENS, type ServiceContainer } from "@cspm/container";
import { ProwlerFindingRepository, ScanRunRepository } from "@cspm/domain";
import { dropDatabasesWithPrefix, testDatabasePrefix, testMongoUri } from "@cspm/testkit";
import { MongoClient } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fileFindingSource, valueFindingSource } from "./findingSource";
import { generateSampleFindings, writeSampleFile } from "./generateSample";
import { importDependenciesFrom, importProwler, type ImportDependencies, type ImportProgress } from "./importProwler";

const prefix = testDatabasePrefix("wimport");
const TEAM = "team-import";
const OTHER_TEAM = "team-other";
const AWS = "210987654321";
const COUNT = 900;

let client: MongoClient;
let services: ServiceContainer;
let deps: ImportDependencies;
let dir: string;
let accountDocId: string;

const findingsOf = (team: string) => services.resolve(ProwlerFindingRepository).forTeam(team);
const runsOf = (team: string) => services.resolve(ScanRunRepository).forTeam(team);

beforeAll(async () => {
  client = await MongoClient.connect(testMongoUri());
  services = createServiceContainer({
    mongodb: { uri: testMongoUri(), prefix },
    encryptionKeys: `k1:${Buffer.alloc(32, 7).toString("base64")}`,
  });
  await services.initialize({ ensureIndexes: true });
  deps = importDependenciesFrom(services);
  dir = await mkdtemp(join(tmpdir(), "cspm-import-"));
  const accounts = services.resolve(TOKENS.CentralAccountService);
  accountDocId = (
    await accounts.registerAccount(parseTeamId(TEAM), { provider: "aws", accountId: AWS, name: "Import target", status: "active" })
  ).id;
  await accounts.registerAccount(parseTeamId(OTHER_TEAM), {
    provider: "aws",
    accountId: AWS,
    name: "Same id, other team",
    status: "active",
  });
});

afterAll(async () => {
  await services?.dispose();
  await dropDatabasesWithPrefix(client, prefix);
  await client?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("importProwler", () => {
  let prowlerFile: string;

  it("imports a Prowler JSON file as one completed scan run, in batches, with progress", async () => {
    prowlerFile = join(dir, "prowler.json");
    await writeSampleFile(prowlerFile, { format: "prowler", count: COUNT, accountId: AWS });
    const progress: ImportProgress[] = [];
    const report = await importProwler(deps, {
      teamId: TEAM,
      account: AWS,
      source: await fileFindingSource(prowlerFile),
      batchSize: 400,
      onProgress: (p) => progress.push(p),
    });
    expect(report).toMatchObject({
      status: "completed",
      format: "prowler",
      total: COUNT,
      written: COUNT,
      inserted: COUNT,
      updated: 0,
      rejected: 0,
      issues: [],
    });
    expect(report.passed + report.failed + report.manual).toBe(COUNT);
    expect(report.failed).toBeGreaterThan(0);
    expect(await findingsOf(TEAM).count({})).toBe(COUNT);
    expect(await findingsOf(TEAM).count({ scan_id: report.scan_run_id })).toBe(COUNT);
    // Nothing leaked to the other team that has the same provider account id.
    expect(await findingsOf(OTHER_TEAM).count({})).toBe(0);

    const run = await runsOf(TEAM).getById(report.scan_run_id);
    expect(run).toMatchObject({
      status: "completed",
      scanner: "prowler",
      account_id: AWS,
      provider: "aws",
      stats: { findings: COUNT, passed: report.passed, failed: report.failed },
    });
    expect(run.started_at).toBeInstanceOf(Date);
    expect(run.finished_at).toBeInstanceOf(Date);

    const account = await services.resolve(TOKENS.CentralAccountService).getAccount(parseTeamId(TEAM), accountDocId);
    expect(account.last_scan_status).toBe("completed");

    // Validation first (bytes), then writing in batches of 400: 400, 800, 900.
    const phases = progress.map((p) => p.phase);
    expect(phases.indexOf("writing")).toBeGreaterThan(phases.lastIndexOf("validating"));
    expect(progress.filter((p) => p.phase === "writing").map((p) => p.done)).toEqual([400, 800, 900, 900]);
  });

  it("is safe to re-run on the same file: the second run inserts nothing and the count stays", async () => {
    const report = await importProwler(deps, { teamId: TEAM, account: accountDocId, source: await fileFindingSource(prowlerFile) });
    expect(report).toMatchObject({ status: "completed", total: COUNT, inserted: 0, updated: COUNT, rejected: 0 });
    expect(await findingsOf(TEAM).count({})).toBe(COUNT);
    expect(await findingsOf(TEAM).count({ scan_id: report.scan_run_id })).toBe(COUNT);
    expect(await runsOf(TEAM).count({ status: "completed" })).toBe(2);
  });

  it("matches findings across formats: the OCSF file of the same account inserts nothing either", async () => {
    const ocsfFile = join(dir, "ocsf.json");
    await writeSampleFile(ocsfFile, { format: "ocsf", count: COUNT, accountId: AWS });
    const report = await importProwler(deps, { teamId: TEAM, account: AWS, source: await fileFindingSource(ocsfFile) });
    expect(report).toMatchObject({ status: "completed", format: "ocsf", inserted: 0, written: COUNT });
    expect(await findingsOf(TEAM).count({})).toBe(COUNT);
  });

  it("fails the run of a truncated file before writing anything", async () => {
    const bad = join(dir, "truncated.json");
    const text = JSON.stringify([...generateSampleFindings({ format: "prowler", count: 50, accountId: AWS, seed: "changed" })]);
    await writeFile(bad, text.slice(0, Math.floor(text.length * 0.8)));
    const before = await findingsOf(TEAM).count({});
    const report = await importProwler(deps, { teamId: TEAM, account: AWS, source: await fileFindingSource(bad) });
    expect(report.status).toBe("failed");
    expect(report.written).toBe(0);
    expect(report.error).toMatch(/could not be read.*Nothing was written/s);
    expect(await findingsOf(TEAM).count({ scan_id: report.scan_run_id })).toBe(0);
    expect(await findingsOf(TEAM).count({})).toBe(before);
    const run = await runsOf(TEAM).getById(report.scan_run_id);
    expect(run.status).toBe("failed");
    expect(run.error).toMatch(/truncated/);
    expect((await services.resolve(TOKENS.CentralAccountService).getAccount(parseTeamId(TEAM), accountDocId)).last_scan_status).toBe(
      "failed",
    );
  });

  it("fails a file of another account, rejecting every finding with the reason", async () => {
    const report = await importProwler(deps, {
      teamId: TEAM,
      account: AWS,
      source: valueFindingSource([...generateSampleFindings({ format: "ocsf", count: 5, accountId: "111122223333" })]),
    });
    expect(report).toMatchObject({ status: "failed", total: 5, rejected: 5, written: 0 });
    expect(report.issues[0]).toMatchObject({ index: 0, path: "account_id", message: expect.stringContaining("111122223333") });
    expect((await runsOf(TEAM).getById(report.scan_run_id)).status).toBe("failed");
  });

  it("imports the good findings of a mixed file and reports the bad ones by position", async () => {
    const good = [...generateSampleFindings({ format: "prowler", count: 6, accountId: AWS, seed: "mixed" })];
    const elements: unknown[] = [
      good[0],
      { not: "a finding" },
      good[1],
      { ...good[2], Status: "MAYBE" },
      good[3],
      { ...good[4], AccountId: "999988887777" },
    ];
    const report = await importProwler(deps, { teamId: TEAM, account: AWS, source: valueFindingSource(elements), maxReportedIssues: 2 });
    expect(report).toMatchObject({ status: "completed", total: 6, written: 3, rejected: 3, inserted: 0, issues_truncated: true });
    expect(report.issues).toEqual([
      { index: 1, path: "", message: expect.stringContaining("not a Prowler finding") },
      { index: 3, path: "status", message: "must be PASS, FAIL or MANUAL", check_id: (good[2] as { CheckID: string }).CheckID },
    ]);
  });

  it("refuses an unknown account without creating a scan run", async () => {
    const runs = await runsOf(TEAM).count({});
    await expect(importProwler(deps, { teamId: TEAM, account: "555555555555", source: valueFindingSource([]) })).rejects.toMatchObject({
      code: "NOT_FOUND",
      details: { hint: expect.stringContaining("Register") },
    });
    // The other team's account is not this team's either.
    await expect(importProwler(deps, { teamId: "team-nobody", account: AWS, source: valueFindingSource([]) })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await expect(importProwler(deps, { teamId: TEAM, account: AWS, source: valueFindingSource([]), batchSize: 0 })).rejects.toMatchObject({
      code: "VALIDATION_FAILED",
    });
    expect(await runsOf(TEAM).count({})).toBe(runs);
  });

  it("completes an empty file with zero findings", async () => {
    const report = await importProwler(deps, { teamId: TEAM, account: AWS, source: valueFindingSource([]) });
    expect(report).toMatchObject({ status: "completed", total: 0, written: 0 });
    expect((await runsOf(TEAM).getById(report.scan_run_id)).stats).toEqual({ findings: 0, passed: 0, failed: 0 });
  });

  it("drops the team's cached dashboard so it shows the import", async () => {
    const gcp = "acme-import-1234";
    await services
      .resolve(TOKENS.CentralAccountService)
      .registerAccount(parseTeamId(TEAM), { provider: "gcp", accountId: gcp, name: "GCP", status: "active" });
    const aggregation = services.resolve(TOKENS.AggregationService);
    const before = await aggregation.getDashboardSummary(parseTeamId(TEAM));
    const report = await importProwler(deps, {
      teamId: TEAM,
      account: gcp,
      source: valueFindingSource([...generateSampleFindings({ format: "ocsf", provider: "gcp", count: 40, accountId: gcp })]),
    });
    expect(report.inserted).toBe(40);
    const after = await aggregation.getDashboardSummary(parseTeamId(TEAM));
    expect(after.totals.findings).toBe(before.totals.findings + 40);
  });
});
