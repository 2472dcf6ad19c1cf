import { globToRegexSource, muteRuleFindingFilter, muteRuleMatches } from "@cspm/domain";
import { isCspmError, ValidationError } from "@cspm/errors";
import { systemActor } from "@cspm/identity";
import { parseTeamId } from "@cspm/repository";
import type { Document } from "mongodb";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { seedTwoTeams, TEAM_B_ACCOUNT } from "./testing/findingSeed";
import { openServicesTestbed, type ServicesTestbed } from "./testing/servicesTestbed";

const A = parseTeamId("team_a");
const B = parseTeamId("team_b");
const NOW = new Date("2024-06-20T00:00:00.000Z");
const SINCE = new Date("2024-05-25T00:00:00.000Z");
let bed: ServicesTestbed;

const findingsOf = (team: string): Promise<Document[]> =>
  bed.manager.getCollection("CLOUD_SECURITY", "prowler_findings").find({ team_id: team }).toArray();
const auditOf = (team: string, action: string): Promise<Document[]> =>
  bed.manager.getCollection("PLATFORM", "audit_logs").find({ team_id: team, action }).toArray();

async function failure(promise: Promise<unknown>): Promise<{ code: string; paths: string[] }> {
  try {
    await promise;
  } catch (error) {
    if (!isCspmError(error)) throw error;
    return { code: error.code, paths: error instanceof ValidationError ? error.issues.map((i) => i.path) : [] };
  }
  throw new Error("expected a failure");
}

beforeAll(async () => {
  bed = await openServicesTestbed({ label: "mute", now: NOW });
}, 60_000);

beforeEach(async () => {
  for (const name of ["prowler_findings", "mute_rules"]) await bed.manager.getCollection("CLOUD_SECURITY", name).deleteMany({});
  await bed.manager.getCollection("PLATFORM", "audit_logs").deleteMany({});
  await seedTwoTeams(bed.repositories);
});

afterAll(async () => {
  await bed?.close();
});

