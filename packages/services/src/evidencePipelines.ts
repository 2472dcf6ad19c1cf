import { MAX_EVIDENCE_ITEMS, SEVERITIES } from "@cspm/domain";
import { type Document, ObjectId } from "mongodb";

/** The evidence sources, one per database read: cloud security, native scans, vulnerabilities, AI governance. */
export const EVIDENCE_SOURCES = ["cloud_security", "native_scans", "vulnerabilities", "ai_governance"] as const;

/** One evidence source. */
export type EvidenceSource = (typeof EVIDENCE_SOURCES)[number];

/** What one source produced for an assessment (as stored in `assessment_evidence`). */
export interface SourceEvidence {
  readonly source: EvidenceSource;
  readonly collected_at: Date;
  readonly item_count: number;
  /** Plain JSON-like objects, each with a `kind` (`check`, `account_score`, `nuclei`, `ssl`, `header`, `sla_breach` …). */
  readonly items: readonly Record<string, unknown>[];
  readonly summary: Record<string, unknown>;
}

/**
 * What every evidence pipeline is built from. The team is not part of it: the pipelines run through a
 * team-scoped repository (`forTeam(teamId).aggregate`), which adds the tenant condition to every stage that
 * reads a collection.
 */
export interface EvidenceScope {
  /** Provider account ids the assessment is limited to; `null` for all of the team's accounts. */
  readonly accountIds: readonly string[] | null;
  /** When the evidence is collected (`collected_at`). */
  readonly now: Date;
  /** The assessment's own period: evidence is what was seen within it. */
  readonly period: { readonly start: Date; readonly end: Date };
  /** The end of what can be known: the period's end, or now for a period still running. */
  readonly asOf: Date;
}

/** How each source reads the period, stored in its summary so the evidence says what it covers. */
function periodNote(scope: EvidenceScope, basis: string): Record<string, unknown> {
  return { period: { start: scope.period.start, end: scope.period.end, as_of: scope.asOf }, basis };
}

const DAY_MS = 86_400_000;
/** Budget per item kind, so a source never exceeds `MAX_EVIDENCE_ITEMS`. */
const CHECK_ITEMS = MAX_EVIDENCE_ITEMS - 1000;
const SCORE_ITEMS = 1000;
const HALF_ITEMS = Math.floor(MAX_EVIDENCE_ITEMS / 2);

const countIf = (condition: Document): Document => ({ $sum: { $cond: [condition, 1, 0] } });
const isStatus = (status: string): Document => ({ $eq: ["$status", status] });
const num = (value: unknown): number => (typeof value === "number" && Number.isFinite(value) ? value : 0);
const rows = (value: unknown): Document[] => (Array.isArray(value) ? (value as Document[]) : []);
const average = (values: readonly number[]): number =>
  values.length === 0 ? 0 : Math.round((values.reduce((sum, v) => sum + v, 0) / values.length) * 100) / 100;

/** Evidence items must be plain data: ObjectIds become hex text, `null`/`undefined` fields are dropped. */
function plain(value: unknown): unknown {
  if (value instanceof ObjectId) return value.toHexString();
  if (value instanceof Date) return value;
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value)) {
      if (child === null || child === undefined) continue;
      out[key] = plain(child);
    }
    return out;
  }
  return value;
}

function plainItems(docs: readonly Document[]): Record<string, unknown>[] {
  return docs.map((doc) => plain(doc) as Record<string, unknown>);
}

function severityCounts(value: unknown): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(SEVERITIES.map((s) => [s, 0]));
  for (const row of rows(value)) if (typeof row["_id"] === "string" && row["_id"] in counts) counts[row["_id"]] = num(row["n"]);
  return counts;
}

function accountMatch(scope: EvidenceScope): Document {
  return scope.accountIds === null ? {} : { account_id: { $in: [...scope.accountIds] } };
}

// ------------------------------------------------------------------------------------------------ cloud security

