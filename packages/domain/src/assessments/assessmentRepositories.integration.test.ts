import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { expectCspmError } from "../testing/expectCspmError";
import { type DomainTestContext, openDomainTestContext } from "../testing/openDomainTestContext";
import { AssessmentEvidenceRepository } from "./assessmentEvidenceRepository";
import { GlobalAssessmentRepository } from "./globalAssessmentRepository";

const A = "team-a";
const B = "team-b";
const T1 = new Date("2025-02-01T00:00:00Z");
const T2 = new Date("2025-02-02T00:00:00Z");

let ctx: DomainTestContext;
let evidence: AssessmentEvidenceRepository;
let assessments: GlobalAssessmentRepository;

beforeAll(async () => {
  ctx = await openDomainTestContext(["ASSESSMENTS"]);
  evidence = ctx.factory.get(AssessmentEvidenceRepository);
  assessments = ctx.factory.get(GlobalAssessmentRepository);
});

afterAll(async () => {
  await ctx?.dispose();
});

beforeEach(async () => {
  await ctx.raw("ASSESSMENTS", "assessment_evidence").deleteMany({});
  await ctx.raw("ASSESSMENTS", "global_assessments").deleteMany({});
});

describe("AssessmentEvidenceRepository.replaceForSource", () => {
  it("re-collection replaces the source's evidence; other sources stay", async () => {
    await evidence.replaceForSource(A, "assess-1", "cloud_security", {
      items: [{ check: "a" }, { check: "b" }, { check: "c" }],
      summary: { failed: 3, old_field: true },
      collectedAt: T1,
    });
    await evidence.replaceForSource(A, "assess-1", "vulnerabilities", { items: [{ cve: "CVE-2021-44228" }], summary: {}, collectedAt: T1 });
    const replaced = await evidence.replaceForSource(A, "assess-1", "cloud_security", {
      items: [{ check: "d" }],
      summary: { failed: 1 },
      collectedAt: T2,
    });

    expect(replaced.items).toEqual([{ check: "d" }]);
    expect(replaced.summary).toEqual({ failed: 1 });
    expect(replaced.item_count).toBe(1);
    expect(replaced.collected_at).toEqual(T2);
    const stored = await ctx.raw("ASSESSMENTS", "assessment_evidence").find({ team_id: A, assessment_id: "assess-1" }).toArray();
    expect(stored.map((d) => d["source"]).sort()).toEqual(["cloud_security", "vulnerabilities"]);

    expect(await evidence.summarize(A, "assess-1")).toEqual({
      collected_at: T2,
      total_items: 2,
      sources: [
        { source: "cloud_security", item_count: 1, collected_at: T2 },
        { source: "vulnerabilities", item_count: 1, collected_at: T1 },
      ],
    });
  });

  it("concurrent collections of one source leave exactly one document", async () => {
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        evidence.replaceForSource(A, "assess-2", "inventory", { items: [{ i }], summary: { i }, collectedAt: T1 }).catch(() => null),
      ),
    );
    expect(
      await ctx.raw("ASSESSMENTS", "assessment_evidence").countDocuments({ team_id: A, assessment_id: "assess-2", source: "inventory" }),
    ).toBe(1);
  });

  it("keeps teams apart", async () => {
    await evidence.replaceForSource(A, "assess-1", "cloud_security", { items: [{ team: "a" }], summary: {} });
    await evidence.replaceForSource(B, "assess-1", "cloud_security", { items: [{ team: "b" }], summary: {} });
    expect((await evidence.listForAssessment(A, "assess-1")).map((e) => e.items)).toEqual([[{ team: "a" }]]);
    expect((await evidence.findForSource(B, "assess-1", "cloud_security"))?.items).toEqual([{ team: "b" }]);
    expect(await evidence.deleteForAssessment(B, "assess-1")).toBe(1);
    expect(await evidence.listForAssessment(A, "assess-1")).toHaveLength(1);
    expect(await evidence.summarize(B, "assess-1")).toBeNull();
  });

  it("refuses unsafe item keys", async () => {
    await expectCspmError(
      evidence.replaceForSource(A, "assess-1", "cloud_security", { items: [{ $where: "1" }], summary: {} }),
      "VALIDATION_FAILED",
    );
    await expectCspmError(evidence.replaceForSource(A, "assess-1", "Cloud Security", { items: [], summary: {} }), "VALIDATION_FAILED");
  });
});

describe("GlobalAssessmentRepository", () => {
  const input = {
    name: "Q1 review",
    framework_ids: ["cis_aws_2.0"],
    frequency: "quarterly" as const,
    period_start: new Date("2025-01-01T00:00:00Z"),
    period_end: new Date("2025-03-31T00:00:00Z"),
    due_date: new Date("2025-04-15T00:00:00Z"),
  };

  it("moves draft -> in_progress -> completed and refuses other moves with CONFLICT", async () => {
    const created = await assessments.create(A, input);
    expect(created.status).toBe("draft");
    const early = await expectCspmError(assessments.complete(A, created._id, { score: 80 }), "CONFLICT");
    expect(early.details).toMatchObject({ from: "draft", to: "completed" });
    await assessments.start(A, created._id);
    const done = await assessments.complete(A, created._id, { score: 80, at: T2 });
    expect(done).toMatchObject({ status: "completed", score: 80, completed_at: T2 });
    await expectCspmError(assessments.start(A, created._id), "CONFLICT");
    await expectCspmError(assessments.start(B, created._id), "NOT_FOUND");
  });

  it("rejects a due date before the period end and lists due assessments per team", async () => {
    await expectCspmError(assessments.create(A, { ...input, due_date: new Date("2025-03-01T00:00:00Z") }), "VALIDATION_FAILED");
    await assessments.create(A, input);
    await assessments.create(B, input);
    const due = await assessments.findDueBefore(A, new Date("2025-05-01T00:00:00Z"));
    expect(due).toHaveLength(1);
    expect(due[0]?.team_id).toBe(A);
  });
});
