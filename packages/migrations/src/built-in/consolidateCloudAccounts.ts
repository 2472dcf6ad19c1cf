import type { AssociatedData, CredentialCipher, EncryptedEnvelope } from "@cspm/crypto";
import { CloudAccountSchema, cloudAccountCredentialAad } from "@cspm/domain";
import { type FieldIssue, ValidationError, issuesFromZod } from "@cspm/errors";
import { type AnyBulkWriteOperation, type Collection, type Document, type Filter, ObjectId } from "mongodb";
import { defineMigration, type MigrationReport } from "../defineMigration";
import { driverCall, driverCursor } from "../driverCall";
import type { MigrationContext } from "../migrationContext";
import type { CloudAccountIdentity, ConsolidateCloudAccountsOptions } from "./consolidateCloudAccountsOptions";
import { type CloudAccountMerge, type ExistingCloudAccount, mergeCloudAccountSources } from "./cloudAccountMerge";
import {
  type LegacyCloudAccountDocument,
  legacyCredentialKeys,
  type NormalizedLegacyAccount,
  normalizeLegacyCloudAccount,
} from "./legacyCloudAccount";

/** A legacy document with the bookkeeping this migration adds to it. */
interface LegacyDocument extends Document {
  _id: unknown;
  migration_key?: string;
  migrated_at?: Date;
  migrated_to?: ObjectId;
}

/** The `enhanced_cloud_accounts` fields this migration reads and writes. */
interface EnhancedCloudAccountDocument extends Document {
  _id: ObjectId;
  team_id: string;
  provider: string;
  account_id: string;
  name?: string;
  status?: string;
  regions?: string[];
  tags?: { key: string; value: string }[];
  encrypted_credentials?: unknown;
  credentials_updated_at?: Date;
  created_at?: Date;
  updated_at?: Date;
}

/** Legacy collection name; only migrations may name it, through the manager's escape hatch. */
const LEGACY_COLLECTION = "cloud_accounts";
const MAX_REPORTED_IDS = 20;
const NOT_MIGRATED = { migrated_at: { $exists: false } } as const;

/** The binding `CentralAccountService` (`@cspm/services`) presents when it decrypts: team, provider and account id. */
function defaultAad(identity: CloudAccountIdentity): AssociatedData {
  return cloudAccountCredentialAad(identity);
}

function idText(id: unknown): string {
  return id instanceof ObjectId
    ? id.toHexString()
    : typeof id === "string" || typeof id === "number"
      ? String(id)
      : (JSON.stringify(id) ?? "?");
}

/** JSON with object keys sorted, so two credential objects compare by content. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === "object" && v !== null && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v as Record<string, unknown>)
            .sort()
            .map((k) => [k, (v as Record<string, unknown>)[k]]),
        )
      : v,
  );
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a instanceof Date || b instanceof Date) return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, i) => sameValue(item, b[i]));
  }
  if (typeof a === "object" && a !== null && typeof b === "object" && b !== null) {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    return sameValue(ka, kb) && ka.every((k) => sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return a === b;
}

function options(
  ctx: MigrationContext,
): Required<Omit<ConsolidateCloudAccountsOptions, "onBatchWritten" | "mapCredentials">> &
  Pick<ConsolidateCloudAccountsOptions, "onBatchWritten" | "mapCredentials"> {
  const given = ctx.config.cloudAccounts ?? {};
  const batchSize = given.batchSize ?? 500;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) {
    throw new ValidationError("cloudAccounts.batchSize must be an integer from 1 to 10,000.", [
      { path: "cloudAccounts.batchSize", message: "out of range" },
    ]);
  }
  return {
    batchSize,
    deleteSources: given.deleteSources ?? false,
    onInvalid: given.onInvalid ?? "fail",
    credentialsAad: given.credentialsAad ?? defaultAad,
    ...(given.mapCredentials ? { mapCredentials: given.mapCredentials } : {}),
    ...(given.onBatchWritten ? { onBatchWritten: given.onBatchWritten } : {}),
  };
}

function collections(ctx: MigrationContext): { legacy: Collection<Document>; target: Collection<EnhancedCloudAccountDocument> } {
  return {
    legacy: ctx.manager.getLegacyCollectionForMigration(LEGACY_COLLECTION),
    target: ctx.manager.getCollection<EnhancedCloudAccountDocument>("CLOUD_SECURITY", "enhanced_cloud_accounts"),
  };
}

interface InvalidSource {
  readonly id: string;
  readonly issues: readonly FieldIssue[];
}

function invalidError(invalid: readonly InvalidSource[], what: string): ValidationError {
  const issues = invalid
    .slice(0, 50)
    .flatMap((item) => item.issues.map((issue) => ({ path: `${item.id}.${issue.path}`, message: issue.message })));
  return new ValidationError(
    `${invalid.length} legacy cloud account${invalid.length === 1 ? "" : "s"} ${what}. Fix them, or set cloudAccounts.onInvalid = "skip" to leave them behind.`,
    issues,
    { reason: "INVALID_LEGACY_DOCUMENTS", details: { ids: invalid.slice(0, MAX_REPORTED_IDS).map((i) => i.id) } },
  );
}

/**
 * Phase 1: stamps every not-yet-migrated legacy document with its identity `migration_key` (deterministic, so
 * safe to repeat), clears it on documents that no longer map, and collects the invalid ones.
 */
