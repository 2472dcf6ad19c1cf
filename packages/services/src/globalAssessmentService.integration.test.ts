import { parseTeamId, type TeamId } from "@cspm/repository";
import { isCspmError } from "@cspm/errors";
import { ObjectId, type ClientSession } from "mongodb";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { AssessmentIntegrationService } from "./assessmentIntegrationService";
import { EvidenceIntegrationService } from "./evidenceIntegrationService";
import type { EvidenceScope, SourceEvidence } from "./evidencePipelines";
import { GlobalAssessmentService, type CreateAssessmentInput } from "./globalAssessmentService";
import { complianceCatalog, findingDoc, nucleiDoc } from "@cspm/test-fixtures";
import { openServicesTestbed, type ServicesTestbed } from "./testing/servicesTestbed";

const NOW = new Date("2024-06-15T12:00:00.000Z");
/** Sighting times inside the assessments' periods (evidence is what was seen during an assessment's period). */
const SEEN = new Date(NOW.getTime() - 86_400_000);
let bed: ServicesTestbed;

/** The assessment service over the testbed's dependencies with one failing collaborator (fault injection). */
function failingAssessments(evidence: EvidenceIntegrationService): GlobalAssessmentService {
  const integration = new AssessmentIntegrationService({ repositories: bed.repositories, evidence, clock: bed.clock });
  return new GlobalAssessmentService({ manager: bed.manager, repositories: bed.repositories, evidence, integration, clock: bed.clock });
}

const input: CreateAssessmentInput = {
  name: "Q2 2024 posture review",
  frameworkIds: ["cis_aws_2.0", "soc2"],
  frequency: "quarterly",
  startDate: "2024-04-01",
  owner: "ciso@example.com",
};

async function codeOf(promise: Promise<unknown>): Promise<{ code: string; details: Record<string, unknown> }> {
  try {
    await promise;
  } catch (error) {
    if (isCspmError(error)) return { code: error.code, details: { ...error.details } };
    return { code: `raw:${String(error)}`, details: {} };
  }
  return { code: "resolved", details: {} };
}

async function storedCounts(teamId: string): Promise<{ assessments: number; evidence: number }> {
  return {
    assessments: await bed.manager.getCollection("ASSESSMENTS", "global_assessments").countDocuments({ team_id: teamId }),
    evidence: await bed.manager.getCollection("ASSESSMENTS", "assessment_evidence").countDocuments({ team_id: teamId }),
  };
}

/** Fails after the evidence write of the transaction has happened: the assessment insert and the evidence write must both vanish. */
class FailingAfterWriteEvidence extends EvidenceIntegrationService {
  writes = 0;
  protected override async storeEvidence(
    teamId: TeamId,
    assessmentId: string,
    sources: readonly SourceEvidence[],
    session: ClientSession | undefined,
  ): Promise<void> {
    await super.storeEvidence(teamId, assessmentId, sources, session);
    this.writes += 1;
    throw new Error("injected failure after the evidence write");
  }
}

/** Fails in the middle of collecting (after the assessment insert, before any evidence is stored). */
class FailingSourceEvidence extends EvidenceIntegrationService {
  protected override async collectAiGovernance(_team: TeamId, _scope: EvidenceScope): Promise<SourceEvidence> {
    throw new Error("AI governance database exploded");
  }
}

beforeAll(async () => {
  bed = await openServicesTestbed({ now: NOW, label: "assess" });
  const cis = complianceCatalog("cis_aws_2.0", [
    { controlId: "1.5", checks: ["iam_root_mfa_enabled"] },
    { controlId: "2.1", checks: ["s3_bucket_public_access"] },
    { controlId: "3.1", checks: ["CVE-2021-44228"] },
    { controlId: "4.1", checks: ["unmapped_check"] },
    { controlId: "5.1", checks: [] },
  ]);
  const soc2 = complianceCatalog("soc2", [{ controlId: "CC6.1", checks: ["s3_bucket_public_access", "iam_password_policy"] }]);
  await bed.seed("COMPLIANCE", "frameworks", [cis.framework, soc2.framework]);
  await bed.seed("COMPLIANCE", "controls", [...cis.controls, ...soc2.controls]);
  await bed.seed("COMPLIANCE", "control_mappings", [...cis.mappings, ...soc2.mappings]);
  await bed.seed("CLOUD_SECURITY", "prowler_findings", [
    findingDoc("team_a", { last_seen_at: SEEN, check_id: "iam_root_mfa_enabled", status: "FAIL" }),
    findingDoc("team_a", { last_seen_at: SEEN, check_id: "s3_bucket_public_access", status: "PASS", severity: "high" }),
    findingDoc("team_a", { last_seen_at: SEEN, check_id: "iam_password_policy", status: "PASS", severity: "medium" }),
  ]);
  await bed.seed("SECURITY_SCANS", "nuclei_scans", [nucleiDoc("team_a", { scanned_at: new Date(NOW.getTime() - 86_400_000) })]);
});

