import {
  CloudProviderSchema,
  complianceFromMap,
  FINDING_STATUSES,
  SEVERITIES,
  validateProviderAccountId,
  type CloudProvider,
  type ResourceTag,
  type ScannedFinding,
  type Severity,
} from "@cspm/domain";
import { isCspmError, type FieldIssue } from "@cspm/errors";

/** The two Prowler output formats the worker reads. */
export const FINDING_FORMATS = ["prowler", "ocsf"] as const;
/**
 * `prowler`: Prowler's native JSON (an array of objects with `CheckID`, `Status`, `Compliance` …);
 * `ocsf`: Prowler's OCSF JSON (Detection Finding objects, `class_uid` 2004, with `metadata.event_code`).
 */
export type FindingFormat = (typeof FINDING_FORMATS)[number];

/** A finding mapped to the domain's shape, before the import assigns it a scan run (`scan_id`). */
export type MappedFinding = Omit<ScannedFinding, "scan_id">;

/** The outcome of mapping one element of a Prowler file. */
export type MapFindingResult =
  | { readonly ok: true; readonly format: FindingFormat; readonly finding: MappedFinding }
  | { readonly ok: false; readonly format: FindingFormat | undefined; readonly issues: readonly FieldIssue[] };

type Json = Record<string, unknown>;

const OCSF_DETECTION_FINDING = 2004;
const OCSF_SEVERITY_BY_ID: Readonly<Record<number, Severity>> = {
  1: "informational",
  2: "low",
  3: "medium",
  4: "high",
  5: "critical",
  6: "critical",
};
const CHECK_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$/;
const LIMITS = {
  check_title: 1000,
  status_extended: 4000,
  service_name: 128,
  region: 64,
  resource_type: 256,
  resource_name: 1024,
  description: 4000,
  risk: 4000,
  recommendation: 4000,
  framework: 128,
  control: 128,
  tag: 256,
} as const;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function objectAt(value: unknown, ...path: string[]): Json | undefined {
  let current: unknown = value;
  for (const key of path) {
    if (!isObject(current)) return undefined;
    current = current[key];
  }
  return isObject(current) ? current : undefined;
}

function textAt(value: unknown, ...path: string[]): string | undefined {
  let current: unknown = value;
  for (const key of path) {
    if (!isObject(current)) return undefined;
    current = current[key];
  }
  if (typeof current === "number" && Number.isFinite(current)) return String(current);
  if (typeof current !== "string") return undefined;
  const trimmed = current.trim();
  return trimmed === "" ? undefined : trimmed;
}

/** The first non-empty text among `keys` of `value`. */
function firstText(value: Json, keys: readonly string[]): string | undefined {
  for (const key of keys) {
    const text = textAt(value, key);
    if (text !== undefined) return text;
  }
  return undefined;
}

/** Long free text is cut to what the schema stores (with an ellipsis) rather than losing the finding. */
function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * Which format one element is in, or `undefined` for anything else: OCSF when it is a Detection Finding
 * (`class_uid` 2004, or `finding_info` plus `metadata.event_code`), Prowler native JSON when it has `CheckID`.
 */
export function detectFindingFormat(element: unknown): FindingFormat | undefined {
  if (!isObject(element)) return undefined;
  if (
    element["class_uid"] === OCSF_DETECTION_FINDING ||
    (isObject(element["finding_info"]) && textAt(element, "metadata", "event_code") !== undefined)
  ) {
    return "ocsf";
  }
  if (typeof element["CheckID"] === "string") return "prowler";
  return undefined;
}

function severityOf(text: string | undefined, id: unknown): Severity | undefined {
  const lower = text?.toLowerCase();
  if (lower !== undefined) {
    if ((SEVERITIES as readonly string[]).includes(lower)) return lower as Severity;
    if (lower === "info") return "informational";
    if (lower === "fatal") return "critical";
  }
  return typeof id === "number" ? OCSF_SEVERITY_BY_ID[id] : undefined;
}

