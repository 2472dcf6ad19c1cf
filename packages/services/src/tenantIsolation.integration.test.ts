import { parseTeamId } from "@cspm/repository";
import { isCspmError } from "@cspm/errors";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AssessmentView } from "./globalAssessmentService";
import {
  aiModelAndAssessment,
  complianceCatalog,
  findingDoc,
  nucleiDoc,
  occurrenceDoc,
  scanRunDoc,
  securityScoreDoc,
} from "@cspm/test-fixtures";
import { openServicesTestbed, type ServicesTestbed } from "./testing/servicesTestbed";

const NOW = new Date("2024-06-15T12:00:00.000Z");
const SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
let bed: ServicesTestbed;
let accountId: string;
let assessment: AssessmentView;

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return isCspmError(error) ? error.code : `raw:${String(error)}`;
  }
  return "resolved";
}

beforeAll(async () => {
  bed = await openServicesTestbed({ now: NOW, label: "tenant" });
  const catalog = complianceCatalog("cis_aws_2.0", [{ controlId: "1.5", checks: ["iam_root_mfa_enabled"] }]);
  await bed.seed("COMPLIANCE", "frameworks", [catalog.framework]);
  await bed.seed("COMPLIANCE", "controls", catalog.controls);
  await bed.seed("COMPLIANCE", "control_mappings", catalog.mappings);
  accountId = (
    await bed.accounts.registerAccount(parseTeamId("team_a"), {
      provider: "aws",
      accountId: "111111111111",
      name: "A-Prod",
      credentials: { access_key_id: "AKIAIOSFODNN7EXAMPLE", secret_access_key: SECRET },
    })
  ).id;
  await bed.seed("CLOUD_SECURITY", "prowler_findings", [findingDoc("team_a", { last_seen_at: NOW })]);
  await bed.seed("CLOUD_SECURITY", "security_scores", [securityScoreDoc("team_a")]);
  await bed.seed("ORCHESTRATION", "scan_runs", [scanRunDoc("team_a", { created_at: NOW })]);
  await bed.seed("SECURITY_SCANS", "nuclei_scans", [nucleiDoc("team_a", { scanned_at: NOW })]);
  await bed.seed("VULNERABILITIES", "vulnerability_occurrences", [occurrenceDoc("team_a")]);
  const ai = aiModelAndAssessment("team_a");
  await bed.seed("AI_GOVERNANCE", "ai_models", [ai.model]);
  await bed.seed("AI_GOVERNANCE", "ai_risk_assessments", [ai.assessment]);
  assessment = await bed.assessments.createAssessment(parseTeamId("team_a"), {
    name: "A review",
    frameworkIds: ["cis_aws_2.0"],
    frequency: "monthly",
    startDate: "2024-06-01",
  });
});

afterAll(async () => {
  await bed?.close();
});

