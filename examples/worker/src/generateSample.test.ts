import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ProwlerFindingSchema, type SightedFinding } from "@cspm/domain";
import { fileSource, formatById, openIngestion } from "@cspm/ingest";
import { afterAll, describe, expect, it } from "vitest";
import { CATALOG_FRAMEWORKS, CATALOG_PROVIDERS, CHECK_CATALOG } from "./checkCatalog";
import { DEFAULT_SAMPLE_ACCOUNTS, generateSampleFindings, type SampleFormat, writeSampleFile } from "./generateSample";

type MappedFinding = SightedFinding;

/** Prowler's real compliance catalogues (`../shared/fixtures/real-scans/compliance`, read in place, never copied). */
const COMPLIANCE_DIR = process.env["CSPM_FIXTURES_DIR"]
  ? `${process.env["CSPM_FIXTURES_DIR"]}/real-scans/compliance`
  : fileURLToPath(new URL("../../../../shared/fixtures/real-scans/compliance", import.meta.url));

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
  it("maps every compliance control a check names to a framework control with a title", () => {
    const byKey = new Map(CATALOG_FRAMEWORKS.map((f) => [f.key, f]));
    for (const check of Object.values(CHECK_CATALOG).flat()) {
      for (const [key, controls] of Object.entries(check.compliance)) {
        const framework = byKey.get(key);
        expect(framework, `${check.checkId}: ${key}`).toBeDefined();
        for (const control of controls) expect(framework?.controls[control], `${check.checkId}: ${key} ${control}`).toBeTruthy();
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
