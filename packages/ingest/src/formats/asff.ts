import { normalizeFinding, type RawFinding, tagsOf } from "../normalize/findingNormalizer";
import { arrayAt, isObject, type Json, objectAt, textAt, timestamp } from "../normalize/values";
import { type FormatDefinition, perRecordMapper } from "./formatDefinition";

/** `arn:aws:securityhub:eu-west-1::product/aws/inspector` -> `aws-inspector`; Prowler's own product -> `prowler`. */
export function asffSource(productArn: string | undefined, productName: string | undefined): string {
  const match = productArn === undefined ? null : /product\/([^/]+)\/([^/]+)$/.exec(productArn);
  const slug = (value: string) =>
    value
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "");
  if (match) {
    const [company, product] = [slug(match[1] as string), slug(match[2] as string)];
    if (company === "prowler" || product === "prowler") return "prowler";
    return `${company}-${product}`.slice(0, 64);
  }
  const name = slug(productName ?? "");
  return name === "" ? "asff" : name === "prowler" ? "prowler" : `aws-${name}`.slice(0, 64);
}

/** Text made into a check id: characters outside `[A-Za-z0-9_.-]` become `-`. */
function checkIdText(value: string): string {
  return value
    .replace(/[^A-Za-z0-9_.-]+/g, "-")
    .replace(/^[^A-Za-z0-9]+/, "")
    .slice(0, 200);
}

/**
 * The check of an ASFF finding: Prowler's `GeneratorId` without its `prowler-` prefix (so it is the same
 * check as in Prowler's other formats); for other products the product's own rule (Inspector: the CVE,
 * Security Hub: the control id, Config: the rule name, GuardDuty: the finding type), prefixed with the source.
 */
function checkOf(e: Json, source: string): string | undefined {
  const generator = textAt(e, "GeneratorId");
  if (source === "prowler") return generator?.replace(/^prowler-/, "");
  const fields = objectAt(e, "ProductFields") ?? {};
  const product =
    source === "aws-inspector"
      ? (textAt(e, "Vulnerabilities", 0, "Id") ?? textAt(fields, "aws/inspector/RuleName") ?? generator)
      : source === "aws-securityhub"
        ? (textAt(fields, "ControlId") ?? textAt(e, "Compliance", "SecurityControlId") ?? generator?.split("/").pop())
        : source === "aws-config"
          ? (textAt(fields, "aws/config/ConfigRuleName") ?? generator?.split("/").pop())
          : source === "aws-guardduty"
            ? (textAt(e, "Types", 0)?.split("/").pop() ?? generator)
            : generator;
  return product === undefined ? undefined : checkIdText(`${source}.${product}`);
}

/** The finding's status: its compliance status, else (findings that are not compliance checks) active = FAIL. */
function statusOf(e: Json): string | undefined {
  const compliance = textAt(e, "Compliance", "Status");
  if (compliance !== undefined) return compliance;
  const workflow = textAt(e, "Workflow", "Status") ?? textAt(e, "WorkflowState");
  if (textAt(e, "RecordState") === "ARCHIVED" || workflow === "RESOLVED") return "PASS";
  return textAt(e, "RecordState") === "ACTIVE" ? "FAIL" : undefined;
}

/** Prowler's `["CIS-1.5 1.20", …]` related requirements as a framework -> controls map. */
function requirementsOf(e: Json): Record<string, string[]> | undefined {
  const map: Record<string, string[]> = {};
  for (const item of arrayAt(e, "Compliance", "RelatedRequirements")) {
    if (typeof item !== "string") continue;
    const [key, ...controls] = item.trim().split(/\s+/);
    if (key === undefined || controls.length === 0) continue;
    map[key] = [...(map[key] ?? []), ...controls];
  }
  return Object.keys(map).length > 0 ? map : undefined;
}

function rawOf(e: Json): RawFinding {
  const source = asffSource(textAt(e, "ProductArn"), textAt(e, "ProductName"));
  const resource = objectAt(e, "Resources", 0) ?? {};
  const prowler = source === "prowler";
  return {
    source,
    provider: "aws",
    accountId: textAt(e, "AwsAccountId"),
    checkId: checkOf(e, source),
    checkTitle: textAt(e, "Title"),
    status: statusOf(e),
    // Prowler writes its StatusExtended as the ASFF Description; other products describe the issue there.
    statusExtended: prowler ? textAt(e, "Description") : textAt(e, "Title"),
    severity: textAt(e, "Severity", "Label") ?? textAt(e, "FindingProviderFields", "Severity", "Label"),
    serviceName: prowler ? undefined : (textAt(e, "ProductName")?.toLowerCase() ?? source),
    region: textAt(resource, "Region") ?? textAt(e, "Region"),
    resourceUid: textAt(resource, "Id"),
    resourceType: textAt(resource, "Type"),
    resourceName: textAt(e, "ProductFields", "ProwlerResourceName") ?? textAt(resource, "Tags", "Name"),
    tags: tagsOf(resource["Tags"]),
    description: prowler ? textAt(e, "Title") : textAt(e, "Description"),
    risk: undefined,
    recommendation: textAt(e, "Remediation", "Recommendation", "Text"),
    recommendationUrl: textAt(e, "Remediation", "Recommendation", "Url") ?? textAt(e, "Vulnerabilities", 0, "Vendor", "Url"),
    compliance: requirementsOf(e),
    muted: textAt(e, "Workflow", "Status") === "SUPPRESSED",
    observedAt: timestamp(e["LastObservedAt"]) ?? timestamp(e["UpdatedAt"]) ?? timestamp(e["FirstObservedAt"]),
  };
}

/** AWS Security Finding Format: Prowler's `json-asff` and Security Hub exports of other products (an array, JSON Lines, or `{ "Findings": [...] }`). */
export const ASFF: FormatDefinition = {
  id: "asff",
  tool: "asff",
  collection: "prowler_findings",
  title: "AWS Security Finding Format (Prowler json-asff; Security Hub: Inspector, GuardDuty, Config, controls …)",
  layout: { kind: "json", lines: true, objectPaths: ["$.Findings.*"] },
  sniff: ({ text, first }) =>
    (first === "[" || first === "{") &&
    (/"SchemaVersion"\s*:\s*"2018-10-08"/.test(text) || (/"ProductArn"\s*:/.test(text) && /"GeneratorId"\s*:/.test(text))),
  createMapper: (options) =>
    perRecordMapper((e) => {
      if (!isObject(e)) return { rejections: [{ path: "", message: "is not a JSON object" }] };
      const outcome = normalizeFinding(rawOf(e), options);
      return outcome.ok ? { document: { collection: "prowler_findings", document: outcome.finding } } : { rejections: outcome.issues };
    }),
};