async function stampKeys(
  ctx: MigrationContext,
  legacy: Collection<Document>,
  batchSize: number,
): Promise<{ scanned: number; invalid: InvalidSource[]; needsCipher: boolean }> {
  const invalid: InvalidSource[] = [];
  let scanned = 0;
  let needsCipher = false;
  let ops: AnyBulkWriteOperation<Document>[] = [];
  const flush = async (): Promise<void> => {
    if (ops.length === 0) return;
    const batch = ops;
    ops = [];
    await driverCall("stamp legacy cloud accounts", LEGACY_COLLECTION, () => legacy.bulkWrite(batch, { ordered: false }));
  };
  const cursor = legacy.find(NOT_MIGRATED).sort({ _id: 1 }).batchSize(batchSize);
  for await (const raw of driverCursor(cursor, "read legacy cloud accounts", LEGACY_COLLECTION)) {
    const doc = raw as LegacyDocument;
    scanned += 1;
    const normalized = normalizeLegacyCloudAccount(doc as LegacyCloudAccountDocument);
    if (!normalized.ok) {
      invalid.push({ id: idText(doc._id), issues: normalized.issues });
      if (doc.migration_key !== undefined)
        ops.push({
          updateOne: { filter: { _id: doc._id, ...NOT_MIGRATED } as Filter<Document>, update: { $unset: { migration_key: "" } } },
        });
    } else {
      if (normalized.account.credentials !== undefined) needsCipher = true;
      if (doc.migration_key !== normalized.account.key) {
        ops.push({
          updateOne: {
            filter: { _id: doc._id, ...NOT_MIGRATED } as Filter<Document>,
            update: { $set: { migration_key: normalized.account.key } },
          },
        });
      }
    }
    if (ops.length >= batchSize) await flush();
    if (scanned % batchSize === 0) ctx.throwIfAborted();
  }
  await flush();
  return { scanned, invalid, needsCipher };
}

interface Group {
  readonly key: string;
  readonly sources: NormalizedLegacyAccount[];
  /** Ids of the group's sources that are not marked yet. */
  readonly pendingIds: unknown[];
}

interface BatchOutcome {
  inserted: number;
  updated: number;
  unchanged: number;
  marked: number;
  invalid: InvalidSource[];
}

class CredentialsSealer {
  constructor(
    private readonly cipher: CredentialCipher | undefined,
    private readonly aad: (identity: CloudAccountIdentity) => AssociatedData | undefined,
    private readonly mapCredentials: ConsolidateCloudAccountsOptions["mapCredentials"],
  ) {}

  private opts(identity: CloudAccountIdentity): { aad?: AssociatedData } {
    const aad = this.aad(identity);
    return aad === undefined ? {} : { aad };
  }

  private required(): CredentialCipher {
    if (!this.cipher) {
      throw new ValidationError("Legacy cloud accounts carry credentials: pass config.cipher (a CredentialCipher) to encrypt them.", [
        { path: "config.cipher", message: "is required" },
      ]);
    }
    return this.cipher;
  }

  /** The plaintext object of a source's credentials (decrypting a legacy envelope, which has no binding). */
  plaintext(source: NormalizedLegacyAccount, identity: CloudAccountIdentity): Record<string, unknown> {
    const credentials = source.credentials;
    if (credentials === undefined) return {};
    const raw =
      "plaintext" in credentials ? credentials.plaintext : this.required().decryptJson<Record<string, unknown>>(credentials.envelope);
    return this.mapCredentials ? this.mapCredentials(raw, identity) : legacyCredentialKeys(raw);
  }

