import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readdirSync, readFileSync } from "node:fs";
import { ProwlerFindingSchema, type SightedFinding } from "@cspm/domain";
import { fileSource, formatById, openIngestion } from "@cspm/ingest";
import { afterAll, describe, expect, it } from "vitest";
import { CATALOG_FRAMEWORKS, CATALOG_PROVIDERS, CHECK_CATALOG } from "./checkCatalog";
import { DEFAULT_SAMPLE_ACCOUNTS, generateSampleFindings, type SampleFormat, writeSampleFile } from "./generateSample";
import { realScansDir } from "@cspm/testkit";

type MappedFinding = SightedFinding;

/** Prowler's real compliance catalogues (`../shared/fixtures/real-scans/compliance`, read in place, never copied). */
const COMPLIANCE_DIR = `${realScansDir()}/compliance`;

const dir = await mkdtemp(join(tmpdir(), "cspm-worker-sample-"));
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Maps every element with `@cspm/ingest`'s mapper of the sample's format (Prowler native JSON or OCSF). */
function mapAll(elements: Iterable<unknown>, format: SampleFormat): MappedFinding[] {
  const definition = formatById(format === "ocsf" ? "prowler-ocsf" : "prowler-json");
  if (definition === undefined) throw new Error("@cspm/ingest lost a Prowler format");
  const mapper = definition.createMapper({ scannedAt: new Date() });
  return [...elements].map((value, index) => {
    const out = mapper.map({ index, value });
    if (out.rejections.length > 0 || out.documents.length !== 1)
      throw new Error(`element ${index} did not map: ${JSON.stringify(out.rejections)}`);
    return out.documents[0]?.document as MappedFinding;
  });
}

const identity = (f: MappedFinding): string => JSON.stringify([f.account_id, f.check_id, f.resource_uid, f.region]);

describe("generateSampleFindings", () => {
  for (const provider of CATALOG_PROVIDERS) {
    for (const format of ["prowler", "ocsf"] as const) {
      it(`${provider} ${format}: exactly count findings that map and validate, with unique identities`, () => {
        const findings = mapAll(
          generateSampleFindings({ format, provider, count: 600, scanTime: new Date("2024-06-01T00:00:00Z") }),
          format,
        );
        expect(findings).toHaveLength(600);
        expect(new Set(findings.map(identity)).size).toBe(600);
        for (const finding of findings) {
          expect(finding.provider).toBe(provider);
          expect(finding.account_id).toBe(DEFAULT_SAMPLE_ACCOUNTS[provider]);
          const stored = ProwlerFindingSchema.safeParse({
            ...finding,
            team_id: "t",
            scan_id: "s",
            muted: finding.muted ?? false,
            first_seen_at: new Date(),
            last_seen_at: new Date(),
          });
          expect(stored.success, JSON.stringify(stored.error?.issues)).toBe(true);
        }
        const statuses = new Set(findings.map((f) => f.status));
        expect(statuses.has("PASS") && statuses.has("FAIL")).toBe(true);
        expect(new Set(findings.map((f) => f.severity)).size).toBeGreaterThanOrEqual(3);
        expect(new Set(findings.map((f) => f.region)).size).toBeGreaterThanOrEqual(4);
        expect(findings.some((f) => f.compliance.length > 0)).toBe(true);
      });
    }
  }

  it("describes the same resources in both formats, so either file upserts onto the same findings", () => {
    const prowler = mapAll(generateSampleFindings({ format: "prowler", count: 300, provider: "azure" }), "prowler");
    const ocsf = mapAll(generateSampleFindings({ format: "ocsf", count: 300, provider: "azure" }), "ocsf");
    expect(ocsf.map(identity)).toEqual(prowler.map(identity));
    expect(ocsf.map((f) => f.status)).toEqual(prowler.map((f) => f.status));
  });

  it("is deterministic, and the seed changes outcomes but not resources", () => {
    const a = mapAll(
      generateSampleFindings({ format: "ocsf", count: 400, accountId: "210987654321", scanTime: new Date("2024-06-01T00:00:00Z") }),
      "ocsf",
    );
    const b = mapAll(
      generateSampleFindings({ format: "ocsf", count: 400, accountId: "210987654321", scanTime: new Date("2024-06-01T00:00:00Z") }),
      "ocsf",
    );
    const c = mapAll(generateSampleFindings({ format: "ocsf", count: 400, accountId: "210987654321", seed: "other" }), "ocsf");
    expect(b).toEqual(a);
    expect(c.map(identity)).toEqual(a.map(identity));
    expect(c.map((f) => f.status)).not.toEqual(a.map((f) => f.status));
    expect(
      a.every(
        (f) => f.account_id === "210987654321" && (f.resource_uid.includes("210987654321") || f.resource_uid.startsWith("arn:aws:s3:::")),
      ),
    ).toBe(true);
  });

  it("refuses bad options with VALIDATION_FAILED", () => {
    expect(() => [...generateSampleFindings({ format: "xml" as never, count: 1 })]).toThrow(
      expect.objectContaining({ code: "VALIDATION_FAILED" }),
    );
    expect(() => [...generateSampleFindings({ format: "ocsf", count: -1 })]).toThrow(
      expect.objectContaining({ code: "VALIDATION_FAILED" }),
    );
    expect(() => [...generateSampleFindings({ format: "ocsf", count: 1, provider: "oracle" as never })]).toThrow(
      expect.objectContaining({ code: "VALIDATION_FAILED" }),
    );
  });
});

