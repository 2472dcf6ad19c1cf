/**
 * Team first, by type and at run time: every tenant-scoped service method takes a `TeamId` (branded, so only
 * `parseTeamId` makes one) as its first argument. Swapping the team and the other argument is a compile error
 * (each `@ts-expect-error` below fails the type check if the swap ever compiles), and the same swapped call,
 * executed, fails with VALIDATION_FAILED or NOT_FOUND and returns nothing of any team. Team ids here are 24 hex
 * characters, as teams' own ids are, so a swapped id passes the team-id pattern and must be stopped by scoping.
 */
import { isCspmError } from "@cspm/errors";
import { parseTeamId } from "@cspm/repository";
import { complianceCatalog, findingDoc, scanRunDoc } from "@cspm/test-fixtures";
import { ObjectId } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openServicesTestbed, type ServicesTestbed } from "./testing/servicesTestbed";

const NOW = new Date("2024-06-15T12:00:00.000Z");
const TEAM_A = parseTeamId(new ObjectId().toHexString());
const TEAM_B = parseTeamId(new ObjectId().toHexString());
const AWS_KEYS = { access_key_id: "AKIAIOSFODNN7EXAMPLE", secret_access_key: "x".repeat(40) };
let bed: ServicesTestbed;
let accountId: string;
let assessmentId: string;

beforeAll(async () => {
  bed = await openServicesTestbed({ now: NOW, label: "swap" });
  const catalog = complianceCatalog("cis_aws_2.0", [{ controlId: "1.5", checks: ["iam_root_mfa_enabled"] }]);
  await bed.seed("COMPLIANCE", "frameworks", [catalog.framework]);
  await bed.seed("COMPLIANCE", "controls", catalog.controls);
  await bed.seed("COMPLIANCE", "control_mappings", catalog.mappings);
  await bed.seed("CLOUD_SECURITY", "prowler_findings", [findingDoc(TEAM_A, { last_seen_at: NOW })]);
  accountId = (await bed.accounts.registerAccount(TEAM_A, { provider: "aws", accountId: "111111111111", name: "A" })).id;
  assessmentId = (
    await bed.assessments.createAssessment(TEAM_A, {
      name: "A",
      frameworkIds: ["cis_aws_2.0"],
      frequency: "monthly",
      startDate: "2024-06-01",
    })
  ).id;
});

afterAll(async () => {
  await bed?.close();
});

/** The code a swapped call failed with; a swapped call that succeeds is a failure of the test. */
async function refusal(call: () => Promise<unknown>): Promise<string> {
  try {
    const value = await call();
    return `resolved ${JSON.stringify(value)}`;
  } catch (error) {
    return isCspmError(error) ? error.code : `raw ${String(error)}`;
  }
}