  /** True when `envelope` decrypts (under this identity's binding) to the same credentials. */
  sameAs(envelope: unknown, plaintext: Record<string, unknown>, identity: CloudAccountIdentity): boolean {
    try {
      const current = this.required().decryptJson(envelope as EncryptedEnvelope, this.opts(identity));
      return canonicalJson(current) === canonicalJson(plaintext);
    } catch {
      return false;
    }
  }

  seal(plaintext: Record<string, unknown>, identity: CloudAccountIdentity): EncryptedEnvelope {
    return this.required().encryptJson(plaintext, this.opts(identity));
  }
}

/** The `$set` that brings `existing` (or nothing) to the merge, or `undefined` when it already matches. */
function plannedFields(
  merge: CloudAccountMerge,
  identity: CloudAccountIdentity,
  existing: EnhancedCloudAccountDocument | undefined,
  sealer: CredentialsSealer,
): Record<string, unknown> {
  const fields: Record<string, unknown> = {
    ...merge.fields,
    regions: [...merge.fields.regions],
    tags: merge.fields.tags.map((t) => ({ ...t })),
  };
  if (merge.credentials.from === "source") {
    const source = merge.credentials.source;
    const plaintext = sealer.plaintext(source, identity);
    if (existing?.encrypted_credentials !== undefined && sealer.sameAs(existing.encrypted_credentials, plaintext, identity)) {
      // Same secret already sealed: keep the stored envelope rather than churn a fresh IV.
      fields.encrypted_credentials = existing.encrypted_credentials;
      fields.credentials_updated_at = existing.credentials_updated_at ?? source.updated_at;
    } else {
      fields.encrypted_credentials = sealer.seal(plaintext, identity);
      fields.credentials_updated_at = source.updated_at;
    }
  }
  return fields;
}

function schemaIssues(document: Record<string, unknown>): FieldIssue[] {
  const parsed = CloudAccountSchema.safeParse(document);
  return parsed.success ? [] : issuesFromZod(parsed.error);
}

async function writeBatch(
  ctx: MigrationContext,
  groups: readonly Group[],
  index: number,
  target: Collection<EnhancedCloudAccountDocument>,
  legacy: Collection<Document>,
  sealer: CredentialsSealer,
  opts: ReturnType<typeof options>,
): Promise<BatchOutcome> {
  const outcome: BatchOutcome = { inserted: 0, updated: 0, unchanged: 0, marked: 0, invalid: [] };
  const identities = groups.map((g) => {
    const first = g.sources[0] as NormalizedLegacyAccount;
    return { team_id: first.team_id, provider: first.provider, account_id: first.account_id };
  });
  const existingDocs = await driverCall("read enhanced cloud accounts", target.collectionName, () =>
    target.find({ $or: identities.map((i) => ({ ...i })) }).toArray(),
  );
  const existingByKey = new Map(existingDocs.map((doc) => [`${doc.team_id}|${doc.provider}|${doc.account_id}`, doc]));

  const ops: AnyBulkWriteOperation<EnhancedCloudAccountDocument>[] = [];
  const ready: { group: Group; identity: CloudAccountIdentity; targetId?: ObjectId | undefined }[] = [];
  groups.forEach((group, i) => {
    const identity = identities[i] as CloudAccountIdentity;
    const existing = existingByKey.get(group.key);
    const merge = mergeCloudAccountSources(identity.account_id, group.sources, existing as ExistingCloudAccount | undefined);
    const fields = plannedFields(merge, identity, existing, sealer);
    if (existing === undefined) {
      const document = { _id: new ObjectId(), ...identity, ...fields };
      const issues = schemaIssues(document);
      if (issues.length > 0) {
        outcome.invalid.push(...group.pendingIds.map((id) => ({ id: idText(id), issues })));
        return;
      }
      ops.push({ updateOne: { filter: { ...identity }, update: { $setOnInsert: document }, upsert: true } });
      outcome.inserted += 1;
      ready.push({ group, identity });
      return;
    }
    const changed = Object.fromEntries(Object.entries(fields).filter(([key, value]) => !sameValue(existing[key], value)));
    if (Object.keys(changed).length === 0) {
      outcome.unchanged += 1;
      ready.push({ group, identity, targetId: existing._id });
      return;
    }
    const issues = schemaIssues({ ...existing, ...changed });
    if (issues.length > 0) {
      outcome.invalid.push(...group.pendingIds.map((id) => ({ id: idText(id), issues })));
      return;
    }
    ops.push({ updateOne: { filter: { _id: existing._id }, update: { $set: changed } } });
    outcome.updated += 1;
    ready.push({ group, identity, targetId: existing._id });
  });
  if (outcome.invalid.length > 0 && opts.onInvalid === "fail")
    throw invalidError(outcome.invalid, "would not form a valid enhanced account");

  if (ops.length > 0) {
    await driverCall("write enhanced cloud accounts", target.collectionName, () => target.bulkWrite(ops, { ordered: false }));
  }
  const unresolved = ready.filter((r) => r.targetId === undefined);
  if (unresolved.length > 0) {
    const written = await driverCall("read enhanced cloud accounts", target.collectionName, () =>
      target
        .find({ $or: unresolved.map((r) => ({ ...r.identity })) }, { projection: { _id: 1, team_id: 1, provider: 1, account_id: 1 } })
        .toArray(),
    );
    const ids = new Map(written.map((doc) => [`${doc.team_id}|${doc.provider}|${doc.account_id}`, doc._id]));
    for (const r of unresolved) r.targetId = ids.get(r.group.key);
  }
  await opts.onBatchWritten?.({ index, sources: groups.reduce((n, g) => n + g.pendingIds.length, 0), accounts: ready.length });

  // Sources are marked only now that their account is written; a crash before this line re-merges them, idempotently.
  const marks: AnyBulkWriteOperation<Document>[] = ready
    .filter((r) => r.targetId !== undefined && r.group.pendingIds.length > 0)
    .map((r) => ({
      updateMany: {
        filter: { _id: { $in: r.group.pendingIds }, ...NOT_MIGRATED } as Filter<Document>,
        update: { $set: { migrated_to: r.targetId as ObjectId }, $currentDate: { migrated_at: true } },
      },
    }));
  if (marks.length > 0) {
    const result = await driverCall("mark legacy cloud accounts", LEGACY_COLLECTION, () => legacy.bulkWrite(marks, { ordered: false }));
    outcome.marked += result.modifiedCount;
  }
  return outcome;
}

