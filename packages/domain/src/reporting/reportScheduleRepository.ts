import { ValidationError } from "@cspm/errors";
import {
  BaseRepository,
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
import { DEFAULT_LIST_LIMIT, ListLimitSchema } from "../common/listLimit";
import { ReportScheduleSchema } from "./reportScheduleSchema";

const definition = defineRepository({ database: "REPORTING", collection: "report_schedules", schema: ReportScheduleSchema });

/** A stored report schedule as read back. */
export type ReportScheduleDocument = RepositoryDocument<typeof ReportScheduleSchema>;

/** Report schedules (`cspm_reporting.report_schedules`); the caller computes `next_run_at` from `cron`. */
export class ReportScheduleRepository extends BaseRepository<typeof ReportScheduleSchema> {
  /** The registry binding: REPORTING / report_schedules. */
  static readonly definition = definition;

  constructor(context: RepositoryContext) {
    super(context, definition);
  }

  /** Creates a schedule. Throws `VALIDATION_FAILED`. */
  async create(teamId: string, input: Omit<RepositoryInput<typeof ReportScheduleSchema>, "last_run_at">): Promise<ReportScheduleDocument> {
    return this.forTeam(teamId).insertOne(input);
  }

  /** Enabled schedules due at `now`, most overdue first. Throws `VALIDATION_FAILED`. */
  async findDue(teamId: string, now: Date = new Date(), limit = DEFAULT_LIST_LIMIT): Promise<ReportScheduleDocument[]> {
    return this.forTeam(teamId).findMany(trustedFilter({ enabled: true, next_run_at: { $lte: parseInput(z.date(), now, "now") } }), {
      sort: { next_run_at: 1, _id: 1 },
      limit: parseInput(ListLimitSchema, limit, "limit"),
    });
  }

  /**
   * Claims one due run: moves `next_run_at` from `dueAt` to `nextRunAt` and stamps `last_run_at`, only if
   * nobody did it first (conditional on `next_run_at === dueAt`). Returns the schedule, or `null` when
   * another scheduler claimed this run. Throws `VALIDATION_FAILED`.
   */
  async claimRun(
    teamId: string,
    id: ObjectId | string,
    dueAt: Date,
    nextRunAt: Date,
    ranAt: Date = new Date(),
  ): Promise<ReportScheduleDocument | null> {
    const due = parseInput(z.date(), dueAt, "dueAt");
    const next = parseInput(z.date(), nextRunAt, "nextRunAt");
    if (next <= due) throw new ValidationError("nextRunAt must be after dueAt.", [{ path: "nextRunAt", message: "must be after dueAt" }]);
    return this.forTeam(teamId).findOneAndUpdate(
      trustedFilter({ _id: toObjectId(id), enabled: true, next_run_at: due }),
      { $set: { next_run_at: next, last_run_at: parseInput(z.date(), ranAt, "ranAt") } },
      { returnDocument: "after" },
    );
  }

  /** Enables or disables a schedule. Throws `VALIDATION_FAILED`, `NOT_FOUND`. */
  async setEnabled(teamId: string, id: ObjectId | string, enabled: boolean): Promise<ReportScheduleDocument> {
    return this.forTeam(teamId).update(toObjectId(id), { enabled: parseInput(z.boolean(), enabled, "enabled") });
  }
}
