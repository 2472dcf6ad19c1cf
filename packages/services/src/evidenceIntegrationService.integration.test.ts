import { parseTeamId } from "@cspm/repository";
import { GlobalAssessmentRepository } from "@cspm/domain";
import { isCspmError } from "@cspm/errors";
import { ObjectId } from "mongodb";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { SourceEvidence } from "./evidencePipelines";
import { aiModelAndAssessment, findingDoc, headerDoc, nucleiDoc, occurrenceDoc, securityScoreDoc, sslDoc } from "@cspm/test-fixtures";
import { openServicesTestbed, type ServicesTestbed } from "./testing/servicesTestbed";

const NOW = new Date("2024-06-15T12:00:00.000Z");
/** Sighting times inside the assessments' periods (evidence is what was seen during an assessment's period). */
const SEEN = new Date(NOW.getTime() - 86_400_000);
const FIRST_SEEN = new Date(NOW.getTime() - 40 * 86_400_000);
const DAY = 86_400_000;
const daysAgo = (n: number): Date => new Date(NOW.getTime() - n * DAY);

let bed: ServicesTestbed;
let assessmentId: string;
let scopedAssessmentId: string;

function source(evidence: readonly SourceEvidence[], name: string): SourceEvidence {
  const found = evidence.find((s) => s.source === name);
  if (!found) throw new Error(`no ${name} evidence`);
  return found;
}

async function evidenceDocs(teamId: string, id: string): Promise<number> {
  return bed.manager.getCollection("ASSESSMENTS", "assessment_evidence").countDocuments({ team_id: teamId, assessment_id: id });
}

beforeAll(async () => {
  bed = await openServicesTestbed({ now: NOW, label: "evid" });
  const repo = bed.repositories.get(GlobalAssessmentRepository);
  const base = {
    name: "Q2",
    framework_ids: ["cis"],
    frequency: "quarterly" as const,
    period_start: daysAgo(75),
    period_end: daysAgo(-15),
    due_date: daysAgo(-29),
  };
  assessmentId = (await repo.create("team_a", base))._id.toHexString();
  scopedAssessmentId = (await repo.create("team_a", { ...base, name: "Staging only", account_ids: ["222222222222"] }))._id.toHexString();

  await bed.seed("CLOUD_SECURITY", "prowler_findings", [
    findingDoc("team_a", { last_seen_at: SEEN, check_id: "iam_root_mfa_enabled", status: "FAIL", severity: "critical" }),
    findingDoc("team_a", {
      last_seen_at: SEEN,
      check_id: "iam_root_mfa_enabled",
      status: "PASS",
      severity: "critical",
      account_id: "222222222222",
    }),
    findingDoc("team_a", { last_seen_at: SEEN, check_id: "s3_bucket_public_access", status: "PASS", severity: "high", service_name: "s3" }),
    findingDoc("team_a", {
      last_seen_at: SEEN,
      check_id: "s3_bucket_public_access",
      status: "FAIL",
      severity: "high",
      service_name: "s3",
      muted: true,
    }),
    findingDoc("team_b", { last_seen_at: SEEN, check_id: "team_b_only", status: "FAIL" }),
  ]);
  await bed.seed("CLOUD_SECURITY", "security_scores", [
    securityScoreDoc("team_a", { account_id: "111111111111", score: 50, computed_at: daysAgo(10) }),
    securityScoreDoc("team_a", { account_id: "111111111111", score: 70, computed_at: daysAgo(1) }),
    securityScoreDoc("team_a", { account_id: "222222222222", score: 90, computed_at: daysAgo(2) }),
    securityScoreDoc("team_b", { account_id: "111111111111", score: 5 }),
  ]);
  await bed.seed("SECURITY_SCANS", "nuclei_scans", [
    nucleiDoc("team_a", { scanned_at: daysAgo(1) }),
    nucleiDoc("team_a", { scanned_at: daysAgo(2), target: "https://api.example.com" }),
    nucleiDoc("team_a", { template_id: "tech-detect", name: "Tech detect", severity: "informational", scanned_at: daysAgo(3) }),
    nucleiDoc("team_a", { template_id: "ancient", scanned_at: daysAgo(200) }),
    nucleiDoc("team_b", { template_id: "team-b-template", scanned_at: daysAgo(1) }),
  ]);
  await bed.seed("SECURITY_SCANS", "ssl_scans", [
    sslDoc("team_a", { grade: "C", scanned_at: daysAgo(20) }),
    sslDoc("team_a", { grade: "A", scanned_at: daysAgo(1) }),
  ]);
  await bed.seed("SECURITY_SCANS", "header_scans", [headerDoc("team_a", { scanned_at: daysAgo(1) })]);
  await bed.seed("VULNERABILITIES", "vulnerability_occurrences", [
    occurrenceDoc("team_a", {
      first_seen_at: FIRST_SEEN,
      cve_id: "CVE-2023-0001",
      severity: "critical",
      known_exploited: true,
      sla_started_at: daysAgo(40),
      sla_expires_at: daysAgo(10),
    }),
    occurrenceDoc("team_a", {
      first_seen_at: FIRST_SEEN,
      cve_id: "CVE-2023-0002",
      severity: "high",
      sla_started_at: daysAgo(5),
      sla_expires_at: daysAgo(-25),
    }),
    occurrenceDoc("team_a", {
      first_seen_at: FIRST_SEEN,
      cve_id: "CVE-2023-0003",
      severity: "low",
      sla_started_at: daysAgo(5),
      sla_expires_at: daysAgo(-85),
    }),
    occurrenceDoc("team_a", {
      first_seen_at: FIRST_SEEN,
      cve_id: "CVE-2023-0004",
      severity: "medium",
      sla_started_at: daysAgo(5),
      sla_expires_at: undefined,
    }),
    occurrenceDoc("team_a", {
      first_seen_at: FIRST_SEEN,
      cve_id: "CVE-2023-0005",
      severity: "critical",
      status: "mitigated",
      mitigated_at: daysAgo(1),
      sla_expires_at: daysAgo(10),
    }),
    occurrenceDoc("team_b", { first_seen_at: FIRST_SEEN, cve_id: "CVE-2023-0009", severity: "critical", sla_expires_at: daysAgo(10) }),
  ]);
  const older = aiModelAndAssessment("team_a", { assessment: { score: 40, assessed_at: daysAgo(30) } });
  const newer = { ...older.assessment, _id: new ObjectId(), score: 64, assessed_at: daysAgo(1) };
  await bed.seed("AI_GOVERNANCE", "ai_models", [older.model]);
  await bed.seed("AI_GOVERNANCE", "ai_risk_assessments", [older.assessment, newer]);
});