function statusOf(text: string | undefined): (typeof FINDING_STATUSES)[number] | undefined {
  const upper = text?.toUpperCase();
  if (upper === undefined) return undefined;
  if ((FINDING_STATUSES as readonly string[]).includes(upper)) return upper as (typeof FINDING_STATUSES)[number];
  // Prowler 3 reported checks it could not evaluate as INFO.
  return upper === "INFO" ? "MANUAL" : undefined;
}

function providerOf(text: string | undefined): CloudProvider | undefined {
  const lower = text?.toLowerCase();
  if (lower === "k8s") return "kubernetes";
  const parsed = CloudProviderSchema.safeParse(lower);
  return parsed.success ? parsed.data : undefined;
}

/** Prowler's `{ "CIS-2.0": ["1.1"] }` map (values may be a single text) as the stored compliance array. */
function complianceOf(value: unknown, issues: FieldIssue[]): ReturnType<typeof complianceFromMap> {
  if (value === undefined || value === null) return [];
  if (!isObject(value)) {
    issues.push({ path: "compliance", message: "must be an object of framework -> control ids" });
    return [];
  }
  const map: Record<string, string[]> = {};
  for (const [framework, raw] of Object.entries(value)) {
    const controls = (Array.isArray(raw) ? raw : [raw])
      .filter((c): c is string | number => typeof c === "string" || typeof c === "number")
      .map((c) => String(c).trim())
      .filter((c) => c !== "" && c.length <= LIMITS.control);
    if (framework.trim() === "" || framework.length > LIMITS.framework) continue;
    map[framework] = [...(map[framework] ?? []), ...controls].slice(0, 500);
  }
  return complianceFromMap(map).slice(0, 200);
}

/** Tags from `[{ Key, Value }]`, `[{ key, value }]`, `[{ name, value }]`, `["k:v" | "k=v"]` or a `{ k: v }` map. */
function tagsOf(value: unknown): ResourceTag[] | undefined {
  const pairs: [string, string][] = [];
  if (Array.isArray(value)) {
    for (const item of value) {
      if (typeof item === "string") {
        const at = item.search(/[:=]/);
        pairs.push(at > 0 ? [item.slice(0, at), item.slice(at + 1)] : [item, ""]);
      } else if (isObject(item)) {
        const key = textAt(item, "Key") ?? textAt(item, "key") ?? textAt(item, "name");
        const val = item["Value"] ?? item["value"];
        if (key !== undefined) pairs.push([key, typeof val === "string" || typeof val === "number" ? String(val) : ""]);
      }
    }
  } else if (isObject(value)) {
    for (const [key, val] of Object.entries(value)) if (typeof val === "string" || typeof val === "number") pairs.push([key, String(val)]);
  }
  const seen = new Set<string>();
  const tags: ResourceTag[] = [];
  for (const [rawKey, rawValue] of pairs) {
    const key = rawKey.trim();
    if (key === "" || key.length > LIMITS.tag || seen.has(key)) continue;
    seen.add(key);
    tags.push({ key, value: clip(rawValue, LIMITS.tag) });
    if (tags.length === 100) break;
  }
  return tags.length > 0 ? tags : undefined;
}

