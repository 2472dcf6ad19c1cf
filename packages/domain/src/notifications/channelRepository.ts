import {
  BaseRepository,
  defineRepository,
  type RepositoryContext,
  type RepositoryDocument,
  type RepositoryInput,
  parseInput,
  toObjectId,
} from "@cspm/repository";
import type { ObjectId } from "mongodb";
import { z } from "zod";
import { CHANNEL_TYPES, ChannelSchema, type ChannelType } from "./channelSchema";

const definition = defineRepository({ database: "NOTIFICATIONS", collection: "channels", schema: ChannelSchema, keyFields: ["name"] });

/** A stored channel as read back. */
export type ChannelDocument = RepositoryDocument<typeof ChannelSchema>;

/** Notification channels (`cspm_notifications.channels`), unique by name per team. */
export class ChannelRepository extends BaseRepository<typeof ChannelSchema> {
  /** The registry binding: NOTIFICATIONS / channels. */
  static readonly definition = definition;

  constructor(context: RepositoryContext) {
    super(context, definition);
  }

  /** Creates a channel; its config must match its type and hold secrets only encrypted. Throws `VALIDATION_FAILED`, `CONFLICT` (name taken). */
  async create(teamId: string, input: RepositoryInput<typeof ChannelSchema>): Promise<ChannelDocument> {
    return this.forTeam(teamId).insertOne(input);
  }

  /** The channel named `name`, or `null`. Throws `VALIDATION_FAILED`. */
  async findByName(teamId: string, name: string): Promise<ChannelDocument | null> {
    return this.forTeam(teamId).findOne({ name: parseInput(ChannelSchema.shape.name, name, "name") });
  }

  /** Enabled channels, optionally of one type, by name. Throws `VALIDATION_FAILED`. */
  async listEnabled(teamId: string, type?: ChannelType): Promise<ChannelDocument[]> {
    const filter: Record<string, unknown> = { enabled: true };
    if (type !== undefined) filter["type"] = parseInput(z.enum(CHANNEL_TYPES), type, "type");
    return this.forTeam(teamId).findMany(filter, { sort: { name: 1 }, limit: 1000 });
  }

  /** Enables or disables a channel. Throws `VALIDATION_FAILED`, `NOT_FOUND`. */
  async setEnabled(teamId: string, id: ObjectId | string, enabled: boolean): Promise<ChannelDocument> {
    return this.forTeam(teamId).update(toObjectId(id), { enabled: parseInput(z.boolean(), enabled, "enabled") });
  }
}