/** Findings per check and the latest score per account: one aggregation on `prowler_findings` (scores by a same-database `$lookup`). */
export function cloudSecurityEvidencePipeline(scope: EvidenceScope): Document[] {
  return [
    // Findings sighted during the period (first seen by its end, last seen after its start), at their latest state.
    { $match: { muted: false, first_seen_at: { $lte: scope.asOf }, last_seen_at: { $gte: scope.period.start }, ...accountMatch(scope) } },
    {
      $facet: {
        totals: [
          {
            $group: {
              _id: null,
              findings: { $sum: 1 },
              passed: countIf(isStatus("PASS")),
              failed: countIf(isStatus("FAIL")),
              manual: countIf(isStatus("MANUAL")),
            },
          },
        ],
        failed_by_severity: [{ $match: { status: "FAIL" } }, { $group: { _id: "$severity", n: { $sum: 1 } } }],
        checks: [
          {
            $group: {
              _id: "$check_id",
              title: { $first: "$check_title" },
              severity: { $first: "$severity" },
              service: { $first: "$service_name" },
              passed: countIf(isStatus("PASS")),
              failed: countIf(isStatus("FAIL")),
              manual: countIf(isStatus("MANUAL")),
            },
          },
          { $sort: { failed: -1, _id: 1 } },
          { $limit: CHECK_ITEMS },
        ],
      },
    },
    {
      $lookup: {
        from: "security_scores",
        pipeline: [
          { $match: { computed_at: { $lte: scope.asOf }, ...accountMatch(scope) } },
          { $sort: { computed_at: -1, _id: -1 } },
          {
            $group: {
              _id: "$account_id",
              provider: { $first: "$provider" },
              score: { $first: "$score" },
              computed_at: { $first: "$computed_at" },
            },
          },
          { $sort: { _id: 1 } },
          { $limit: SCORE_ITEMS },
        ],
        as: "scores",
      },
    },
  ];
}

/** The cloud security evidence from the result of `cloudSecurityEvidencePipeline`. */
export function cloudSecurityEvidence(result: readonly Document[], scope: EvidenceScope): SourceEvidence {
  const facet = result[0] ?? {};
  const totals = rows(facet["totals"])[0] ?? {};
  const checks = rows(facet["checks"]).map((row) => ({
    kind: "check",
    check_id: row["_id"],
    title: row["title"],
    severity: row["severity"],
    service: row["service"],
    passed: num(row["passed"]),
    failed: num(row["failed"]),
    manual: num(row["manual"]),
    status: num(row["failed"]) > 0 ? "FAIL" : num(row["passed"]) > 0 ? "PASS" : "MANUAL",
  }));
  const scores = rows(facet["scores"]).map((row) => ({
    kind: "account_score",
    account_id: row["_id"],
    provider: row["provider"],
    score: num(row["score"]),
    computed_at: row["computed_at"],
  }));
  const passed = num(totals["passed"]);
  const failed = num(totals["failed"]);
  const items = plainItems([...checks, ...scores]);
  return {
    source: "cloud_security",
    collected_at: scope.now,
    item_count: items.length,
    items,
    summary: {
      findings: num(totals["findings"]),
      passed,
      failed,
      manual: num(totals["manual"]),
      pass_rate: passed + failed === 0 ? 0 : Math.round((passed / (passed + failed)) * 10_000) / 100,
      failed_by_severity: severityCounts(facet["failed_by_severity"]),
      checks: checks.length,
      failing_checks: checks.filter((c) => c.status === "FAIL").length,
      accounts_scored: scores.length,
      average_score: average(scores.map((s) => s.score)),
      ...periodNote(scope, "findings sighted during the period, at their latest state; each account's latest score by the period's end"),
    },
  };
}

// ------------------------------------------------------------------------------------------------ native scans