afterAll(async () => {
  await bed?.close();
});

beforeEach(() => {
  bed.monitor.reset();
});

describe("EvidenceIntegrationService.collectComprehensiveEvidence", () => {
  it("reads each source with one aggregation and writes all evidence with one command", async () => {
    const measured = await bed.monitor.measure(() => bed.evidence.collectComprehensiveEvidence(parseTeamId("team_a"), assessmentId));
    expect(measured.commands.map((c) => [c.name, c.database, c.collection])).toEqual([
      ["find", bed.manager.databaseName("ASSESSMENTS"), "global_assessments"],
      ["aggregate", bed.manager.databaseName("CLOUD_SECURITY"), "prowler_findings"],
      ["aggregate", bed.manager.databaseName("SECURITY_SCANS"), "nuclei_scans"],
      ["aggregate", bed.manager.databaseName("VULNERABILITIES"), "vulnerability_occurrences"],
      ["aggregate", bed.manager.databaseName("AI_GOVERNANCE"), "ai_risk_assessments"],
      ["update", bed.manager.databaseName("ASSESSMENTS"), "assessment_evidence"],
    ]);
    expect(measured.result.sources.map((s) => s.source)).toEqual(["cloud_security", "native_scans", "vulnerabilities", "ai_governance"]);
  });

  it("collects the team's findings per check and the latest score per account", async () => {
    const { sources } = await bed.evidence.collectComprehensiveEvidence(parseTeamId("team_a"), assessmentId);
    const cloud = source(sources, "cloud_security");
    expect(cloud.summary).toMatchObject({
      findings: 3,
      passed: 2,
      failed: 1,
      manual: 0,
      pass_rate: 66.67,
      checks: 2,
      failing_checks: 1,
      accounts_scored: 2,
      average_score: 80,
    });
    expect(cloud.summary["failed_by_severity"]).toEqual({ critical: 1, high: 0, medium: 0, low: 0, informational: 0 });
    expect(cloud.items.filter((i) => i["kind"] === "check")).toEqual([
      expect.objectContaining({ check_id: "iam_root_mfa_enabled", passed: 1, failed: 1, status: "FAIL" }),
      expect.objectContaining({ check_id: "s3_bucket_public_access", passed: 1, failed: 0, status: "PASS" }),
    ]);
    expect(cloud.items.filter((i) => i["kind"] === "account_score").map((i) => [i["account_id"], i["score"]])).toEqual([
      ["111111111111", 70],
      ["222222222222", 90],
    ]);
    expect(cloud.item_count).toBe(4);
    expect(JSON.stringify(cloud)).not.toContain("team_b_only");
  });

  it("collects native scans (recent Nuclei matches, latest SSL and header results)", async () => {
    const { sources } = await bed.evidence.collectComprehensiveEvidence(parseTeamId("team_a"), assessmentId);
    const native = source(sources, "native_scans");
    const nuclei = native.items.filter((i) => i["kind"] === "nuclei");
    expect(nuclei.map((n) => [n["template_id"], n["matches"], n["targets"]]).sort()).toEqual([
      ["CVE-2021-44228", 2, 2],
      ["tech-detect", 1, 1],
    ]);
    const ssl = native.items.filter((i) => i["kind"] === "ssl");
    expect(ssl).toEqual([expect.objectContaining({ target: "app.example.com", port: 443, grade: "A", issues: 1 })]);
    expect(native.items.filter((i) => i["kind"] === "header")).toEqual([
      expect.objectContaining({ target: "https://app.example.com", score: 40 }),
    ]);
    expect(native.summary).toMatchObject({
      nuclei_templates: 2,
      nuclei_matches: 3,
      ssl_endpoints: 1,
      ssl_with_issues: 1,
      header_targets: 1,
      header_average_score: 40,
      header_targets_below_50: 1,
    });
    expect(JSON.stringify(native)).not.toContain("team-b-template");
    expect(JSON.stringify(native)).not.toContain("ancient");
  });

  it("collects open vulnerabilities and SLA breaches", async () => {
    const { sources } = await bed.evidence.collectComprehensiveEvidence(parseTeamId("team_a"), assessmentId);
    const vulns = source(sources, "vulnerabilities");
    // CVE-2023-0005 was mitigated yesterday, inside the period: it was open during it and counts.
    expect(vulns.summary).toMatchObject({
      open: 5,
      known_exploited: 1,
      sla_breached: 2,
      open_by_severity: { critical: 2, high: 1, medium: 1, low: 1, informational: 0 },
      period: { start: daysAgo(75), end: daysAgo(-15), as_of: NOW },
    });
    expect(vulns.items.map((i) => [i["kind"], i["cve_id"]]).sort()).toEqual([
      ["open_vulnerability", "CVE-2023-0002"],
      ["sla_breach", "CVE-2023-0001"],
      ["sla_breach", "CVE-2023-0005"],
    ]);
  });

  it("reads each source over the assessment's own period, and says so", async () => {
    const repo = bed.repositories.get(GlobalAssessmentRepository);
    const past = await repo.create("team_a", {
      name: "A year ago",
      framework_ids: ["cis"],
      frequency: "quarterly",
      period_start: daysAgo(400),
      period_end: daysAgo(310),
      due_date: daysAgo(300),
    });
    const then = await bed.evidence.collectComprehensiveEvidence(parseTeamId("team_a"), past._id.toHexString());
    const now = await bed.evidence.collectComprehensiveEvidence(parseTeamId("team_a"), assessmentId);
    // Same data, different periods: nothing of it had been seen a year ago.
    expect(source(then.sources, "cloud_security").summary).toMatchObject({ findings: 0, accounts_scored: 0 });
    expect(source(then.sources, "vulnerabilities").summary).toMatchObject({ open: 0 });
    expect(source(then.sources, "native_scans").summary).toMatchObject({ nuclei_templates: 0, ssl_endpoints: 0 });
    expect(source(then.sources, "ai_governance").summary).toMatchObject({ models_assessed: 0 });
    expect(source(now.sources, "cloud_security").summary["findings"]).toBeGreaterThan(0);
    for (const evidence of then.sources) {
      expect(evidence.summary["period"]).toEqual({ start: daysAgo(400), end: daysAgo(310), as_of: daysAgo(310) });
      expect(typeof evidence.summary["basis"]).toBe("string");
    }
  });

  it("collects the latest AI risk assessment per model with the model's name", async () => {
    const { sources } = await bed.evidence.collectComprehensiveEvidence(parseTeamId("team_a"), assessmentId);
    const ai = source(sources, "ai_governance");
    expect(ai.items).toEqual([
      expect.objectContaining({
        kind: "ai_risk_assessment",
        model_name: "support-bot",
        model_version: "1.0",
        score: 64,
        risk_tier: "limited",
        findings: 2,
        high_findings: 1,
      }),
    ]);
    expect(ai.summary).toMatchObject({ models_assessed: 1, average_score: 64, high_findings: 1 });
  });

  it("limits cloud evidence to the assessment's accounts", async () => {
    const { sources } = await bed.evidence.collectComprehensiveEvidence(parseTeamId("team_a"), scopedAssessmentId);
    const cloud = source(sources, "cloud_security");
    expect(cloud.summary).toMatchObject({ findings: 1, passed: 1, failed: 0, accounts_scored: 1, average_score: 90 });
  });

  it("replaces evidence on re-collection instead of duplicating it", async () => {
    await bed.evidence.collectComprehensiveEvidence(parseTeamId("team_a"), assessmentId);
    await bed.evidence.collectComprehensiveEvidence(parseTeamId("team_a"), assessmentId);
    expect(await evidenceDocs("team_a", assessmentId)).toBe(4);
    await bed.seed("CLOUD_SECURITY", "prowler_findings", [
      findingDoc("team_a", { last_seen_at: SEEN, check_id: "new_check", status: "FAIL", severity: "low" }),
    ]);
    const third = await bed.evidence.collectComprehensiveEvidence(parseTeamId("team_a"), assessmentId);
    expect(await evidenceDocs("team_a", assessmentId)).toBe(4);
    expect(source(third.sources, "cloud_security").summary["checks"]).toBe(3);
    const stored = await bed.evidence.getEvidence(parseTeamId("team_a"), assessmentId);
    expect(stored.map((s) => s.source)).toEqual(["ai_governance", "cloud_security", "native_scans", "vulnerabilities"]);
    expect(source(stored, "cloud_security").items.some((i) => i["check_id"] === "new_check")).toBe(true);
    await bed.manager.getCollection("CLOUD_SECURITY", "prowler_findings").deleteMany({ team_id: "team_a", check_id: "new_check" });
  });

  it("summarizes the sources for the assessment", async () => {
    const { summary, sources } = await bed.evidence.collectComprehensiveEvidence(parseTeamId("team_a"), assessmentId);
    expect(summary.collected_at.toISOString()).toBe(NOW.toISOString());
    expect(summary.total_items).toBe(sources.reduce((n, s) => n + s.item_count, 0));
    expect(summary.sources.map((s) => [s.source, s.item_count])).toEqual(sources.map((s) => [s.source, s.item_count]));
    expect(Object.keys(summary.details ?? {})).toEqual(["cloud_security", "native_scans", "vulnerabilities", "ai_governance"]);
  });

  it("refuses unknown assessments and other teams' assessments before reading any source", async () => {
    for (const [id, team] of [
      [new ObjectId().toHexString(), "team_a"],
      [assessmentId, "team_b"],
    ] as const) {
      bed.monitor.reset();
      let code = "resolved";
      try {
        await bed.evidence.collectComprehensiveEvidence(parseTeamId(team), id);
      } catch (error) {
        code = isCspmError(error) ? error.code : "raw";
      }
      expect(code).toBe("NOT_FOUND");
      expect(bed.monitor.commands().map((c) => c.name)).toEqual(["find"]);
    }
    expect(await evidenceDocs("team_b", assessmentId)).toBe(0);
    await expect(bed.evidence.collectComprehensiveEvidence(parseTeamId("team_a"), "nope")).rejects.toMatchObject({
      code: "VALIDATION_FAILED",
    });
  });
});