afterAll(async () => {
  await bed?.close();
});

beforeEach(() => {
  bed.monitor.reset();
});

describe("GlobalAssessmentService.createAssessment", () => {
  it("creates the assessment with dates, evidence summary and score in one transaction", async () => {
    const measured = await bed.monitor.measure(() => bed.assessments.createAssessment(parseTeamId("team_a"), input));
    const created = measured.result;
    expect(created).toMatchObject({
      team_id: "team_a",
      name: input.name,
      framework_ids: ["cis_aws_2.0", "soc2"],
      frequency: "quarterly",
      status: "draft",
      owner: "ciso@example.com",
    });
    expect(created.period_start.toISOString()).toBe("2024-04-01T00:00:00.000Z");
    expect(created.period_end.toISOString()).toBe("2024-06-30T23:59:59.999Z");
    expect(created.due_date.toISOString()).toBe("2024-07-14T23:59:59.999Z");
    expect(created.id).toMatch(/^[0-9a-f]{24}$/);
    // passing: 2.1, CC6.1; failing: 1.5 (IAM), 3.1 (Nuclei match) -> 50.
    expect(created.score).toBe(50);
    expect(created.evidence_summary?.sources.map((s) => s.source)).toEqual([
      "cloud_security",
      "native_scans",
      "vulnerabilities",
      "ai_governance",
    ]);
    expect(created.evidence_summary?.total_items).toBe(created.evidence_summary?.sources.reduce((n, s) => n + s.item_count, 0));
    expect(created.evidence_summary?.details?.["control_evaluation"]).toMatchObject({
      score: 50,
      totals: { controls: 6, passing: 2, failing: 2, no_evidence: 1, not_assessed: 1 },
    });
    // The writes happened inside one transaction that was committed.
    expect(measured.commands.filter((c) => c.name === "commitTransaction")).toHaveLength(1);
    expect(measured.commands.filter((c) => c.name === "abortTransaction")).toHaveLength(0);
    const stored = await bed.assessments.getAssessment(parseTeamId("team_a"), created.id);
    expect(stored).toEqual(created);
    expect(await bed.evidence.getEvidence(parseTeamId("team_a"), created.id)).toHaveLength(4);
  });

  it("leaves nothing behind when it fails after the evidence write", async () => {
    const evidence = new FailingAfterWriteEvidence({ repositories: bed.repositories, clock: bed.clock });
    const service = failingAssessments(evidence);
    const failure = await codeOf(service.createAssessment(parseTeamId("team_fail"), input));
    expect(failure.code).toBe("INTERNAL");
    expect(evidence.writes).toBeGreaterThanOrEqual(1);
    expect(await storedCounts("team_fail")).toEqual({ assessments: 0, evidence: 0 });
  });

  it("leaves nothing behind when a source fails mid-collection", async () => {
    const evidence = new FailingSourceEvidence({ repositories: bed.repositories, clock: bed.clock });
    const service = failingAssessments(evidence);
    expect((await codeOf(service.createAssessment(parseTeamId("team_fail"), input))).code).toBe("INTERNAL");
    expect(await storedCounts("team_fail")).toEqual({ assessments: 0, evidence: 0 });
  });

  it.each([
    [{ ...input, frameworkIds: ["cis_aws_2.0", "nist_csf"] }, "frameworkIds.1"],
    [{ ...input, frameworkIds: [] }, "frameworkIds"],
    [{ ...input, frequency: "weekly" }, "frequency"],
    [{ ...input, startDate: "2024-13-01" }, "startDate"],
    [{ ...input, graceDays: 400 }, "graceDays"],
    [{ ...input, name: "" }, "name"],
    [{ ...input, status: "completed" }, ""],
  ])("rejects invalid input %# with VALIDATION_FAILED and writes nothing", async (data, path) => {
    const before = await storedCounts("team_a");
    const failure = await codeOf(bed.assessments.createAssessment(parseTeamId("team_a"), data as CreateAssessmentInput));
    expect(failure.code).toBe("VALIDATION_FAILED");
    expect((failure.details["issues"] as Array<{ path: string }>).map((i) => i.path)).toContain(path);
    expect(await storedCounts("team_a")).toEqual(before);
  });
});

