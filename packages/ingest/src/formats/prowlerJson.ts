import { complianceMapOf, normalizeFinding, tagsOf } from "../normalize/findingNormalizer";
import { firstText, isObject, objectAt, textAt, timestamp } from "../normalize/values";
import { type FormatDefinition, perRecordMapper } from "./formatDefinition";

/** Prowler 3 native JSON (`CheckID`, `Status`, `Compliance` …): an array of findings. */
export const PROWLER_JSON: FormatDefinition = {
  id: "prowler-json",
  tool: "prowler",
  collection: "prowler_findings",
  title: "Prowler 3 native JSON (CheckID, StatusExtended, Compliance map)",
  layout: { kind: "json", lines: true },
  sniff: ({ text, first }) => (first === "[" || first === "{") && /"CheckID"\s*:/.test(text),
  createMapper: (options) =>
    perRecordMapper((e) => {
      if (!isObject(e)) return { rejections: [{ path: "", message: "is not a JSON object" }] };
      const recommendation = objectAt(e, "Remediation", "Recommendation");
      const outcome = normalizeFinding(
        {
          provider: firstText(e, ["Provider", "provider"]) ?? "aws",
          accountId: firstText(e, ["AccountId", "account_uid", "SubscriptionId", "Subscription", "ProjectId", "ProjectID", "ClusterName"]),
          checkId: textAt(e, "CheckID"),
          checkTitle: textAt(e, "CheckTitle"),
          status: textAt(e, "Status"),
          statusExtended: textAt(e, "StatusExtended"),
          severity: textAt(e, "Severity"),
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
          compliance: complianceMapOf(e["Compliance"]),
          muted: e["Muted"] === true,
          observedAt: timestamp(e["AssessmentStartTime"]),
        },
        options,
      );
      return outcome.ok ? { document: { collection: "prowler_findings", document: outcome.finding } } : { rejections: outcome.issues };
    }),
};

/** `[check114] Ensure …` -> `check114` and `Ensure …`. */
export function prowlerV2Control(control: string | undefined): { checkId?: string; title?: string } {
  const match = control === undefined ? null : /^\[([A-Za-z0-9_.-]+)\]\s*(.*)$/.exec(control);
  if (!match) return control === undefined ? {} : { title: control };
  return { checkId: match[1] as string, ...(match[2] ? { title: match[2] } : {}) };
}

/** Prowler 2 JSON (`-M json`: one object per line with `Account Number`, `Control`, `Message`). */
export const PROWLER_V2_JSON: FormatDefinition = {
  id: "prowler-v2-json",
  tool: "prowler",
  collection: "prowler_findings",
  title: "Prowler 2 JSON (Account Number, Control, Message; JSON Lines)",
  layout: { kind: "json", lines: true },
  sniff: ({ text, first }) => (first === "[" || first === "{") && /"Account Number"\s*:/.test(text) && /"Control"\s*:/.test(text),
  createMapper: (options) =>
    perRecordMapper((e) => {
      if (!isObject(e)) return { rejections: [{ path: "", message: "is not a JSON object" }] };
      const control = prowlerV2Control(textAt(e, "Control"));
      const resource = textAt(e, "Resource ID");
      const outcome = normalizeFinding(
        {
          provider: "aws",
          accountId: textAt(e, "Account Number"),
          checkId: control.checkId,
          checkTitle: control.title,
          status: textAt(e, "Status"),
          statusExtended: textAt(e, "Message"),
          severity: textAt(e, "Severity"),
          serviceName: textAt(e, "Service"),
          region: textAt(e, "Region"),
          resourceUid: resource,
          resourceType: undefined,
          resourceName: resource,
          description: control.title,
          risk: textAt(e, "Risk"),
          recommendation: textAt(e, "Remediation"),
          recommendationUrl: textAt(e, "Doc link"),
          compliance: undefined,
          muted: false,
          observedAt: timestamp(e["Timestamp"]),
        },
        options,
      );
      return outcome.ok ? { document: { collection: "prowler_findings", document: outcome.finding } } : { rejections: outcome.issues };
    }),
};