describe("the check catalogue", () => {
  /** Prowler's real catalogues of the shared fixtures, by `provider|compliance key`. */
  function realCatalogues(): Map<string, { Name: string; Requirements: { Id: string; Description: string; Checks: string[] }[] }> {
    const byKey = new Map<string, { Name: string; Requirements: { Id: string; Description: string; Checks: string[] }[] }>();
    for (const name of readdirSync(COMPLIANCE_DIR).filter((n) => n.endsWith(".json"))) {
      const framework = JSON.parse(readFileSync(`${COMPLIANCE_DIR}/${name}`, "utf8")) as {
        Framework: string;
        Version: string;
        Provider: string;
        Name: string;
        Requirements: { Id: string; Description: string; Checks: string[] }[];
      };
      const key = framework.Version === "" ? framework.Framework : `${framework.Framework}-${framework.Version}`;
      byKey.set(`${framework.Provider.toLowerCase()}|${key}`, framework);
    }
    return byKey;
  }

  it("maps every check only to requirements of the real catalogue of its provider that list that check", () => {
    const real = realCatalogues();
    const ours = new Map(CATALOG_FRAMEWORKS.map((f) => [`${f.provider}|${f.key}`, f]));
    let pairs = 0;
    for (const check of Object.values(CHECK_CATALOG).flat()) {
      for (const [key, ids] of Object.entries(check.compliance)) {
        const catalogue = real.get(`${check.provider}|${key}`);
        expect(catalogue, `${check.provider} ${check.checkId}: ${key}`).toBeDefined();
        expect(ours.get(`${check.provider}|${key}`), `${check.provider} ${key} in CATALOG_FRAMEWORKS`).toBeDefined();
        expect(ids.length).toBeGreaterThan(0);
        for (const id of ids) {
          const requirement = catalogue?.Requirements.find((r) => r.Id === id);
          expect(requirement?.Checks, `${check.provider} ${check.checkId}: ${key} ${id}`).toContain(check.checkId);
          pairs += 1;
        }
      }
    }
    expect(pairs).toBeGreaterThan(100);
    // Every check the real catalogue maps to one of our frameworks carries that mapping (nothing left out).
    for (const framework of CATALOG_FRAMEWORKS) {
      const catalogue = real.get(`${framework.provider}|${framework.key}`);
      for (const check of CHECK_CATALOG[framework.provider]) {
        const expected = (catalogue?.Requirements ?? []).filter((r) => r.Checks.includes(check.checkId)).map((r) => r.Id);
        expect(check.compliance[framework.key] ?? [], `${framework.provider} ${check.checkId} ${framework.key}`).toEqual(expected);
      }
    }
  });

  it("describes each framework as a subset of the real catalogue: its name and the requirements its checks map to", () => {
    const real = realCatalogues();
    for (const provider of CATALOG_PROVIDERS) {
      expect(
        CATALOG_FRAMEWORKS.some((f) => f.provider === provider && f.key === "CIS-2.0"),
        provider,
      ).toBe(true);
    }
    for (const framework of CATALOG_FRAMEWORKS) {
      const catalogue = real.get(`${framework.provider}|${framework.key}`);
      expect(catalogue?.Name, `${framework.provider} ${framework.key}`).toBe(framework.name);
      const used = new Set(CHECK_CATALOG[framework.provider].flatMap((c) => c.compliance[framework.key] ?? []));
      expect(new Set(framework.requirements.map((r) => r.id))).toEqual(used);
      for (const requirement of framework.requirements) {
        const original = catalogue?.Requirements.find((r) => r.Id === requirement.id);
        expect(original?.Description.replace(/\s+/g, " ").trim(), `${framework.key} ${requirement.id}`).toBe(requirement.description);
      }
    }
  });

  it("spells compliance keys as Prowler's real findings of the same provider do", () => {
    for (const provider of CATALOG_PROVIDERS) {
      const findings = JSON.parse(readFileSync(`${COMPLIANCE_DIR}/../prowler/prowler-5-${provider}.ocsf.json`, "utf8")) as {
        unmapped?: { compliance?: Record<string, string[]> };
      }[];
      const realKeys = new Set(findings.flatMap((f) => Object.keys(f.unmapped?.compliance ?? {})));
      expect(realKeys.has("CIS-2.0"), provider).toBe(true);
      for (const check of CHECK_CATALOG[provider]) {
        for (const key of Object.keys(check.compliance)) expect(key).toMatch(/^(CIS-\d\.\d|SOC2|ISO27001-\d{4})$/);
      }
    }
  });

  it("uses only check ids of Prowler's real compliance catalogues of the same provider", () => {
    const known = new Map<string, Set<string>>();
    for (const name of readdirSync(COMPLIANCE_DIR).filter((n) => n.endsWith(".json"))) {
      const framework = JSON.parse(readFileSync(`${COMPLIANCE_DIR}/${name}`, "utf8")) as {
        Provider: string;
        Requirements: { Checks: string[] }[];
      };
      const ids = known.get(framework.Provider.toLowerCase()) ?? new Set<string>();
      for (const requirement of framework.Requirements) for (const id of requirement.Checks) ids.add(id);
      known.set(framework.Provider.toLowerCase(), ids);
    }
    for (const [provider, checks] of Object.entries(CHECK_CATALOG)) {
      const ids = known.get(provider);
      expect(ids?.size, provider).toBeGreaterThan(50);
      expect(
        checks.map((c) => c.checkId).filter((id) => !ids?.has(id)),
        provider,
      ).toEqual([]);
    }
  });

  it("has unique check ids per provider", () => {
    for (const checks of Object.values(CHECK_CATALOG)) expect(new Set(checks.map((c) => c.checkId)).size).toBe(checks.length);
  });
});

describe("writeSampleFile", () => {
  it("writes a JSON array that parses whole and that @cspm/ingest detects and maps record by record", async () => {
    const path = join(dir, "sample.json");
    const result = await writeSampleFile(path, { format: "prowler", count: 250, provider: "gcp" });
    expect(result.count).toBe(250);
    const text = await readFile(path, "utf8");
    expect(result.bytes).toBe(Buffer.byteLength(text));
    const parsed = JSON.parse(text) as unknown[];
    expect(parsed).toHaveLength(250);
    const ingestion = await openIngestion(await fileSource(path));
    expect(ingestion.format).toBe("prowler-json");
    const events = [];
    for await (const event of ingestion.events) events.push(event);
    expect(events.filter((e) => e.kind === "rejection")).toEqual([]);
    expect(events).toHaveLength(250);
    expect(ingestion.stats.bytes).toBe(result.bytes);
    expect(ingestion.sizeBytes).toBe(result.bytes);
  });

  it("writes an empty array for count 0", async () => {
    const path = join(dir, "empty.json");
    await writeSampleFile(path, { format: "ocsf", count: 0 });
    expect(JSON.parse(await readFile(path, "utf8"))).toEqual([]);
  });
});