describe("GlobalAssessmentService — read, list, status, refresh", () => {
  let id: string;

  beforeAll(async () => {
    id = (await bed.assessments.createAssessment(parseTeamId("team_l"), { ...input, name: "Lifecycle" })).id;
    await bed.assessments.createAssessment(parseTeamId("team_l"), { ...input, name: "Second", frequency: "monthly" });
    await bed.assessments.createAssessment(parseTeamId("team_l"), { ...input, name: "Third", frequency: "annual" });
  });

  it("lists newest first with keyset pagination and a status filter", async () => {
    const page1 = await bed.assessments.listAssessments(parseTeamId("team_l"), { limit: 2 });
    expect(page1.items.map((a) => a.name)).toEqual(["Third", "Second"]);
    const page2 = await bed.assessments.listAssessments(parseTeamId("team_l"), { limit: 2, cursor: page1.nextCursor });
    expect(page2.items.map((a) => a.name)).toEqual(["Lifecycle"]);
    expect(page2.nextCursor).toBeNull();
    expect((await bed.assessments.listAssessments(parseTeamId("team_l"), { status: "in_progress" })).items).toEqual([]);
    expect((await codeOf(bed.assessments.listAssessments(parseTeamId("team_l"), { status: "archived" as never }))).code).toBe(
      "VALIDATION_FAILED",
    );
  });

  it("moves draft -> in_progress -> completed and refuses every other move", async () => {
    expect((await codeOf(bed.assessments.completeAssessment(parseTeamId("team_l"), id))).details).toMatchObject({
      from: "draft",
      to: "completed",
      reason: "ILLEGAL_TRANSITION",
    });
    expect((await bed.assessments.startAssessment(parseTeamId("team_l"), id)).status).toBe("in_progress");
    expect((await codeOf(bed.assessments.startAssessment(parseTeamId("team_l"), id))).code).toBe("CONFLICT");
    expect((await codeOf(bed.assessments.transitionStatus(parseTeamId("team_l"), id, "draft"))).code).toBe("CONFLICT");
    const done = await bed.assessments.completeAssessment(parseTeamId("team_l"), id);
    expect(done.status).toBe("completed");
    expect(done.completed_at?.toISOString()).toBe(NOW.toISOString());
    expect((await codeOf(bed.assessments.startAssessment(parseTeamId("team_l"), id))).details).toMatchObject({
      from: "completed",
      to: "in_progress",
    });
    expect((await codeOf(bed.assessments.startAssessment(parseTeamId("team_l"), new ObjectId().toHexString()))).code).toBe("NOT_FOUND");
    expect((await codeOf(bed.assessments.transitionStatus(parseTeamId("team_l"), id, "archived" as never))).code).toBe("VALIDATION_FAILED");
  });

  it("lets exactly one of two concurrent starts win", async () => {
    const fresh = await bed.assessments.createAssessment(parseTeamId("team_l"), { ...input, name: "Race" });
    const results = await Promise.allSettled([
      bed.assessments.startAssessment(parseTeamId("team_l"), fresh.id),
      bed.assessments.startAssessment(parseTeamId("team_l"), fresh.id),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const rejected = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    expect(isCspmError(rejected.reason) && rejected.reason.code).toBe("CONFLICT");
  });

  it("refreshes evidence idempotently and refuses to change a completed assessment", async () => {
    const open = await bed.assessments.createAssessment(parseTeamId("team_r"), { ...input, name: "Refresh" });
    expect(open.score).toBe(0);
    // New findings arrive: refreshing picks them up (1.5 failing; 2.1 and CC6.1 passing).
    await bed.seed("CLOUD_SECURITY", "prowler_findings", [
      findingDoc("team_r", { last_seen_at: SEEN, check_id: "iam_root_mfa_enabled", status: "FAIL" }),
      findingDoc("team_r", { last_seen_at: SEEN, check_id: "s3_bucket_public_access", status: "PASS" }),
    ]);
    await bed.assessments.refreshEvidence(parseTeamId("team_r"), open.id);
    const again = await bed.assessments.refreshEvidence(parseTeamId("team_r"), open.id);
    expect(again.score).toBe(66.67);
    expect(again.evidence_summary?.details?.["control_evaluation"]).toMatchObject({ totals: { passing: 2, failing: 1 } });
    expect(await storedCounts("team_r")).toEqual({ assessments: 1, evidence: 4 });
    expect((await codeOf(bed.assessments.refreshEvidence(parseTeamId("team_l"), id))).details).toMatchObject({
      reason: "ASSESSMENT_COMPLETED",
    });
    expect((await codeOf(bed.assessments.refreshEvidence(parseTeamId("team_r"), new ObjectId().toHexString()))).code).toBe("NOT_FOUND");
  });

  it("gets one assessment and answers NOT_FOUND / VALIDATION_FAILED otherwise", async () => {
    expect((await bed.assessments.getAssessment(parseTeamId("team_l"), id)).name).toBe("Lifecycle");
    expect((await codeOf(bed.assessments.getAssessment(parseTeamId("team_l"), new ObjectId().toHexString()))).code).toBe("NOT_FOUND");
    expect((await codeOf(bed.assessments.getAssessment(parseTeamId("team_l"), "x"))).code).toBe("VALIDATION_FAILED");
  });
});

describe("AssessmentIntegrationService.evaluateControls", () => {
  it("maps evidence to controls and scores the assessment", async () => {
    const created = await bed.assessments.createAssessment(parseTeamId("team_e"), input);
    const evaluation = await bed.integration.evaluateControls(parseTeamId("team_e"), created.id);
    // team_e has no findings: every mapped control lacks evidence, the unmapped one needs manual review.
    expect(evaluation.totals).toEqual({ controls: 6, passing: 0, failing: 0, no_evidence: 5, not_assessed: 1 });
    expect(evaluation.score).toBe(0);

    const a = await bed.integration.evaluateControls(parseTeamId("team_e"), created.id, {
      evidence: (
        await bed.evidence.collectComprehensiveEvidence(
          parseTeamId("team_a"),
          (
            await bed.assessments.createAssessment(parseTeamId("team_a"), input)
          ).id,
        )
      ).sources,
    });
    const status = Object.fromEntries(a.controls.map((c) => [`${c.framework_id}/${c.control_id}`, c.status]));
    expect(status).toEqual({
      "cis_aws_2.0/1.5": "failing",
      "cis_aws_2.0/2.1": "passing",
      "cis_aws_2.0/3.1": "failing",
      "cis_aws_2.0/4.1": "no_evidence",
      "cis_aws_2.0/5.1": "not_assessed",
      "soc2/CC6.1": "passing",
    });
    expect(a.frameworks).toEqual([
      { framework_id: "cis_aws_2.0", controls: 5, passing: 1, failing: 2, no_evidence: 1, not_assessed: 1, score: 33.33 },
      { framework_id: "soc2", controls: 1, passing: 1, failing: 0, no_evidence: 0, not_assessed: 0, score: 100 },
    ]);
    expect(a.controls.find((c) => c.control_id === "CC6.1")?.checks).toEqual([
      { check_id: "iam_password_policy", passed: 1, failed: 0 },
      { check_id: "s3_bucket_public_access", passed: 1, failed: 0 },
    ]);
    expect(a.score).toBe(50);
  });

  it("reads the controls with one aggregation when frameworks and evidence are given", async () => {
    const measured = await bed.monitor.measure(() =>
      bed.integration.evaluateControls(parseTeamId("team_e"), new ObjectId().toHexString(), { frameworkIds: ["soc2"], evidence: [] }),
    );
    expect(measured.commands.map((c) => [c.name, c.collection])).toEqual([["aggregate", "controls"]]);
    expect(measured.result.totals).toEqual({ controls: 1, passing: 0, failing: 0, no_evidence: 1, not_assessed: 0 });
  });

  it("answers NOT_FOUND for an unknown assessment", async () => {
    expect((await codeOf(bed.integration.evaluateControls(parseTeamId("team_e"), new ObjectId().toHexString()))).code).toBe("NOT_FOUND");
  });
});
