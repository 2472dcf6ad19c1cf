import { readdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FrameworkRepository } from "@cspm/domain";
import { importScan } from "../importScan";
import { bufferSource, fileSource } from "../read/byteSource";
import { type IngestTestContext, openIngestTestContext } from "../testing/ingestTestContext";
import { FIXTURE_ACCOUNTS, realScan } from "../testing/realScans";
import { complianceRepositories, loadComplianceCatalogue } from "./loadComplianceCatalogue";

let ctx: IngestTestContext;
beforeAll(async () => {
  ctx = await openIngestTestContext();
});
afterAll(async () => {
  await ctx?.dispose();
});

const FOLDER = dirname(realScan("compliance/cis_2.0_aws.json"));
const FILES = readdirSync(FOLDER)
  .filter((f) => f.endsWith(".json"))
  .sort();

describe("Prowler compliance catalogues", () => {
  it("loads every catalogue keyed by provider + framework + version, idempotently", async () => {
    const repos = complianceRepositories(ctx.factory);
    const results = [];
    for (const file of FILES) results.push(await loadComplianceCatalogue(repos, await fileSource(`${FOLDER}/${file}`)));
    expect(results.map((r) => r.framework_id).sort()).toEqual([
      "aws_cis-2.0",
      "aws_cis-3.0",
      "aws_iso27001-2022",
      "aws_nist-800-53-revision-5",
      "aws_soc2",
      "azure_cis-2.0",
      "azure_cis-3.0",
      "gcp_cis-2.0",
      "gcp_cis-3.0",
      "kubernetes_cis-1.10",
    ]);
    const awsCis = JSON.parse(readFileSync(`${FOLDER}/cis_2.0_aws.json`, "utf8")) as { Requirements: { Id: string; Checks: string[] }[] };
    const expectedMappings = new Set(awsCis.Requirements.flatMap((r) => r.Checks.map((c) => `${r.Id}/${c}`))).size;
    expect(results.find((r) => r.framework_id === "aws_cis-2.0")).toMatchObject({
      compliance_key: "CIS-2.0",
      provider: "aws",
      controls: awsCis.Requirements.length,
      mappings: expectedMappings,
    });

    const frameworks = ctx.raw("COMPLIANCE", "frameworks");
    expect(await frameworks.countDocuments({ compliance_key: "CIS-2.0" })).toBe(3);
    expect(await frameworks.findOne({ framework_id: "azure_cis-2.0" })).toMatchObject({
      provider: "azure",
      framework_version: "2.0",
      name: "CIS Microsoft Azure Foundations Benchmark v2.0.0",
      source: "prowler",
    });
    expect(await ctx.raw("COMPLIANCE", "controls").findOne({ framework_id: "aws_cis-2.0", control_id: "1.1" })).toMatchObject({
      title: "Maintain current contact details",
    });
    expect(
      await ctx
        .raw("COMPLIANCE", "control_mappings")
        .findOne({ framework_id: "aws_cis-2.0", control_id: "1.1", check_id: "account_maintain_current_contact_details" }),
    ).not.toBeNull();
    // NIST 800-53 lists one requirement id twice: one control, its checks merged.
    expect(await ctx.raw("COMPLIANCE", "controls").countDocuments({ framework_id: "aws_nist-800-53-revision-5" })).toBe(
      results.find((r) => r.framework_id === "aws_nist-800-53-revision-5")?.controls,
    );

    const counts = async () =>
      Promise.all(["frameworks", "controls", "control_mappings"].map((c) => ctx.raw("COMPLIANCE", c).countDocuments({})));
    const before = await counts();
    const updatedAt = (await frameworks.findOne({ framework_id: "aws_cis-2.0" }))?.["updated_at"];
    const again = await loadComplianceCatalogue(repos, await fileSource(`${FOLDER}/cis_2.0_aws.json`));
    expect(again).toMatchObject({ mappings_inserted: 0, mappings_removed: 0 });
    expect(await counts()).toEqual(before);
    expect((await frameworks.findOne({ framework_id: "aws_cis-2.0" }))?.["updated_at"]).toEqual(updatedAt);

    // A newer edition of the file without one check: its mappings follow the file.
    const trimmed = { ...awsCis, Requirements: awsCis.Requirements.map((r) => (r.Id === "1.1" ? { ...r, Checks: [] } : r)) };
    const replaced = await loadComplianceCatalogue(repos, bufferSource(JSON.stringify(trimmed), "cis_2.0_aws.json"));
    expect(replaced.mappings_removed).toBe(1);
    expect(await ctx.raw("COMPLIANCE", "control_mappings").countDocuments({ framework_id: "aws_cis-2.0", control_id: "1.1" })).toBe(0);
  });

  it("a finding's compliance keys resolve to its own provider's framework", async () => {
    const repos = complianceRepositories(ctx.factory);
    for (const file of ["cis_2.0_aws.json", "cis_2.0_azure.json"])
      await loadComplianceCatalogue(repos, await fileSource(`${FOLDER}/${file}`));
    await importScan(ctx.repositories, await fileSource(realScan("prowler/prowler-5-azure.ocsf.json")), {
      teamId: "team-cmp",
      account: FIXTURE_ACCOUNTS.azure,
    });
    const finding = await ctx
      .raw("CLOUD_SECURITY", "prowler_findings")
      .findOne({ team_id: "team-cmp", check_id: "appinsights_ensure_is_configured" });
    const keys = (finding?.["compliance"] as { framework: string }[]).map((c) => c.framework);
    const resolved = await ctx.factory.get(FrameworkRepository).resolveComplianceKeys(String(finding?.["provider"]), keys);
    expect(resolved.get("CIS-2.0")).toMatchObject({ framework_id: "azure_cis-2.0", provider: "azure" });
    // Keys without a loaded catalogue do not resolve (ENS-RD2022, CIS-2.1 …).
    expect(resolved.has("ENS-RD2022")).toBe(false);
    expect((await ctx.factory.get(FrameworkRepository).resolveComplianceKeys("aws", ["CIS-2.0"])).get("CIS-2.0")?.framework_id).toBe(
      "aws_cis-2.0",
    );
  });

  it("refuses a file that is not a compliance catalogue", async () => {
    await expect(
      loadComplianceCatalogue(complianceRepositories(ctx.factory), await fileSource(realScan("prowler/prowler-3-aws-one.json"))),
    ).rejects.toMatchObject({ code: "VALIDATION_FAILED" });
  });
});