describe("MuteRuleService through ActorServices", () => {
  const analyst = () => bed.forActor(systemActor(A, "analyst-1", "analyst"), { requestId: "req-1" });

  it("a rule mutes exactly the matching findings of its team, leaves the figures, and is audited once", async () => {
    const before = await bed.aggregation.getDashboardSummary(A, { since: SINCE });
    const created = await analyst().muteRules.createRule(A, {
      name: "IAM of the first account",
      reason: "Root account is break-glass only",
      checkIds: ["iam_root_mfa_enabled", "s3_bucket_public_access"],
      resourceUidPattern: "arn:a:*:111111111111:resource/prod-0?0",
    });
    const id = created.rule.id;
    const criteria = {
      check_ids: ["iam_root_mfa_enabled", "s3_bucket_public_access"],
      resource_uid_pattern: "arn:a:*:111111111111:resource/prod-0?0",
    };
    const teamA = await findingsOf("team_a");
    const expected = teamA.filter((d) => muteRuleMatches(criteria, d as never));
    expect(expected.length).toBeGreaterThan(0);
    expect(created.muted).toBe(expected.length);
    for (const doc of teamA) {
      const matched = expected.includes(doc);
      expect(doc.muted, doc.resource_uid).toBe(matched);
      expect(doc.muted_by_rule ?? [], doc.resource_uid).toEqual(matched ? [id] : []);
    }
    // The other team's identically shaped findings are untouched.
    expect((await findingsOf("team_b")).filter((d) => d.muted_by_rule !== undefined)).toEqual([]);
    // Posture figures leave the muted findings out.
    const after = await bed.aggregation.getDashboardSummary(A, { since: SINCE });
    const mutedInWindow = expected.filter((d) => d.last_seen_at >= SINCE).length;
    expect(after.totals.findings).toBe(before.totals.findings - mutedInWindow);
    // One audit entry, with the actor and the rule's id.
    const entries = await auditOf("team_a", "mute_rule.create");
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ outcome: "success", request_id: "req-1", target: { type: "mute_rule", id } });
    // The finding list sees them as muted.
    const mutedPage = await bed.findings.listFindings(A, { muted: true }, { limit: 500 });
    expect(mutedPage.items.map((i) => i.id).sort()).toEqual(expected.map((d) => d._id.toHexString()).sort());
  });

  it("the in-process matcher and the stored filter agree, and the glob is regex-injection safe", async () => {
    const docs = await findingsOf("team_a");
    const raw = bed.manager.getCollection("CLOUD_SECURITY", "prowler_findings");
    const rules = [
      { check_ids: ["kms_cmk_rotation_enabled"], regions: ["global", "eu-west-1"] },
      { account_ids: ["333333333333"], tags: [{ key: "env", value: "prod" }] },
      { resource_uid_pattern: "arn:a:s3:*" },
      { resource_uid_pattern: "arn:a:.*" },
      { resource_uid_pattern: "*(prod|dev)*" },
      { resource_uid_pattern: "arn:a:iam:us-east-1:111111111111:resource/prod-000" },
    ];
    for (const rule of rules) {
      const stored = await raw.find({ team_id: "team_a", ...muteRuleFindingFilter(rule) }).toArray();
      const inProcess = docs.filter((d) => muteRuleMatches(rule, d as never));
      expect(stored.map((d) => d._id.toHexString()).sort(), JSON.stringify(rule)).toEqual(inProcess.map((d) => d._id.toHexString()).sort());
    }
    expect(globToRegexSource("a.b*c?(d)")).toBe("^a\\.b.*c.\\(d\\)$");
    expect(docs.filter((d) => muteRuleMatches({ resource_uid_pattern: "arn:a:.*" }, d as never))).toEqual([]);
  });

  it("update re-applies the rule; delete unmutes its findings; both audited", async () => {
    const { rule } = await analyst().muteRules.createRule(A, {
      name: "kms",
      reason: "Rotation handled by HSM",
      checkIds: ["kms_cmk_rotation_enabled"],
    });
    const kms = (await findingsOf("team_a")).filter((d) => d.check_id === "kms_cmk_rotation_enabled");
    expect(kms.every((d) => d.muted === true)).toBe(true);

    const updated = await analyst().muteRules.updateRule(A, rule.id, { checkIds: null, regions: ["global"] });
    expect(updated.rule).toMatchObject({ id: rule.id, regions: ["global"] });
    expect(updated.rule).not.toHaveProperty("check_ids");
    for (const doc of await findingsOf("team_a")) expect(doc.muted, `${doc.check_id} ${doc.region}`).toBe(doc.region === "global");

    const disabled = await analyst().muteRules.updateRule(A, rule.id, { enabled: false });
    expect(disabled.muted).toBe(0);
    expect((await findingsOf("team_a")).some((d) => d.muted)).toBe(false);
    await analyst().muteRules.updateRule(A, rule.id, { enabled: true });

    const deleted = await analyst().muteRules.deleteRule(A, rule.id);
    expect(deleted).toMatchObject({ id: rule.id, deleted: true });
    expect(deleted.unmuted).toBeGreaterThan(0);
    const after = await findingsOf("team_a");
    expect(after.some((d) => d.muted || d.muted_by_rule !== undefined)).toBe(false);
    expect(await auditOf("team_a", "mute_rule.update")).toHaveLength(3);
    expect(await auditOf("team_a", "mute_rule.delete")).toHaveLength(1);
    expect((await failure(analyst().muteRules.getRule(A, rule.id))).code).toBe("NOT_FOUND");
  });

  it("two rules on one finding: deleting one keeps it muted by the other", async () => {
    const one = await analyst().muteRules.createRule(A, { name: "one", reason: "r", checkIds: ["s3_bucket_public_access"] });
    const two = await analyst().muteRules.createRule(A, { name: "two", reason: "r", regions: ["us-east-1"] });
    await analyst().muteRules.deleteRule(A, one.rule.id);
    for (const doc of await findingsOf("team_a")) {
      expect(doc.muted).toBe(doc.region === "us-east-1");
      if (doc.region === "us-east-1") expect(doc.muted_by_rule).toEqual([two.rule.id]);
    }
  });

  it("lists and reads only the team's rules; another team's rule is NOT_FOUND", async () => {
    const mine = await analyst().muteRules.createRule(A, { name: "mine", reason: "r", checkIds: ["s3_bucket_public_access"] });
    const bAnalyst = bed.forActor(systemActor(B, "analyst-b", "analyst"));
    const theirs = await bAnalyst.muteRules.createRule(B, { name: "theirs", reason: "r", accountIds: [TEAM_B_ACCOUNT] });
    const page = await analyst().muteRules.listRules(A);
    expect(page.items.map((r) => r.id)).toEqual([mine.rule.id]);
    expect(page.hasMore).toBe(false);
    expect((await failure(analyst().muteRules.getRule(A, theirs.rule.id))).code).toBe("NOT_FOUND");
    expect((await failure(analyst().muteRules.updateRule(A, theirs.rule.id, { enabled: false }))).code).toBe("NOT_FOUND");
    expect((await failure(analyst().muteRules.deleteRule(A, theirs.rule.id))).code).toBe("NOT_FOUND");
    expect((await findingsOf("team_b")).every((d) => d.muted_by_rule?.[0] === theirs.rule.id)).toBe(true);
    expect((await findingsOf("team_a")).filter((d) => d.muted).every((d) => d.check_id === "s3_bucket_public_access")).toBe(true);
  });

  it("a viewer cannot change rules (FORBIDDEN, nothing muted, a denied audit entry); bad input has field paths", async () => {
    const viewer = bed.forActor(systemActor(A, "viewer-1", "viewer"));
    expect((await failure(viewer.muteRules.createRule(A, { name: "x", reason: "r", checkIds: ["s3_bucket_public_access"] }))).code).toBe(
      "FORBIDDEN",
    );
    expect((await findingsOf("team_a")).some((d) => d.muted_by_rule !== undefined)).toBe(false);
    expect((await auditOf("team_a", "mute_rule.create")).map((e) => e.outcome)).toEqual(["denied"]);
    expect((await viewer.muteRules.listRules(A)).items).toEqual([]);
    expect(await failure(analyst().muteRules.createRule(A, { name: "x", reason: " ", checkIds: ["a"] }))).toEqual({
      code: "VALIDATION_FAILED",
      paths: ["reason"],
    });
    expect(await failure(analyst().muteRules.createRule(A, { name: "x", reason: "r" }))).toEqual({
      code: "VALIDATION_FAILED",
      paths: ["checkIds"],
    });
    expect((await failure(analyst().muteRules.createRule(A, { name: "x", reason: "r", checkIds: ["$ne"] }))).paths).toEqual(["checkIds.0"]);
    expect((await failure(analyst().muteRules.getRule(A, "nope"))).paths).toEqual(["id"]);
  });
});
