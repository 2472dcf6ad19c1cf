import { type CacheService, tenantCacheKey, tenantCacheTag } from "@cspm/cache";
import type { CredentialCipher } from "@cspm/crypto";
import {
  CLOUD_ACCOUNT_STATUSES,
  CloudAccountRepository,
  cloudAccountCredentialAad,
  CloudProviderSchema,
  LAST_SCAN_STATUSES,
  RegionSchema,
  ResourceTagSchema,
  ResourceTagsSchema,
  validateProviderAccountId,
  type CloudAccountDocument,
  type CloudProvider,
  type ResourceTag,
} from "@cspm/domain";
import { isCspmError, NotFoundError, ValidationError } from "@cspm/errors";
import {
  ObjectIdHexSchema,
  parseInput,
  parseTeamId,
  type RepositoryFactory,
  type TeamId,
  trustedFilter,
  stringInput,
} from "@cspm/repository";
import { ObjectId } from "mongodb";
import { z } from "zod";
import { cacheKeyDigest } from "./cacheKeyDigest";
import { parseProviderCredentials, preflightCredentials } from "./providerCredentials";
import type { Clock } from "./clock";

/** A cloud account status (`active`, `inactive`, `error`, `pending`). */
export type CloudAccountStatus = (typeof CLOUD_ACCOUNT_STATUSES)[number];
/** The outcome of an account's last scan. */
export type LastScanStatus = (typeof LAST_SCAN_STATUSES)[number];

/**
 * A cloud account as the service returns it: the stored fields without any credential material, plus
 * `has_credentials` and `credentials_updated_at`. `id` is the document id as 24 hex characters.
 */
export interface CloudAccountView {
  readonly id: string;
  readonly team_id: string;
  readonly provider: CloudProvider;
  readonly account_id: string;
  readonly name: string;
  readonly status: CloudAccountStatus;
  readonly status_message?: string;
  readonly regions: readonly string[];
  readonly tags: readonly ResourceTag[];
  readonly has_credentials: boolean;
  readonly credentials_updated_at?: Date;
  readonly last_scan_at?: Date;
  readonly last_scan_status?: LastScanStatus;
  readonly version?: number;
  readonly created_at: Date;
  readonly updated_at: Date;
}

/** What `resolveAccounts` returns per requested id: enough to label data that lives in other databases. */
export interface AccountSummary {
  readonly id: string;
  readonly provider: CloudProvider;
  readonly account_id: string;
  readonly name: string;
  readonly status: CloudAccountStatus;
  /** True for a soft-deleted account (kept so history can still be labelled). */
  readonly deleted: boolean;
}

/** Input of `registerAccount`. */
export interface RegisterAccountInput {
  readonly provider: CloudProvider;
  /** AWS 12-digit account id, Azure subscription GUID, GCP project id or Kubernetes cluster name. */
  readonly accountId: string;
  readonly name: string;
  /** Provider-specific credentials (see `parseProviderCredentials`); encrypted before storage. */
  readonly credentials?: unknown;
  readonly regions?: readonly string[];
  readonly tags?: readonly ResourceTag[];
  /** Default `pending`. */
  readonly status?: CloudAccountStatus;
}

/** Changes `updateAccount` accepts; the provider and account id are the account's identity and never change. */
export interface UpdateAccountInput {
  readonly name?: string;
  readonly regions?: readonly string[];
  readonly tags?: readonly ResourceTag[];
  readonly status?: CloudAccountStatus;
  readonly statusMessage?: string;
}

/** Filters and paging of `listAccounts`. */
export interface ListAccountsOptions {
  readonly provider?: CloudProvider;
  readonly status?: CloudAccountStatus;
  /** Accounts carrying exactly this tag. */
  readonly tag?: ResourceTag;
  /** Page size 1–1000, default 50. */
  readonly limit?: number;
  /** `nextCursor` of the previous page. */
  readonly cursor?: string | null;
}

/** One page of accounts; `nextCursor` is `null` on the last page. */
export interface AccountPage {
  readonly items: CloudAccountView[];
  readonly nextCursor: string | null;
}

