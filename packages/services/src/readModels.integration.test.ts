/**
 * ScanRunQueryService, VulnerabilityService and AiGovernanceService against seeded stored documents of two
 * teams: keyset pages, counts, SLA state from the team's own policy and the injected clock, NOT_FOUND across
 * teams, bad input with field paths, index-backed reads.
 */
import { isCspmError } from "@cspm/errors";
import { parseTeamId } from "@cspm/repository";
import { aiModelAndAssessment, findingDoc, occurrenceDoc, scanRunDoc } from "@cspm/test-fixtures";
import { type Document, ObjectId } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectIndexed, readPlansOf } from "./testing/indexUse";
import { openServicesTestbed, type ServicesTestbed } from "./testing/servicesTestbed";

const NOW = new Date("2024-06-15T12:00:00.000Z");
const DAY = 86_400_000;
const daysAgo = (n: number): Date => new Date(NOW.getTime() - n * DAY);
const A = parseTeamId("team_a");
const B = parseTeamId("team_b");

let bed: ServicesTestbed;

async function failure(promise: Promise<unknown>): Promise<{ code: string; paths: string[] }> {
  try {
    await promise;
  } catch (error) {
    if (!isCspmError(error)) return { code: `raw:${String(error)}`, paths: [] };
    return { code: error.code, paths: ((error as { issues?: { path: string }[] }).issues ?? []).map((i) => i.path) };
  }
  return { code: "resolved", paths: [] };
}

const lifecycle = { inserted: 3, changed: 1, unchanged: 2, resolved: 1, reopened: 0 };
// Team A: 5 runs one day apart (the newest has lifecycle counts), team B: one run.
const runsA = [0, 1, 2, 3, 4].map((n) =>
  scanRunDoc("team_a", {
    created_at: daysAgo(n),
    ...(n === 0 ? { stats: { findings: 6, passed: 2, failed: 4, lifecycle, full: true } } : {}),
  }),
);
const runB = scanRunDoc("team_b", { created_at: daysAgo(0) });
const latest = (runsA[0]?.["_id"] as ObjectId).toHexString();

const policy = (team: string, name: string, isDefault: boolean, days: Document): Document => ({
  _id: new ObjectId(),
  team_id: team,
  name,
  days,
  is_default: isDefault,
  created_at: NOW,
  updated_at: NOW,
});