function httpUrl(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  try {
    const url = new URL(text);
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/** The fields both formats provide, gathered before the shared checks. */
interface RawFinding {
  provider: string | undefined;
  accountId: string | undefined;
  checkId: string | undefined;
  checkTitle: string | undefined;
  status: string | undefined;
  statusExtended: string | undefined;
  severity: Severity | undefined;
  serviceName: string | undefined;
  region: string | undefined;
  resourceUid: string | undefined;
  resourceType: string | undefined;
  resourceName: string | undefined;
  tags: ResourceTag[] | undefined;
  description: string | undefined;
  risk: string | undefined;
  recommendation: string | undefined;
  recommendationUrl: string | undefined;
  compliance: unknown;
  muted: boolean;
}

function fromProwler(e: Json): RawFinding {
  const recommendation = objectAt(e, "Remediation", "Recommendation");
  return {
    provider: firstText(e, ["Provider", "provider"]),
    // Prowler 3 names the account per provider; Prowler 4's finding model calls it account_uid.
    accountId: firstText(e, [
      "AccountId",
      "account_uid",
      "SubscriptionId",
      "Subscription",
      "ProjectId",
      "ProjectID",
      "Context",
      "ClusterName",
    ]),
    checkId: textAt(e, "CheckID"),
    checkTitle: textAt(e, "CheckTitle"),
    status: textAt(e, "Status"),
    statusExtended: textAt(e, "StatusExtended"),
    severity: severityOf(textAt(e, "Severity"), undefined),
    serviceName: textAt(e, "ServiceName"),
    region: firstText(e, ["Region", "Location", "Namespace"]),
    resourceUid: firstText(e, ["ResourceArn", "ResourceUid", "ResourceId"]),
    resourceType: textAt(e, "ResourceType"),
    resourceName: firstText(e, ["ResourceName", "ResourceId"]),
    tags: tagsOf(e["ResourceTags"]),
    description: textAt(e, "Description"),
    risk: textAt(e, "Risk"),
    recommendation: recommendation === undefined ? undefined : textAt(recommendation, "Text"),
    recommendationUrl: recommendation === undefined ? undefined : textAt(recommendation, "Url"),
    compliance: e["Compliance"],
    muted: e["Muted"] === true,
  };
}

function fromOcsf(e: Json): RawFinding {
  const resources = Array.isArray(e["resources"]) ? e["resources"] : [];
  const resource = isObject(resources[0]) ? resources[0] : {};
  const references = objectAt(e, "remediation")?.["references"];
  const compliance = objectAt(e, "unmapped")?.["compliance"] ?? objectAt(e, "compliance")?.["requirements_map"];
  return {
    provider: textAt(e, "cloud", "provider") ?? textAt(resource, "cloud_partition"),
    accountId: textAt(e, "cloud", "account", "uid") ?? textAt(e, "cloud", "project_uid"),
    checkId: textAt(e, "metadata", "event_code"),
    checkTitle: textAt(e, "finding_info", "title"),
    status: textAt(e, "status_code"),
    statusExtended: textAt(e, "status_detail") ?? textAt(e, "message"),
    severity: severityOf(textAt(e, "severity"), e["severity_id"]),
    serviceName: textAt(resource, "group", "name"),
    region: textAt(resource, "region") ?? textAt(e, "cloud", "region"),
    resourceUid: textAt(resource, "uid") ?? textAt(resource, "name"),
    resourceType: textAt(resource, "type"),
    resourceName: textAt(resource, "name"),
    tags: tagsOf(resource["labels"]) ?? tagsOf(resource["tags"]),
    description: textAt(e, "finding_info", "desc"),
    risk: textAt(e, "risk_details"),
    recommendation: textAt(e, "remediation", "desc"),
    recommendationUrl: Array.isArray(references)
      ? references.find((r): r is string => typeof r === "string" && httpUrl(r) !== undefined)
      : undefined,
    compliance,
    muted: textAt(e, "status")?.toLowerCase() === "suppressed" || objectAt(e, "unmapped")?.["muted"] === true,
  };
}

/**
 * Maps one element of a Prowler file (format detected per element) to the domain's finding shape, or lists
 * its problems by field; long free text is clipped and `muted` is set only when the file mutes the finding
 * (README "Formats" has the field table). Never throws.
 */
export function mapFinding(element: unknown): MapFindingResult {
  const format = detectFindingFormat(element);
  if (format === undefined) {
    return {
      ok: false,
      format,
      issues: [{ path: "", message: "is not a Prowler finding (no CheckID) or an OCSF Detection Finding (class_uid 2004)" }],
    };
  }
  const raw = format === "ocsf" ? fromOcsf(element as Json) : fromProwler(element as Json);
  const issues: FieldIssue[] = [];
  const provider = providerOf(raw.provider);
  if (provider === undefined)
    issues.push({
      path: "provider",
      message: raw.provider === undefined ? "is missing" : `"${clip(raw.provider, 40)}" is not aws, azure, gcp or kubernetes`,
    });
  let accountId: string | undefined;
  if (raw.accountId === undefined) issues.push({ path: "account_id", message: "is missing" });
  else if (provider !== undefined) {
    try {
      accountId = validateProviderAccountId(provider, raw.accountId);
    } catch (error) {
      issues.push({
        path: "account_id",
        message: isCspmError(error) ? `"${clip(raw.accountId, 60)}" ${firstIssue(error) ?? "is not valid"}` : "is not valid",
      });
    }
  }
  if (raw.checkId === undefined) issues.push({ path: "check_id", message: "is missing" });
  else if (!CHECK_ID.test(raw.checkId))
    issues.push({ path: "check_id", message: "must be a Prowler check id such as iam_root_mfa_enabled" });
  const status = statusOf(raw.status);
  if (status === undefined)
    issues.push({ path: "status", message: raw.status === undefined ? "is missing" : "must be PASS, FAIL or MANUAL" });
  if (raw.severity === undefined)
    issues.push({ path: "severity", message: "is missing or not critical, high, medium, low or informational" });
  if (raw.resourceUid !== undefined && raw.resourceUid.length > 2048)
    issues.push({ path: "resource_uid", message: "is longer than 2048 characters" });
  const compliance = complianceOf(raw.compliance, issues);
  if (
    issues.length > 0 ||
    provider === undefined ||
    accountId === undefined ||
    raw.checkId === undefined ||
    status === undefined ||
    raw.severity === undefined
  ) {
    return { ok: false, format, issues };
  }
  const checkId = raw.checkId;
  const resourceUid = raw.resourceUid ?? accountId;
  const url = httpUrl(raw.recommendationUrl);
  const recommendation = raw.recommendation === undefined ? undefined : clip(raw.recommendation, LIMITS.recommendation);
  const finding: MappedFinding = {
    provider,
    account_id: accountId,
    check_id: checkId,
    check_title: clip(raw.checkTitle ?? checkId, LIMITS.check_title),
    status,
    status_extended: clip(raw.statusExtended ?? "", LIMITS.status_extended),
    severity: raw.severity,
    service_name: clip(raw.serviceName ?? checkId.split("_")[0] ?? checkId, LIMITS.service_name),
    region: clip(raw.region ?? "global", LIMITS.region),
    resource_uid: resourceUid,
    resource_type: clip(raw.resourceType ?? "Other", LIMITS.resource_type),
    compliance,
    ...(raw.resourceName === undefined ? {} : { resource_name: clip(raw.resourceName, LIMITS.resource_name) }),
    ...(raw.tags === undefined ? {} : { resource_tags: raw.tags }),
    ...(raw.description === undefined ? {} : { description: clip(raw.description, LIMITS.description) }),
    ...(raw.risk === undefined ? {} : { risk: clip(raw.risk, LIMITS.risk) }),
    ...(recommendation === undefined && url === undefined
      ? {}
      : { remediation: { ...(recommendation === undefined ? {} : { recommendation }), ...(url === undefined ? {} : { url }) } }),
    ...(raw.muted ? { muted: true } : {}),
  };
  return { ok: true, format, finding };
}

function firstIssue(error: unknown): string | undefined {
  const details = (error as { details?: { issues?: { message?: unknown }[] } }).details;
  const message = details?.issues?.[0]?.message;
  return typeof message === "string" ? message : undefined;
}
