import { headerGrade, headerList, headerName, issueCode } from "../normalize/headerFindings";
import { clip, httpUrl, integer, isObject, objectAt, text, textAt, timestamp } from "../normalize/values";
import { type FormatDefinition, type HeaderScanInput, perRecordMapper } from "./formatDefinition";

type Issue = NonNullable<HeaderScanInput["issues"]>[number];
type Grade = NonNullable<HeaderScanInput["grade"]>;

/** Observatory's grades (`A+` … `F`, with `+`/`-`) on the stored scale. */
function gradeOf(value: string | undefined): Grade | undefined {
  if (value === undefined) return undefined;
  if (value === "A+") return "A+";
  const letter = value.charAt(0);
  return (["A", "B", "C", "D", "E", "F"] as const).find((g) => g === letter);
}

/** A failed test's severity from its score modifier: -25 or worse high, -10 or worse medium, any loss low. */
function severityOf(modifier: number): Issue["severity"] {
  return modifier <= -25 ? "high" : modifier <= -10 ? "medium" : modifier < 0 ? "low" : "informational";
}

/** Maps a Mozilla HTTP Observatory result (`{ scan, tests }`) to a header scan result. */
export function mapObservatory(
  value: unknown,
  target: string | undefined,
  scannedAt: Date,
): { scan: HeaderScanInput } | { issues: { path: string; message: string }[] } {
  if (!isObject(value) || !isObject(value["scan"]) || !isObject(value["tests"]))
    return { issues: [{ path: "", message: "is not an Observatory result ({ scan, tests })" }] };
  const scan = value["scan"];
  const tests = value["tests"];
  const url =
    httpUrl(target) ??
    httpUrl(textAt(tests, "redirection", "output", "route", 0)) ??
    httpUrl(textAt(tests, "redirection", "output", "destination"));
  if (url === undefined)
    return {
      issues: [{ path: "tests.redirection.output.route", message: "names no URL: import it with an explicit target (--target <url>)" }],
    };
  const issues: Issue[] = [];
  const missing: string[] = [];
  for (const [name, test] of Object.entries(tests)) {
    if (!isObject(test) || test["pass"] !== false) continue;
    const header = headerName(name);
    const result = text(test["result"]) ?? name;
    if (header !== undefined && /not-implemented/.test(result)) missing.push(header);
    issues.push({
      code: issueCode(result),
      ...(header === undefined || !/-/.test(header) ? {} : { header }),
      severity: severityOf(Number(test["score_modifier"]) || 0),
      message: clip(text(test["score_description"]) ?? result, 2000),
    });
  }
  const score = Math.min(100, Math.max(0, integer(scan["score"], -1000, 1000) ?? 0));
  const status = integer(scan["status_code"], 100, 599);
  const grade = gradeOf(text(scan["grade"])) ?? headerGrade(score);
  return {
    scan: {
      tool: "observatory",
      target: clip(url, 2048),
      scanned_at: timestamp(scan["end_time"]) ?? timestamp(scan["start_time"]) ?? scannedAt,
      ...(status === undefined ? {} : { status_code: status }),
      present_headers: headerList(Object.keys(objectAt(scan, "response_headers") ?? {})),
      missing_headers: headerList(missing),
      issues: issues.slice(0, 500),
      score,
      grade,
      ...(text(scan["state"]) !== undefined && text(scan["state"]) !== "FINISHED"
        ? { error: clip(`scan state ${text(scan["state"])}`, 2000) }
        : {}),
    },
  };
}

/** Mozilla HTTP Observatory JSON (`{ scan, tests }`, the CLI's and API's result). */
export const OBSERVATORY: FormatDefinition = {
  id: "observatory",
  tool: "observatory",
  collection: "header_scans",
  title: "Mozilla HTTP Observatory JSON ({ scan, tests })",
  layout: { kind: "json", lines: false },
  sniff: ({ text: head, first }) =>
    first === "{" && /"scan"\s*:/.test(head) && /"(likelihood_indicator|tests_failed|algorithm_version|tests_quantity)"\s*:/.test(head),
  createMapper: (options) =>
    perRecordMapper((value) => {
      const outcome = mapObservatory(value, options.target, options.scannedAt);
      return "scan" in outcome ? { document: { collection: "header_scans", document: outcome.scan } } : { rejections: outcome.issues };
    }),
};
