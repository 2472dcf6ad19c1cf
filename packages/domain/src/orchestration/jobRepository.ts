import {
  defineRepository,
  trustedFilter,
  type RepositoryContext,
  type RepositoryDocument,
  type RepositoryInput,
  parseInput,
} from "@cspm/repository";
import type { ObjectId } from "mongodb";
import { z } from "zod";
import { RefIdSchema } from "../common/documentSchema";
import { FreeFormObjectSchema } from "../common/freeFormObjectSchema";
import { DEFAULT_LIST_LIMIT, ListLimitSchema } from "../common/listLimit";
import { JobSchema } from "./jobSchema";
import { LifecycleStatusSchema, type LifecycleStatus } from "./lifecycle";
import { LifecycleRepository } from "./lifecycleRepository";

const definition = defineRepository({ database: "ORCHESTRATION", collection: "jobs", schema: JobSchema });

/** A stored job as read back. */
export type JobDocument = RepositoryDocument<typeof JobSchema>;

/** What `JobRepository.enqueue` takes: a new job is `pending` with 0 attempts; `priority` defaults to 50, `payload` to `{}`. */
export type NewJob = Omit<
  RepositoryInput<typeof JobSchema>,
  "status" | "attempts" | "claimed_by" | "started_at" | "finished_at" | "error" | "result" | "priority" | "payload"
> & { priority?: number; payload?: Record<string, unknown> };

/** A worker id: 1–256 printable characters. */
const WorkerIdSchema = z.string().min(1).max(256);

/** Jobs (`cspm_orchestration.jobs`): units of work that workers claim atomically, with a guarded lifecycle. */
export class JobRepository extends LifecycleRepository<typeof JobSchema> {
  /** The registry binding: ORCHESTRATION / jobs. */
  static readonly definition = definition;
  protected readonly noun = "job";

  constructor(context: RepositoryContext) {
    super(context, definition);
  }

  /** Adds a `pending` job. Throws `VALIDATION_FAILED`. */
  async enqueue(teamId: string, input: NewJob): Promise<JobDocument> {
    return this.forTeam(teamId).insertOne({ priority: 50, payload: {}, ...input, status: "pending", attempts: 0 });
  }

  /**
   * Atomically moves the team's highest-priority, oldest `pending` job (optionally of the given types) to
   * `running` with `claimed_by = workerId`, `started_at`, `attempts + 1`, and returns it; `null` when none
   * is pending. One conditional `findOneAndUpdate`, so concurrent claimers never get the same job.
   * Throws `VALIDATION_FAILED`.
   */
  async claimNextJob(
    teamId: string,
    workerId: string,
    options: { types?: readonly string[]; now?: Date } = {},
  ): Promise<JobDocument | null> {
    const claimedBy = parseInput(WorkerIdSchema, workerId, "workerId");
    const now = parseInput(z.date(), options.now ?? new Date(), "now");
    const filter: Record<string, unknown> = { status: "pending" };
    if (options.types !== undefined)
      filter["type"] = { $in: parseInput(z.array(JobSchema.shape.type).min(1).max(100), options.types, "types") };
    return this.forTeam(teamId).findOneAndUpdate(
      trustedFilter(filter),
      { $set: { status: "running", claimed_by: claimedBy, started_at: now }, $inc: { attempts: 1 } },
      { sort: { priority: -1, created_at: 1, _id: 1 }, returnDocument: "after" },
    );
  }

  /** `running -> completed` with an optional result. Throws `VALIDATION_FAILED`, `NOT_FOUND`, `CONFLICT` (`ILLEGAL_TRANSITION`). */
  async complete(teamId: string, id: ObjectId | string, result?: Record<string, unknown>, at?: Date): Promise<JobDocument> {
    const extra = result === undefined ? {} : { result: parseInput(FreeFormObjectSchema, result, "result") };
    return this.move(teamId, id, "completed", at === undefined ? {} : { at }, extra);
  }

  /** Jobs in one state, highest priority then oldest first. Throws `VALIDATION_FAILED`. */
  async listByStatus(teamId: string, status: LifecycleStatus, limit = DEFAULT_LIST_LIMIT): Promise<JobDocument[]> {
    return this.forTeam(teamId).findMany(
      { status: parseInput(LifecycleStatusSchema, status, "status") },
      { sort: { priority: -1, created_at: 1, _id: 1 }, limit: parseInput(ListLimitSchema, limit, "limit") },
    );
  }

  /** The jobs of one scan run, oldest first. Throws `VALIDATION_FAILED`. */
  async listForScanRun(teamId: string, scanRunId: string): Promise<JobDocument[]> {
    return this.forTeam(teamId).findMany(
      { scan_run_id: parseInput(RefIdSchema, scanRunId, "scanRunId") },
      { sort: { created_at: 1, _id: 1 }, limit: 1000 },
    );
  }

  /** Jobs a worker holds in `running`. Throws `VALIDATION_FAILED`. */
  async listClaimedBy(teamId: string, workerId: string): Promise<JobDocument[]> {
    return this.forTeam(teamId).findMany(
      { status: "running", claimed_by: parseInput(WorkerIdSchema, workerId, "workerId") },
      { limit: 1000 },
    );
  }
}
