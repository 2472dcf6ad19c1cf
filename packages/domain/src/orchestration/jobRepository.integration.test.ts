import { ObjectId } from "mongodb";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { expectCspmError } from "../testing/expectCspmError";
import { type DomainTestContext, openDomainTestContext } from "../testing/openDomainTestContext";
import { JobRepository } from "./jobRepository";
import { ScanRunRepository } from "./scanRunRepository";
import { SubJobRepository } from "./subJobRepository";

const A = "team-a";
const B = "team-b";

let ctx: DomainTestContext;
let jobs: JobRepository;

beforeAll(async () => {
  ctx = await openDomainTestContext(["ORCHESTRATION"]);
  jobs = ctx.factory.get(JobRepository);
});

afterAll(async () => {
  await ctx?.dispose();
});

beforeEach(async () => {
  for (const collection of ["jobs", "sub_jobs", "scan_runs"]) await ctx.raw("ORCHESTRATION", collection).deleteMany({});
});

describe("JobRepository.claimNextJob", () => {
  it("20 concurrent claimers on 5 jobs: each job is claimed exactly once", async () => {
    const created = [];
    for (let i = 0; i < 5; i += 1) created.push(await jobs.enqueue(A, { type: "prowler.scan", payload: { n: i } }));

    const claims = await Promise.all(Array.from({ length: 20 }, (_, w) => jobs.claimNextJob(A, `worker-${w}`)));
    const won = claims.filter((c) => c !== null);
    expect(won).toHaveLength(5);
    expect(new Set(won.map((c) => c._id.toHexString()))).toEqual(new Set(created.map((j) => j._id.toHexString())));

    const stored = await ctx.raw("ORCHESTRATION", "jobs").find({}).toArray();
    expect(stored.every((j) => j["status"] === "running" && j["attempts"] === 1)).toBe(true);
    // Whoever the claim returned to is the one recorded: no job went to two workers.
    for (const claim of won) {
      const row = stored.find((j) => (j["_id"] as ObjectId).equals(claim._id));
      expect(row?.["claimed_by"]).toBe(claim.claimed_by);
    }
    expect(new Set(won.map((c) => c.claimed_by)).size).toBe(5);
    expect(await jobs.claimNextJob(A, "late-worker")).toBeNull();
  });

  it("takes the highest priority first, then the oldest, and only the requested types", async () => {
    const low = await jobs.enqueue(A, { type: "nuclei.scan", priority: 10 });
    const oldHigh = await jobs.enqueue(A, { type: "prowler.scan", priority: 90 });
    const newHigh = await jobs.enqueue(A, { type: "prowler.scan", priority: 90 });
    expect((await jobs.claimNextJob(A, "w", { types: ["nuclei.scan"] }))?._id).toEqual(low._id);
    expect((await jobs.claimNextJob(A, "w"))?._id).toEqual(oldHigh._id);
    expect((await jobs.claimNextJob(A, "w"))?._id).toEqual(newHigh._id);
  });

  it("never claims another team's job", async () => {
    const jobA = await jobs.enqueue(A, { type: "prowler.scan" });
    expect(await jobs.claimNextJob(B, "intruder")).toBeNull();
    await expectCspmError(jobs.transition(B, jobA._id, "running"), "NOT_FOUND");
    await expectCspmError(jobs.cancel(B, jobA._id.toHexString()), "NOT_FOUND");
    const stored = await ctx.raw("ORCHESTRATION", "jobs").findOne({ _id: jobA._id });
    expect(stored?.["status"]).toBe("pending");
  });
});

describe("lifecycle transitions", () => {
  it("an illegal transition is CONFLICT with details { from, to } and changes nothing", async () => {
    const job = await jobs.enqueue(A, { type: "prowler.scan" });
    const error = await expectCspmError(jobs.complete(A, job._id), "CONFLICT");
    expect(error.details).toMatchObject({ from: "pending", to: "completed" });

    await jobs.start(A, job._id);
    const done = await jobs.complete(A, job._id, { findings: 3 });
    expect(done.status).toBe("completed");
    expect(done.finished_at).toBeInstanceOf(Date);
    expect(done.result).toEqual({ findings: 3 });

    const again = await expectCspmError(jobs.cancel(A, job._id), "CONFLICT");
    expect(again.details).toMatchObject({ from: "completed", to: "cancelled" });
    const explicit = await expectCspmError(jobs.transition(A, job._id, "running", { from: "completed" }), "CONFLICT");
    expect(explicit.details).toMatchObject({ from: "completed", to: "running" });
    expect((await ctx.raw("ORCHESTRATION", "jobs").findOne({ _id: job._id }))?.["status"]).toBe("completed");
  });

  it("two workers finishing the same job: one wins, the other gets CONFLICT", async () => {
    const job = await jobs.enqueue(A, { type: "prowler.scan" });
    await jobs.claimNextJob(A, "w1");
    const outcomes = await Promise.allSettled([jobs.complete(A, job._id), jobs.fail(A, job._id, "boom")]);
    expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(1);
    const rejected = outcomes.find((o) => o.status === "rejected");
    expect((rejected as PromiseRejectedResult).reason).toMatchObject({ code: "CONFLICT" });
  });

  it("pending -> cancelled is legal; unknown ids are NOT_FOUND; malformed ids VALIDATION_FAILED", async () => {
    const job = await jobs.enqueue(A, { type: "prowler.scan" });
    expect((await jobs.cancel(A, job._id, "user request")).error).toBe("user request");
    await expectCspmError(jobs.start(A, new ObjectId()), "NOT_FOUND");
    await expectCspmError(jobs.start(A, "not-an-id"), "VALIDATION_FAILED");
  });

  it("scan runs and sub-jobs follow the same guarded lifecycle", async () => {
    const runs = ctx.factory.get(ScanRunRepository);
    const run = await runs.create(A, { account_id: "123456789012", scanner: "prowler" });
    await expectCspmError(runs.complete(A, run._id, { findings: 1, passed: 0, failed: 1 }), "CONFLICT");
    await runs.start(A, run._id);
    const completed = await runs.complete(A, run._id, { findings: 1, passed: 0, failed: 1 });
    expect(completed.stats).toEqual({ findings: 1, passed: 0, failed: 1 });
    expect((await runs.latestForAccount(A, "123456789012"))?._id).toEqual(run._id);
    expect(await runs.latestForAccount(B, "123456789012")).toBeNull();

    const subJobs = ctx.factory.get(SubJobRepository);
    await subJobs.createForJob(A, "job-1", ["us-east-1", "eu-west-1"]);
    const [first, second] = await Promise.all([subJobs.claimNext(A, "job-1", "w1"), subJobs.claimNext(A, "job-1", "w2")]);
    expect(new Set([first?.name, second?.name])).toEqual(new Set(["us-east-1", "eu-west-1"]));
    expect(await subJobs.claimNext(A, "job-1", "w3")).toBeNull();
    await subJobs.complete(A, first?._id as ObjectId);
    expect(await subJobs.countByStatus(A, "job-1")).toEqual({ pending: 0, running: 1, completed: 1, failed: 0, cancelled: 0 });
    expect(await subJobs.countByStatus(B, "job-1")).toEqual({ pending: 0, running: 0, completed: 0, failed: 0, cancelled: 0 });
  });
});
