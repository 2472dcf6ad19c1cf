import { TeamIdSchema } from "@cspm/repository";
import type { FieldIssue } from "@cspm/errors";
import { isEncryptedEnvelope, parseEnvelope, type EncryptedEnvelope } from "@cspm/crypto";
import { CLOUD_PROVIDERS, type CloudProvider, validateProviderAccountId } from "@cspm/domain";
import { ObjectId } from "mongodb";

/**
 * The shapes legacy `cloud_accounts` documents come in (several generations of the old service wrote them):
 * `{ team_id, cloud_provider | provider | type, account_id | account_number | subscription_id | project_id |
 * cluster_name, account_name | name | alias, credentials (object, JSON text, other text or an envelope),
 * is_active | status, regions | region, tags (map or [{ key, value }] or ["k=v"]), created_at | createdAt,
 * updated_at | updatedAt }`. Anything else is ignored; nothing is required but the identity fields.
 */
export type LegacyCloudAccountDocument = Readonly<Record<string, unknown>> & { readonly _id?: unknown };

/** One legacy account mapped to the enhanced fields, credentials still in plaintext (never logged). */
export interface NormalizedLegacyAccount {
  /** `_id` of the legacy document. */
  readonly sourceId: unknown;
  /** The identity `team_id|provider|account_id`, stamped on the source as `migration_key`. */
  readonly key: string;
  readonly team_id: string;
  readonly provider: CloudProvider;
  readonly account_id: string;
  readonly name?: string;
  readonly status?: "active" | "inactive" | "error" | "pending";
  readonly regions: readonly string[];
  readonly tags: readonly { readonly key: string; readonly value: string }[];
  /** Plaintext credentials to encrypt, or an envelope the legacy service already wrote. */
  readonly credentials?: { readonly plaintext: Readonly<Record<string, unknown>> } | { readonly envelope: EncryptedEnvelope };
  readonly created_at?: Date;
  /** Timestamp this source is ranked by (updated_at, else created_at, else the ObjectId's time). */
  readonly updated_at: Date;
  /** Sort key: newest wins; `<ISO time>|<source id>` so ties break deterministically. */
  readonly rank: string;
}

/** The result of `normalizeLegacyCloudAccount`: the mapped account or the field problems (paths only, never values). */
export type LegacyNormalization =
  | { readonly ok: true; readonly account: NormalizedLegacyAccount }
  | { readonly ok: false; readonly issues: readonly FieldIssue[] };

const PROVIDER_ALIASES: Readonly<Record<string, CloudProvider>> = {
  aws: "aws",
  amazon: "aws",
  "amazon web services": "aws",
  azure: "azure",
  microsoft: "azure",
  "microsoft azure": "azure",
  gcp: "gcp",
  google: "gcp",
  "google cloud": "gcp",
  "google cloud platform": "gcp",
  kubernetes: "kubernetes",
  k8s: "kubernetes",
};

const ACCOUNT_ID_FIELDS = ["account_id", "account_number", "subscription_id", "project_id", "cluster_name", "cluster_id"] as const;
const NAME_FIELDS = ["account_name", "name", "alias", "display_name"] as const;
const STATUSES = new Set(["active", "inactive", "error", "pending"]);
const REGION = /^[a-z0-9][a-z0-9-]{0,63}$/;
const EPOCH = new Date(0);

function firstPresent(doc: LegacyCloudAccountDocument, fields: readonly string[]): unknown {
  for (const field of fields) {
    const value = doc[field];
    if (value !== undefined && value !== null && value !== "") return value;
  }
  return undefined;
}

function asDate(value: unknown): Date | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value;
  if (typeof value === "string" || typeof value === "number") {
    const date = new Date(value);
    return Number.isNaN(date.getTime()) ? undefined : date;
  }
  return undefined;
}

function idText(id: unknown): string {
  if (id instanceof ObjectId) return id.toHexString();
  return typeof id === "string" || typeof id === "number" ? String(id) : (JSON.stringify(id) ?? "");
}

function teamIdOf(value: unknown): string | undefined {
  const text =
    value instanceof ObjectId
      ? value.toHexString()
      : typeof value === "string" || typeof value === "number"
        ? String(value).trim()
        : undefined;
  return text !== undefined && TeamIdSchema.safeParse(text).success ? text : undefined;
}

