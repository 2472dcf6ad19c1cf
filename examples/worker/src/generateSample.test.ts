import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ProwlerFindingSchema } from "@cspm/domain";
import { afterAll, describe, expect, it } from "vitest";
import { CATALOG_FRAMEWORKS, CATALOG_PROVIDERS, CHECK_CATALOG } from "./checkCatalog";
import { fileFindingSource } from "./findingSource";
import { DEFAULT_SAMPLE_ACCOUNTS, generateSampleFindings, writeSampleFile } from "./generateSample";
import { mapFinding, type MappedFinding } from "./prowlerFormat";

const dir = await mkdtemp(join(tmpdir(), "cspm-worker-sample-"));
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function mapAll(elements: Iterable<unknown>): MappedFinding[] {
  return [...elements].map((element, index) => {
    const result = mapFinding(element);
    if (!result.ok) throw new Error(`element ${index} did not map: ${JSON.stringify(result.issues)}`);
    return result.finding;
  });
}

const identity = (f: MappedFinding): string => JSON.stringify([f.account_id, f.check_id, f.resource_uid, f.region]);

describe("generateSampleFindings", () => {
  for (const provider of CATALOG_PROVIDERS) {
    for (const format of ["prowler", "ocsf"] as const) {
      it(`${provider} ${format}: exactly count findings that map and validate, with unique identities`, () => {
        const findings = mapAll(generateSampleFindings({ format, provider, count: 600, scanTime: new Date("2024-06-01T00:00:00Z") }));
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
    const prowler = mapAll(generateSampleFindings({ format: "prowler", count: 300, provider: "azure" }));
    const ocsf = mapAll(generateSampleFindings({ format: "ocsf", count: 300, provider: "azure" }));
    expect(ocsf.map(identity)).toEqual(prowler.map(identity));
    expect(ocsf.map((f) => f.status)).toEqual(prowler.map((f) => f.status));
  });

  it("is deterministic, and the seed changes outcomes but not resources", () => {
    const a = mapAll(generateSampleFindings({ format: "ocsf", count: 400, accountId: "210987654321" }));
    const b = mapAll(generateSampleFindings({ format: "ocsf", count: 400, accountId: "210987654321" }));
    const c = mapAll(generateSampleFindings({ format: "ocsf", count: 400, accountId: "210987654321", seed: "other" }));
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

  it("has unique check ids per provider", () => {
    for (const checks of Object.values(CHECK_CATALOG)) expect(new Set(checks.map((c) => c.checkId)).size).toBe(checks.length);
  });
});

describe("writeSampleFile", () => {
  it("writes a JSON array that parses whole and streams back through fileFindingSource", async () => {
    const path = join(dir, "sample.json");
    const result = await writeSampleFile(path, { format: "prowler", count: 250, provider: "gcp" });
    expect(result.count).toBe(250);
    const text = await readFile(path, "utf8");
    expect(result.bytes).toBe(Buffer.byteLength(text));
    const parsed = JSON.parse(text) as unknown[];
    expect(parsed).toHaveLength(250);
    const source = await fileFindingSource(path);
    let bytes = 0;
    const streamed: unknown[] = [];
    for await (const element of source.elements((read) => (bytes = read))) streamed.push(element);
    expect(streamed).toEqual(parsed);
    expect(bytes).toBe(result.bytes);
    expect(source.sizeBytes).toBe(result.bytes);
  });

  it("writes an empty array for count 0", async () => {
    const path = join(dir, "empty.json");
    await writeSampleFile(path, { format: "ocsf", count: 0 });
    expect(JSON.parse(await readFile(path, "utf8"))).toEqual([]);
  });
});
