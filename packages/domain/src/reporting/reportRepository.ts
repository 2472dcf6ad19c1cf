import {
  BaseRepository,
  defineRepository,
  type RepositoryContext,
  type RepositoryDocument,
  type RepositoryInput,
  parseInput,
} from "@cspm/repository";
import type { ObjectId } from "mongodb";
import { z } from "zod";
import { DEFAULT_LIST_LIMIT, ListLimitSchema } from "../common/listLimit";
import { REPORT_STATUSES, REPORT_TYPES, ReportSchema } from "./reportSchema";

const definition = defineRepository({ database: "REPORTING", collection: "reports", schema: ReportSchema });

/** A stored report as read back. */
export type ReportDocument = RepositoryDocument<typeof ReportSchema>;

/** What `ReportRepository.request` takes: a new report is `queued`. */
export type NewReport = Omit<RepositoryInput<typeof ReportSchema>, "status" | "generated_at" | "storage_key" | "size_bytes" | "error">;

type ReportStatus = (typeof REPORT_STATUSES)[number];

/** The legal status moves of a report: `queued -> generating -> completed | failed` (and `queued -> failed`). */
export const REPORT_TRANSITIONS: Readonly<Record<ReportStatus, readonly ReportStatus[]>> = Object.freeze({
  queued: Object.freeze(["generating", "failed"] as const),
  generating: Object.freeze(["completed", "failed"] as const),
  completed: Object.freeze([] as const),
  failed: Object.freeze([] as const),
});

/** Generated reports (`cspm_reporting.reports`), with a guarded status. */
export class ReportRepository extends BaseRepository<typeof ReportSchema> {
  /** The registry binding: REPORTING / reports. */
  static readonly definition = definition;

  constructor(context: RepositoryContext) {
    super(context, definition);
  }

  /** Queues a report. Throws `VALIDATION_FAILED`. */
  async request(teamId: string, input: NewReport): Promise<ReportDocument> {
    return this.forTeam(teamId).insertOne({ ...input, status: "queued" });
  }

  /** `queued -> generating`. Throws `VALIDATION_FAILED`, `NOT_FOUND`, `CONFLICT` (`ILLEGAL_TRANSITION`). */
  async markGenerating(teamId: string, id: ObjectId | string): Promise<ReportDocument> {
    return this.moveStatus(teamId, id, "generating", {});
  }

  /** `generating -> completed` with where the output is. Throws `VALIDATION_FAILED`, `NOT_FOUND`, `CONFLICT` (`ILLEGAL_TRANSITION`). */
  async markCompleted(
    teamId: string,
    id: ObjectId | string,
    output: { storageKey: string; sizeBytes: number; at?: Date },
  ): Promise<ReportDocument> {
    return this.moveStatus(teamId, id, "completed", {
      storage_key: parseInput(z.string().min(1).max(1024), output.storageKey, "storageKey"),
      size_bytes: parseInput(z.number().int().nonnegative(), output.sizeBytes, "sizeBytes"),
      generated_at: parseInput(z.date(), output.at ?? new Date(), "at"),
    });
  }

  /** `queued | generating -> failed` with the error. Throws `VALIDATION_FAILED`, `NOT_FOUND`, `CONFLICT` (`ILLEGAL_TRANSITION`). */
  async markFailed(teamId: string, id: ObjectId | string, error: string): Promise<ReportDocument> {
    return this.moveStatus(teamId, id, "failed", { error: parseInput(z.string().min(1).max(4000), error, "error") });
  }

  /** Reports newest first, optionally of one type. Throws `VALIDATION_FAILED`. */
  async listRecent(teamId: string, options: { type?: (typeof REPORT_TYPES)[number]; limit?: number } = {}): Promise<ReportDocument[]> {
    const filter = options.type === undefined ? {} : { type: parseInput(z.enum(REPORT_TYPES), options.type, "type") };
    return this.forTeam(teamId).findMany(filter, {
      sort: { created_at: -1 },
      limit: parseInput(ListLimitSchema, options.limit ?? DEFAULT_LIST_LIMIT, "limit"),
    });
  }

  private async moveStatus(teamId: string, id: ObjectId | string, to: ReportStatus, set: Record<string, unknown>): Promise<ReportDocument> {
    const from = REPORT_STATUSES.filter((status) => REPORT_TRANSITIONS[status].includes(to));
    return this.forTeam(teamId).moveStatus(id, { from, to, set, entity: "report" });
  }
}
