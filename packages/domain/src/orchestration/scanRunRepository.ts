import {
  defineRepository,
  trustedFilter,
  type RepositoryContext,
  type RepositoryDocument,
  type RepositoryInput,
  parseInput,
  toObjectId,
} from "@cspm/repository";
import type { ObjectId } from "mongodb";
import { z } from "zod";
import { ConflictError, NotFoundError } from "@cspm/errors";
import { DEFAULT_LIST_LIMIT, ListLimitSchema } from "../common/listLimit";
import { LifecycleStatusSchema, type LifecycleStatus } from "./lifecycle";
import { LifecycleRepository } from "./lifecycleRepository";
import { type ScanRun, ScanRunSchema } from "./scanRunSchema";

const definition = defineRepository({ database: "ORCHESTRATION", collection: "scan_runs", schema: ScanRunSchema });

/** A stored scan run as read back. */
export type ScanRunDocument = RepositoryDocument<typeof ScanRunSchema>;

/** What `ScanRunRepository.create` takes: a new run is always `pending`. */
export type NewScanRun = Omit<RepositoryInput<typeof ScanRunSchema>, "status" | "started_at" | "finished_at" | "error" | "stats">;

/** Scan runs (`cspm_orchestration.scan_runs`): one scan of one account, `pending -> running -> completed|failed|cancelled`. */
export class ScanRunRepository extends LifecycleRepository<typeof ScanRunSchema> {
  /** The registry binding: ORCHESTRATION / scan_runs. */
  static readonly definition = definition;
  protected readonly noun = "scan run";

  constructor(context: RepositoryContext) {
    super(context, definition);
  }

  /** Creates a `pending` run. Throws `VALIDATION_FAILED`. */
  async create(teamId: string, input: NewScanRun): Promise<ScanRunDocument> {
    return this.forTeam(teamId).insertOne({ ...input, status: "pending" });
  }

  /**
   * Takes a run up for an import: `pending` or `running` -> `running`, and a `failed` run back to `running`
   * (clearing its error) so that a cut or failed import can be re-run into the same scan run and end as an
   * uncut one would. Throws `VALIDATION_FAILED`, `NOT_FOUND`, `CONFLICT` (`ILLEGAL_TRANSITION`) for a
   * completed or cancelled run.
   */
  async resume(teamId: string, id: ObjectId | string, at = new Date()): Promise<ScanRunDocument> {
    const scope = this.forTeam(teamId);
    const _id = toObjectId(id);
    const startedAt = parseInput(z.date(), at, "at");
    const resumed = await scope.findOneAndUpdate(
      trustedFilter({ _id, status: { $in: ["pending", "running", "failed"] } }),
      { $set: { status: "running" }, $unset: { error: "", finished_at: "" } },
      { returnDocument: "after" },
    );
    if (resumed) {
      if (resumed.started_at === undefined)
        return (
          (await scope.findOneAndUpdate(trustedFilter({ _id }), { $set: { started_at: startedAt } }, { returnDocument: "after" })) ??
          resumed
        );
      return resumed;
    }
    const current = await scope.findById(_id);
    if (!current) throw new NotFoundError(`No scan run ${_id.toHexString()} in this team.`, { details: { id: _id.toHexString() } });
    throw ConflictError.illegalTransition(current.status, "running", "scan run");
  }

  /** `running -> completed` with the run's counts. Throws `VALIDATION_FAILED`, `NOT_FOUND`, `CONFLICT` (`ILLEGAL_TRANSITION`). */
  async complete(teamId: string, id: ObjectId | string, stats: NonNullable<ScanRun["stats"]>, at?: Date): Promise<ScanRunDocument> {
    return this.move(teamId, id, "completed", at === undefined ? {} : { at }, { stats });
  }

  /** The most recently started run of an account, or `null`. Throws `VALIDATION_FAILED`. */
  async latestForAccount(teamId: string, accountId: string): Promise<ScanRunDocument | null> {
    return this.forTeam(teamId).findOne(
      trustedFilter({ account_id: parseInput(z.string().min(1).max(253), accountId, "accountId"), started_at: { $exists: true } }),
      { sort: { started_at: -1 } },
    );
  }

  /** Runs newest first, optionally in one state. Throws `VALIDATION_FAILED`. */
  async listRecent(teamId: string, options: { status?: LifecycleStatus; limit?: number } = {}): Promise<ScanRunDocument[]> {
    const filter = options.status === undefined ? {} : { status: parseInput(LifecycleStatusSchema, options.status, "status") };
    return this.forTeam(teamId).findMany(filter, {
      sort: { created_at: -1 },
      limit: parseInput(ListLimitSchema, options.limit ?? DEFAULT_LIST_LIMIT, "limit"),
    });
  }
}