/** Phase 2: walks the stamped documents grouped by identity, merging and writing each group that has unmarked sources. */
async function consolidate(ctx: MigrationContext): Promise<MigrationReport> {
  const opts = options(ctx);
  const { legacy, target } = collections(ctx);
  const stamped = await stampKeys(ctx, legacy, opts.batchSize);
  if (stamped.invalid.length > 0 && opts.onInvalid === "fail") throw invalidError(stamped.invalid, "cannot be mapped");
  if (stamped.needsCipher && !ctx.config.cipher) {
    throw new ValidationError("Legacy cloud accounts carry credentials: pass config.cipher (a CredentialCipher) to encrypt them.", [
      { path: "config.cipher", message: "is required" },
    ]);
  }
  const sealer = new CredentialsSealer(ctx.config.cipher, opts.credentialsAad, opts.mapCredentials);
  const total = await driverCall("count legacy cloud accounts", LEGACY_COLLECTION, () =>
    legacy.countDocuments({ migration_key: { $exists: true }, ...NOT_MIGRATED }),
  );
  const totals = { groups: 0, inserted: 0, updated: 0, unchanged: 0, marked: 0, batches: 0 };
  const invalid: InvalidSource[] = [...stamped.invalid];
  let done = 0;
  ctx.progress(0, total);

  let batch: Group[] = [];
  let batchSources = 0;
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const groups = batch;
    batch = [];
    batchSources = 0;
    const outcome = await writeBatch(ctx, groups, totals.batches, target, legacy, sealer, opts);
    totals.batches += 1;
    totals.groups += groups.length;
    totals.inserted += outcome.inserted;
    totals.updated += outcome.updated;
    totals.unchanged += outcome.unchanged;
    totals.marked += outcome.marked;
    invalid.push(...outcome.invalid);
    done += groups.reduce((n, g) => n + g.pendingIds.length, 0);
    ctx.progress(Math.min(done, total), total);
  };

  let current: Group | undefined;
  const close = async (): Promise<void> => {
    if (current && current.pendingIds.length > 0) {
      batch.push(current);
      batchSources += current.sources.length;
      if (batchSources >= opts.batchSize) await flush();
    }
    current = undefined;
  };
  const cursor = legacy
    .find({ migration_key: { $exists: true } })
    .sort({ migration_key: 1, _id: 1 })
    .batchSize(opts.batchSize)
    .allowDiskUse(true);
  for await (const raw of driverCursor(cursor, "consolidate legacy cloud accounts", LEGACY_COLLECTION)) {
    const doc = raw as LegacyDocument;
    const normalized = normalizeLegacyCloudAccount(doc as LegacyCloudAccountDocument);
    // A document whose stamp no longer matches its content waits for the next run's phase 1.
    if (!normalized.ok || normalized.account.key !== doc.migration_key) continue;
    if (current?.key !== normalized.account.key) {
      await close();
      current = { key: normalized.account.key, sources: [], pendingIds: [] };
    }
    current.sources.push(normalized.account);
    if (doc.migrated_at === undefined) current.pendingIds.push(doc._id);
  }
  await close();
  await flush();
  ctx.progress(total, total);

  let deleted = 0;
  if (opts.deleteSources) {
    const result = await driverCall("delete migrated legacy cloud accounts", LEGACY_COLLECTION, () =>
      legacy.deleteMany({ migrated_at: { $exists: true } }),
    );
    deleted = result.deletedCount;
  }
  return {
    legacy_scanned: stamped.scanned,
    groups_processed: totals.groups,
    accounts_inserted: totals.inserted,
    accounts_updated: totals.updated,
    accounts_unchanged: totals.unchanged,
    sources_marked: totals.marked,
    sources_deleted: deleted,
    invalid: invalid.length,
    invalid_ids: invalid.slice(0, MAX_REPORTED_IDS).map((i) => i.id),
  };
}