describe("tenant isolation: team B sees and touches nothing of team A", () => {
  it("CentralAccountService", async () => {
    expect(await codeOf(bed.accounts.getAccount(parseTeamId("team_b"), accountId))).toBe("NOT_FOUND");
    expect((await bed.accounts.listAccounts(parseTeamId("team_b"))).items).toEqual([]);
    expect(await codeOf(bed.accounts.updateAccount(parseTeamId("team_b"), accountId, { name: "hijacked" }))).toBe("NOT_FOUND");
    expect(await codeOf(bed.accounts.deactivateAccount(parseTeamId("team_b"), accountId))).toBe("NOT_FOUND");
    expect(
      await codeOf(
        bed.accounts.rotateCredentials(parseTeamId("team_b"), accountId, {
          access_key_id: "AKIAIOSFODNN7EXAMPLF",
          secret_access_key: SECRET,
        }),
      ),
    ).toBe("NOT_FOUND");
    expect(await codeOf(bed.accounts.recordLastScan(parseTeamId("team_b"), accountId, { status: "failed" }))).toBe("NOT_FOUND");
    expect(await codeOf(bed.accounts.deleteAccount(parseTeamId("team_b"), accountId))).toBe("NOT_FOUND");
    expect((await bed.accounts.resolveAccounts(parseTeamId("team_b"), [accountId, "111111111111"])).size).toBe(0);
    const untouched = await bed.accounts.getAccount(parseTeamId("team_a"), accountId);
    expect(untouched).toMatchObject({ name: "A-Prod", status: "pending", has_credentials: true });
    expect(untouched.last_scan_status).toBeUndefined();
  });

  it("AggregationService", async () => {
    const summary = await bed.aggregation.getDashboardSummary(parseTeamId("team_b"));
    expect(summary.totals.findings).toBe(0);
    expect(summary.by_account).toEqual([]);
    const activity = await bed.aggregation.getScanActivity(parseTeamId("team_b"));
    expect(activity.totals.runs).toBe(0);
    // Team A's own view is populated, so the zeros above are isolation, not absence of data.
    expect((await bed.aggregation.getDashboardSummary(parseTeamId("team_a"))).totals.findings).toBe(1);
    expect((await bed.aggregation.getScanActivity(parseTeamId("team_a"))).by_account[0]?.name).toBe("A-Prod");
  });

  it("EvidenceIntegrationService and AssessmentIntegrationService", async () => {
    expect(await codeOf(bed.evidence.collectComprehensiveEvidence(parseTeamId("team_b"), assessment.id))).toBe("NOT_FOUND");
    expect(await bed.evidence.getEvidence(parseTeamId("team_b"), assessment.id)).toEqual([]);
    expect(await codeOf(bed.integration.evaluateControls(parseTeamId("team_b"), assessment.id))).toBe("NOT_FOUND");
    expect((await bed.evidence.getEvidence(parseTeamId("team_a"), assessment.id)).length).toBe(4);
  });

  it("GlobalAssessmentService", async () => {
    expect(await codeOf(bed.assessments.getAssessment(parseTeamId("team_b"), assessment.id))).toBe("NOT_FOUND");
    expect((await bed.assessments.listAssessments(parseTeamId("team_b"))).items).toEqual([]);
    expect(await codeOf(bed.assessments.startAssessment(parseTeamId("team_b"), assessment.id))).toBe("NOT_FOUND");
    expect(await codeOf(bed.assessments.completeAssessment(parseTeamId("team_b"), assessment.id))).toBe("NOT_FOUND");
    expect(await codeOf(bed.assessments.refreshEvidence(parseTeamId("team_b"), assessment.id))).toBe("NOT_FOUND");
    expect((await bed.assessments.getAssessment(parseTeamId("team_a"), assessment.id)).status).toBe("draft");
  });

  it("team B's own assessment collects none of team A's evidence", async () => {
    const b = await bed.assessments.createAssessment(parseTeamId("team_b"), {
      name: "B review",
      frameworkIds: ["cis_aws_2.0"],
      frequency: "monthly",
      startDate: "2024-06-01",
    });
    expect(b.evidence_summary?.total_items).toBe(0);
    const evidence = await bed.evidence.getEvidence(parseTeamId("team_b"), b.id);
    expect(evidence.every((s) => s.item_count === 0)).toBe(true);
    expect(evidence.find((s) => s.source === "vulnerabilities")?.summary["open"]).toBe(0);
    expect(evidence.find((s) => s.source === "cloud_security")?.summary["findings"]).toBe(0);
    expect(b.score).toBe(0);
  });

  it("no returned object carries credential material", async () => {
    const outputs = [
      await bed.accounts.getAccount(parseTeamId("team_a"), accountId),
      await bed.accounts.listAccounts(parseTeamId("team_a")),
      [...(await bed.accounts.resolveAccounts(parseTeamId("team_a"), [accountId])).values()],
      await bed.aggregation.getDashboardSummary(parseTeamId("team_a")),
      await bed.aggregation.getScanActivity(parseTeamId("team_a")),
      await bed.evidence.getEvidence(parseTeamId("team_a"), assessment.id),
      await bed.assessments.getAssessment(parseTeamId("team_a"), assessment.id),
    ];
    for (const output of outputs) {
      const text = JSON.stringify(output);
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain("encrypted_credentials");
      expect(text).not.toContain('"ct"');
    }
  });
});
