import { isCspmError } from "@cspm/errors";
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
import { CloudProviderSchema, validateProviderAccountId, type CloudProvider } from "../common/cloudProvider";
import { EncryptedEnvelopeSchema, type StoredEncryptedEnvelope } from "../common/encryptedEnvelopeSchema";
import { ResourceTagSchema, type ResourceTag } from "../common/resourceTagSchema";
import { CLOUD_ACCOUNT_STATUSES, CloudAccountSchema, LAST_SCAN_STATUSES } from "./cloudAccountSchema";

const definition = defineRepository({
  database: "CLOUD_SECURITY",
  collection: "enhanced_cloud_accounts",
  schema: CloudAccountSchema,
  keyFields: ["provider", "account_id"],
  versioned: true,
  softDelete: true,
});

/** A stored cloud account as read back. */
export type CloudAccountDocument = RepositoryDocument<typeof CloudAccountSchema>;

/** What `CloudAccountRepository.register` takes: `status` defaults to `pending`, `regions` and `tags` to `[]`. */
export type NewCloudAccount = Omit<RepositoryInput<typeof CloudAccountSchema>, "status" | "regions" | "tags"> &
  Partial<Pick<RepositoryInput<typeof CloudAccountSchema>, "status" | "regions" | "tags">>;

/** A cloud account status. */
export type CloudAccountStatus = (typeof CLOUD_ACCOUNT_STATUSES)[number];

/**
 * A team's cloud accounts (`cspm_cloud_security.enhanced_cloud_accounts`, the consolidated collection;
 * never the legacy `cloud_accounts`). Versioned and soft-deleted.
 */
export class CloudAccountRepository extends BaseRepository<typeof CloudAccountSchema> {
  /** The registry binding: CLOUD_SECURITY / enhanced_cloud_accounts. */
  static readonly definition = definition;

  constructor(context: RepositoryContext) {
    super(context, definition);
  }

  /**
   * Registers an account; the provider id is validated and canonicalised (`validateProviderAccountId`).
   * A soft-deleted account with the same provider id is restored and overwritten instead.
   * Throws `VALIDATION_FAILED`, `CONFLICT` (already registered, `details.reason: DUPLICATE_KEY`).
   */
  async register(teamId: string, input: NewCloudAccount): Promise<CloudAccountDocument> {
    const scope = this.forTeam(teamId);
    const accountId = validateProviderAccountId(input.provider, input.account_id);
    const doc = { status: "pending" as const, regions: [], tags: [], ...input, account_id: accountId };
    try {
      return await scope.insertOne(doc);
    } catch (error) {
      if (!(isCspmError(error) && error.code === "CONFLICT")) throw error;
      const deleted = await scope.findOne(trustedFilter({ provider: input.provider, account_id: accountId, deleted_at: { $ne: null } }), {
        includeDeleted: true,
      });
      if (!deleted) throw error;
      await scope.restore(deleted._id);
      const { _id: _ignored, ...changes } = doc as typeof doc & { _id?: ObjectId };
      return scope.update(deleted._id, changes);
    }
  }

  /** The account with this provider id, or `null`. Throws `VALIDATION_FAILED` (malformed id). */
  async findByProviderAccount(teamId: string, provider: CloudProvider, accountId: string): Promise<CloudAccountDocument | null> {
    const p = parseInput(CloudProviderSchema, provider, "provider");
    return this.forTeam(teamId).findOne({ provider: p, account_id: validateProviderAccountId(p, accountId) });
  }

  /** Accounts in `status`, optionally of one provider, by name. Throws `VALIDATION_FAILED`. */
  async listByStatus(teamId: string, status: CloudAccountStatus, provider?: CloudProvider): Promise<CloudAccountDocument[]> {
    const filter: Record<string, unknown> = { status: parseInput(z.enum(CLOUD_ACCOUNT_STATUSES), status, "status") };
    if (provider !== undefined) filter["provider"] = parseInput(CloudProviderSchema, provider, "provider");
    return this.forTeam(teamId).findMany(filter, { sort: { name: 1 }, limit: 1000 });
  }

  /** Active accounts (optionally of one provider): the ones scans should cover. Throws `VALIDATION_FAILED`. */
  async listActive(teamId: string, provider?: CloudProvider): Promise<CloudAccountDocument[]> {
    return this.listByStatus(teamId, "active", provider);
  }

  /** Accounts carrying the tag `{ key, value }` (served by the `team_tags` index). Throws `VALIDATION_FAILED`. */
  async findByTag(teamId: string, tag: ResourceTag): Promise<CloudAccountDocument[]> {
    const { key, value } = parseInput(ResourceTagSchema, tag, "tag");
    return this.forTeam(teamId).findMany(trustedFilter({ tags: { key, value } }), { sort: { name: 1 }, limit: 1000 });
  }

  /**
   * Replaces the encrypted credentials (an `@cspm/crypto` envelope; plaintext is rejected) and stamps
   * `credentials_updated_at`. Throws `VALIDATION_FAILED`, `NOT_FOUND`, `CONFLICT` (`VERSION_CONFLICT` with `expectedVersion`).
   */
  async updateCredentials(
    teamId: string,
    id: ObjectId | string,
    envelope: StoredEncryptedEnvelope,
    options: { at?: Date; expectedVersion?: number } = {},
  ): Promise<CloudAccountDocument> {
    const encrypted = parseInput(EncryptedEnvelopeSchema, envelope, "encrypted_credentials");
    const at = parseInput(z.date(), options.at ?? new Date(), "at");
    return this.forTeam(teamId).update(
      toObjectId(id),
      { encrypted_credentials: encrypted, credentials_updated_at: at },
      options.expectedVersion === undefined ? {} : { expectedVersion: options.expectedVersion },
    );
  }

  /** Sets the status (and an optional message, cleared when absent). Throws `VALIDATION_FAILED`, `NOT_FOUND`. */
  async setStatus(teamId: string, id: ObjectId | string, status: CloudAccountStatus, message?: string): Promise<CloudAccountDocument> {
    const update =
      message === undefined
        ? { $set: { status: parseInput(z.enum(CLOUD_ACCOUNT_STATUSES), status, "status") }, $unset: { status_message: "" } }
        : { $set: { status: parseInput(z.enum(CLOUD_ACCOUNT_STATUSES), status, "status"), status_message: message } };
    const updated = await this.forTeam(teamId).findOneAndUpdate(trustedFilter({ _id: toObjectId(id) }), update, {
      returnDocument: "after",
    });
    return updated ?? this.forTeam(teamId).getById(toObjectId(id));
  }

  /** Records the outcome of a scan on the account (`last_scan_at`, `last_scan_status`). Throws `VALIDATION_FAILED`, `NOT_FOUND`. */
  async recordScan(
    teamId: string,
    id: ObjectId | string,
    outcome: { status: (typeof LAST_SCAN_STATUSES)[number]; at?: Date },
  ): Promise<CloudAccountDocument> {
    return this.forTeam(teamId).update(toObjectId(id), {
      last_scan_status: parseInput(z.enum(LAST_SCAN_STATUSES), outcome.status, "status"),
      last_scan_at: parseInput(z.date(), outcome.at ?? new Date(), "at"),
    });
  }

  /** Soft-deletes the account (hidden from reads; `register` can bring it back). `true` when one was deleted. Throws `VALIDATION_FAILED`. */
  async remove(teamId: string, id: ObjectId | string): Promise<boolean> {
    return this.forTeam(teamId).deleteById(toObjectId(id));
  }
}
