import { headerGrade, headerList, headerName, headerScore, issueCode, missingHeaderSeverity } from "../normalize/headerFindings";
import { clip, httpUrl, isObject, type Json, objectAt, text, textAt, timestamp } from "../normalize/values";
import { type FormatDefinition, type HeaderScanInput, perRecordMapper } from "./formatDefinition";

type Issue = NonNullable<HeaderScanInput["issues"]>[number];

/** humble's section of a report whose title starts with `[<n>. <words>` (the numbering shifts between versions). */
function section(report: Json, words: RegExp): unknown[] {
  for (const [key, value] of Object.entries(report)) if (words.test(key)) return Array.isArray(value) ? value : [];
  return [];
}

const NOTHING = /^nothing to report/i;

/** Maps one humble JSON report (one URL) to a header scan result. */
export function mapHumbleReport(
  value: unknown,
  scannedAt: Date,
): { scan: HeaderScanInput } | { issues: { path: string; message: string }[] } {
  if (!isObject(value)) return { issues: [{ path: "", message: "is not a JSON object" }] };
  const info = objectAt(value, "[0. Info]") ?? {};
  const url = httpUrl(textAt(info, "URL"));
  if (url === undefined) return { issues: [{ path: "[0. Info].URL", message: "is missing or not an http(s) URL" }] };
  const response = objectAt(value, "[HTTP Response Headers]") ?? {};
  const missing = section(value, /^\[\d+\. Missing/i)
    .map((h) => text(h))
    .filter((h): h is string => h !== undefined && !NOTHING.test(h));
  const issues: Issue[] = [];
  for (const name of missing) {
    const header = headerName(name);
    issues.push({
      code: "missing-header",
      ...(header === undefined ? {} : { header }),
      severity: header === undefined ? "low" : missingHeaderSeverity(header),
      message: `${name} is missing.`,
    });
  }
  const listed = (pattern: RegExp, code: string, severity: (entry: string) => Issue["severity"]) => {
    for (const entry of section(value, pattern)) {
      const t = text(entry);
      if (t === undefined || NOTHING.test(t)) continue;
      const header = headerName(t.split(/[\s(]/, 1)[0]);
      issues.push({ code, ...(header === undefined ? {} : { header }), severity: severity(t), message: clip(t, 2000) });
    }
  };
  listed(/^\[\d+\. Fingerprint/i, "fingerprint-header", () => "informational");
  listed(/^\[\d+\. Deprecated/i, "deprecated-or-insecure", (t) => (/unsafe|insecure/i.test(t) ? "medium" : "low"));
  listed(/^\[\d+\. Empty/i, "empty-header", () => "low");
  const score = headerScore(issues);
  return {
    scan: {
      tool: "humble",
      target: clip(url, 2048),
      scanned_at: timestamp(textAt(info, "Date")) ?? scannedAt,
      present_headers: headerList(Object.keys(response)),
      missing_headers: headerList(missing),
      issues: issues.slice(0, 500).map((i) => ({ ...i, code: issueCode(i.code) })),
      score,
      grade: headerGrade(score),
    },
  };
}

/** humble (HTTP headers analyzer) JSON report (`-o json`). */
export const HUMBLE: FormatDefinition = {
  id: "humble",
  tool: "humble",
  collection: "header_scans",
  title: "humble JSON (-o json: [0. Info], [HTTP Response Headers], numbered sections)",
  layout: { kind: "json", lines: false },
  sniff: ({ text: head, first }) => first === "{" && /"\[0\. Info\]"\s*:/.test(head),
  createMapper: (options) =>
    perRecordMapper((value) => {
      const outcome = mapHumbleReport(value, options.scannedAt);
      return "scan" in outcome ? { document: { collection: "header_scans", document: outcome.scan } } : { rejections: outcome.issues };
    }),
};
