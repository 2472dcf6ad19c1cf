import { isCspmError } from "@cspm/errors";
import {
  BaseRepository,
  defineRepository,
  trustedFilter,
  type RepositoryContext,
  type RepositoryDocument,
  parseInput,
} from "@cspm/repository";
import { z } from "zod";
import { RefIdSchema } from "../common/documentSchema";
import { DEFAULT_LIST_LIMIT, ListLimitSchema } from "../common/listLimit";
import { DeliverySchema } from "./deliverySchema";

const definition = defineRepository({
  database: "NOTIFICATIONS",
  collection: "deliveries",
  schema: DeliverySchema,
  keyFields: ["alert_id", "channel_id"],
});

/** A stored delivery as read back. */
export type DeliveryDocument = RepositoryDocument<typeof DeliverySchema>;

/** The outcome of one attempt to send an alert to a channel. */
export interface DeliveryAttempt {
  readonly ok: boolean;
  readonly error?: string;
  readonly at?: Date;
}

/** Deliveries (`cspm_notifications.deliveries`): one per alert and channel, counting attempts. */
export class DeliveryRepository extends BaseRepository<typeof DeliverySchema> {
  /** The registry binding: NOTIFICATIONS / deliveries. */
  static readonly definition = definition;

  constructor(context: RepositoryContext) {
    super(context, definition);
  }

  /**
   * Records one attempt: creates the delivery on the first attempt, otherwise increments `attempts` and sets
   * the status (`sent` stamps `delivered_at`; `failed` keeps the error). Atomic per attempt. Throws `VALIDATION_FAILED`.
   */
  async recordAttempt(teamId: string, alertId: string, channelId: string, attempt: DeliveryAttempt): Promise<DeliveryDocument> {
    const scope = this.forTeam(teamId);
    const key = {
      alert_id: parseInput(RefIdSchema, alertId, "alertId"),
      channel_id: parseInput(RefIdSchema, channelId, "channelId"),
    };
    const ok = parseInput(z.boolean(), attempt.ok, "ok");
    const at = parseInput(z.date(), attempt.at ?? new Date(), "at");
    const error = attempt.error === undefined ? undefined : parseInput(z.string().max(4000), attempt.error, "error");
    const set = ok
      ? { status: "sent" as const, last_attempt_at: at, delivered_at: at }
      : { status: "failed" as const, last_attempt_at: at, ...(error === undefined ? {} : { error }) };
    const update = ok ? { $set: set, $inc: { attempts: 1 }, $unset: { error: "" as const } } : { $set: set, $inc: { attempts: 1 } };
    for (let round = 0; round < 2; round += 1) {
      const updated = await scope.findOneAndUpdate(trustedFilter(key), update, { returnDocument: "after" });
      if (updated) return updated;
      try {
        return await scope.insertOne({ ...key, ...set, attempts: 1 });
      } catch (insertError) {
        // Another attempt created it between our update and insert: apply ours as an update.
        if (!(isCspmError(insertError) && insertError.code === "CONFLICT")) throw insertError;
      }
    }
    return scope.findOneAndUpdate(trustedFilter(key), update, { returnDocument: "after" }) as Promise<DeliveryDocument>;
  }

  /** The deliveries of one alert. Throws `VALIDATION_FAILED`. */
  async listForAlert(teamId: string, alertId: string): Promise<DeliveryDocument[]> {
    return this.forTeam(teamId).findMany(
      { alert_id: parseInput(RefIdSchema, alertId, "alertId") },
      { sort: { channel_id: 1 }, limit: 1000 },
    );
  }

  /** Failed deliveries with fewer than `maxAttempts` attempts (retry candidates), oldest attempt first. Throws `VALIDATION_FAILED`. */
  async listRetryable(teamId: string, maxAttempts: number, limit = DEFAULT_LIST_LIMIT): Promise<DeliveryDocument[]> {
    return this.forTeam(teamId).findMany(
      trustedFilter({ status: "failed", attempts: { $lt: parseInput(z.number().int().min(1).max(1000), maxAttempts, "maxAttempts") } }),
      { sort: { last_attempt_at: 1, _id: 1 }, limit: parseInput(ListLimitSchema, limit, "limit") },
    );
  }
}