function providerOf(doc: LegacyCloudAccountDocument): CloudProvider | undefined {
  const raw = firstPresent(doc, ["cloud_provider", "provider", "type"]);
  return typeof raw === "string" ? PROVIDER_ALIASES[raw.trim().toLowerCase()] : undefined;
}

function accountIdOf(provider: CloudProvider, doc: LegacyCloudAccountDocument): string | undefined {
  let raw = firstPresent(doc, ACCOUNT_ID_FIELDS);
  // Older writers stored AWS account numbers as numbers, losing leading zeros.
  if (typeof raw === "number" && Number.isInteger(raw) && raw >= 0) raw = provider === "aws" ? String(raw).padStart(12, "0") : String(raw);
  if (typeof raw !== "string") return undefined;
  let text = raw.trim();
  if (provider === "aws") text = text.replace(/-/g, "");
  try {
    return validateProviderAccountId(provider, text);
  } catch {
    return undefined;
  }
}

function regionsOf(doc: LegacyCloudAccountDocument, issues: FieldIssue[]): string[] {
  const raw = doc.regions ?? doc.region;
  const list = raw === undefined || raw === null ? [] : Array.isArray(raw) ? raw : [raw];
  const regions = new Set<string>();
  list.forEach((item, index) => {
    const region = typeof item === "string" ? item.trim().toLowerCase() : "";
    if (REGION.test(region)) regions.add(region);
    else issues.push({ path: `regions.${index}`, message: "must be a region name such as us-east-1" });
  });
  return [...regions].sort();
}

function tagsOf(doc: LegacyCloudAccountDocument, issues: FieldIssue[]): { key: string; value: string }[] {
  const raw = doc.tags;
  const tags = new Map<string, string>();
  const add = (key: unknown, value: unknown, path: string): void => {
    const k = typeof key === "string" ? key.trim() : "";
    const v =
      value === undefined || value === null
        ? ""
        : typeof value === "string" || typeof value === "number" || typeof value === "boolean"
          ? String(value)
          : undefined;
    if (k === "" || k.length > 256 || v === undefined || v.length > 256)
      issues.push({ path, message: "must be a tag with a key and a short text value" });
    else tags.set(k, v);
  };
  if (Array.isArray(raw)) {
    raw.forEach((item, index) => {
      if (typeof item === "string") {
        const at = item.search(/[=:]/);
        add(at < 0 ? item : item.slice(0, at), at < 0 ? "" : item.slice(at + 1), `tags.${index}`);
      } else if (typeof item === "object" && item !== null) {
        const pair = item as Record<string, unknown>;
        add(pair.key ?? pair.Key ?? pair.name, pair.value ?? pair.Value, `tags.${index}`);
      } else {
        issues.push({ path: `tags.${index}`, message: "must be a tag" });
      }
    });
  } else if (typeof raw === "object" && raw !== null && !(raw instanceof Date)) {
    for (const [key, value] of Object.entries(raw)) add(key, value, `tags.${key}`);
  } else if (raw !== undefined && raw !== null) {
    issues.push({ path: "tags", message: "must be a map or a list of tags" });
  }
  if (tags.size > 100) issues.push({ path: "tags", message: "more than 100 tags" });
  return [...tags.keys()].sort().map((key) => ({ key, value: tags.get(key) as string }));
}

function credentialsOf(doc: LegacyCloudAccountDocument, issues: FieldIssue[]): NormalizedLegacyAccount["credentials"] {
  const raw = doc.credentials ?? doc.encrypted_credentials;
  if (raw === undefined || raw === null || raw === "") return undefined;
  if (isEncryptedEnvelope(raw)) return { envelope: raw };
  if (typeof raw === "string") {
    const text = raw.trim();
    if (text.startsWith("v1:")) {
      try {
        return { envelope: parseEnvelope(text) };
      } catch {
        issues.push({ path: "credentials", message: "looks like an envelope but is malformed" });
        return undefined;
      }
    }
    if (text.startsWith("{")) {
      try {
        const parsed = JSON.parse(text) as unknown;
        if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed))
          return { plaintext: parsed as Record<string, unknown> };
      } catch {
        // Not JSON: kept as one opaque secret below.
      }
    }
    return { plaintext: { secret: raw } };
  }
  if (typeof raw === "object" && !Array.isArray(raw) && !(raw instanceof Date)) {
    const entries = Object.entries(raw as Record<string, unknown>).filter(([, value]) => value !== undefined && value !== null);
    return entries.length === 0 ? undefined : { plaintext: Object.fromEntries(entries) };
  }
  issues.push({ path: "credentials", message: "must be an object, JSON text, text or an encrypted envelope" });
  return undefined;
}