/** Nuclei matches per template, the latest SSL result per host:port and header result per URL: one pipeline over three collections of one database. */
export function nativeScansEvidencePipeline(scope: EvidenceScope): Document[] {
  const recent = { scanned_at: { $gte: scope.period.start, $lte: scope.asOf } };
  return [
    { $match: recent },
    {
      $group: {
        _id: "$template_id",
        name: { $first: "$name" },
        severity: { $first: "$severity" },
        matches: { $sum: 1 },
        targets: { $addToSet: "$target" },
        last_scanned_at: { $max: "$scanned_at" },
      },
    },
    {
      $project: {
        _id: 0,
        kind: { $literal: "nuclei" },
        template_id: "$_id",
        name: 1,
        severity: 1,
        matches: 1,
        targets: { $size: "$targets" },
        last_scanned_at: 1,
      },
    },
    {
      $unionWith: {
        coll: "ssl_scans",
        pipeline: [
          { $match: recent },
          { $sort: { scanned_at: -1, _id: -1 } },
          { $group: { _id: { target: "$target", port: "$port" }, latest: { $first: "$$ROOT" } } },
          {
            $project: {
              _id: 0,
              kind: { $literal: "ssl" },
              target: "$_id.target",
              port: "$_id.port",
              grade: "$latest.grade",
              issues: { $size: { $ifNull: ["$latest.issues", []] } },
              certificate_expires_at: "$latest.certificate.not_after",
              scanned_at: "$latest.scanned_at",
              error: "$latest.error",
            },
          },
        ],
      },
    },
    {
      $unionWith: {
        coll: "header_scans",
        pipeline: [
          { $match: recent },
          { $sort: { scanned_at: -1, _id: -1 } },
          { $group: { _id: "$target", latest: { $first: "$$ROOT" } } },
          {
            $project: {
              _id: 0,
              kind: { $literal: "header" },
              target: "$_id",
              score: "$latest.score",
              grade: "$latest.grade",
              missing_headers: "$latest.missing_headers",
              scanned_at: "$latest.scanned_at",
            },
          },
        ],
      },
    },
    { $limit: MAX_EVIDENCE_ITEMS },
  ];
}

/** The native scans evidence from the result of `nativeScansEvidencePipeline`. */
export function nativeScansEvidence(result: readonly Document[], scope: EvidenceScope): SourceEvidence {
  const items = plainItems(result);
  const nuclei = items.filter((i) => i["kind"] === "nuclei");
  const ssl = items.filter((i) => i["kind"] === "ssl");
  const headers = items.filter((i) => i["kind"] === "header");
  const nucleiBySeverity: Record<string, number> = Object.fromEntries(SEVERITIES.map((s) => [s, 0]));
  for (const match of nuclei) {
    const severity = String(match["severity"]);
    if (severity in nucleiBySeverity) nucleiBySeverity[severity] = (nucleiBySeverity[severity] ?? 0) + num(match["matches"]);
  }
  const expiringBefore = scope.asOf.getTime() + 30 * DAY_MS;
  return {
    source: "native_scans",
    collected_at: scope.now,
    item_count: items.length,
    items,
    summary: {
      ...periodNote(scope, "scans run during the period; the latest result per SSL endpoint and per header target"),
      nuclei_templates: nuclei.length,
      nuclei_matches: nuclei.reduce((sum, n) => sum + num(n["matches"]), 0),
      nuclei_by_severity: nucleiBySeverity,
      ssl_endpoints: ssl.length,
      ssl_with_issues: ssl.filter((s) => num(s["issues"]) > 0 || s["error"] !== undefined).length,
      ssl_certificates_expiring_30d: ssl.filter(
        (s) => s["certificate_expires_at"] instanceof Date && (s["certificate_expires_at"] as Date).getTime() < expiringBefore,
      ).length,
      header_targets: headers.length,
      header_average_score: average(headers.map((h) => num(h["score"]))),
      header_targets_below_50: headers.filter((h) => num(h["score"]) < 50).length,
    },
  };
}

// ------------------------------------------------------------------------------------------------ vulnerabilities

/** Open vulnerabilities by severity, SLA breaches and open critical/high ones: one aggregation on `vulnerability_occurrences`. */
export function vulnerabilityEvidencePipeline(scope: EvidenceScope): Document[] {
  const breached: Document = { $and: [{ $gt: ["$sla_expires_at", null] }, { $lt: ["$sla_expires_at", scope.asOf] }] };
  const project = {
    _id: 0,
    cve_id: 1,
    asset_id: 1,
    component_name: 1,
    component_version: 1,
    severity: 1,
    known_exploited: 1,
    sla_expires_at: 1,
    first_seen_at: 1,
  };
  return [
    // Open at some point of the period: seen by its end and not mitigated before its start.
    {
      $match: {
        first_seen_at: { $lte: scope.asOf },
        $or: [{ status: "open" }, { status: "mitigated", mitigated_at: { $gte: scope.period.start } }],
      },
    },
    {
      $facet: {
        totals: [
          {
            $group: {
              _id: null,
              open: { $sum: 1 },
              known_exploited: countIf({ $eq: ["$known_exploited", true] }),
              sla_breached: countIf(breached),
            },
          },
        ],
        by_severity: [{ $group: { _id: "$severity", n: { $sum: 1 } } }],
        sla_breaches: [
          { $match: { sla_expires_at: { $lt: scope.asOf } } },
          { $sort: { sla_expires_at: 1, _id: 1 } },
          { $limit: HALF_ITEMS },
          { $project: { ...project, kind: { $literal: "sla_breach" } } },
        ],
        critical_open: [
          { $match: { severity: { $in: ["critical", "high"] }, $nor: [{ sla_expires_at: { $lt: scope.asOf } }] } },
          { $sort: { known_exploited: -1, first_seen_at: 1, _id: 1 } },
          { $limit: HALF_ITEMS },
          { $project: { ...project, kind: { $literal: "open_vulnerability" } } },
        ],
      },
    },
  ];
}

