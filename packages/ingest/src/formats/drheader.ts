import { severityOf } from "../normalize/findingNormalizer";
import { headerGrade, headerList, headerName, headerScore, issueCode } from "../normalize/headerFindings";
import { arrayAt, clip, httpUrl, isObject, type Json, text, textAt } from "../normalize/values";
import type {
  FormatDefinition,
  HeaderScanInput,
  MapOutput,
  MapperOptions,
  RawRecord,
  RecordMapper,
  RecordRejection,
} from "./formatDefinition";

type Issue = NonNullable<HeaderScanInput["issues"]>[number];

function issueOf(rule: Json): Issue | undefined {
  const name = text(rule["rule"]);
  const message = text(rule["message"]);
  if (name === undefined || message === undefined) return undefined;
  const header = headerName(name);
  const detail = [
    rule["value"] === undefined ? undefined : `value: ${String(rule["value"]).slice(0, 300)}`,
    rule["expected"] === undefined ? undefined : `expected: ${JSON.stringify(rule["expected"])}`,
    rule["anomaly"] === undefined ? undefined : `anomaly: ${JSON.stringify(rule["anomaly"])}`,
  ]
    .filter((d) => d !== undefined)
    .join("; ");
  return {
    code: issueCode(message),
    ...(header === undefined ? {} : { header }),
    severity: severityOf(textAt(rule, "severity")) ?? "medium",
    message: clip(`${name}: ${message}${detail ? ` (${detail})` : ""}`, 2000),
  };
}

/** One URL's drHEADer rule results as a header scan result. */
function scanOf(target: string, rules: readonly Json[], scannedAt: Date): HeaderScanInput {
  const issues = rules.map(issueOf).filter((i): i is Issue => i !== undefined);
  const missing = rules.filter((r) => /not included in response/i.test(text(r["message"]) ?? "")).map((r) => text(r["rule"]));
  const present = rules.filter((r) => r["value"] !== undefined).map((r) => text(r["rule"]));
  const score = headerScore(issues);
  return {
    tool: "drheader",
    target: clip(target, 2048),
    scanned_at: scannedAt,
    present_headers: headerList(present),
    missing_headers: headerList(missing),
    issues: issues.slice(0, 500),
    score,
    grade: headerGrade(score),
  };
}

/**
 * drHEADer's `scan single --json` output is a list of rule results of one URL, which it does not name: the
 * rules are gathered and become one result for `options.target` at the end (rejected without one). Its
 * `scan bulk --json` output is a list of `{ url, report }`, one result each.
 */
function drheaderMapper(options: MapperOptions): RecordMapper {
  const rules: { record: RawRecord; rule: Json }[] = [];
  return {
    map(record) {
      const value = record.value;
      if (isObject(value) && value["report"] !== undefined) {
        const url = httpUrl(textAt(value, "url"));
        if (url === undefined)
          return { documents: [], rejections: [{ record: record.index, path: "url", message: "is missing or not an http(s) URL" }] };
        return {
          documents: [{ collection: "header_scans", document: scanOf(url, arrayAt(value, "report").filter(isObject), options.scannedAt) }],
          rejections: [],
        };
      }
      if (!isObject(value) || text(value["rule"]) === undefined || text(value["message"]) === undefined) {
        return {
          documents: [],
          rejections: [{ record: record.index, path: "", message: "is not a drHEADer rule result (rule, message, severity)" }],
        };
      }
      rules.push({ record, rule: value });
      return { documents: [], rejections: [] };
    },
    end(): MapOutput {
      if (rules.length === 0) return { documents: [], rejections: [] };
      const target = httpUrl(options.target);
      if (target === undefined) {
        const rejections: RecordRejection[] = rules.map(({ record }) => ({
          record: record.index,
          path: "url",
          message: "drHEADer's single-URL report does not name its URL: import it with an explicit target (--target <url>)",
        }));
        return { documents: [], rejections };
      }
      return {
        documents: [
          {
            collection: "header_scans",
            document: scanOf(
              target,
              rules.map((r) => r.rule),
              options.scannedAt,
            ),
          },
        ],
        rejections: [],
      };
    },
  };
}

/** drHEADer JSON (`scan single --json`: rule results of one URL; `scan bulk --json`: `[{ url, report }]`). */
export const DRHEADER: FormatDefinition = {
  id: "drheader",
  tool: "drheader",
  collection: "header_scans",
  title: "drHEADer JSON (scan single: rule results of one URL, needs --target; scan bulk: [{url, report}])",
  layout: { kind: "json", lines: false },
  sniff: ({ text: head, first }) =>
    first === "[" && ((/"rule"\s*:/.test(head) && /"message"\s*:/.test(head)) || (/"url"\s*:/.test(head) && /"report"\s*:/.test(head))),
  createMapper: drheaderMapper,
};
