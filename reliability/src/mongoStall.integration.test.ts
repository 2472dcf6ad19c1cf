/**
 * A MongoDB that stalls — the connection stays open but nothing comes back (a frozen server, a black-holed
 * network) — must not hang the data layer: every service method answers UNAVAILABLE within the operation
 * timeout (plus slack), and the same process recovers when traffic flows again. The stall is a loopback
 * proxy in front of the test MongoDB that stops forwarding.
 */
import { isCspmError } from "@cspm/errors";
import { parseTeamId } from "@cspm/repository";
import { startTcpProxy, type TcpProxy, testMongoUri } from "@cspm/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openReliabilityTestbed, type ReliabilityTestbed } from "./reliabilityTestbed";
import { complianceCatalog, findingDoc } from "./reliabilityFixtures";

const TIMEOUT_MS = 1_000;
/** Generous slack over the timeout for a loaded CI machine; the measured worst case is printed. */
const BOUND_MS = TIMEOUT_MS + 2_000;
const TEAM = parseTeamId("team_stall");
const AWS = { access_key_id: "AKIAIOSFODNN7EXAMPLE", secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" };

let proxy: TcpProxy;
let bed: ReliabilityTestbed;
let accountId: string;
let assessmentId: string;

beforeAll(async () => {
  const target = new URL(testMongoUri());
  proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) });
  // directConnection: the driver must keep talking through the proxy, not discover the server's own address.
  bed = await openReliabilityTestbed({
    label: "stall",
    uri: `mongodb://${proxy.address}/?directConnection=true`,
    operationTimeoutMS: TIMEOUT_MS,
  });
  const catalog = complianceCatalog("cis_aws_2.0", [{ controlId: "1.5", checks: ["iam_root_mfa_enabled"] }]);
  await bed.seed("COMPLIANCE", "frameworks", [catalog.framework]);
  await bed.seed("COMPLIANCE", "controls", catalog.controls);
  await bed.seed("COMPLIANCE", "control_mappings", catalog.mappings);
  await bed.seed("CLOUD_SECURITY", "prowler_findings", [findingDoc(TEAM)]);
  accountId = (await bed.accounts.registerAccount(TEAM, { provider: "aws", accountId: "111111111111", name: "Stall" })).id;
  assessmentId = (
    await bed.assessments.createAssessment(TEAM, {
      name: "Stall",
      frameworkIds: ["cis_aws_2.0"],
      frequency: "monthly",
      startDate: "2024-06-01",
    })
  ).id;
}, 60_000);

afterAll(async () => {
  proxy?.stall(false);
  await bed?.close();
  await proxy?.stop();
});

type Call = [string, () => Promise<unknown>];

