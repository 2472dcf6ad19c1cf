import {
  BaseRepository,
  defineRepository,
  trustedFilter,
  type RepositoryContext,
  type RepositoryDocument,
  type RepositoryInput,
  parseInput,
} from "@cspm/repository";
import type { ObjectId } from "mongodb";
import { z } from "zod";
import { DEFAULT_LIST_LIMIT, ListLimitSchema } from "../common/listLimit";
import { SeveritySchema, type Severity } from "../common/severity";
import { type ALERT_STATUSES, AlertSchema } from "./alertSchema";

const definition = defineRepository({ database: "NOTIFICATIONS", collection: "alerts", schema: AlertSchema });

/** A stored alert as read back. */
export type AlertDocument = RepositoryDocument<typeof AlertSchema>;

/** What `AlertRepository.raise` takes: a new alert is `open`. */
export type NewAlert = Omit<RepositoryInput<typeof AlertSchema>, "status" | "acknowledged_at" | "acknowledged_by" | "resolved_at">;

type AlertStatus = (typeof ALERT_STATUSES)[number];

/** Raised alerts (`cspm_notifications.alerts`): `open -> acknowledged -> resolved` (or `open -> resolved`). */
export class AlertRepository extends BaseRepository<typeof AlertSchema> {
  /** The registry binding: NOTIFICATIONS / alerts. */
  static readonly definition = definition;

  constructor(context: RepositoryContext) {
    super(context, definition);
  }

  /**
   * Raises an alert; when it has a `fingerprint` and an unresolved alert with the same fingerprint exists,
   * that one is returned instead (`created: false`). Throws `VALIDATION_FAILED`.
   */
  async raise(teamId: string, input: NewAlert): Promise<{ alert: AlertDocument; created: boolean }> {
    const scope = this.forTeam(teamId);
    if (input.fingerprint !== undefined) {
      const fingerprint = parseInput(z.string().min(1).max(256), input.fingerprint, "fingerprint");
      const existing = await scope.findOne(trustedFilter({ fingerprint, status: { $ne: "resolved" } }), { sort: { created_at: -1 } });
      if (existing) return { alert: existing, created: false };
    }
    return { alert: await scope.insertOne({ ...input, status: "open" }), created: true };
  }

  /** Unresolved alerts, newest first, optionally of some severities. Throws `VALIDATION_FAILED`. */
  async listOpen(teamId: string, options: { severities?: readonly Severity[]; limit?: number } = {}): Promise<AlertDocument[]> {
    const filter: Record<string, unknown> = { status: { $in: ["open", "acknowledged"] } };
    if (options.severities !== undefined)
      filter["severity"] = { $in: parseInput(z.array(SeveritySchema).min(1), options.severities, "severities") };
    return this.forTeam(teamId).findMany(trustedFilter(filter), {
      sort: { created_at: -1 },
      limit: parseInput(ListLimitSchema, options.limit ?? DEFAULT_LIST_LIMIT, "limit"),
    });
  }

  /** `open -> acknowledged` by `by`. Throws `VALIDATION_FAILED`, `NOT_FOUND`, `CONFLICT` (`ILLEGAL_TRANSITION`). */
  async acknowledge(teamId: string, id: ObjectId | string, by: string, at: Date = new Date()): Promise<AlertDocument> {
    return this.moveStatus(teamId, id, ["open"], "acknowledged", {
      acknowledged_by: parseInput(z.string().min(1).max(254), by, "by"),
      acknowledged_at: parseInput(z.date(), at, "at"),
    });
  }

  /** `open | acknowledged -> resolved`. Throws `VALIDATION_FAILED`, `NOT_FOUND`, `CONFLICT` (`ILLEGAL_TRANSITION`). */
  async resolve(teamId: string, id: ObjectId | string, at: Date = new Date()): Promise<AlertDocument> {
    return this.moveStatus(teamId, id, ["open", "acknowledged"], "resolved", { resolved_at: parseInput(z.date(), at, "at") });
  }

  private async moveStatus(
    teamId: string,
    id: ObjectId | string,
    from: readonly AlertStatus[],
    to: AlertStatus,
    set: Record<string, unknown>,
  ): Promise<AlertDocument> {
    return this.forTeam(teamId).moveStatus(id, { from, to, set, entity: "alert" });
  }
}