beforeAll(async () => {
  bed = await openServicesTestbed({ now: NOW, label: "readmodels" });
  await bed.seed("ORCHESTRATION", "scan_runs", [...runsA, runB]);
  await bed.seed("CLOUD_SECURITY", "prowler_findings", [
    // Last seen by the latest run: 2 critical FAIL, 1 high PASS; one muted FAIL left out.
    findingDoc("team_a", { scan_id: latest, severity: "critical", status: "FAIL" }),
    findingDoc("team_a", { scan_id: latest, severity: "critical", status: "FAIL" }),
    findingDoc("team_a", { scan_id: latest, severity: "high", status: "PASS" }),
    findingDoc("team_a", { scan_id: latest, severity: "high", status: "FAIL", muted: true }),
    // Resolved by the latest run (its scan_id is the run that last saw it).
    findingDoc("team_a", { scan_id: "older", severity: "medium", status: "FAIL", resolved_at: NOW, resolved_by_scan: latest }),
    // Team B's finding naming team A's run id must never count.
    findingDoc("team_b", { scan_id: latest, severity: "low", status: "FAIL" }),
  ]);

  // SLA: team A's default policy is 7/14/30/60/90 days; a non-default stricter one must be ignored.
  await bed.seed("VULNERABILITIES", "sla_policies", [
    policy("team_a", "standard", true, { critical: 7, high: 14, medium: 30, low: 60, informational: 90 }),
    policy("team_a", "strict", false, { critical: 1, high: 1, medium: 1, low: 1, informational: 1 }),
    policy("team_b", "lenient", true, { critical: 365, high: 365, medium: 365, low: 365, informational: 365 }),
  ]);
  const occ = (team: string, cve: string, severity: string, firstSeen: Date, extra: Document = {}) =>
    occurrenceDoc(team, { cve_id: cve, severity, first_seen_at: firstSeen, last_seen_at: NOW, sla_started_at: firstSeen, ...extra });
  await bed.seed("VULNERABILITIES", "vulnerability_occurrences", [
    occ("team_a", "CVE-2024-0001", "critical", daysAgo(10)), // due 06-12: breached, 3 days late
    occ("team_a", "CVE-2024-0002", "critical", daysAgo(7)), // due exactly now: not breached, 0 days left
    occ("team_a", "CVE-2024-0003", "high", daysAgo(3)), // due in 11 days
    occ("team_a", "CVE-2024-0004", "medium", daysAgo(31)), // breached by a day
    occ("team_a", "CVE-2024-0005", "high", daysAgo(40), { status: "mitigated", mitigated_at: daysAgo(1) }), // closed: never breached
    occ("team_a", "CVE-2024-0006", "low", daysAgo(1), { status: "accepted" }),
    occ("team_b", "CVE-2024-0001", "critical", daysAgo(100)), // breached under A's policy, not under B's
  ]);

  const models = [
    aiModelAndAssessment("team_a", { model: { name: "alpha", risk_tier: "high", status: "deployed" } }).model,
    aiModelAndAssessment("team_a", { model: { name: "beta", risk_tier: "limited", status: "approved" } }).model,
    aiModelAndAssessment("team_a", { model: { name: "gamma", risk_tier: "high", status: "in_review" } }).model,
    aiModelAndAssessment("team_b", { model: { name: "alpha", risk_tier: "unacceptable", status: "prohibited" } }).model,
  ];
  await bed.seed("AI_GOVERNANCE", "ai_models", models);
  const record = (model: Document, status: string, obligations: Document[]): Document => ({
    _id: new ObjectId(),
    team_id: model["team_id"],
    model_id: (model["_id"] as ObjectId).toHexString(),
    risk_tier: model["risk_tier"],
    obligations,
    status,
    reviewed_at: daysAgo(2),
    version: 1,
    created_at: NOW,
    updated_at: NOW,
  });
  await bed.seed("AI_GOVERNANCE", "eu_ai_act_compliance", [
    record(models[0] as Document, "partially_compliant", [
      { obligation_id: "art_9", title: "Risk management", status: "met" },
      { obligation_id: "art_10", title: "Data governance", status: "in_progress" },
    ]),
    record(models[3] as Document, "non_compliant", [{ obligation_id: "art_5", title: "Prohibited practice", status: "not_started" }]),
  ]);
});

afterAll(async () => {
  await bed?.close();
});

describe("ScanRunQueryService", () => {
  it("pages the team's runs newest first with a keyset cursor", async () => {
    const first = await bed.scanRuns.listScanRuns(A, { limit: 2 });
    expect(first.items.map((r) => r.created_at)).toEqual([daysAgo(0), daysAgo(1)]);
    expect(first.next_cursor).not.toBeNull();
    const second = await bed.scanRuns.listScanRuns(A, { limit: 2, cursor: first.next_cursor });
    const third = await bed.scanRuns.listScanRuns(A, { limit: 2, cursor: second.next_cursor });
    expect([...second.items, ...third.items].map((r) => r.created_at)).toEqual([daysAgo(2), daysAgo(3), daysAgo(4)]);
    expect(third.next_cursor).toBeNull();
    expect(first.items[0]).toMatchObject({ id: latest, findings: 6, passed: 2, failed: 4, full: true, lifecycle });
    expect(first.items[1]).toMatchObject({ lifecycle: null, full: false, findings: 10 });
    const b = await bed.scanRuns.listScanRuns(B);
    expect(b.items.map((r) => r.id)).toEqual([(runB["_id"] as ObjectId).toHexString()]);
  });

  it("refuses another team's cursor and bad page input", async () => {
    const first = await bed.scanRuns.listScanRuns(A, { limit: 1 });
    expect(await failure(bed.scanRuns.listScanRuns(B, { cursor: first.next_cursor }))).toMatchObject({ code: "VALIDATION_FAILED" });
    expect(await failure(bed.scanRuns.listScanRuns(A, { limit: 0 }))).toEqual({ code: "VALIDATION_FAILED", paths: ["limit"] });
    expect(await failure(bed.scanRuns.listScanRuns(A, { limit: 201 }))).toEqual({ code: "VALIDATION_FAILED", paths: ["limit"] });
    expect(await failure(bed.scanRuns.listScanRuns(A, { cursor: "" }))).toEqual({ code: "VALIDATION_FAILED", paths: ["cursor"] });
  });

  it("gives one run with its lifecycle counts and its findings by severity", async () => {
    const run = await bed.scanRuns.getScanRun(A, latest);
    expect(run).toMatchObject({ id: latest, status: "completed", lifecycle });
    expect(run.current_findings).toEqual({
      total: { critical: 2, high: 1, medium: 0, low: 0, informational: 0 },
      failing: { critical: 2, high: 0, medium: 0, low: 0, informational: 0 },
    });
    expect(run.resolved_by_severity).toEqual({ critical: 0, high: 0, medium: 1, low: 0, informational: 0 });
  });

  it("is NOT_FOUND across teams and for unknown ids; VALIDATION_FAILED for a malformed id", async () => {
    expect(await failure(bed.scanRuns.getScanRun(B, latest))).toMatchObject({ code: "NOT_FOUND" });
    expect(await failure(bed.scanRuns.getScanRun(A, new ObjectId().toHexString()))).toMatchObject({ code: "NOT_FOUND" });
    expect(await failure(bed.scanRuns.getScanRun(A, "nope"))).toEqual({ code: "VALIDATION_FAILED", paths: ["id"] });
  });

  it("reads through indexes", async () => {
    const { plans } = await readPlansOf(bed.manager, async () => {
      await bed.scanRuns.listScanRuns(A, { limit: 2 });
      await bed.scanRuns.getScanRun(A, latest);
    });
    expect(plans.map((p) => p.collection)).toEqual(["scan_runs", "scan_runs", "prowler_findings"]);
    expectIndexed(plans);
  });
});