/** Dependencies of `CentralAccountService` (built by `createServices`). */
export interface CentralAccountServiceDependencies {
  readonly repositories: RepositoryFactory;
  /** Cache for reads; keys are tenant-scoped, every write invalidates by tag. */
  readonly cache: CacheService;
  readonly cipher: CredentialCipher;
  readonly clock: Clock;
  /** TTL of cached account reads; default 300 s. */
  readonly cacheTtlSeconds?: number;
}

const RegisterSchema = z.strictObject({
  provider: CloudProviderSchema,
  accountId: stringInput().min(1).max(253),
  name: stringInput().trim().min(1).max(200),
  credentials: z.unknown().optional(),
  regions: z.array(RegionSchema).max(200).optional(),
  tags: ResourceTagsSchema.optional(),
  status: z.enum(CLOUD_ACCOUNT_STATUSES).optional(),
});

const UpdateSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(200).optional(),
    regions: z.array(RegionSchema).max(200).optional(),
    tags: ResourceTagsSchema.optional(),
    status: z.enum(CLOUD_ACCOUNT_STATUSES).optional(),
    statusMessage: z.string().max(2000).optional(),
  })
  .refine((changes) => Object.values(changes).some((v) => v !== undefined), "at least one change is required");

const ListSchema = z.strictObject({
  provider: CloudProviderSchema.optional(),
  status: z.enum(CLOUD_ACCOUNT_STATUSES).optional(),
  tag: ResourceTagSchema.optional(),
  limit: z.number().int().min(1).max(1000).optional(),
  cursor: z.string().max(4096).nullable().optional(),
});

const ResolveIdsSchema = z.array(stringInput().min(1).max(253)).max(1000);
const ScanOutcomeSchema = z.strictObject({ status: z.enum(LAST_SCAN_STATUSES), at: z.date().optional() });
const VersionSchema = z.number().int().min(0).optional();
const UpdateOptionsSchema = z.strictObject({ expectedVersion: VersionSchema }, { error: "must be an object" });

/** The associated data every credential envelope is bound to: the team and the account's identity. */
function credentialAad(teamId: string, provider: CloudProvider, accountId: string): Record<string, string> {
  return cloudAccountCredentialAad({ team_id: teamId, provider, account_id: accountId });
}

/** The client-safe view of a stored account: an explicit whitelist, so credential material can never slip through. */
function toView(doc: CloudAccountDocument): CloudAccountView {
  const view: Record<string, unknown> = {
    id: doc._id.toHexString(),
    team_id: doc.team_id,
    provider: doc.provider,
    account_id: doc.account_id,
    name: doc.name,
    status: doc.status,
    regions: [...doc.regions],
    tags: doc.tags.map((t) => ({ key: t.key, value: t.value })),
    has_credentials: doc.encrypted_credentials !== undefined && doc.encrypted_credentials !== null,
    created_at: doc.created_at,
    updated_at: doc.updated_at,
  };
  if (doc.status_message !== undefined) view["status_message"] = doc.status_message;
  if (doc.credentials_updated_at !== undefined) view["credentials_updated_at"] = doc.credentials_updated_at;
  if (doc.last_scan_at !== undefined) view["last_scan_at"] = doc.last_scan_at;
  if (doc.last_scan_status !== undefined) view["last_scan_status"] = doc.last_scan_status;
  if (doc.version !== undefined) view["version"] = doc.version;
  return view as unknown as CloudAccountView;
}

function toSummary(doc: Pick<CloudAccountDocument, "_id" | "provider" | "account_id" | "name" | "status" | "deleted_at">): AccountSummary {
  return {
    id: doc._id.toHexString(),
    provider: doc.provider,
    account_id: doc.account_id,
    name: doc.name,
    status: doc.status,
    deleted: doc.deleted_at instanceof Date,
  };
}

/** Re-labels the domain's `account_id` issue with this API's `accountId`. */
function canonicalAccountId(provider: CloudProvider, accountId: string): string {
  try {
    return validateProviderAccountId(provider, accountId);
  } catch (error) {
    if (error instanceof ValidationError || (isCspmError(error) && error.code === "VALIDATION_FAILED")) {
      const issues = (error as ValidationError).issues.map((i) => ({ ...i, path: i.path === "account_id" ? "accountId" : i.path }));
      throw new ValidationError(error.message, issues, { details: { provider } });
    }
    throw error;
  }
}

