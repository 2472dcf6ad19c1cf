import {
  CLOUD_PROVIDERS,
  complianceFromMap,
  FINDING_PROVIDERS,
  type FindingCompliance,
  type FindingProvider,
  PROVIDER_ACCOUNT_ID_FORMATS,
  type ResourceTag,
  SEVERITIES,
  type Severity,
  type SightedFinding,
} from "@cspm/domain";
import type { FieldIssue } from "@cspm/errors";
import { clip, httpUrl, isObject, text } from "./values";

/** The fields every finding format provides, gathered before the shared checks. */
export interface RawFinding {
  readonly source?: string;
  readonly provider: string | undefined;
  readonly accountId: string | undefined;
  readonly checkId: string | undefined;
  readonly checkTitle: string | undefined;
  readonly status: string | undefined;
  readonly statusExtended: string | undefined;
  readonly severity: string | number | undefined;
  readonly serviceName: string | undefined;
  readonly region: string | undefined;
  readonly resourceUid: string | undefined;
  readonly resourceType: string | undefined;
  readonly resourceName: string | undefined;
  readonly tags?: ResourceTag[] | undefined;
  readonly description: string | undefined;
  readonly risk: string | undefined;
  readonly recommendation: string | undefined;
  readonly recommendationUrl: string | undefined;
  /** Framework key -> control ids (Prowler's map). */
  readonly compliance: Readonly<Record<string, readonly string[]>> | undefined;
  readonly muted: boolean;
  readonly observedAt: Date | undefined;
}

/** What mapping needs from the caller. */
export interface FindingContext {
  /** The explicit account (`--account`): required for placeholder ids, and every record must agree with it. */
  readonly account?: string | undefined;
}

/** A mapped finding, or why the record is not one. */
export type FindingOutcome =
  | { readonly ok: true; readonly finding: SightedFinding }
  | { readonly ok: false; readonly issues: FieldIssue[] };

const CHECK_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$/;
/** Prowler's anonymisation placeholders (`<account_uid>`, `<project_id>` …), whole or inside a value. */
const PLACEHOLDER = /^<[a-z_]+>$/;
const LIMITS = {
  check_title: 1000,
  status_extended: 4000,
  service_name: 128,
  region: 64,
  resource_uid: 2048,
  resource_type: 256,
  resource_name: 1024,
  text: 4000,
  framework: 128,
  control: 128,
} as const;
const OCSF_SEVERITY_BY_ID: Readonly<Record<number, Severity>> = {
  1: "informational",
  2: "low",
  3: "medium",
  4: "high",
  5: "critical",
  6: "critical",
};
const AWS_ACCOUNT = /^\d{12}$/;
const AZURE_GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const GCP_PROJECT = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** True for an anonymisation placeholder such as `<account_uid>`. */
export function isPlaceholder(value: string | undefined): boolean {
  return value !== undefined && PLACEHOLDER.test(value);
}

/** A severity word or OCSF `severity_id` on the platform's scale (`info` -> `informational`, `fatal` -> `critical`). */
export function severityOf(value: string | number | undefined): Severity | undefined {
  if (typeof value === "number") return OCSF_SEVERITY_BY_ID[value];
  const lower = value?.trim().toLowerCase();
  if (lower === undefined) return undefined;
  if ((SEVERITIES as readonly string[]).includes(lower)) return lower as Severity;
  if (lower === "info" || lower === "information") return "informational";
  if (lower === "fatal") return "critical";
  if (lower === "moderate") return "medium";
  return undefined;
}

/** Prowler's statuses (`INFO` of Prowler 2/3 is `MANUAL`; OCSF 2001's `Success`/`Failure`; ASFF `PASSED`/`FAILED`). */
export function statusOf(value: string | undefined): "PASS" | "FAIL" | "MANUAL" | undefined {
  const upper = value?.trim().toUpperCase();
  if (upper === "PASS" || upper === "PASSED" || upper === "SUCCESS") return "PASS";
  if (upper === "FAIL" || upper === "FAILED" || upper === "FAILURE") return "FAIL";
  if (upper === "MANUAL" || upper === "INFO" || upper === "WARNING" || upper === "NOT_AVAILABLE") return "MANUAL";
  return undefined;
}

/** A provider name as Prowler writes it, on the platform's list (`k8s` -> `kubernetes`, `microsoft365` -> `m365`). */
export function providerOf(value: string | undefined): FindingProvider | undefined {
  const lower = value?.trim().toLowerCase();
  if (lower === undefined) return undefined;
  const alias: Record<string, string> = { k8s: "kubernetes", microsoft365: "m365", azurecloud: "azure", gws: "googleworkspace" };
  const name = alias[lower] ?? lower;
  return (FINDING_PROVIDERS as readonly string[]).includes(name) ? (name as FindingProvider) : undefined;
}