describe("VulnerabilityService", () => {
  it("computes each occurrence's SLA from the team's default policy and the clock", async () => {
    const page = await bed.vulnerabilities.listOccurrences(A);
    expect(page.items.map((o) => o.cve_id)).toEqual([
      "CVE-2024-0005",
      "CVE-2024-0004",
      "CVE-2024-0001",
      "CVE-2024-0002",
      "CVE-2024-0003",
      "CVE-2024-0006",
    ]);
    const by = (cve: string) => page.items.find((o) => o.cve_id === cve)?.sla;
    expect(by("CVE-2024-0001")).toEqual({ policy: "standard", days: 7, due_at: daysAgo(3), days_left: -3, breached: true });
    expect(by("CVE-2024-0002")).toEqual({ policy: "standard", days: 7, due_at: NOW, days_left: 0, breached: false });
    expect(by("CVE-2024-0003")).toEqual({
      policy: "standard",
      days: 14,
      due_at: new Date(daysAgo(3).getTime() + 14 * DAY),
      days_left: 11,
      breached: false,
    });
    expect(by("CVE-2024-0004")).toMatchObject({ days: 30, days_left: -1, breached: true });
    expect(by("CVE-2024-0005")).toMatchObject({ days_left: null, breached: false });
    expect(by("CVE-2024-0006")).toMatchObject({ days: 60, days_left: null, breached: false });
  });

  it("filters by severity, status and breach, and pages", async () => {
    const cves = async (filter: Parameters<ServicesTestbed["vulnerabilities"]["listOccurrences"]>[1]) =>
      (await bed.vulnerabilities.listOccurrences(A, filter)).items.map((o) => o.cve_id);
    expect(await cves({ breached: true })).toEqual(["CVE-2024-0004", "CVE-2024-0001"]);
    expect(await cves({ breached: false })).toEqual(["CVE-2024-0005", "CVE-2024-0002", "CVE-2024-0003", "CVE-2024-0006"]);
    expect(await cves({ severity: ["critical"], breached: true })).toEqual(["CVE-2024-0001"]);
    expect(await cves({ status: ["mitigated", "accepted"] })).toEqual(["CVE-2024-0005", "CVE-2024-0006"]);
    expect(await cves({ status: ["mitigated"], breached: true })).toEqual([]);
    const first = await bed.vulnerabilities.listOccurrences(A, {}, { limit: 4 });
    const rest = await bed.vulnerabilities.listOccurrences(A, {}, { limit: 4, cursor: first.next_cursor });
    expect([...first.items, ...rest.items]).toHaveLength(6);
    expect(rest.next_cursor).toBeNull();
  });

  it("uses each team's own policy and data", async () => {
    const b = await bed.vulnerabilities.listOccurrences(B);
    expect(b.items.map((o) => [o.cve_id, o.sla?.policy, o.sla?.breached])).toEqual([["CVE-2024-0001", "lenient", false]]);
    expect((await bed.vulnerabilities.listOccurrences(B, { breached: true })).items).toEqual([]);
    const none = await bed.vulnerabilities.listOccurrences(parseTeamId("team_nobody"), { breached: true });
    expect(none).toEqual({ items: [], next_cursor: null });
  });

  it("summarises by status, open severity and breach", async () => {
    expect(await bed.vulnerabilities.getSummary(A)).toEqual({
      team_id: "team_a",
      generated_at: NOW,
      sla_policy: "standard",
      total: 6,
      by_status: { open: 4, mitigated: 1, accepted: 1, false_positive: 0 },
      open_by_severity: { critical: 2, high: 1, medium: 1, low: 0, informational: 0 },
      breached: 2,
      breached_by_severity: { critical: 1, high: 0, medium: 1, low: 0, informational: 0 },
    });
    expect(await bed.vulnerabilities.getSummary(B)).toMatchObject({ total: 1, breached: 0, sla_policy: "lenient" });
    expect(await bed.vulnerabilities.getSummary(parseTeamId("team_nobody"))).toMatchObject({ total: 0, breached: 0, sla_policy: null });
  });

  it("refuses bad filters with field paths", async () => {
    expect(await failure(bed.vulnerabilities.listOccurrences(A, { severity: ["severe" as never] }))).toEqual({
      code: "VALIDATION_FAILED",
      paths: ["filter.severity.0"],
    });
    expect(await failure(bed.vulnerabilities.listOccurrences(A, { status: [] }))).toEqual({
      code: "VALIDATION_FAILED",
      paths: ["filter.status"],
    });
    expect(await failure(bed.vulnerabilities.listOccurrences(A, { breached: "yes" as never }))).toEqual({
      code: "VALIDATION_FAILED",
      paths: ["filter.breached"],
    });
    expect(await failure(bed.vulnerabilities.listOccurrences(A, {}, { limit: 1000 }))).toEqual({
      code: "VALIDATION_FAILED",
      paths: ["page.limit"],
    });
  });

  it("reads through indexes", async () => {
    const { plans } = await readPlansOf(bed.manager, async () => {
      await bed.vulnerabilities.listOccurrences(A, { breached: true });
      await bed.vulnerabilities.getSummary(A);
    });
    expectIndexed(plans);
  });
});