/**
 * The single source of truth for a team's cloud accounts (`cspm_cloud_security.enhanced_cloud_accounts`
 * only): register, read, list, update, deactivate, soft-delete, rotate credentials, record scans, and
 * `resolveAccounts` for labelling data of other databases in one query. Provider ids and credential shapes
 * are validated per provider; credentials are encrypted (AES-256-GCM, bound to team and account) before
 * they are stored and are never returned. Reads are cached per tenant; every write invalidates them.
 * Methods throw `VALIDATION_FAILED`, `NOT_FOUND`, `CONFLICT`, `UNAVAILABLE` or `INTERNAL`.
 */
export class CentralAccountService {
  readonly #cipher: CredentialCipher;
  readonly #cache: CacheService;
  readonly #accounts: CloudAccountRepository;
  readonly #ttlSeconds: number;
  readonly #now: () => Date;

  constructor(deps: CentralAccountServiceDependencies) {
    this.#cipher = deps.cipher;
    this.#cache = deps.cache;
    this.#accounts = deps.repositories.get(CloudAccountRepository);
    this.#ttlSeconds = deps.cacheTtlSeconds ?? 300;
    this.#now = deps.clock;
  }

  /** The cache tag covering every cached account read of a team (dashboards that show account names carry it too). */
  static cacheTag(teamId: string): string {
    return tenantCacheTag(teamId, "accounts");
  }