/** The vulnerability evidence from the result of `vulnerabilityEvidencePipeline`. */
export function vulnerabilityEvidence(result: readonly Document[], scope: EvidenceScope): SourceEvidence {
  const facet = result[0] ?? {};
  const totals = rows(facet["totals"])[0] ?? {};
  const items = plainItems([...rows(facet["sla_breaches"]), ...rows(facet["critical_open"])]);
  return {
    source: "vulnerabilities",
    collected_at: scope.now,
    item_count: items.length,
    items,
    summary: {
      open: num(totals["open"]),
      known_exploited: num(totals["known_exploited"]),
      sla_breached: num(totals["sla_breached"]),
      open_by_severity: severityCounts(facet["by_severity"]),
      ...periodNote(
        scope,
        "occurrences open during the period (seen by its end, not mitigated before its start); SLA breaches as of its end",
      ),
    },
  };
}

// ------------------------------------------------------------------------------------------------ AI governance

/** The latest risk assessment per AI model, with the model's name (same-database `$lookup` on `ai_models`): one aggregation. */
export function aiGovernanceEvidencePipeline(scope: EvidenceScope): Document[] {
  return [
    { $match: { assessed_at: { $lte: scope.asOf } } },
    { $sort: { assessed_at: -1, _id: -1 } },
    {
      $group: {
        _id: "$model_id",
        risk_tier: { $first: "$risk_tier" },
        score: { $first: "$score" },
        assessed_at: { $first: "$assessed_at" },
        findings: { $first: "$findings" },
      },
    },
    { $sort: { _id: 1 } },
    { $limit: MAX_EVIDENCE_ITEMS },
    {
      $lookup: {
        from: "ai_models",
        let: { model_id: "$_id" },
        pipeline: [
          { $match: { $expr: { $eq: [{ $toString: "$_id" }, "$$model_id"] } } },
          { $project: { _id: 0, name: 1, model_version: 1, status: 1 } },
        ],
        as: "model",
      },
    },
    {
      $project: {
        _id: 0,
        kind: { $literal: "ai_risk_assessment" },
        model_id: "$_id",
        model_name: { $arrayElemAt: ["$model.name", 0] },
        model_version: { $arrayElemAt: ["$model.model_version", 0] },
        risk_tier: 1,
        score: 1,
        assessed_at: 1,
        findings: { $size: { $ifNull: ["$findings", []] } },
        high_findings: {
          $size: { $filter: { input: { $ifNull: ["$findings", []] }, as: "f", cond: { $in: ["$$f.severity", ["critical", "high"]] } } },
        },
      },
    },
  ];
}

/** The AI governance evidence from the result of `aiGovernanceEvidencePipeline`. */
export function aiGovernanceEvidence(result: readonly Document[], scope: EvidenceScope): SourceEvidence {
  const items = plainItems(result);
  const byTier: Record<string, number> = { unacceptable: 0, high: 0, limited: 0, minimal: 0 };
  for (const item of items) {
    const tier = String(item["risk_tier"]);
    if (tier in byTier) byTier[tier] = (byTier[tier] ?? 0) + 1;
  }
  return {
    source: "ai_governance",
    collected_at: scope.now,
    item_count: items.length,
    items,
    summary: {
      models_assessed: items.length,
      by_risk_tier: byTier,
      average_score: average(items.map((i) => num(i["score"]))),
      high_findings: items.reduce((sum, i) => sum + num(i["high_findings"]), 0),
      ...periodNote(scope, "each model's latest risk assessment by the period's end"),
    },
  };
}