describe("AiGovernanceService", () => {
  it("pages models by name with risk tier and EU AI Act status", async () => {
    const first = await bed.aiGovernance.listModels(A, { limit: 2 });
    expect(first.items.map((m) => [m.name, m.risk_tier, m.status, m.eu_ai_act_status, m.obligations])).toEqual([
      ["alpha", "high", "deployed", "partially_compliant", { done: 1, total: 2 }],
      ["beta", "limited", "approved", "not_assessed", { done: 0, total: 0 }],
    ]);
    const rest = await bed.aiGovernance.listModels(A, { limit: 2, cursor: first.next_cursor });
    expect(rest.items.map((m) => m.name)).toEqual(["gamma"]);
    expect(rest.next_cursor).toBeNull();
    expect((await bed.aiGovernance.listModels(B)).items.map((m) => [m.name, m.eu_ai_act_status])).toEqual([["alpha", "non_compliant"]]);
    expect(await failure(bed.aiGovernance.listModels(A, { limit: -1 }))).toEqual({ code: "VALIDATION_FAILED", paths: ["limit"] });
  });

  it("summarises by risk tier, status and EU AI Act status", async () => {
    expect(await bed.aiGovernance.getSummary(A)).toEqual({
      team_id: "team_a",
      generated_at: NOW,
      total: 3,
      by_risk_tier: { unacceptable: 0, high: 2, limited: 1, minimal: 0 },
      by_status: { proposed: 0, in_review: 1, approved: 1, deployed: 1, retired: 0, prohibited: 0 },
      by_eu_ai_act_status: { not_assessed: 2, non_compliant: 0, partially_compliant: 1, compliant: 0 },
    });
    expect((await bed.aiGovernance.getSummary(B)).by_risk_tier.unacceptable).toBe(1);
  });

  it("reads through indexes", async () => {
    const { plans } = await readPlansOf(bed.manager, async () => {
      await bed.aiGovernance.listModels(A);
      await bed.aiGovernance.getSummary(A);
    });
    expectIndexed(plans);
  });
});
