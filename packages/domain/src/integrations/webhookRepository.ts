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
import { WebhookEventSchema, WebhookSchema } from "./webhookSchema";

const definition = defineRepository({ database: "INTEGRATIONS", collection: "webhooks", schema: WebhookSchema });

/** A stored webhook as read back. */
export type WebhookDocument = RepositoryDocument<typeof WebhookSchema>;

/** Outgoing webhooks (`cspm_integrations.webhooks`) per event. */
export class WebhookRepository extends BaseRepository<typeof WebhookSchema> {
  /** The registry binding: INTEGRATIONS / webhooks. */
  static readonly definition = definition;

  constructor(context: RepositoryContext) {
    super(context, definition);
  }

  /** Registers a webhook (enabled, no failures yet). Throws `VALIDATION_FAILED`. */
  async create(
    teamId: string,
    input: Omit<RepositoryInput<typeof WebhookSchema>, "enabled" | "failure_count" | "last_delivery_at" | "last_status_code">,
  ): Promise<WebhookDocument> {
    return this.forTeam(teamId).insertOne({ ...input, enabled: true, failure_count: 0 });
  }

  /** Enabled webhooks subscribed to `event` (or to every event, `*`). Throws `VALIDATION_FAILED`. */
  async listForEvent(teamId: string, event: string): Promise<WebhookDocument[]> {
    const e = parseInput(WebhookEventSchema, event, "event");
    return this.forTeam(teamId).findMany(trustedFilter({ event: { $in: [e, "*"] }, enabled: true }), { sort: { _id: 1 }, limit: 1000 });
  }

  /**
   * Records a delivery: a 2xx resets `failure_count`, anything else increments it; after `disableAfter`
   * consecutive failures (default 10) the webhook is disabled. Throws `VALIDATION_FAILED`, `NOT_FOUND`.
   */
  async recordDelivery(
    teamId: string,
    id: ObjectId | string,
    statusCode: number,
    options: { at?: Date; disableAfter?: number } = {},
  ): Promise<WebhookDocument> {
    const code = parseInput(z.number().int().min(100).max(599), statusCode, "statusCode");
    const at = parseInput(z.date(), options.at ?? new Date(), "at");
    const limit = parseInput(z.number().int().min(1).max(1000), options.disableAfter ?? 10, "disableAfter");
    const scope = this.forTeam(teamId);
    const _id = toObjectId(id);
    const ok = code >= 200 && code < 300;
    const updated = ok
      ? await scope.findOneAndUpdate(
          trustedFilter({ _id }),
          { $set: { failure_count: 0, last_delivery_at: at, last_status_code: code } },
          { returnDocument: "after" },
        )
      : await scope.findOneAndUpdate(
          trustedFilter({ _id }),
          { $set: { last_delivery_at: at, last_status_code: code }, $inc: { failure_count: 1 } },
          { returnDocument: "after" },
        );
    if (!updated) return scope.getById(_id);
    if (!ok && updated.enabled && updated.failure_count >= limit) return scope.update(_id, { enabled: false });
    return updated;
  }

  /** Enables or disables a webhook (enabling resets `failure_count`). Throws `VALIDATION_FAILED`, `NOT_FOUND`. */
  async setEnabled(teamId: string, id: ObjectId | string, enabled: boolean): Promise<WebhookDocument> {
    const on = parseInput(z.boolean(), enabled, "enabled");
    return this.forTeam(teamId).update(toObjectId(id), on ? { enabled: true, failure_count: 0 } : { enabled: false });
  }
}
