import { NUCLEI_TEMPLATE_TYPES, type SightedNucleiMatch, severityFromNuclei } from "@cspm/domain";
import { arrayAt, clip, isObject, type Json, text, textAt, timestamp } from "../normalize/values";
import { type FormatDefinition, perRecordMapper } from "./formatDefinition";

const TEMPLATE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$/;

/** A list given as an array or as comma-separated text (Nuclei 2 wrote `tags` as `"network,openssh"`). */
function listOf(value: unknown): string[] {
  const items = Array.isArray(value) ? value : typeof value === "string" ? value.split(",") : [];
  return items.map((item) => text(item)).filter((item): item is string => item !== undefined);
}

/** Either spelling of a field: Nuclei 2 (`templateID`, `matched`, `matcher_name`) or 3 (`template-id`, `matched-at`). */
function either(e: Json, ...keys: string[]): unknown {
  for (const key of keys) if (e[key] !== undefined && e[key] !== null) return e[key];
  return undefined;
}

/** Maps one Nuclei result line (2.x or 3.x field names) to a match, or lists its problems. */
export function mapNucleiMatch(
  e: unknown,
  scannedAt: Date,
): { match: SightedNucleiMatch } | { issues: { path: string; message: string }[] } {
  if (!isObject(e)) return { issues: [{ path: "", message: "is not a JSON object" }] };
  const issues: { path: string; message: string }[] = [];
  const templateId = text(either(e, "template-id", "templateID"));
  if (templateId === undefined) issues.push({ path: "template-id", message: "is missing" });
  else if (!TEMPLATE_ID.test(templateId)) issues.push({ path: "template-id", message: "is not a Nuclei template id" });
  const type = text(e["type"])?.toLowerCase();
  if (type === undefined || !(NUCLEI_TEMPLATE_TYPES as readonly string[]).includes(type))
    issues.push({ path: "type", message: `must be one of ${NUCLEI_TEMPLATE_TYPES.join(", ")}` });
  const matchedAt = text(either(e, "matched-at", "matched"));
  const target = text(e["host"]) ?? matchedAt;
  if (target === undefined) issues.push({ path: "host", message: "is missing (and so is matched-at)" });
  if (issues.length > 0 || templateId === undefined || type === undefined || target === undefined) return { issues };
  const info = isObject(e["info"]) ? e["info"] : {};
  const cves = listOf(at(info, "classification", "cve-id"))
    .map((c) => c.toUpperCase())
    .filter((c) => /^CVE-\d{4}-\d{4,}$/.test(c));
  const cwes = listOf(at(info, "classification", "cwe-id"))
    .map((c) => c.toUpperCase())
    .filter((c) => /^CWE-\d{1,5}$/.test(c));
  const cvss = Number(at(info, "classification", "cvss-score"));
  const extracted = arrayAt(e, either(e, "extracted-results") === undefined ? "extracted_results" : "extracted-results")
    .map((r) => text(r))
    .filter((r): r is string => r !== undefined)
    .slice(0, 100)
    .map((r) => clip(r, 4096));
  const matcher = text(either(e, "matcher-name", "matcher_name"));
  const ip = text(e["ip"]);
  const url = text(e["template-url"]);
  const classification = {
    ...(cves.length > 0 ? { cve_ids: cves.slice(0, 50) } : {}),
    ...(cwes.length > 0 ? { cwe_ids: cwes.slice(0, 50) } : {}),
    ...(Number.isFinite(cvss) && cvss >= 0 && cvss <= 10 && at(info, "classification", "cvss-score") !== undefined
      ? { cvss_score: cvss }
      : {}),
  };
  return {
    match: {
      target: clip(target, 2048),
      scanned_at: timestamp(e["timestamp"]) ?? scannedAt,
      template_id: templateId,
      name: clip(textAt(info, "name") ?? templateId, 1000),
      severity: severityFromNuclei(textAt(info, "severity") ?? "info"),
      type: type as SightedNucleiMatch["type"],
      matched_at: clip(matchedAt ?? target, 4096),
      tags: listOf(info["tags"])
        .map((t) => clip(t, 128))
        .slice(0, 100),
      ...(matcher === undefined ? {} : { matcher_name: clip(matcher, 256) }),
      ...(extracted.length > 0 ? { extracted_results: extracted } : {}),
      ...(Object.keys(classification).length > 0 ? { classification } : {}),
      ...(ip === undefined && url === undefined
        ? {}
        : { metadata: { ...(ip === undefined ? {} : { ip }), ...(url === undefined ? {} : { template_url: url }) } }),
    },
  };
}

function at(value: Json, ...path: string[]): unknown {
  let current: unknown = value;
  for (const key of path) current = isObject(current) ? current[key] : undefined;
  return current;
}

/** Nuclei `-json`/`-jsonl` output, 2.x (`templateID`, `matched`) and 3.x (`template-id`, `matched-at`): JSON Lines or an array. */
export const NUCLEI: FormatDefinition = {
  id: "nuclei",
  tool: "nuclei",
  collection: "nuclei_scans",
  title: "Nuclei JSON / JSON Lines (2.x templateID/matched, 3.x template-id/matched-at)",
  layout: { kind: "json", lines: true },
  sniff: ({ text: head, first }) => (first === "[" || first === "{") && /"(templateID|template-id)"\s*:/.test(head),
  createMapper: (options) =>
    perRecordMapper((value) => {
      const outcome = mapNucleiMatch(value, options.scannedAt);
      return "match" in outcome ? { document: { collection: "nuclei_scans", document: outcome.match } } : { rejections: outcome.issues };
    }),
};
