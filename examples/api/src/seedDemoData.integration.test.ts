import { createServiceContainer, TOKENS, type ServiceContainer } from "@cspm/container";
import { ControlMappingRepository, ControlRepository, FrameworkRepository } from "@cspm/domain";
import { systemActor } from "@cspm/identity";
import { parseTeamId } from "@cspm/repository";
import { dropDatabasesWithPrefix, realScansDir, testDatabasePrefix, testMongoUri } from "@cspm/testkit";
import { MongoClient } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoCatalogues, loadDemoComplianceCatalogue } from "./demoComplianceCatalogue";
import { seedDemoData, type DemoSeedResult } from "./seedDemoData";

/** Prowler's real compliance catalogues (`../shared/fixtures/real-scans/compliance`, read in place, never copied). */
const REAL_COMPLIANCE_DIR = `${realScansDir()}/compliance`;

const prefix = testDatabasePrefix("seedcat");
const KEYS = `k1:${Buffer.alloc(32, 7).toString("base64")}`;
const PROVIDERS = ["aws", "azure", "gcp"];

let client: MongoClient;
let services: ServiceContainer;
let seed: DemoSeedResult;
const saved = process.env["CSPM_COMPLIANCE_DIR"];

beforeAll(async () => {
  delete process.env["CSPM_COMPLIANCE_DIR"];
  client = await MongoClient.connect(testMongoUri());
  services = createServiceContainer({ mongodb: { uri: testMongoUri(), prefix: `${prefix}a_` }, encryptionKeys: KEYS });
  await services.initialize({ ensureIndexes: true });
  seed = await seedDemoData(services, { teams: 1, accountsPerTeam: 3, findingsPerAccount: 120, apiKeys: false, output: null });
});

afterAll(async () => {
  if (saved !== undefined) process.env["CSPM_COMPLIANCE_DIR"] = saved;
  await services?.dispose();
  await dropDatabasesWithPrefix(client, prefix);
  await client?.close();
});

describe("the demo seed's compliance catalogue", () => {
  it("is written by loadComplianceCatalogue, keyed by provider and Prowler's compliance key", () => {
    expect([...seed.frameworks].sort()).toEqual(["aws_cis-2.0", "aws_iso27001-2022", "aws_soc2", "azure_cis-2.0", "gcp_cis-2.0"].sort());
    // The built-in subset is in Prowler's own JSON shape.
    for (const catalogue of demoCatalogues()) {
      expect(catalogue.Requirements.length).toBeGreaterThan(0);
      for (const requirement of catalogue.Requirements) expect(requirement.Checks.length, requirement.Id).toBeGreaterThan(0);
    }
  });

  it("lists through GET /compliance/frameworks' service the frameworks of every provider, with passes and failures", async () => {
    const team = seed.teams[0];
    if (team === undefined) throw new Error("no team seeded");
    const teamId = parseTeamId(team.team_id);
    const list = await services.forActor(systemActor(teamId, "test")).compliance.listFrameworks(teamId);
    expect([...list.providers].sort()).toEqual(PROVIDERS);
    for (const provider of PROVIDERS) {
      const rows = list.frameworks.filter((f) => f.provider === provider);
      expect(rows.length, provider).toBeGreaterThan(0);
      for (const row of rows) {
        expect(row.pass, `${provider} ${row.compliance_key}`).toBeGreaterThan(0);
        expect(row.fail, `${provider} ${row.compliance_key}`).toBeGreaterThan(0);
      }
    }
    const cis = list.frameworks.filter((f) => f.compliance_key === "CIS-2.0");
    const aws = cis.find((f) => f.provider === "aws");
    const azure = cis.find((f) => f.provider === "azure");
    expect(aws?.framework_id).toBe("aws_cis-2.0");
    expect(azure?.framework_id).toBe("azure_cis-2.0");
    expect(aws?.name).toBe("CIS Amazon Web Services Foundations Benchmark v2.0.0");
    expect(azure?.name).toBe("CIS Microsoft Azure Foundations Benchmark v2.0.0");
    expect(aws?.total).not.toBe(azure?.total);
  });

  it("creates assessments that reference only framework ids the catalogue has", async () => {
    const team = seed.teams[0];
    if (team?.assessment_id === undefined) throw new Error("no assessment seeded");
    const assessment = await services.resolve(TOKENS.GlobalAssessmentService).getAssessment(parseTeamId(team.team_id), team.assessment_id);
    expect([...assessment.framework_ids].sort()).toEqual([...seed.frameworks].sort());
    const stored = await services.resolve(FrameworkRepository).shared().findMany({}, { limit: 100 });
    const ids = new Set(stored.map((f) => f.framework_id));
    for (const id of assessment.framework_ids) expect(ids.has(id), id).toBe(true);
  });
});

describe("CSPM_COMPLIANCE_DIR", () => {
  it("loads every Prowler catalogue of the folder instead of the built-in subset", async () => {
    const other = createServiceContainer({ mongodb: { uri: testMongoUri(), prefix: `${prefix}b_` }, encryptionKeys: KEYS });
    await other.initialize({ ensureIndexes: true });
    try {
      process.env["CSPM_COMPLIANCE_DIR"] = REAL_COMPLIANCE_DIR;
      const loaded = await loadDemoComplianceCatalogue({
        frameworks: other.resolve(FrameworkRepository),
        controls: other.resolve(ControlRepository),
        mappings: other.resolve(ControlMappingRepository),
      });
      const ids = loaded.map((l) => l.framework_id);
      expect(ids).toContain("aws_cis-2.0");
      expect(ids).toContain("azure_cis-3.0");
      expect(ids).toContain("aws_nist-800-53-revision-5");
      expect(loaded.find((l) => l.framework_id === "aws_cis-2.0")?.controls).toBe(64);
    } finally {
      delete process.env["CSPM_COMPLIANCE_DIR"];
      await other.dispose();
    }
  });
});
