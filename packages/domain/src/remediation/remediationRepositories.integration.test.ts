import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectCspmError } from "../testing/expectCspmError";
import { type DomainTestContext, openDomainTestContext } from "../testing/openDomainTestContext";
import { RemediationExceptionRepository } from "./remediationExceptionRepository";
import { RemediationTaskRepository } from "./remediationTaskRepository";

const A = "team-a";
const B = "team-b";
const T0 = new Date("2025-01-01T00:00:00Z");
const LATER = new Date("2025-06-01T00:00:00Z");

let ctx: DomainTestContext;

beforeAll(async () => {
  ctx = await openDomainTestContext(["REMEDIATION"]);
});

afterAll(async () => {
  await ctx?.dispose();
});

describe("remediation repositories", () => {
  it("exceptions cover one resource or all ('*') until they expire or are revoked, per team", async () => {
    const exceptions = ctx.factory.get(RemediationExceptionRepository);
    const base = {
      check_id: "s3_bucket_public_access",
      reason: "website",
      approved_by: "ann@example.com",
      expires_at: new Date("2025-03-01T00:00:00Z"),
    };
    const one = await exceptions.grant(A, { ...base, resource_uid: "arn:aws:s3:::site" });
    await exceptions.grant(B, { ...base, resource_uid: "*" });

    expect((await exceptions.findActive(A, base.check_id, "arn:aws:s3:::site", T0))?._id).toEqual(one._id);
    expect(await exceptions.findActive(A, base.check_id, "arn:aws:s3:::other", T0)).toBeNull();
    expect(await exceptions.findActive(B, base.check_id, "arn:aws:s3:::other", T0)).not.toBeNull();
    expect(await exceptions.findActive(A, base.check_id, "arn:aws:s3:::site", LATER)).toBeNull();
    await exceptions.revoke(A, one._id);
    expect(await exceptions.findActive(A, base.check_id, "arn:aws:s3:::site", T0)).toBeNull();
  });

  it("tasks: overdue lists only unfinished ones of the team; resolved stamps resolved_at", async () => {
    const tasks = ctx.factory.get(RemediationTaskRepository);
    const due = new Date("2025-02-01T00:00:00Z");
    const t1 = await tasks.create(A, { finding_id: "f1", title: "Fix 1", severity: "high", due_at: due });
    await tasks.create(A, { finding_id: "f2", title: "Fix 2", severity: "low", due_at: LATER });
    await tasks.create(B, { finding_id: "f1", title: "B fix", severity: "high", due_at: due });
    await tasks.assign(A, t1._id, "bob@example.com");
    expect((await tasks.listOverdue(A, new Date("2025-03-01T00:00:00Z"))).map((t) => t.title)).toEqual(["Fix 1"]);
    expect((await tasks.listForAssignee(A, "bob@example.com")).map((t) => t.title)).toEqual(["Fix 1"]);
    const resolved = await tasks.setStatus(A, t1._id, "resolved", T0);
    expect(resolved.resolved_at).toEqual(T0);
    expect((await tasks.setStatus(A, t1._id, "open")).resolved_at).toBeUndefined();
    await expectCspmError(tasks.assign(B, t1._id, "mallory@example.com"), "NOT_FOUND");
  });
});
