import { defineRepository, type RepositoryContext, type RepositoryDocument, parseInput } from "@cspm/repository";
import type { ObjectId } from "mongodb";
import { z } from "zod";
import { RefIdSchema } from "../common/documentSchema";
import { FreeFormObjectSchema } from "../common/freeFormObjectSchema";
import { LIFECYCLE_STATUSES, type LifecycleStatus } from "./lifecycle";
import { LifecycleRepository } from "./lifecycleRepository";
import { SubJobSchema } from "./subJobSchema";

const definition = defineRepository({ database: "ORCHESTRATION", collection: "sub_jobs", schema: SubJobSchema });

/** A stored sub-job as read back. */
export type SubJobDocument = RepositoryDocument<typeof SubJobSchema>;

/** Steps of a job (`cspm_orchestration.sub_jobs`), with the same guarded lifecycle as jobs. */
export class SubJobRepository extends LifecycleRepository<typeof SubJobSchema> {
  /** The registry binding: ORCHESTRATION / sub_jobs. */
  static readonly definition = definition;
  protected readonly noun = "sub-job";

  constructor(context: RepositoryContext) {
    super(context, definition);
  }

  /** Creates one `pending` sub-job per name, numbered in order. Throws `VALIDATION_FAILED`. */
  async createForJob(teamId: string, jobId: string, names: readonly string[]): Promise<SubJobDocument[]> {
    const job = parseInput(RefIdSchema, jobId, "jobId");
    const steps = parseInput(z.array(SubJobSchema.shape.name).max(1000), names, "names");
    if (steps.length === 0) return [];
    return this.forTeam(teamId).insertMany(steps.map((name, sequence) => ({ job_id: job, name, sequence, status: "pending" as const })));
  }

  /** The sub-jobs of a job in order. Throws `VALIDATION_FAILED`. */
  async listForJob(teamId: string, jobId: string): Promise<SubJobDocument[]> {
    return this.forTeam(teamId).findMany({ job_id: parseInput(RefIdSchema, jobId, "jobId") }, { sort: { sequence: 1 }, limit: 1000 });
  }

  /** Atomically claims the first `pending` sub-job of a job for `workerId` (`-> running`), or `null`. Throws `VALIDATION_FAILED`. */
  async claimNext(teamId: string, jobId: string, workerId: string, now: Date = new Date()): Promise<SubJobDocument | null> {
    return this.forTeam(teamId).findOneAndUpdate(
      { job_id: parseInput(RefIdSchema, jobId, "jobId"), status: "pending" },
      {
        $set: {
          status: "running",
          claimed_by: parseInput(z.string().min(1).max(256), workerId, "workerId"),
          started_at: parseInput(z.date(), now, "now"),
        },
      },
      { sort: { sequence: 1 }, returnDocument: "after" },
    );
  }

  /** `running -> completed` with an optional result. Throws `VALIDATION_FAILED`, `NOT_FOUND`, `CONFLICT` (`ILLEGAL_TRANSITION`). */
  async complete(teamId: string, id: ObjectId | string, result?: Record<string, unknown>, at?: Date): Promise<SubJobDocument> {
    const extra = result === undefined ? {} : { result: parseInput(FreeFormObjectSchema, result, "result") };
    return this.move(teamId, id, "completed", at === undefined ? {} : { at }, extra);
  }

  /** How many sub-jobs of a job are in each state (every state present). Throws `VALIDATION_FAILED`. */
  async countByStatus(teamId: string, jobId: string): Promise<Record<LifecycleStatus, number>> {
    const rows = await this.forTeam(teamId).aggregate<{ _id: LifecycleStatus; count: number }>([
      { $match: { job_id: parseInput(RefIdSchema, jobId, "jobId") } },
      { $group: { _id: "$status", count: { $sum: 1 } } },
    ]);
    const counts = Object.fromEntries(LIFECYCLE_STATUSES.map((s) => [s, 0])) as Record<LifecycleStatus, number>;
    for (const row of rows) if (row._id in counts) counts[row._id] = row.count;
    return counts;
  }
}
