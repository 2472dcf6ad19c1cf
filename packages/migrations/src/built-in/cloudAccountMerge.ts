import type { NormalizedLegacyAccount } from "./legacyCloudAccount";

/** The enhanced account fields this migration manages (identity aside). */
export interface MergedCloudAccountFields {
  readonly name: string;
  readonly status: "active" | "inactive" | "error" | "pending";
  readonly regions: readonly string[];
  readonly tags: readonly { readonly key: string; readonly value: string }[];
  readonly created_at: Date;
  readonly updated_at: Date;
}

/** The existing `enhanced_cloud_accounts` document of an identity, as far as the merge reads it. */
export interface ExistingCloudAccount {
  readonly _id: unknown;
  readonly name?: unknown;
  readonly status?: unknown;
  readonly regions?: unknown;
  readonly tags?: unknown;
  readonly encrypted_credentials?: unknown;
  readonly credentials_updated_at?: unknown;
  readonly created_at?: unknown;
  readonly updated_at?: unknown;
}

/** Where the merged account's credentials come from. */
export type CredentialsChoice =
  | { readonly from: "none" }
  | { readonly from: "existing" }
  | { readonly from: "source"; readonly source: NormalizedLegacyAccount };

/** What `mergeCloudAccountSources` decides. */
export interface CloudAccountMerge {
  readonly fields: MergedCloudAccountFields;
  readonly credentials: CredentialsChoice;
}

interface Candidate {
  readonly rank: string;
  readonly time: Date;
  readonly name?: string;
  readonly status?: MergedCloudAccountFields["status"];
  readonly regions: readonly string[];
  readonly tags: readonly { readonly key: string; readonly value: string }[];
  readonly hasCredentials: boolean;
  readonly created_at?: Date;
  readonly source?: NormalizedLegacyAccount;
}

const STATUSES = new Set(["active", "inactive", "error", "pending"]);

function dateOf(value: unknown): Date | undefined {
  return value instanceof Date && !Number.isNaN(value.getTime()) ? value : undefined;
}

/**
 * The existing document competes with the legacy sources under its `updated_at`; `~` sorts after every
 * ObjectId hex digit, so on equal time the existing document wins. That makes a re-run after a crash a no-op:
 * the target already carries the newest source's time and values, so nothing older can displace them.
 */
function existingCandidate(existing: ExistingCloudAccount): Candidate {
  const time = dateOf(existing.updated_at) ?? dateOf(existing.created_at) ?? new Date(0);
  const regions = Array.isArray(existing.regions) ? existing.regions.filter((r): r is string => typeof r === "string") : [];
  const tags = Array.isArray(existing.tags)
    ? existing.tags.filter(
        (t): t is { key: string; value: string } =>
          typeof t === "object" &&
          t !== null &&
          typeof (t as { key?: unknown }).key === "string" &&
          typeof (t as { value?: unknown }).value === "string",
      )
    : [];
  const created = dateOf(existing.created_at);
  return {
    rank: `${time.toISOString()}|~`,
    time,
    ...(typeof existing.name === "string" && existing.name.trim() !== "" ? { name: existing.name } : {}),
    ...(typeof existing.status === "string" && STATUSES.has(existing.status)
      ? { status: existing.status as MergedCloudAccountFields["status"] }
      : {}),
    regions,
    tags,
    hasCredentials: existing.encrypted_credentials !== undefined && existing.encrypted_credentials !== null,
    ...(created ? { created_at: created } : {}),
  };
}

function sourceCandidate(source: NormalizedLegacyAccount): Candidate {
  return {
    rank: source.rank,
    time: source.updated_at,
    ...(source.name === undefined ? {} : { name: source.name }),
    ...(source.status === undefined ? {} : { status: source.status }),
    regions: source.regions,
    tags: source.tags,
    hasCredentials: source.credentials !== undefined,
    ...(source.created_at === undefined ? {} : { created_at: source.created_at }),
    source,
  };
}

/**
 * Merges the legacy documents of one identity (and the enhanced document, if one exists) deterministically:
 * for each scalar field (name, status, credentials) the newest candidate that has it wins; regions are the
 * sorted union; tags are merged by key, the newest value winning; `created_at` is the earliest, `updated_at`
 * the newest. The result does not depend on the order of `sources`.
 */
export function mergeCloudAccountSources(
  accountId: string,
  sources: readonly NormalizedLegacyAccount[],
  existing?: ExistingCloudAccount,
): CloudAccountMerge {
  const candidates = [...sources.map(sourceCandidate), ...(existing ? [existingCandidate(existing)] : [])].sort((a, b) =>
    a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : 0,
  );
  const newestFirst = [...candidates].reverse();
  const name = newestFirst.find((c) => c.name !== undefined)?.name ?? accountId;
  const status = newestFirst.find((c) => c.status !== undefined)?.status ?? "active";
  const regions = [...new Set(candidates.flatMap((c) => c.regions))].sort();
  const tags = new Map<string, string>();
  for (const candidate of candidates) for (const tag of candidate.tags) tags.set(tag.key, tag.value);
  const created = candidates.map((c) => c.created_at).filter((d): d is Date => d !== undefined);
  const times = candidates.map((c) => c.time.getTime());
  const updatedAt = new Date(Math.max(...times));
  const createdAt = created.length > 0 ? new Date(Math.min(...created.map((d) => d.getTime()))) : updatedAt;
  const withCredentials = newestFirst.find((c) => c.hasCredentials);
  const credentials: CredentialsChoice =
    withCredentials === undefined
      ? { from: "none" }
      : withCredentials.source
        ? { from: "source", source: withCredentials.source }
        : { from: "existing" };
  return {
    fields: {
      name,
      status,
      regions,
      tags: [...tags.keys()].sort().map((key) => ({ key, value: tags.get(key) as string })),
      created_at: createdAt,
      updated_at: updatedAt,
    },
    credentials,
  };
}