function calls(): Call[] {
  const { accounts, aggregation, evidence, integration, assessments } = bed;
  return [
    [
      "accounts.registerAccount",
      () => accounts.registerAccount(TEAM, { provider: "aws", accountId: "222222222222", name: "B", credentials: AWS }),
    ],
    ["accounts.getAccount", () => accounts.getAccount(TEAM, accountId)],
    ["accounts.listAccounts", () => accounts.listAccounts(TEAM, { limit: 5 })],
    ["accounts.updateAccount", () => accounts.updateAccount(TEAM, accountId, { name: "renamed" })],
    ["accounts.deactivateAccount", () => accounts.deactivateAccount(TEAM, accountId)],
    ["accounts.rotateCredentials", () => accounts.rotateCredentials(TEAM, accountId, AWS)],
    ["accounts.recordLastScan", () => accounts.recordLastScan(TEAM, accountId, { status: "completed" })],
    ["accounts.resolveAccounts", () => accounts.resolveAccounts(TEAM, ["111111111111"])],
    ["accounts.deleteAccount", () => accounts.deleteAccount(TEAM, accountId)],
    ["aggregation.getDashboardSummary", () => aggregation.getDashboardSummary(TEAM)],
    ["aggregation.getScanActivity", () => aggregation.getScanActivity(TEAM)],
    ["evidence.collectComprehensiveEvidence", () => evidence.collectComprehensiveEvidence(TEAM, assessmentId)],
    ["evidence.getEvidence", () => evidence.getEvidence(TEAM, assessmentId)],
    ["integration.evaluateControls", () => integration.evaluateControls(TEAM, assessmentId)],
    [
      "assessments.createAssessment",
      () =>
        assessments.createAssessment(TEAM, {
          name: "During",
          frameworkIds: ["cis_aws_2.0"],
          frequency: "monthly",
          startDate: "2024-07-01",
        }),
    ],
    ["assessments.refreshEvidence", () => assessments.refreshEvidence(TEAM, assessmentId)],
    ["assessments.getAssessment", () => assessments.getAssessment(TEAM, assessmentId)],
    ["assessments.listAssessments", () => assessments.listAssessments(TEAM)],
    ["assessments.startAssessment", () => assessments.startAssessment(TEAM, assessmentId)],
    ["assessments.completeAssessment", () => assessments.completeAssessment(TEAM, assessmentId)],
    ["assessments.transitionStatus", () => assessments.transitionStatus(TEAM, assessmentId, "in_progress")],
  ];
}

async function outcome(call: () => Promise<unknown>): Promise<{ code: string; ms: number }> {
  const started = performance.now();
  try {
    await call();
    return { code: "resolved", ms: performance.now() - started };
  } catch (error) {
    return { code: isCspmError(error) ? error.code : `raw ${String(error)}`, ms: performance.now() - started };
  }
}

describe("a stalled MongoDB", () => {
  it("every service method answers UNAVAILABLE within the operation timeout, then the process recovers", async () => {
    const results: Record<string, { code: string; ms: number }> = {};
    proxy.stall(true);
    try {
      for (const [name, call] of calls()) {
        await bed.accounts.invalidate(TEAM); // a cached answer would not reach MongoDB
        await bed.aggregation.invalidate(TEAM);
        results[name] = await outcome(call);
      }
    } finally {
      proxy.stall(false);
    }
    const worst = Math.max(...Object.values(results).map((r) => r.ms));
    console.info(`[mongoStall] timeout ${TIMEOUT_MS} ms: slowest UNAVAILABLE after ${Math.round(worst)} ms over ${calls().length} methods`);
    for (const [name, result] of Object.entries(results)) {
      expect({ name, code: result.code }).toEqual({ name, code: "UNAVAILABLE" });
      expect(result.ms, name).toBeLessThan(BOUND_MS);
    }
    // Recovery in place: the same services answer once the proxy forwards again.
    const view = await bed.accounts.listAccounts(TEAM);
    expect(view.items.length).toBeGreaterThan(0);
    expect((await bed.assessments.getAssessment(TEAM, assessmentId)).id).toBe(assessmentId);
  }, 120_000);

  it("a repository stream stops with UNAVAILABLE when a getMore stalls", async () => {
    await bed.seed(
      "CLOUD_SECURITY",
      "prowler_findings",
      Array.from({ length: 20 }, () => findingDoc(TEAM)),
    );
    const { ProwlerFindingRepository } = await import("@cspm/domain");
    const stream = bed.repositories.get(ProwlerFindingRepository).forTeam(TEAM).stream({}, { batchSize: 2 });
    const seen: unknown[] = [];
    const started = performance.now();
    let code = "none";
    try {
      for await (const doc of stream) {
        seen.push(doc);
        if (seen.length === 3) proxy.stall(true);
      }
    } catch (error) {
      code = isCspmError(error) ? error.code : "raw";
    } finally {
      proxy.stall(false);
    }
    expect(code).toBe("UNAVAILABLE");
    expect(seen.length).toBeGreaterThanOrEqual(3);
    expect(performance.now() - started).toBeLessThan(BOUND_MS);
  }, 60_000);
});