/** Counts what `consolidate` would do without writing: sources pending, invalid, accounts to create or merge into. */
async function consolidateDryRun(ctx: MigrationContext): Promise<MigrationReport> {
  const opts = options(ctx);
  const { legacy, target } = collections(ctx);
  const pendingByKey = new Map<string, { team_id: string; provider: string; account_id: string; count: number }>();
  let pending = 0;
  let invalid = 0;
  const cursor = legacy.find(NOT_MIGRATED).sort({ _id: 1 }).batchSize(opts.batchSize);
  for await (const doc of driverCursor(cursor, "read legacy cloud accounts", LEGACY_COLLECTION)) {
    const normalized = normalizeLegacyCloudAccount(doc as LegacyCloudAccountDocument);
    if (!normalized.ok) {
      invalid += 1;
      continue;
    }
    pending += 1;
    const { key, team_id, provider, account_id } = normalized.account;
    const entry = pendingByKey.get(key) ?? { team_id, provider, account_id, count: 0 };
    entry.count += 1;
    pendingByKey.set(key, entry);
  }
  const identities = [...pendingByKey.values()];
  let existing = 0;
  for (let i = 0; i < identities.length; i += opts.batchSize) {
    const chunk = identities.slice(i, i + opts.batchSize).map(({ team_id, provider, account_id }) => ({ team_id, provider, account_id }));
    existing += await driverCall("count enhanced cloud accounts", target.collectionName, () => target.countDocuments({ $or: chunk }));
  }
  const migrated = await driverCall("count legacy cloud accounts", LEGACY_COLLECTION, () =>
    legacy.countDocuments({ migrated_at: { $exists: true } }),
  );
  return {
    legacy_pending: pending,
    legacy_already_migrated: migrated,
    invalid,
    accounts_to_insert: identities.length - existing,
    accounts_to_merge: existing,
    duplicates_merged: pending - identities.length,
    sources_to_delete: opts.deleteSources ? pending + migrated : 0,
  };
}

/**
 * Moves legacy `cloud_accounts` into `enhanced_cloud_accounts`: fields mapped, credentials encrypted with
 * `config.cipher` (bound to `{ team_id, provider, account_id }`), duplicates merged by `(team_id, provider, account_id)` —
 * newest wins for scalars, regions and tags united — and sources marked `migrated_at`/`migrated_to`, not
 * deleted unless `config.cloudAccounts.deleteSources`. Batched and safe to resume after a crash: a re-run
 * produces the same documents. Fails with `VALIDATION_FAILED` for unmappable sources (unless `onInvalid: "skip"`)
 * or a missing cipher.
 */
export const CONSOLIDATE_CLOUD_ACCOUNTS_MIGRATION = defineMigration({
  id: "0002-consolidate-cloud-accounts",
  description: "Consolidate legacy cloud_accounts into enhanced_cloud_accounts (credentials encrypted, duplicates merged, sources marked).",
  version: 1,
  up: consolidate,
  dryRun: consolidateDryRun,
});
