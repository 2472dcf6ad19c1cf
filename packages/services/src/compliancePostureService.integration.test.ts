import { readdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { isCspmError } from "@cspm/errors";
import { complianceRepositories, fileSource, importRepositories, importScan, loadComplianceCatalogue } from "@cspm/ingest";
import { parseTeamId, type TeamId } from "@cspm/repository";
import { findingDoc } from "@cspm/test-fixtures";
import { realScanFixture } from "@cspm/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RequirementStatus } from "./compliancePostureService";
import { expectIndexed, readPlansOf } from "./testing/indexUse";
import { openServicesTestbed, type ServicesTestbed } from "./testing/servicesTestbed";

const NOW = new Date("2024-06-15T12:00:00.000Z");
const A = parseTeamId("team_a"); // AWS only: the real Prowler 5 AWS scan plus passing findings
const B = parseTeamId("team_b"); // Azure only: the real Prowler 5 Azure scan
const C = parseTeamId("team_c"); // both scans
const AWS_ACCOUNT = "123456789012";
const AZURE_ACCOUNT = "8f4e2c1a-6b3d-4e5f-9a7b-2c1d0e9f8a7b";
const CATALOGUES = dirname(realScanFixture("compliance/cis_2.0_aws.json"));

let bed: ServicesTestbed;

interface Catalogue {
  Requirements: { Id: string; Checks: string[] }[];
}
const catalogue = (file: string): Catalogue => JSON.parse(readFileSync(`${CATALOGUES}/${file}`, "utf8")) as Catalogue;

async function failure(promise: Promise<unknown>): Promise<{ code: string; paths: string[] }> {
  try {
    await promise;
  } catch (error) {
    if (!isCspmError(error)) return { code: `raw:${String(error)}`, paths: [] };
    return { code: error.code, paths: ((error as { issues?: { path: string }[] }).issues ?? []).map((i) => i.path) };
  }
  return { code: "resolved", paths: [] };
}

/** What a requirement should show, computed here from the stored findings (read with the driver). */
async function expectedFor(
  team: TeamId,
  provider: string,
  key: string,
): Promise<Map<string, { pass: number; fail: number; manual: number }>> {
  const findings = await bed.manager
    .getCollection("CLOUD_SECURITY", "prowler_findings")
    .find({ team_id: team, provider, muted: false, resolved_at: { $exists: false } })
    .toArray();
  const byControl = new Map<string, { pass: number; fail: number; manual: number }>();
  for (const finding of findings) {
    for (const entry of (finding["compliance"] ?? []) as { framework: string; controls: string[] }[]) {
      if (entry.framework !== key) continue;
      for (const control of entry.controls) {
        const counts = byControl.get(control) ?? { pass: 0, fail: 0, manual: 0 };
        const status = String(finding["status"]).toLowerCase() as "pass" | "fail" | "manual";
        counts[status] += 1;
        byControl.set(control, counts);
      }
    }
  }
  return byControl;
}

const statusOf = (c: { pass: number; fail: number } | undefined): RequirementStatus =>
  c === undefined ? "manual" : c.fail > 0 ? "fail" : c.pass > 0 ? "pass" : "manual";

beforeAll(async () => {
  bed = await openServicesTestbed({ now: NOW, label: "compliance" });
  const repos = complianceRepositories(bed.repositories);
  for (const file of readdirSync(CATALOGUES).filter((f) => f.endsWith(".json")))
    await loadComplianceCatalogue(repos, await fileSource(`${CATALOGUES}/${file}`));
  const importer = importRepositories(bed.repositories);
  for (const team of [A, C])
    await importScan(importer, await fileSource(realScanFixture("prowler/prowler-5-aws.ocsf.json")), {
      teamId: team,
      account: AWS_ACCOUNT,
    });
  for (const team of [B, C])
    await importScan(importer, await fileSource(realScanFixture("prowler/prowler-5-azure.ocsf.json")), {
      teamId: team,
      account: AZURE_ACCOUNT,
    });
  const aws = { account_id: AWS_ACCOUNT, last_seen_at: NOW };
  await bed.seed("CLOUD_SECURITY", "prowler_findings", [
    // Passing evidence for AWS CIS 2.0 1.4 and 1.5 (team A), and a muted failure of 1.4 that must not fail it.
    findingDoc("team_a", {
      ...aws,
      check_id: "iam_no_root_access_key",
      status: "PASS",
      compliance: [{ framework: "CIS-2.0", controls: ["1.4"] }],
    }),
    findingDoc("team_a", {
      ...aws,
      check_id: "iam_root_mfa_enabled",
      status: "PASS",
      compliance: [{ framework: "CIS-2.0", controls: ["1.5"] }],
    }),
    findingDoc("team_a", {
      ...aws,
      check_id: "iam_no_root_access_key",
      status: "FAIL",
      muted: true,
      compliance: [{ framework: "CIS-2.0", controls: ["1.4"] }],
    }),
    // A resolved failure of 1.5: no longer current.
    findingDoc("team_a", {
      ...aws,
      check_id: "iam_root_mfa_enabled",
      status: "FAIL",
      resolved_at: NOW,
      resolved_by_scan: "old",
      compliance: [{ framework: "CIS-2.0", controls: ["1.5"] }],
    }),
    // Team C: an Azure failure keyed CIS-2.0 1.4 / 1.5 must not touch AWS CIS 2.0.
    findingDoc("team_c", {
      provider: "azure",
      account_id: AZURE_ACCOUNT,
      check_id: "entra_x",
      status: "FAIL",
      compliance: [{ framework: "CIS-2.0", controls: ["1.4", "1.5"] }],
    }),
  ]);
});

afterAll(async () => {
  await bed?.close();
});

describe("CompliancePostureService.listFrameworks", () => {
  it("lists the frameworks of the providers the team has findings of, with requirement counts and a score", async () => {
    const a = await bed.compliance.listFrameworks(A);
    expect(a.providers).toEqual(["aws"]);
    expect(a.frameworks.map((f) => f.framework_id).sort()).toEqual([
      "aws_cis-2.0",
      "aws_cis-3.0",
      "aws_iso27001-2022",
      "aws_nist-800-53-revision-5",
      "aws_soc2",
    ]);
    const b = await bed.compliance.listFrameworks(B);
    expect(b.providers).toEqual(["azure"]);
    expect(b.frameworks.map((f) => f.framework_id).sort()).toEqual(["azure_cis-2.0", "azure_cis-3.0"]);
    expect((await bed.compliance.listFrameworks(C)).providers).toEqual(["aws", "azure"]);
    expect(await bed.compliance.listFrameworks(parseTeamId("team_nobody"))).toMatchObject({ providers: [], frameworks: [] });
  });

  it("agrees with the findings and the real catalogue for every listed framework", async () => {
    for (const team of [A, B]) {
      const list = await bed.compliance.listFrameworks(team);
      for (const row of list.frameworks) {
        const expected = await expectedFor(team, row.provider, row.compliance_key);
        const controls = await bed.manager.getCollection("COMPLIANCE", "controls").find({ framework_id: row.framework_id }).toArray();
        const statuses = controls.map((c) => statusOf(expected.get(String(c["control_id"]))));
        const pass = statuses.filter((s) => s === "pass").length;
        const fail = statuses.filter((s) => s === "fail").length;
        expect(row, row.framework_id).toMatchObject({ total: controls.length, pass, fail, manual: controls.length - pass - fail });
        expect(row.score).toBe(pass + fail === 0 ? 0 : Math.round((pass / (pass + fail)) * 10_000) / 100);
      }
    }
    const cis = (await bed.compliance.listFrameworks(A)).frameworks.find((f) => f.framework_id === "aws_cis-2.0");
    expect(cis).toMatchObject({ provider: "aws", compliance_key: "CIS-2.0", total: 64 });
    expect(cis?.pass).toBeGreaterThan(0);
    expect(cis?.fail).toBeGreaterThan(0);
  });

  it("reads through indexes", async () => {
    const { plans } = await readPlansOf(bed.manager, () => bed.compliance.listFrameworks(A));
    expect(plans.map((p) => p.collection)).toEqual(["prowler_findings", "frameworks", "prowler_findings", "controls"]);
    expectIndexed(plans);
  });
});

describe("CompliancePostureService.getFramework", () => {
  it("gives every requirement its status, finding counts and the real catalogue's checks", async () => {
    const framework = await bed.compliance.getFramework(A, "aws_cis-2.0");
    const source = catalogue("cis_2.0_aws.json");
    expect(framework.requirements).toHaveLength(source.Requirements.length);
    const expected = await expectedFor(A, "aws", "CIS-2.0");
    for (const requirement of framework.requirements) {
      const fromFile = source.Requirements.find((r) => r.Id === requirement.requirement_id);
      expect(requirement.checks).toEqual([...new Set(fromFile?.Checks ?? [])].sort());
      const counts = expected.get(requirement.requirement_id) ?? { pass: 0, fail: 0, manual: 0 };
      expect(requirement.findings, requirement.requirement_id).toEqual(counts);
      expect(requirement.status).toBe(statusOf(expected.get(requirement.requirement_id)));
    }
    // 1.4 passes: its failure is muted. 1.5's failure is resolved.
    expect(framework.requirements.find((r) => r.requirement_id === "1.4")).toMatchObject({
      status: "pass",
      findings: { pass: 1, fail: 0 },
    });
    expect(framework.requirements.find((r) => r.requirement_id === "1.5")?.findings.fail).toBe(0);
    const listed = (await bed.compliance.listFrameworks(A)).frameworks.find((f) => f.framework_id === "aws_cis-2.0");
    expect({ ...framework, requirements: undefined, team_id: undefined, generated_at: undefined, description: undefined }).toMatchObject({
      ...listed,
    });
  });

  it("resolves compliance keys to the finding's own provider: Azure CIS 2.0 never counts for AWS CIS 2.0", async () => {
    const a = await bed.compliance.getFramework(A, "aws_cis-2.0");
    const c = await bed.compliance.getFramework(C, "aws_cis-2.0");
    const strip = (r: (typeof a.requirements)[number]) => [r.requirement_id, r.findings.fail];
    // Team C has the same AWS scan without A's extra findings; its Azure CIS-2.0 1.4 failure stays out.
    expect(c.requirements.find((r) => r.requirement_id === "1.4")?.findings).toEqual({ pass: 0, fail: 0, manual: 0 });
    expect(c.requirements.filter((r) => !["1.4", "1.5"].includes(r.requirement_id)).map(strip)).toEqual(
      a.requirements.filter((r) => !["1.4", "1.5"].includes(r.requirement_id)).map(strip),
    );
    const azure = await bed.compliance.getFramework(C, "azure_cis-2.0");
    expect(azure.provider).toBe("azure");
    expect(azure.requirements.length).toBe(catalogue("cis_2.0_azure.json").Requirements.length);
    expect(azure.fail).toBeGreaterThan(0);
  });

  it("is NOT_FOUND for an unknown id and for a framework of a provider the team has no findings of", async () => {
    expect(await failure(bed.compliance.getFramework(A, "aws_cis-9.9"))).toMatchObject({ code: "NOT_FOUND" });
    expect(await failure(bed.compliance.getFramework(A, "azure_cis-2.0"))).toMatchObject({ code: "NOT_FOUND" });
    expect(await failure(bed.compliance.getFramework(B, "aws_cis-2.0"))).toMatchObject({ code: "NOT_FOUND" });
    expect(await failure(bed.compliance.getFramework(parseTeamId("team_nobody"), "aws_cis-2.0"))).toMatchObject({ code: "NOT_FOUND" });
  });

  it("refuses a malformed id with its field path", async () => {
    expect(await failure(bed.compliance.getFramework(A, "../etc"))).toEqual({ code: "VALIDATION_FAILED", paths: ["frameworkId"] });
    expect(await failure(bed.compliance.getFramework(A, { $ne: null } as never))).toEqual({
      code: "VALIDATION_FAILED",
      paths: ["frameworkId"],
    });
  });

  it("reads through indexes", async () => {
    const { plans } = await readPlansOf(bed.manager, () => bed.compliance.getFramework(A, "aws_soc2"));
    expectIndexed(plans);
  });
});
