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
import { RefIdSchema } from "../common/documentSchema";
import { DEFAULT_LIST_LIMIT, ListLimitSchema } from "../common/listLimit";
import { OPEN_REMEDIATION_STATUSES, REMEDIATION_STATUSES, RemediationTaskSchema } from "./remediationTaskSchema";

const definition = defineRepository({ database: "REMEDIATION", collection: "remediation_tasks", schema: RemediationTaskSchema });

/** A stored remediation task as read back. */
export type RemediationTaskDocument = RepositoryDocument<typeof RemediationTaskSchema>;

/** What `RemediationTaskRepository.create` takes: a new task is `open`. */
export type NewRemediationTask = Omit<RepositoryInput<typeof RemediationTaskSchema>, "status" | "resolved_at">;

const AssigneeArgument = z.string().trim().min(1).max(254);

/** Remediation work items (`cspm_remediation.remediation_tasks`). */
export class RemediationTaskRepository extends BaseRepository<typeof RemediationTaskSchema> {
  /** The registry binding: REMEDIATION / remediation_tasks. */
  static readonly definition = definition;

  constructor(context: RepositoryContext) {
    super(context, definition);
  }

  /** Opens a task. Throws `VALIDATION_FAILED`. */
  async create(teamId: string, input: NewRemediationTask): Promise<RemediationTaskDocument> {
    return this.forTeam(teamId).insertOne({ ...input, status: "open" });
  }

  /** The tasks of one finding, newest first. Throws `VALIDATION_FAILED`. */
  async findByFinding(teamId: string, findingId: string): Promise<RemediationTaskDocument[]> {
    return this.forTeam(teamId).findMany(
      { finding_id: parseInput(RefIdSchema, findingId, "findingId") },
      { sort: { created_at: -1 }, limit: 100 },
    );
  }

  /** Assigns a task. Throws `VALIDATION_FAILED`, `NOT_FOUND`. */
  async assign(teamId: string, id: ObjectId | string, assignee: string): Promise<RemediationTaskDocument> {
    return this.forTeam(teamId).update(toObjectId(id), { assignee: parseInput(AssigneeArgument, assignee, "assignee") });
  }

  /** Sets a task's status: `resolved` stamps `resolved_at`, other statuses clear it. Throws `VALIDATION_FAILED`, `NOT_FOUND`. */
  async setStatus(
    teamId: string,
    id: ObjectId | string,
    status: (typeof REMEDIATION_STATUSES)[number],
    at: Date = new Date(),
  ): Promise<RemediationTaskDocument> {
    const next = parseInput(z.enum(REMEDIATION_STATUSES), status, "status");
    const when = parseInput(z.date(), at, "at");
    const _id = toObjectId(id);
    const update =
      next === "resolved" ? { $set: { status: next, resolved_at: when } } : { $set: { status: next }, $unset: { resolved_at: "" } };
    const updated = await this.forTeam(teamId).findOneAndUpdate(trustedFilter({ _id }), update, { returnDocument: "after" });
    return updated ?? this.forTeam(teamId).getById(_id);
  }

  /** Unfinished tasks due before `now`, most overdue first. Throws `VALIDATION_FAILED`. */
  async listOverdue(teamId: string, now: Date = new Date(), limit = DEFAULT_LIST_LIMIT): Promise<RemediationTaskDocument[]> {
    return this.forTeam(teamId).findMany(
      trustedFilter({ status: { $in: [...OPEN_REMEDIATION_STATUSES] }, due_at: { $lt: parseInput(z.date(), now, "now") } }),
      { sort: { due_at: 1, _id: 1 }, limit: parseInput(ListLimitSchema, limit, "limit") },
    );
  }

  /** Unfinished tasks of one assignee, soonest due first. Throws `VALIDATION_FAILED`. */
  async listForAssignee(teamId: string, assignee: string, limit = DEFAULT_LIST_LIMIT): Promise<RemediationTaskDocument[]> {
    return this.forTeam(teamId).findMany(
      trustedFilter({ assignee: parseInput(AssigneeArgument, assignee, "assignee"), status: { $in: [...OPEN_REMEDIATION_STATUSES] } }),
      { sort: { due_at: 1, _id: 1 }, limit: parseInput(ListLimitSchema, limit, "limit") },
    );
  }
}
