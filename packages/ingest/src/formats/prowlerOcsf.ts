import { type FindingContext, complianceMapOf, normalizeFinding, type RawFinding, tagsOf } from "../normalize/findingNormalizer";
import { arrayAt, httpUrl, isObject, type Json, objectAt, textAt, timestamp } from "../normalize/values";
import { type FormatDefinition, perRecordMapper } from "./formatDefinition";

const DETECTION_FINDING = 2004;
const SECURITY_FINDING = 2001;

/** The first http(s) URL of a list (OCSF `remediation.references`, Prowler 3 `kb_articles`). */
function firstUrl(values: readonly unknown[]): string | undefined {
  for (const value of values) if (typeof value === "string" && httpUrl(value) !== undefined) return value;
  return undefined;
}

/**
 * OCSF Detection Finding (class 2004) as Prowler 4.x and 5.x write it. Before 4.5.0 the event time is
 * `event_time`, from 4.5.0 on `time_dt`; Kubernetes findings have no `cloud` (provider from the `container`
 * profile or the resource type, account from the resource's namespace or the explicit account).
 */
function fromDetectionFinding(e: Json): RawFinding {
  const resource = objectAt(e, "resources", 0) ?? {};
  const profiles = arrayAt(e, "metadata", "profiles");
  const kubernetes =
    textAt(e, "cloud", "provider") === undefined &&
    (profiles.includes("container") ||
      (textAt(resource, "type") ?? "").startsWith("Kubernetes") ||
      textAt(resource, "namespace") !== undefined);
  const namespace = textAt(resource, "namespace");
  return {
    provider: textAt(e, "cloud", "provider") ?? (kubernetes ? "kubernetes" : textAt(resource, "cloud_partition")),
    accountId: textAt(e, "cloud", "account", "uid") ?? (kubernetes ? namespace : undefined),
    checkId: textAt(e, "metadata", "event_code"),
    checkTitle: textAt(e, "finding_info", "title"),
    status: textAt(e, "status_code"),
    statusExtended: textAt(e, "status_detail") ?? textAt(e, "message"),
    severity: textAt(e, "severity") ?? (typeof e["severity_id"] === "number" ? e["severity_id"] : undefined),
    serviceName: textAt(resource, "group", "name"),
    region: textAt(resource, "region") ?? textAt(e, "cloud", "region") ?? namespace,
    resourceUid: textAt(resource, "uid") ?? textAt(resource, "name"),
    resourceType: textAt(resource, "type"),
    resourceName: textAt(resource, "name"),
    tags: tagsOf(resource["labels"]) ?? tagsOf(resource["tags"]),
    description: textAt(e, "finding_info", "desc"),
    risk: textAt(e, "risk_details"),
    recommendation: textAt(e, "remediation", "desc"),
    recommendationUrl: firstUrl(arrayAt(e, "remediation", "references")),
    compliance: complianceMapOf(objectAt(e, "unmapped")?.["compliance"]),
    muted: textAt(e, "status")?.toLowerCase() === "suppressed" || objectAt(e, "unmapped")?.["muted"] === true,
    observedAt: timestamp(e["time_dt"]) ?? timestamp(e["event_time"]) ?? timestamp(at2(e)) ?? timestamp(e["time"]),
  };
}

function at2(e: Json): unknown {
  return objectAt(e, "finding_info")?.["created_time_dt"] ?? objectAt(e, "finding_info")?.["created_time"];
}

/** OCSF Security Finding (class 2001, OCSF 1.0.0-rc.3) as Prowler 3 writes it: `finding`, `compliance.requirements`, the check in `metadata.product.feature.uid`. */
function fromSecurityFinding(e: Json): RawFinding {
  const resource = objectAt(e, "resources", 0) ?? {};
  return {
    provider: textAt(e, "cloud", "provider"),
    accountId: textAt(e, "cloud", "account", "uid") ?? textAt(e, "cloud", "project_uid"),
    checkId: textAt(e, "metadata", "product", "feature", "uid"),
    checkTitle: textAt(e, "finding", "title"),
    status: textAt(e, "compliance", "status") ?? textAt(e, "status"),
    statusExtended: textAt(e, "status_detail") ?? textAt(e, "message"),
    severity: textAt(e, "severity") ?? (typeof e["severity_id"] === "number" ? e["severity_id"] : undefined),
    serviceName: textAt(resource, "group", "name"),
    region: textAt(resource, "region") ?? textAt(e, "cloud", "region"),
    resourceUid: textAt(resource, "uid") ?? textAt(resource, "name"),
    resourceType: textAt(resource, "type"),
    resourceName: textAt(resource, "name"),
    tags: tagsOf(resource["labels"]),
    description: textAt(e, "finding", "desc"),
    risk: textAt(e, "finding", "supporting_data", "Risk"),
    recommendation: textAt(e, "finding", "remediation", "desc"),
    recommendationUrl: firstUrl(arrayAt(e, "finding", "remediation", "kb_articles")),
    compliance: complianceMapOf(arrayAt(e, "compliance", "requirements")),
    muted: textAt(e, "status")?.toLowerCase() === "other",
    observedAt: timestamp(e["time"]) ?? timestamp(textAt(e, "metadata", "original_time")),
  };
}

/** Maps one OCSF record (class 2004 or 2001) of Prowler. */
export function mapOcsfFinding(value: unknown, context: FindingContext) {
  if (!isObject(value)) return { ok: false as const, issues: [{ path: "", message: "is not a JSON object" }] };
  const classUid = value["class_uid"];
  const raw =
    classUid === SECURITY_FINDING || (classUid === undefined && isObject(value["finding"]))
      ? fromSecurityFinding(value)
      : classUid === DETECTION_FINDING || textAt(value, "metadata", "event_code") !== undefined
        ? fromDetectionFinding(value)
        : undefined;
  if (raw === undefined) {
    return {
      ok: false as const,
      issues: [
        {
          path: "class_uid",
          message: `is ${JSON.stringify(classUid) ?? "missing"}: not a Detection Finding (2004) or Security Finding (2001) of Prowler`,
        },
      ],
    };
  }
  return normalizeFinding(raw, context);
}

/** Prowler 3 (class 2001), 4.x before / after 4.5.0 and 5.x (class 2004) OCSF JSON: an array or JSON Lines. */
export const PROWLER_OCSF: FormatDefinition = {
  id: "prowler-ocsf",
  tool: "prowler",
  collection: "prowler_findings",
  title: "Prowler OCSF JSON (3.x class 2001; 4.x before/after 4.5.0 and 5.x class 2004; array or JSON Lines)",
  layout: { kind: "json", lines: true },
  sniff: ({ text, first }) =>
    (first === "[" || first === "{") &&
    (/"event_code"\s*:/.test(text) || /"class_uid"\s*:\s*200[14]\b/.test(text) || /"finding"\s*:\s*\{\s*"title"/.test(text)),
  createMapper: (options) =>
    perRecordMapper((value) => {
      const outcome = mapOcsfFinding(value, options);
      return outcome.ok ? { document: { collection: "prowler_findings", document: outcome.finding } } : { rejections: outcome.issues };
    }),
};