/** Why `id` cannot be an account id of `provider` (in canonical form), or `undefined` when it can. */
function accountProblem(provider: FindingProvider, id: string): string | undefined {
  if (!(CLOUD_PROVIDERS as readonly string[]).includes(provider)) {
    return /^[^\s<>$][^\s<>]{0,252}$/.test(id) ? undefined : "must be an account, tenant or organization id without spaces";
  }
  const ok =
    provider === "aws"
      ? AWS_ACCOUNT.test(id)
      : provider === "azure"
        ? AZURE_GUID.test(id)
        : provider === "gcp"
          ? GCP_PROJECT.test(id)
          : id.length <= 253 && id.split(".").every((label) => label.length <= 63 && DNS_LABEL.test(label));
  return ok ? undefined : `must be ${PROVIDER_ACCOUNT_ID_FORMATS[provider as (typeof CLOUD_PROVIDERS)[number]]}`;
}

/** A provider's account id in canonical form (Azure GUIDs lower-case). */
function canonicalAccount(provider: FindingProvider, id: string): string {
  return provider === "azure" ? id.toLowerCase() : id;
}

/** Prowler's compliance map as the stored array (frameworks sorted, controls de-duplicated, sizes bounded). */
export function complianceOf(map: Readonly<Record<string, readonly string[]>> | undefined): FindingCompliance[] {
  if (map === undefined) return [];
  const clean: Record<string, string[]> = {};
  for (const [rawKey, controls] of Object.entries(map)) {
    const key = rawKey.trim();
    if (key === "" || key.length > LIMITS.framework) continue;
    const kept = controls.map((c) => c.trim()).filter((c) => c !== "" && c.length <= LIMITS.control);
    clean[key] = [...(clean[key] ?? []), ...kept].slice(0, 500);
  }
  return complianceFromMap(clean).slice(0, 200);
}

/** A compliance value in any of Prowler's shapes: `{ key: [ids] | id }`, or `["KEY: a, b", …]` (OCSF 2001), or `"KEY: a, b | KEY2: c"` (CSV). */
export function complianceMapOf(value: unknown): Record<string, string[]> | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  const map: Record<string, string[]> = {};
  const addPair = (entry: string): void => {
    const colon = entry.indexOf(":");
    if (colon <= 0) return;
    const key = entry.slice(0, colon).trim();
    const ids = entry
      .slice(colon + 1)
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== "");
    map[key] = [...(map[key] ?? []), ...ids];
  };
  if (typeof value === "string") {
    for (const entry of value.split(" | ")) addPair(entry);
    return map;
  }
  if (Array.isArray(value)) {
    for (const entry of value) if (typeof entry === "string") addPair(entry);
    return map;
  }
  if (isObject(value)) {
    for (const [key, raw] of Object.entries(value)) {
      const ids = (Array.isArray(raw) ? raw : [raw]).map((c) => text(c)).filter((c): c is string => c !== undefined);
      map[key] = ids;
    }
    return map;
  }
  return undefined;
}

/** Tags from `[{ Key, Value }]`, `["k:v" | "k=v"]`, `"k=v | k2=v2"` or a `{ k: v }` map (at most 100). */
export function tagsOf(value: unknown): ResourceTag[] | undefined {
  const pairs: [string, string][] = [];
  const fromText = (item: string): void => {
    const cut = item.search(/[:=]/);
    pairs.push(cut > 0 ? [item.slice(0, cut), item.slice(cut + 1)] : [item, ""]);
  };
  if (typeof value === "string") {
    for (const item of value.split(" | ")) if (item.trim() !== "") fromText(item);
  } else if (Array.isArray(value)) {
    for (const item of value) {
      if (typeof item === "string") fromText(item);
      else if (isObject(item)) {
        const key = text(item["Key"] ?? item["key"] ?? item["name"]);
        if (key !== undefined) pairs.push([key, text(item["Value"] ?? item["value"]) ?? ""]);
      }
    }
  } else if (isObject(value)) {
    for (const [key, val] of Object.entries(value)) if (typeof val === "string" || typeof val === "number") pairs.push([key, String(val)]);
  }
  const seen = new Set<string>();
  const tags: ResourceTag[] = [];
  for (const [rawKey, rawValue] of pairs) {
    const key = rawKey.trim();
    if (key === "" || key.length > 256 || seen.has(key)) continue;
    seen.add(key);
    tags.push({ key, value: clip(rawValue.trim(), 256) });
    if (tags.length === 100) break;
  }
  return tags.length > 0 ? tags : undefined;
}

function replaceAll(value: string | undefined, placeholder: string | undefined, account: string): string | undefined {
  if (value === undefined || placeholder === undefined) return value;
  return value.split(placeholder).join(account);
}