describe("swapped team and id arguments", () => {
  const refused = ["VALIDATION_FAILED", "NOT_FOUND"];

  it("CentralAccountService", async () => {
    const { accounts } = bed;
    const outcomes = [
      // @ts-expect-error the account id is not a TeamId
      await refusal(() => accounts.getAccount(accountId, TEAM_A)),
      // @ts-expect-error options are not a TeamId
      await refusal(() => accounts.listAccounts({ limit: 5 }, TEAM_A)),
      // @ts-expect-error the account id is not a TeamId
      await refusal(() => accounts.updateAccount(accountId, TEAM_A, { name: "x" })),
      // @ts-expect-error the account id is not a TeamId
      await refusal(() => accounts.deactivateAccount(accountId, TEAM_A)),
      // @ts-expect-error the account id is not a TeamId
      await refusal(() => accounts.deleteAccount(accountId, TEAM_A)),
      // @ts-expect-error the account id is not a TeamId
      await refusal(() => accounts.rotateCredentials(accountId, TEAM_A, AWS_KEYS)),
      // @ts-expect-error the account id is not a TeamId
      await refusal(() => accounts.recordLastScan(accountId, TEAM_A, { status: "completed" })),
      // @ts-expect-error ids are not a TeamId
      await refusal(() => accounts.resolveAccounts([accountId], TEAM_A)),
      // @ts-expect-error the input is not a TeamId
      await refusal(() => accounts.registerAccount({ provider: "aws", accountId: "222222222222", name: "B" }, TEAM_B)),
    ];
    for (const outcome of outcomes) expect(refused).toContain(outcome);
    expect((await accounts.getAccount(TEAM_A, accountId)).status).toBe("pending");
  });

  it("AggregationService", async () => {
    const { aggregation } = bed;
    const outcomes = [
      // @ts-expect-error options are not a TeamId
      await refusal(() => aggregation.getDashboardSummary({}, TEAM_A)),
      // @ts-expect-error options are not a TeamId
      await refusal(() => aggregation.getScanActivity({ limit: 5 }, TEAM_A)),
    ];
    for (const outcome of outcomes) expect(refused).toContain(outcome);
  });

  it("EvidenceIntegrationService and AssessmentIntegrationService", async () => {
    const outcomes = [
      // @ts-expect-error the assessment id is not a TeamId
      await refusal(() => bed.evidence.collectComprehensiveEvidence(assessmentId, TEAM_A)),
      // @ts-expect-error the assessment id is not a TeamId
      await refusal(() => bed.integration.evaluateControls(assessmentId, TEAM_A)),
    ];
    for (const outcome of outcomes) expect(refused).toContain(outcome);
    // A list read of a team that has nothing answers with nothing (not team A's evidence).
    // @ts-expect-error the assessment id is not a TeamId
    expect(await bed.evidence.getEvidence(assessmentId, TEAM_A)).toEqual([]);
    expect(await bed.evidence.getEvidence(TEAM_A, assessmentId)).toHaveLength(4);
  });

  it("GlobalAssessmentService", async () => {
    const { assessments } = bed;
    const input = { name: "B", frameworkIds: ["cis_aws_2.0"], frequency: "monthly", startDate: "2024-06-01" } as const;
    const outcomes = [
      // @ts-expect-error the input is not a TeamId
      await refusal(() => assessments.createAssessment(input, TEAM_B)),
      // @ts-expect-error the assessment id is not a TeamId
      await refusal(() => assessments.getAssessment(assessmentId, TEAM_A)),
      // @ts-expect-error options are not a TeamId
      await refusal(() => assessments.listAssessments({ limit: 5 }, TEAM_A)),
      // @ts-expect-error the assessment id is not a TeamId
      await refusal(() => assessments.refreshEvidence(assessmentId, TEAM_A)),
      // @ts-expect-error the assessment id is not a TeamId
      await refusal(() => assessments.startAssessment(assessmentId, TEAM_A)),
      // @ts-expect-error the assessment id is not a TeamId
      await refusal(() => assessments.completeAssessment(assessmentId, TEAM_A)),
      // @ts-expect-error the assessment id is not a TeamId
      await refusal(() => assessments.transitionStatus(assessmentId, TEAM_A, "in_progress")),
    ];
    for (const outcome of outcomes) expect(refused).toContain(outcome);
    expect((await assessments.getAssessment(TEAM_A, assessmentId)).status).toBe("draft");
    expect((await assessments.listAssessments(TEAM_B)).items).toEqual([]);
  });

  it("FindingQueryService and MuteRuleService", async () => {
    const { findings, muteRules } = bed;
    const rule = await muteRules.createRule(TEAM_A, { name: "r", reason: "accepted", checkIds: ["iam_root_mfa_enabled"] });
    const ruleId = rule.rule.id;
    const outcomes = [
      // @ts-expect-error a filter is not a TeamId
      await refusal(() => findings.listFindings({}, TEAM_A)),
      // @ts-expect-error a filter is not a TeamId
      await refusal(() => findings.getFindingFacets({ status: ["FAIL"] }, TEAM_A)),
      // @ts-expect-error the finding id is not a TeamId
      await refusal(() => findings.getFinding(new ObjectId().toHexString(), TEAM_A)),
      // @ts-expect-error the input is not a TeamId
      await refusal(() => muteRules.createRule({ name: "x", reason: "r", regions: ["us-east-1"] }, TEAM_B)),
      // @ts-expect-error options are not a TeamId
      await refusal(() => muteRules.listRules({ limit: 5 }, TEAM_A)),
      // @ts-expect-error the rule id is not a TeamId
      await refusal(() => muteRules.getRule(ruleId, TEAM_A)),
      // @ts-expect-error the rule id is not a TeamId
      await refusal(() => muteRules.updateRule(ruleId, TEAM_A, { enabled: false })),
      // @ts-expect-error the rule id is not a TeamId
      await refusal(() => muteRules.deleteRule(ruleId, TEAM_A)),
    ];
    for (const outcome of outcomes) expect(refused).toContain(outcome);
    expect((await muteRules.getRule(TEAM_A, ruleId)).enabled).toBe(true);
    expect((await muteRules.listRules(TEAM_B)).items).toEqual([]);
  });

  it("PostureOverviewService, CompliancePostureService, ScanRunQueryService, VulnerabilityService, AiGovernanceService", async () => {
    const runId = new ObjectId();
    await bed.seed("ORCHESTRATION", "scan_runs", [scanRunDoc(TEAM_A, { _id: runId, created_at: NOW })]);
    const run = runId.toHexString();
    const outcomes = [
      // @ts-expect-error a filter is not a TeamId
      await refusal(() => bed.overview.getServiceOverview({ provider: "aws" }, TEAM_A)),
      // @ts-expect-error options are not a TeamId
      await refusal(() => bed.overview.getSeverityTrend({ days: 7 }, TEAM_A)),
      // @ts-expect-error the framework id is not a TeamId
      await refusal(() => bed.compliance.getFramework("aws_cis-2.0", TEAM_A)),
      // @ts-expect-error the run id is not a TeamId
      await refusal(() => bed.scanRuns.getScanRun(run, TEAM_A)),
      // @ts-expect-error a page is not a TeamId
      await refusal(() => bed.scanRuns.listScanRuns({ limit: 5 }, TEAM_A)),
      // @ts-expect-error a filter is not a TeamId
      await refusal(() => bed.vulnerabilities.listOccurrences({ breached: true }, TEAM_A)),
      // @ts-expect-error a page is not a TeamId
      await refusal(() => bed.aiGovernance.listModels({ limit: 5 }, TEAM_A)),
    ];
    for (const outcome of outcomes) expect(refused).toContain(outcome);
    expect((await bed.scanRuns.getScanRun(TEAM_A, run)).id).toBe(run);
    expect((await bed.scanRuns.listScanRuns(TEAM_B)).items).toEqual([]);
  });

  it("a string that is not a parsed TeamId does not compile as a team", () => {
    const raw: string = TEAM_A;
    // @ts-expect-error a plain string is not a TeamId: parse it with parseTeamId at the boundary
    const call = () => bed.accounts.getAccount(raw, accountId);
    expect(typeof call).toBe("function");
  });
});
