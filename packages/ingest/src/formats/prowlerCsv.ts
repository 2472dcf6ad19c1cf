import { complianceMapOf, normalizeFinding, tagsOf } from "../normalize/findingNormalizer";
import { firstText, textAt, timestamp } from "../normalize/values";
import { type FormatDefinition, perRecordMapper } from "./formatDefinition";
import { prowlerV2Control } from "./prowlerJson";

/** The first header line of a CSV head. */
function headerLine(text: string): string {
  return text.split(/\r?\n/, 1)[0] ?? "";
}

/** Prowler's Kubernetes CSV writes the namespace as the region: `namespace: kube-system`. */
function region(row: Record<string, string>): string | undefined {
  const raw = firstText(row, ["REGION", "LOCATION"]);
  return raw?.startsWith("namespace: ") ? raw.slice("namespace: ".length).trim() || undefined : raw;
}

/** Prowler 3, 4 and 5 CSV (`;`-separated, `CHECK_ID`, `STATUS`, `COMPLIANCE` as `KEY: a, b | KEY2: c`). */
export const PROWLER_CSV: FormatDefinition = {
  id: "prowler-csv",
  tool: "prowler",
  collection: "prowler_findings",
  title: "Prowler 3, 4 and 5 CSV (semicolon-separated)",
  layout: { kind: "csv", delimiter: ";", requiredColumns: ["CHECK_ID", "STATUS", "SEVERITY"] },
  sniff: ({ text }) => {
    const header = headerLine(text);
    return header.includes(";") && /(^|;)CHECK_ID(;|$)/.test(header);
  },
  createMapper: (options) =>
    perRecordMapper((value) => {
      const row = value as Record<string, string>;
      const outcome = normalizeFinding(
        {
          provider: textAt(row, "PROVIDER") ?? "aws",
          accountId: firstText(row, ["ACCOUNT_UID", "ACCOUNT_ID", "SUBSCRIPTION", "PROJECT_ID", "ACCOUNT_NUM"]),
          checkId: textAt(row, "CHECK_ID"),
          checkTitle: textAt(row, "CHECK_TITLE"),
          status: textAt(row, "STATUS"),
          statusExtended: textAt(row, "STATUS_EXTENDED"),
          severity: textAt(row, "SEVERITY"),
          serviceName: textAt(row, "SERVICE_NAME"),
          region: region(row),
          resourceUid: firstText(row, ["RESOURCE_UID", "RESOURCE_ARN", "RESOURCE_ID"]),
          resourceType: textAt(row, "RESOURCE_TYPE"),
          resourceName: firstText(row, ["RESOURCE_NAME", "RESOURCE_ID"]),
          tags: tagsOf(textAt(row, "RESOURCE_TAGS")),
          description: textAt(row, "DESCRIPTION"),
          risk: textAt(row, "RISK"),
          recommendation: textAt(row, "REMEDIATION_RECOMMENDATION_TEXT"),
          recommendationUrl: textAt(row, "REMEDIATION_RECOMMENDATION_URL"),
          compliance: complianceMapOf(textAt(row, "COMPLIANCE")),
          muted: textAt(row, "MUTED")?.toLowerCase() === "true",
          observedAt: timestamp(firstText(row, ["TIMESTAMP", "ASSESSMENT_START_TIME"])),
        },
        options,
      );
      return outcome.ok ? { document: { collection: "prowler_findings", document: outcome.finding } } : { rejections: outcome.issues };
    }),
};

/** Prowler 2 CSV (`,`-separated: `ACCOUNT_NUM`, `TITLE_TEXT` as `[check11] …`, `CHECK_RESULT`). */
export const PROWLER_V2_CSV: FormatDefinition = {
  id: "prowler-v2-csv",
  tool: "prowler",
  collection: "prowler_findings",
  title: "Prowler 2 CSV (comma-separated, TITLE_TEXT and CHECK_RESULT)",
  layout: { kind: "csv", delimiter: ",", requiredColumns: ["ACCOUNT_NUM", "TITLE_TEXT", "CHECK_RESULT", "CHECK_SEVERITY"] },
  sniff: ({ text }) => {
    const header = headerLine(text);
    return /(^|,)ACCOUNT_NUM(,|$)/.test(header) && /(^|,)CHECK_RESULT(,|$)/.test(header);
  },
  createMapper: (options) =>
    perRecordMapper((value) => {
      const row = value as Record<string, string>;
      const control = prowlerV2Control(textAt(row, "TITLE_TEXT"));
      const resource = textAt(row, "CHECK_RESOURCE_ID");
      const outcome = normalizeFinding(
        {
          provider: "aws",
          accountId: textAt(row, "ACCOUNT_NUM"),
          checkId: control.checkId,
          checkTitle: control.title,
          status: textAt(row, "CHECK_RESULT"),
          statusExtended: textAt(row, "CHECK_RESULT_EXTENDED"),
          severity: textAt(row, "CHECK_SEVERITY"),
          serviceName: textAt(row, "CHECK_SERVICENAME"),
          region: textAt(row, "REGION"),
          resourceUid: resource,
          resourceType: textAt(row, "CHECK_ASFF_RESOURCE_TYPE"),
          resourceName: resource,
          description: control.title,
          risk: textAt(row, "CHECK_RISK"),
          recommendation: textAt(row, "CHECK_REMEDIATION"),
          recommendationUrl: textAt(row, "CHECK_DOC"),
          compliance: undefined,
          muted: false,
          observedAt: undefined,
        },
        options,
      );
      return outcome.ok ? { document: { collection: "prowler_findings", document: outcome.finding } } : { rejections: outcome.issues };
    }),
};
