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
import { EncryptedEnvelopeSchema, type StoredEncryptedEnvelope } from "../common/encryptedEnvelopeSchema";
import { CONNECTOR_TYPES, ConnectorSchema } from "./connectorSchema";

const definition = defineRepository({
  database: "INTEGRATIONS",
  collection: "connectors",
  schema: ConnectorSchema,
  keyFields: ["type", "name"],
});

/** A stored connector as read back. */
export type ConnectorDocument = RepositoryDocument<typeof ConnectorSchema>;

type ConnectorType = (typeof CONNECTOR_TYPES)[number];

/** Connectors to external tools (`cspm_integrations.connectors`), unique by type and name per team. */
export class ConnectorRepository extends BaseRepository<typeof ConnectorSchema> {
  /** The registry binding: INTEGRATIONS / connectors. */
  static readonly definition = definition;

  constructor(context: RepositoryContext) {
    super(context, definition);
  }

  /** Creates a connector (secret only as an encrypted envelope). Throws `VALIDATION_FAILED`, `CONFLICT` (type + name taken). */
  async create(teamId: string, input: RepositoryInput<typeof ConnectorSchema>): Promise<ConnectorDocument> {
    return this.forTeam(teamId).insertOne(input);
  }

  /** The connector of this type and name, or `null`. Throws `VALIDATION_FAILED`. */
  async findByTypeName(teamId: string, type: ConnectorType, name: string): Promise<ConnectorDocument | null> {
    return this.forTeam(teamId).findOne({
      type: parseInput(z.enum(CONNECTOR_TYPES), type, "type"),
      name: parseInput(ConnectorSchema.shape.name, name, "name"),
    });
  }

  /** Active connectors, optionally of one type. Throws `VALIDATION_FAILED`. */
  async listActive(teamId: string, type?: ConnectorType): Promise<ConnectorDocument[]> {
    const filter: Record<string, unknown> = { status: "active" };
    if (type !== undefined) filter["type"] = parseInput(z.enum(CONNECTOR_TYPES), type, "type");
    return this.forTeam(teamId).findMany(filter, { sort: { type: 1, name: 1 }, limit: 1000 });
  }

  /** Replaces the encrypted secret (plaintext rejected). Throws `VALIDATION_FAILED`, `NOT_FOUND`. */
  async updateSecret(teamId: string, id: ObjectId | string, envelope: StoredEncryptedEnvelope): Promise<ConnectorDocument> {
    return this.forTeam(teamId).update(toObjectId(id), {
      encrypted_secret: parseInput(EncryptedEnvelopeSchema, envelope, "encrypted_secret"),
    });
  }

  /** Records a sync: success sets `active` and `last_sync_at`; an error sets `error` and `last_error`. Throws `VALIDATION_FAILED`, `NOT_FOUND`. */
  async recordSync(teamId: string, id: ObjectId | string, outcome: { error?: string; at?: Date }): Promise<ConnectorDocument> {
    const at = parseInput(z.date(), outcome.at ?? new Date(), "at");
    return this.forTeam(teamId).update(
      toObjectId(id),
      outcome.error === undefined
        ? { status: "active", last_sync_at: at }
        : { status: "error", last_error: parseInput(z.string().min(1).max(4000), outcome.error, "error") },
    );
  }
}