/**
 * Turns the gathered fields of one record into the stored finding shape, or lists its problems by field.
 * The account comes from the record or the explicit account; an anonymisation placeholder is replaced by the
 * explicit account (also inside the resource uid and name) and refused without one. Long free text is
 * clipped; a missing service falls back to the check id's prefix, region to `global`, resource to the account.
 */
export function normalizeFinding(raw: RawFinding, context: FindingContext): FindingOutcome {
  const issues: FieldIssue[] = [];
  const provider = providerOf(raw.provider);
  if (provider === undefined) {
    issues.push({
      path: "provider",
      message: raw.provider === undefined ? "is missing" : `"${clip(raw.provider, 40)}" is not one of ${FINDING_PROVIDERS.join(", ")}`,
    });
  }
  const explicit = context.account?.trim() === "" ? undefined : context.account?.trim();
  const recordAccount = raw.accountId;
  const placeholder = isPlaceholder(recordAccount) ? recordAccount : undefined;
  let accountId: string | undefined;
  if (recordAccount === undefined || placeholder !== undefined) {
    if (explicit === undefined) {
      issues.push({
        path: "account_id",
        message:
          placeholder !== undefined
            ? `"${placeholder}" is an anonymisation placeholder, not an account id: import this file with an explicit account (--account <id>)`
            : "is missing: import this file with an explicit account (--account <id>)",
      });
    } else accountId = explicit;
  } else accountId = recordAccount;
  if (provider !== undefined && accountId !== undefined) {
    const problem = accountProblem(provider, accountId);
    if (problem !== undefined) {
      issues.push({ path: "account_id", message: `"${clip(accountId, 60)}" ${problem}` });
      accountId = undefined;
    } else {
      accountId = canonicalAccount(provider, accountId);
      if (explicit !== undefined && accountId !== canonicalAccount(provider, explicit)) {
        issues.push({
          path: "account_id",
          message: `belongs to ${provider} account ${accountId}, not to the explicit account ${explicit}`,
        });
        accountId = undefined;
      }
    }
  }
  if (raw.checkId === undefined) issues.push({ path: "check_id", message: "is missing" });
  else if (!CHECK_ID.test(raw.checkId))
    issues.push({ path: "check_id", message: `"${clip(raw.checkId, 60)}" is not a check id such as iam_root_mfa_enabled` });
  const status = statusOf(raw.status);
  if (status === undefined)
    issues.push({
      path: "status",
      message: raw.status === undefined ? "is missing" : `"${clip(raw.status, 40)}" is not PASS, FAIL or MANUAL`,
    });
  const severity = severityOf(raw.severity);
  if (severity === undefined) issues.push({ path: "severity", message: "is missing or not critical, high, medium, low or informational" });
  if (
    issues.length > 0 ||
    provider === undefined ||
    accountId === undefined ||
    raw.checkId === undefined ||
    status === undefined ||
    severity === undefined
  ) {
    return { ok: false, issues };
  }
  const resourceUid = replaceAll(raw.resourceUid, placeholder, accountId) ?? accountId;
  if (resourceUid.length > LIMITS.resource_uid)
    return { ok: false, issues: [{ path: "resource_uid", message: `is longer than ${LIMITS.resource_uid} characters` }] };
  const resourceName = replaceAll(raw.resourceName, placeholder, accountId);
  const url = httpUrl(raw.recommendationUrl);
  const recommendation = raw.recommendation === undefined ? undefined : clip(raw.recommendation, LIMITS.text);
  const checkId = raw.checkId;
  const finding: SightedFinding = {
    source: raw.source ?? "prowler",
    provider,
    account_id: accountId,
    check_id: checkId,
    check_title: clip(raw.checkTitle ?? checkId, LIMITS.check_title),
    status,
    status_extended: clip(raw.statusExtended ?? "", LIMITS.status_extended),
    severity,
    service_name: clip(raw.serviceName ?? checkId.split(/[_.]/)[0] ?? checkId, LIMITS.service_name),
    region: clip(raw.region ?? "global", LIMITS.region),
    resource_uid: resourceUid,
    resource_type: clip(raw.resourceType ?? "Other", LIMITS.resource_type),
    compliance: complianceOf(raw.compliance),
    ...(resourceName === undefined ? {} : { resource_name: clip(resourceName, LIMITS.resource_name) }),
    ...(raw.tags === undefined ? {} : { resource_tags: raw.tags }),
    ...(raw.description === undefined ? {} : { description: clip(raw.description, LIMITS.text) }),
    ...(raw.risk === undefined ? {} : { risk: clip(raw.risk, LIMITS.text) }),
    ...(recommendation === undefined && url === undefined
      ? {}
      : { remediation: { ...(recommendation === undefined ? {} : { recommendation }), ...(url === undefined ? {} : { url }) } }),
    ...(raw.muted ? { muted: true } : {}),
    ...(raw.observedAt === undefined ? {} : { observed_at: raw.observedAt }),
  };
  return { ok: true, finding };
}
