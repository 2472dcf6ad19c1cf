import { trustedFilter } from "@cspm/repository";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DomainTestContext, openDomainTestContext } from "../testing/openDomainTestContext";
import { FindingRollupMarkRepository } from "./findingRollupMarkRepository";
import { FindingRollupRepository } from "./findingRollupRepository";
import { ProwlerFindingRepository, type SightedFinding } from "./prowlerFindingRepository";

const A = "team-a";
const B = "team-b";
const SEEN = new Date("2025-01-10T08:00:00Z");

let ctx: DomainTestContext;

beforeAll(async () => {
  ctx = await openDomainTestContext(["CLOUD_SECURITY"]);
});

afterAll(async () => {
  await ctx?.dispose();
});

function finding(account: string, i: number, overrides: Partial<SightedFinding> = {}): SightedFinding {
  return {
    source: "prowler",
    provider: "aws",
    account_id: account,
    check_id: i % 2 === 0 ? "iam_root_mfa_enabled" : "s3_bucket_public_access",
    check_title: i % 2 === 0 ? "Root MFA" : "Public buckets",
    status: i % 3 === 0 ? "PASS" : "FAIL",
    status_extended: "x",
    severity: i % 2 === 0 ? "critical" : "high",
    service_name: i % 2 === 0 ? "iam" : "s3",
    region: "us-east-1",
    resource_uid: `arn:aws:s3:::${account}-${i}`,
    resource_type: "Other",
    resource_name: `r-${i}`,
    resource_tags: [],
    compliance: [{ framework: "CIS-2.0", controls: ["1.1"] }],
    ...overrides,
  };
}

const marksOf = async (team: string) =>
  (await ctx.factory.get(FindingRollupMarkRepository).list(team, null, 1_000)).map((m) => [m.account_id, m.generation]);

describe("FindingRollupRepository", () => {
  it("every write of findings marks the accounts it touches (or `*`), only in its own team, and refresh clears them", async () => {
    const findings = ctx.factory.get(ProwlerFindingRepository);
    const rollups = ctx.factory.get(FindingRollupRepository);
    await findings.recordSightings(A, "scan-1", [finding("111111111111", 0), finding("222222222222", 1)], { seenAt: SEEN });
    // Marked before and after the write: generation 2.
    expect(await marksOf(A)).toEqual([
      ["111111111111", 2],
      ["222222222222", 2],
    ]);
    expect(await marksOf(B)).toEqual([]);
    expect(await rollups.staleSince(A)).toBeInstanceOf(Date);
    expect(await rollups.refresh(A)).toMatchObject({ accounts: 2 });
    expect(await marksOf(A)).toEqual([]);
    expect(await rollups.staleSince(A)).toBeNull();

    await findings.forTeam(A).updateMany(trustedFilter({ check_id: "s3_bucket_public_access" }), { $set: { status: "PASS" } });
    expect(await marksOf(A)).toEqual([["*", 2]]);
    await findings.forTeam(A).deleteMany({ account_id: "111111111111", check_id: "nothing" });
    expect(await marksOf(A)).toEqual([
      ["*", 2],
      ["111111111111", 2],
    ]);
    await rollups.refresh(A);
    expect(await marksOf(A)).toEqual([]);
    expect((await rollups.verify(A)).mismatched).toEqual([]);
    const s3 = await rollups.forTeam(A).findMany({ dimension: "check", key: "s3_bucket_public_access" }, { sort: { account_id: 1 } });
    // The account's row and the team-wide row (no account fails the check any more).
    expect(s3.map((r) => [r.account_id, r.total, r.passed, r.failed, r.failing_accounts])).toEqual([
      ["#team", 1, 1, 0, []],
      ["222222222222", 1, 1, 0, undefined],
    ]);
  });

  it("a write that lands while a rebuild runs keeps its mark: the rebuild clears only the generation it saw", async () => {
    const marks = ctx.factory.get(FindingRollupMarkRepository);
    await marks.mark(B, ["333333333333"]);
    const seen = await marks.list(B, null, 10);
    await marks.mark(B, ["333333333333"]); // the write's own "after" mark, once the rebuild has read the findings
    await marks.clear(B, seen);
    expect(await marksOf(B)).toEqual([["333333333333", 2]]);
    await ctx.factory.get(FindingRollupRepository).refresh(B);
    expect(await marksOf(B)).toEqual([]);
  });

  it("concurrent refreshes write each row once, and an interrupted refresh is finished by the next one", async () => {
    const findings = ctx.factory.get(ProwlerFindingRepository);
    const rollups = ctx.factory.get(FindingRollupRepository);
    const accounts = Array.from({ length: 45 }, (_, i) => String(500_000_000_000 + i));
    await findings.recordSightings(
      B,
      "scan-b",
      accounts.flatMap((account, i) => [finding(account, i), finding(account, i + 1)]),
      { seenAt: SEEN },
    );
    await expect(
      rollups.refresh(B, (progress) => {
        if (progress.accounts >= 20) throw new Error("interrupted");
      }),
    ).rejects.toThrow("interrupted");
    // The 25 accounts it did not reach, and the team-wide rows that follow the 20 it did.
    expect((await marksOf(B)).length).toBe(26);
    expect((await marksOf(B))[0]?.[0]).toBe("#team");
    expect((await rollups.verify(B)).mismatched.length).toBeGreaterThan(0);

    await Promise.all([rollups.refresh(B), rollups.refresh(B), rollups.rebuild(B)]);
    expect(await marksOf(B)).toEqual([]);
    expect((await rollups.verify(B)).mismatched).toEqual([]);
    const all = await rollups.forTeam(B).count({ dimension: "all" });
    expect(all).toBe(accounts.length);
  });
});
