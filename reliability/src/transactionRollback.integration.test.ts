import { parseTeamId, type TeamId } from "@cspm/repository";
/**
 * Fault: a transaction fails half-way. Failures are injected after real writes have happened inside the
 * transaction (evidence stored, assessment inserted); the raw driver must then show no trace of them —
 * and an existing assessment refreshed with a failure must be left exactly as it was.
 */
import type { SourceEvidence } from "@cspm/services";
import { AssessmentIntegrationService, EvidenceIntegrationService, GlobalAssessmentService } from "@cspm/services";
import { InternalError, isCspmError } from "@cspm/errors";
import { BSON, type ClientSession, type Document } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { complianceCatalog, findingDoc } from "./reliabilityFixtures";
import { openReliabilityTestbed, type ReliabilityTestbed } from "./reliabilityTestbed";

const TEAM = "team_tx";
const FRAMEWORK = "cis_aws_2.0";
const INPUT = { name: "Half-way", frameworkIds: [FRAMEWORK], frequency: "monthly" as const, startDate: "2024-06-01" };

let bed: ReliabilityTestbed;

/** Evidence that is really written (in the transaction) and then fails. */
class FailingAfterStore extends EvidenceIntegrationService {
  stored = 0;
  protected override async storeEvidence(
    teamId: TeamId,
    assessmentId: string,
    sources: readonly SourceEvidence[],
    session: ClientSession | undefined,
  ): Promise<void> {
    await super.storeEvidence(teamId, assessmentId, sources, session);
    this.stored += 1;
    throw new InternalError("injected failure after the evidence was written");
  }
}

/** Control evaluation that fails after evidence was collected and stored. */
class FailingEvaluation extends AssessmentIntegrationService {
  override async evaluateControls(
    ...args: Parameters<AssessmentIntegrationService["evaluateControls"]>
  ): ReturnType<AssessmentIntegrationService["evaluateControls"]> {
    await super.evaluateControls(...args);
    throw new InternalError("injected failure in control evaluation");
  }
}

async function teamDocs(): Promise<{ assessments: Document[]; evidence: Document[] }> {
  return {
    assessments: await bed.manager.getCollection("ASSESSMENTS", "global_assessments").find({ team_id: TEAM }).sort({ _id: 1 }).toArray(),
    evidence: await bed.manager.getCollection("ASSESSMENTS", "assessment_evidence").find({ team_id: TEAM }).sort({ _id: 1 }).toArray(),
  };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "resolved";
  } catch (error) {
    return isCspmError(error) ? error.code : `raw ${String(error)}`;
  }
}

/** The assessment service over the testbed's dependencies with failing collaborators (fault injection). */
function services(evidence: EvidenceIntegrationService, integration?: AssessmentIntegrationService): GlobalAssessmentService {
  const clock = () => new Date();
  return new GlobalAssessmentService({
    manager: bed.manager,
    repositories: bed.repositories,
    evidence,
    integration: integration ?? new AssessmentIntegrationService({ repositories: bed.repositories, evidence, clock }),
    clock,
  });
}

const evidenceDeps = () => ({ repositories: bed.repositories, clock: () => new Date() });

beforeAll(async () => {
  bed = await openReliabilityTestbed({ label: "tx" });
  await bed.manager.ensureIndexes({ databases: ["ASSESSMENTS", "CLOUD_SECURITY"] });
  const catalog = complianceCatalog(FRAMEWORK, [{ controlId: "1.5", checks: ["iam_root_mfa_enabled"] }]);
  await bed.seed("COMPLIANCE", "frameworks", [catalog.framework]);
  await bed.seed("COMPLIANCE", "controls", catalog.controls);
  await bed.seed("COMPLIANCE", "control_mappings", catalog.mappings);
  await bed.seed("CLOUD_SECURITY", "prowler_findings", [findingDoc(TEAM), findingDoc(TEAM, { status: "PASS" })]);
});

afterAll(async () => {
  await bed?.close();
});

describe("a transaction failing half-way leaves no partial writes", () => {
  it("createAssessment: a failure after the evidence was written leaves neither assessment nor evidence", async () => {
    const evidence = new FailingAfterStore(evidenceDeps());
    expect(await codeOf(services(evidence).createAssessment(parseTeamId(TEAM), INPUT))).toBe("INTERNAL");
    expect(evidence.stored).toBeGreaterThan(0);
    expect(await teamDocs()).toEqual({ assessments: [], evidence: [] });
  });

  it("createAssessment: a failure in control evaluation leaves nothing behind", async () => {
    const evidence = new EvidenceIntegrationService(evidenceDeps());
    const failing = new FailingEvaluation({ ...evidenceDeps(), evidence });
    expect(await codeOf(services(evidence, failing).createAssessment(parseTeamId(TEAM), INPUT))).toBe("INTERNAL");
    expect(await teamDocs()).toEqual({ assessments: [], evidence: [] });
  });

  it("refreshEvidence: a failure half-way leaves the existing assessment and its evidence byte-for-byte as they were", async () => {
    const created = await bed.assessments.createAssessment(parseTeamId(TEAM), INPUT);
    const before = await teamDocs();
    expect(before.assessments).toHaveLength(1);
    expect(before.evidence.length).toBeGreaterThan(0);
    // New findings, so a successful refresh would change the stored evidence.
    await bed.seed("CLOUD_SECURITY", "prowler_findings", [findingDoc(TEAM, { check_id: "iam_root_mfa_enabled", status: "FAIL" })]);
    const evidence = new FailingAfterStore(evidenceDeps());
    expect(await codeOf(services(evidence).refreshEvidence(parseTeamId(TEAM), created.id))).toBe("INTERNAL");
    expect(evidence.stored).toBe(1);
    const after = await teamDocs();
    expect(BSON.EJSON.stringify(after, { relaxed: false })).toBe(BSON.EJSON.stringify(before, { relaxed: false }));
    // The same refresh without the fault does change it: the rollback above was real.
    await bed.assessments.refreshEvidence(parseTeamId(TEAM), created.id);
    expect(BSON.EJSON.stringify(await teamDocs(), { relaxed: false })).not.toBe(BSON.EJSON.stringify(before, { relaxed: false }));
  });

  it("withTransaction across two databases: writes to both, then a throw, leaves neither", async () => {
    const accounts = bed.manager.getCollection("CLOUD_SECURITY", "enhanced_cloud_accounts");
    const settings = bed.manager.getCollection("PLATFORM", "settings");
    const outcome = await codeOf(
      bed.manager.withTransaction(async (session) => {
        await settings.insertOne({ team_id: TEAM, key: "tx-probe", value: 1, created_at: new Date(), updated_at: new Date() }, { session });
        await accounts.updateMany({ team_id: TEAM }, { $set: { name: "should roll back" } }, { session });
        await accounts.insertOne(
          { team_id: TEAM, provider: "aws", account_id: "123456789012", name: "tx", status: "pending", regions: [], tags: [] },
          { session },
        );
        expect(await settings.countDocuments({ team_id: TEAM }, { session })).toBe(1);
        throw new InternalError("injected failure after two databases were written");
      }),
    );
    expect(outcome).toBe("INTERNAL");
    expect(await settings.countDocuments({ team_id: TEAM })).toBe(0);
    expect(await accounts.countDocuments({ team_id: TEAM })).toBe(0);
  });
});