  /**
   * Registers an account: validates the provider id and (if given) the credential shape, encrypts the
   * credentials and stores the account (`pending` unless `status` says otherwise). A soft-deleted account
   * with the same provider id is brought back. Throws `VALIDATION_FAILED` (field paths such as
   * `accountId`, `credentials.secret_access_key`), `CONFLICT` (already registered).
   */
  async registerAccount(teamId: TeamId, input: RegisterAccountInput): Promise<CloudAccountView> {
    const team = parseTeamId(teamId);
    const data = parseInput(RegisterSchema, input, "");
    const accountId = canonicalAccountId(data.provider, data.accountId);
    const now = this.#now();
    const encrypted =
      data.credentials === undefined
        ? undefined
        : this.#cipher.encryptJson(parseProviderCredentials(data.provider, data.credentials), {
            aad: credentialAad(team, data.provider, accountId),
          });
    const doc = await this.#accounts.register(team, {
      provider: data.provider,
      account_id: accountId,
      name: data.name,
      ...(data.regions === undefined ? {} : { regions: data.regions }),
      ...(data.tags === undefined ? {} : { tags: data.tags }),
      ...(data.status === undefined ? {} : { status: data.status }),
      ...(encrypted === undefined ? {} : { encrypted_credentials: encrypted, credentials_updated_at: now }),
    });
    await this.#invalidate(team);
    return toView(doc);
  }

  /** One account by id (24 hex). Cached. Throws `VALIDATION_FAILED`, `NOT_FOUND`. */
  async getAccount(teamId: TeamId, id: string): Promise<CloudAccountView> {
    const team = parseTeamId(teamId);
    const accountId = parseInput(ObjectIdHexSchema, id, "id");
    const view = await this.#cache.wrap(
      () => tenantCacheKey(team, "accounts", "id", accountId.toLowerCase()),
      this.#cacheOptions(team),
      async () => {
        const doc = await this.#accounts.forTeam(team).findById(accountId);
        return doc === null ? null : toView(doc);
      },
    );
    if (view === null) throw new NotFoundError(`No cloud account ${accountId} in this team.`, { details: { id: accountId } });
    return view;
  }

  /**
   * A page of the team's accounts (keyset pagination by id), optionally filtered by provider, status and
   * tag. Cached per filter and cursor. Throws `VALIDATION_FAILED` (bad filter, limit or cursor).
   */
  async listAccounts(teamId: TeamId, options: ListAccountsOptions = {}): Promise<AccountPage> {
    const team = parseTeamId(teamId);
    const query = parseInput(ListSchema, options, "");
    const filter: Record<string, unknown> = {};
    if (query.provider !== undefined) filter["provider"] = query.provider;
    if (query.status !== undefined) filter["status"] = query.status;
    if (query.tag !== undefined) filter["tags"] = { $elemMatch: { key: query.tag.key, value: query.tag.value } };
    const key = () => tenantCacheKey(team, "accounts", "list", cacheKeyDigest([filter, query.limit ?? null, query.cursor ?? null]));
    return this.#cache.wrap(key, this.#cacheOptions(team), async () => {
      const page = await this.#accounts.forTeam(team).paginate({
        filter: trustedFilter(filter),
        ...(query.limit === undefined ? {} : { limit: query.limit }),
        ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
      });
      return { items: page.items.map(toView), nextCursor: page.nextCursor };
    });
  }

  /**
   * Changes name, regions, tags or status (with an optional message); `expectedVersion` makes it
   * optimistic. Throws `VALIDATION_FAILED` (unknown or identity fields, nothing to change), `NOT_FOUND`,
   * `CONFLICT` (`VERSION_CONFLICT`).
   */
  async updateAccount(
    teamId: TeamId,
    id: string,
    changes: UpdateAccountInput,
    options: { expectedVersion?: number } = {},
  ): Promise<CloudAccountView> {
    const team = parseTeamId(teamId);
    const accountId = parseInput(ObjectIdHexSchema, id, "id");
    const data = parseInput(UpdateSchema, changes, "");
    const { expectedVersion } = parseInput(UpdateOptionsSchema, options, "options");
    const set: Record<string, unknown> = {};
    if (data.name !== undefined) set["name"] = data.name;
    if (data.regions !== undefined) set["regions"] = data.regions;
    if (data.tags !== undefined) set["tags"] = data.tags;
    if (data.status !== undefined) set["status"] = data.status;
    if (data.statusMessage !== undefined) set["status_message"] = data.statusMessage;
    return this.#write(team, accountId, async () =>
      toView(await this.#accounts.forTeam(team).update(accountId, set, expectedVersion === undefined ? {} : { expectedVersion })),
    );
  }

  /** Sets the account `inactive` (scans stop covering it), with an optional reason. Throws `VALIDATION_FAILED`, `NOT_FOUND`. */
  async deactivateAccount(teamId: TeamId, id: string, reason?: string): Promise<CloudAccountView> {
    const team = parseTeamId(teamId);
    const accountId = parseInput(ObjectIdHexSchema, id, "id");
    const message = parseInput(z.string().max(2000).optional(), reason, "reason");
    return this.#write(team, accountId, async () => toView(await this.#accounts.setStatus(team, accountId, "inactive", message)));
  }

  /**
   * Soft-deletes the account: hidden from reads and lists, kept for history (`resolveAccounts` still labels
   * it); registering it again restores it. Throws `VALIDATION_FAILED`, `NOT_FOUND`.
   */
  async deleteAccount(teamId: TeamId, id: string): Promise<void> {
    const team = parseTeamId(teamId);
    const accountId = parseInput(ObjectIdHexSchema, id, "id");
    const deleted = await this.#accounts.remove(team, accountId);
    await this.#invalidate(team);
    if (!deleted) throw new NotFoundError(`No cloud account ${accountId} in this team.`, { details: { id: accountId } });
  }

  /**
   * Replaces the account's credentials: validated against the account's provider, encrypted (bound to team
   * and account), stamped with `credentials_updated_at`. Returns the view (never the credentials).
   * Throws `VALIDATION_FAILED`, `NOT_FOUND`.
   */
  async rotateCredentials(teamId: TeamId, id: string, credentials: unknown): Promise<CloudAccountView> {
    const team = parseTeamId(teamId);
    const accountId = parseInput(ObjectIdHexSchema, id, "id");
    preflightCredentials(credentials); // nothing is read for input that can be no provider's credentials
    return this.#write(team, accountId, async () => {
      const current = await this.#accounts.forTeam(team).getById(accountId);
      const envelope = this.#cipher.encryptJson(parseProviderCredentials(current.provider, credentials), {
        aad: credentialAad(team, current.provider, current.account_id),
      });
      return toView(await this.#accounts.updateCredentials(team, accountId, envelope, { at: this.#now() }));
    });
  }

  /** Records the outcome and time (default now) of the account's last scan. Throws `VALIDATION_FAILED`, `NOT_FOUND`. */
  async recordLastScan(teamId: TeamId, id: string, outcome: { status: LastScanStatus; at?: Date }): Promise<CloudAccountView> {
    const team = parseTeamId(teamId);
    const accountId = parseInput(ObjectIdHexSchema, id, "id");
    const scan = parseInput(ScanOutcomeSchema, outcome, "");
    return this.#write(team, accountId, async () =>
      toView(await this.#accounts.recordScan(team, accountId, { status: scan.status, at: scan.at ?? this.#now() })),
    );
  }

  /**
   * Names and providers for many accounts in ONE query — how other services label data of other
   * databases (scan runs, findings) without a cross-database `$lookup` or N+1 reads. Each id may be the
   * account's document id (24 hex) or its provider account id; the map is keyed by the ids as given, and
   * ids of no account of this team are absent. Soft-deleted accounts are included (`deleted: true`).
   * Cached. Throws `VALIDATION_FAILED` (more than 1,000 ids, non-string ids).
   */
  async resolveAccounts(teamId: TeamId, ids: readonly string[]): Promise<ReadonlyMap<string, AccountSummary>> {
    const team = parseTeamId(teamId);
    const wanted = [...new Set(parseInput(ResolveIdsSchema, ids, "ids"))].sort();
    const result = new Map<string, AccountSummary>();
    if (wanted.length === 0) return result;
    const key = () => tenantCacheKey(team, "accounts", "resolve", cacheKeyDigest(wanted));
    const summaries = await this.#cache.wrap(key, this.#cacheOptions(team), async () => {
      const objectIds = wanted.filter((id) => /^[0-9a-fA-F]{24}$/.test(id)).map((id) => new ObjectId(id));
      const clauses: Record<string, unknown>[] = [{ account_id: { $in: wanted } }];
      if (objectIds.length > 0) clauses.push({ _id: { $in: objectIds } });
      const docs = await this.#accounts
        .forTeam(team)
        .findMany(trustedFilter(clauses.length === 1 ? (clauses[0] ?? {}) : { $or: clauses }), {
          includeDeleted: true,
          projection: { provider: 1, account_id: 1, name: 1, status: 1, deleted_at: 1 },
          sort: { _id: 1 },
          limit: 1000,
        });
      return docs.map(toSummary);
    });
    const wantedSet = new Set(wanted);
    // A live account wins over a deleted one that shares its provider id.
    const ordered = [...summaries].sort((a, b) => Number(a.deleted) - Number(b.deleted));
    for (const summary of ordered) {
      for (const id of [summary.id, summary.account_id]) {
        if (wantedSet.has(id) && !result.has(id)) result.set(id, summary);
      }
    }
    return result;
  }

  /** Drops every cached account read of the team (also done by every write). Never throws for cache outages. */
  async invalidate(teamId: TeamId): Promise<void> {
    await this.#invalidate(parseTeamId(teamId));
  }

  #cacheOptions(teamId: string): { ttlSeconds: number; tags: string[] } {
    return { ttlSeconds: this.#ttlSeconds, tags: [CentralAccountService.cacheTag(teamId)] };
  }

  /** One account write: a missing account reads as this service's NOT_FOUND, and the team's cached reads are dropped either way. */
  async #write<T>(team: TeamId, accountId: string, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (isCspmError(error) && error.code === "NOT_FOUND") {
        throw new NotFoundError(`No cloud account ${accountId} in this team.`, { details: { id: accountId }, cause: error });
      }
      throw error;
    } finally {
      await this.#invalidate(team);
    }
  }

  async #invalidate(teamId: string): Promise<void> {
    await this.#cache.invalidateTags([CentralAccountService.cacheTag(teamId)]);
  }
}