function statusOf(doc: LegacyCloudAccountDocument): NormalizedLegacyAccount["status"] {
  if (typeof doc.status === "string" && STATUSES.has(doc.status.toLowerCase()))
    return doc.status.toLowerCase() as NormalizedLegacyAccount["status"];
  if (typeof doc.is_active === "boolean") return doc.is_active ? "active" : "inactive";
  if (typeof doc.enabled === "boolean") return doc.enabled ? "active" : "inactive";
  return undefined;
}

/** `team_id|provider|account_id` — the identity duplicates are merged by. */
export function cloudAccountKey(teamId: string, provider: string, accountId: string): string {
  return `${teamId}|${provider}|${accountId}`;
}

/**
 * Maps one legacy `cloud_accounts` document to the enhanced account's fields, or lists what is wrong with it
 * (paths and reasons only: values, credentials above all, never appear). Never throws.
 */
export function normalizeLegacyCloudAccount(doc: LegacyCloudAccountDocument): LegacyNormalization {
  const issues: FieldIssue[] = [];
  const teamId = teamIdOf(doc.team_id);
  if (teamId === undefined) issues.push({ path: "team_id", message: "must be a team id (letters, digits, '_', '-')" });
  const provider = providerOf(doc);
  if (provider === undefined) issues.push({ path: "provider", message: `must name one of ${CLOUD_PROVIDERS.join(", ")}` });
  const accountId = provider === undefined ? undefined : accountIdOf(provider, doc);
  if (provider !== undefined && accountId === undefined)
    issues.push({ path: "account_id", message: `is missing or not a valid ${provider} account id` });
  const rawName = firstPresent(doc, NAME_FIELDS);
  const name = typeof rawName === "string" && rawName.trim() !== "" ? rawName.trim().slice(0, 200) : undefined;
  const regions = regionsOf(doc, issues);
  const tags = tagsOf(doc, issues);
  const credentials = credentialsOf(doc, issues);
  const status = statusOf(doc);
  const createdAt = asDate(doc.created_at ?? doc.createdAt) ?? (doc._id instanceof ObjectId ? doc._id.getTimestamp() : undefined);
  const updatedAt = asDate(doc.updated_at ?? doc.updatedAt) ?? createdAt ?? EPOCH;
  if (issues.length > 0 || teamId === undefined || provider === undefined || accountId === undefined) return { ok: false, issues };
  return {
    ok: true,
    account: {
      sourceId: doc._id,
      key: cloudAccountKey(teamId, provider, accountId),
      team_id: teamId,
      provider,
      account_id: accountId,
      ...(name === undefined ? {} : { name }),
      ...(status === undefined ? {} : { status }),
      regions,
      tags,
      ...(credentials === undefined ? {} : { credentials }),
      ...(createdAt === undefined ? {} : { created_at: createdAt }),
      updated_at: updatedAt,
      rank: `${updatedAt.toISOString()}|${idText(doc._id)}`,
    },
  };
}

/** Old spellings of credential keys and the platform's names for them (the shapes `CentralAccountService` accepts). */
const CREDENTIAL_KEY_ALIASES: Readonly<Record<string, string>> = {
  aws_access_key_id: "access_key_id",
  accesskeyid: "access_key_id",
  aws_secret_access_key: "secret_access_key",
  secretaccesskey: "secret_access_key",
  aws_session_token: "session_token",
  sessiontoken: "session_token",
  rolearn: "role_arn",
  externalid: "external_id",
  tenantid: "tenant_id",
  azure_tenant_id: "tenant_id",
  clientid: "client_id",
  azure_client_id: "client_id",
  clientsecret: "client_secret",
  azure_client_secret: "client_secret",
};

/**
 * Renames legacy credential keys (`aws_access_key_id`, `secretAccessKey`, `roleArn`, `clientSecret` …) to the
 * platform's snake_case names; other keys and all values are kept as they are. Never throws, never logs.
 */
export function legacyCredentialKeys(credentials: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(credentials)) {
    const name = CREDENTIAL_KEY_ALIASES[key] ?? CREDENTIAL_KEY_ALIASES[key.replace(/_/g, "").toLowerCase()] ?? key;
    // A key already in the platform's spelling wins over an alias of it.
    if (name === key || !Object.hasOwn(credentials, name)) out[name] = value;
  }
  return out;
}
