import { AssessmentEvidenceRepository, GlobalAssessmentRepository, MAX_EVIDENCE_ITEMS, type EvidenceSummary } from "@cspm/domain";
import { ConflictError, InternalError, NotFoundError, ValidationError, type CspmError } from "@cspm/errors";
import type { CSPMDatabaseManager } from "@cspm/mongo";
import type { DatabaseKey } from "@cspm/registry";
import type { BulkUpsertError } from "@cspm/repository";
import { ObjectId, type ClientSession, type Document } from "mongodb";
import { z } from "zod";
import { parseServiceInput, parseTeamId } from "./parseServiceInput";
import { runAggregation } from "./runAggregation";
import { repositoriesOf, type ServiceDependencies } from "./serviceDependencies";

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

/** The result of `collectComprehensiveEvidence`: every source's evidence and the summary to store on the assessment. */
export interface ComprehensiveEvidence {
  readonly assessment_id: string;
  readonly team_id: string;
  readonly sources: readonly SourceEvidence[];
  readonly summary: EvidenceSummary;
}

/** Options of `collectComprehensiveEvidence`. */
export interface CollectEvidenceOptions {
  /** Run every read and the evidence write in this session (the caller's transaction). */
  readonly session?: ClientSession;
}

/** Dependencies of `EvidenceIntegrationService`. */
export interface EvidenceIntegrationServiceDependencies extends Omit<ServiceDependencies, "cache"> {
  /** Native scans count when scanned within this many days (default 90). */
  readonly scanWindowDays?: number;
}

const DAY_MS = 86_400_000;
const AssessmentIdSchema = z.string({ error: "must be a string" }).regex(/^[0-9a-fA-F]{24}$/, "must be 24 hex characters");
const SEVERITIES = ["critical", "high", "medium", "low", "informational"] as const;
/** Budget per item kind, so a source never exceeds `MAX_EVIDENCE_ITEMS`. */
const CHECK_ITEMS = MAX_EVIDENCE_ITEMS - 1000;
const SCORE_ITEMS = 1000;
const HALF_ITEMS = Math.floor(MAX_EVIDENCE_ITEMS / 2);

const countIf = (condition: Document): Document => ({ $sum: { $cond: [condition, 1, 0] } });
const isStatus = (status: string): Document => ({ $eq: ["$status", status] });
const num = (value: unknown): number => (typeof value === "number" && Number.isFinite(value) ? value : 0);
const rows = (value: unknown): Document[] => (Array.isArray(value) ? (value as Document[]) : []);

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

function bulkError(error: BulkUpsertError): CspmError {
  if (error.code === "VALIDATION_FAILED") return new ValidationError(`Evidence could not be stored: ${error.message}`, error.issues ?? []);
  if (error.code === "CONFLICT") return new ConflictError(`Evidence could not be stored: ${error.message}`);
  return new InternalError("Evidence could not be stored.", { details: { code: error.code } });
}

/** The scope every source query shares (what the protected `collect*` methods receive). */
export interface EvidenceScope {
  readonly teamId: string;
  readonly accountIds: readonly string[] | null;
  readonly now: Date;
  readonly scanSince: Date;
  readonly session: ClientSession | undefined;
}

/**
 * Gathers an assessment's evidence from four databases — one aggregation per source: findings and
 * security scores (cloud security, scores by a same-database `$lookup`), Nuclei/SSL/header results (native
 * scans, one pipeline joined by same-database `$unionWith`), open vulnerabilities and SLA breaches
 * (vulnerabilities), AI risk assessments with their models (AI governance) — and stores it in
 * `cspm_assessments.assessment_evidence`, one document per (assessment, source): collecting again replaces
 * it. Methods throw `VALIDATION_FAILED`, `NOT_FOUND`, `CONTRACT_VIOLATION`, `UNAVAILABLE` or `INTERNAL`.
 */
export class EvidenceIntegrationService {
  readonly #manager: CSPMDatabaseManager;
  readonly #assessments: GlobalAssessmentRepository;
  readonly #evidence: AssessmentEvidenceRepository;
  readonly #now: () => Date;
  readonly #scanWindowDays: number;

  constructor(deps: EvidenceIntegrationServiceDependencies) {
    const repositories = repositoriesOf(deps);
    this.#manager = deps.manager;
    this.#assessments = repositories.get(GlobalAssessmentRepository);
    this.#evidence = repositories.get(AssessmentEvidenceRepository);
    this.#now = deps.now ?? (() => new Date());
    this.#scanWindowDays = deps.scanWindowDays ?? 90;
  }

  /**
   * Collects the evidence of one assessment of the team (scoped to its `account_ids` when it has some) and
   * stores it, replacing earlier evidence of the same sources — idempotent. Pass `session` to make it part
   * of a transaction. Throws `VALIDATION_FAILED` (bad ids), `NOT_FOUND` (no such assessment in this team),
   * `UNAVAILABLE`, `INTERNAL`.
   */
  async collectComprehensiveEvidence(
    assessmentId: string,
    teamId: string,
    options: CollectEvidenceOptions = {},
  ): Promise<ComprehensiveEvidence> {
    const team = parseTeamId(teamId);
    const id = parseServiceInput(AssessmentIdSchema, assessmentId, "assessmentId").toLowerCase();
    const session = options.session;
    const assessment = await this.#assessments.forTeam(team).findById(id, session === undefined ? {} : { session });
    if (assessment === null) throw new NotFoundError(`No assessment ${id} in this team.`, { details: { id } });
    const now = this.#now();
    const scope: EvidenceScope = {
      teamId: team,
      accountIds: assessment.account_ids !== undefined && assessment.account_ids.length > 0 ? assessment.account_ids : null,
      now,
      scanSince: new Date(now.getTime() - this.#scanWindowDays * DAY_MS),
      session,
    };
    // Sequential on purpose: operations of one session (transaction) must not run concurrently.
    const sources: SourceEvidence[] = [];
    sources.push(await this.collectCloudSecurity(scope));
    sources.push(await this.collectNativeScans(scope));
    sources.push(await this.collectVulnerabilities(scope));
    sources.push(await this.collectAiGovernance(scope));
    await this.storeEvidence(team, id, sources, session);
    return { assessment_id: id, team_id: team, sources, summary: EvidenceIntegrationService.summarize(sources, now) };
  }

  /** The stored evidence of an assessment, by source (empty before the first collection). Throws `VALIDATION_FAILED`. */
  async getEvidence(assessmentId: string, teamId: string, options: CollectEvidenceOptions = {}): Promise<SourceEvidence[]> {
    const team = parseTeamId(teamId);
    const id = parseServiceInput(AssessmentIdSchema, assessmentId, "assessmentId").toLowerCase();
    const docs = await this.#evidence
      .forTeam(team)
      .findMany(
        { assessment_id: id },
        { sort: { source: 1 }, limit: 1000, ...(options.session === undefined ? {} : { session: options.session }) },
      );
    return docs.map((doc) => ({
      source: doc.source as EvidenceSource,
      collected_at: doc.collected_at,
      item_count: doc.item_count,
      items: doc.items,
      summary: doc.summary,
    }));
  }

  /** The evidence summary stored on an assessment: per source its item count and time, plus each source's summary in `details`. */
  static summarize(sources: readonly SourceEvidence[], collectedAt: Date): EvidenceSummary {
    return {
      collected_at: collectedAt,
      total_items: sources.reduce((sum, s) => sum + s.item_count, 0),
      sources: sources.map((s) => ({ source: s.source, item_count: s.item_count, collected_at: s.collected_at })),
      details: Object.fromEntries(sources.map((s) => [s.source, s.summary])),
    };
  }

  /**
   * Writes the evidence of every source in one bulk upsert keyed by (team, assessment, source), inside
   * `session` when given. Protected so a host can extend it (audit, outbox); throws on any failed document.
   */
  protected async storeEvidence(
    teamId: string,
    assessmentId: string,
    sources: readonly SourceEvidence[],
    session: ClientSession | undefined,
  ): Promise<void> {
    const docs = sources.map((s) => ({
      assessment_id: assessmentId,
      source: s.source,
      collected_at: s.collected_at,
      item_count: s.item_count,
      items: s.items,
      summary: s.summary,
    }));
    const result = await this.#evidence.forTeam(teamId).bulkUpsert(docs, session === undefined ? {} : { session });
    const first = result.errors[0];
    if (first !== undefined) throw bulkError(first);
  }

  /** Findings per check and the latest score per account: one aggregation on `prowler_findings` (scores by `$lookup`, same database). */
  protected async collectCloudSecurity(scope: EvidenceScope): Promise<SourceEvidence> {
    const accountMatch = scope.accountIds === null ? {} : { account_id: { $in: [...scope.accountIds] } };
    const [facet = {}] = await this.#run("CLOUD_SECURITY", "prowler_findings", scope, [
      { $match: { team_id: scope.teamId, muted: false, ...accountMatch } },
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
            { $match: { team_id: scope.teamId, ...accountMatch } },
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
    ]);
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
        average_score: scores.length === 0 ? 0 : Math.round((scores.reduce((s, r) => s + r.score, 0) / scores.length) * 100) / 100,
      },
    };
  }

  /** Nuclei matches per template, the latest SSL result per host:port and header result per URL: one pipeline over three collections of the same database. */
  protected async collectNativeScans(scope: EvidenceScope): Promise<SourceEvidence> {
    const recent = { team_id: scope.teamId, scanned_at: { $gte: scope.scanSince } };
    const docs = await this.#run(
      "SECURITY_SCANS",
      "nuclei_scans",
      scope,
      [
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
      ],
      MAX_EVIDENCE_ITEMS,
    );
    const items = plainItems(docs);
    const nuclei = items.filter((i) => i["kind"] === "nuclei");
    const ssl = items.filter((i) => i["kind"] === "ssl");
    const headers = items.filter((i) => i["kind"] === "header");
    const nucleiBySeverity: Record<string, number> = Object.fromEntries(SEVERITIES.map((s) => [s, 0]));
    for (const match of nuclei) {
      const severity = String(match["severity"]);
      if (severity in nucleiBySeverity) nucleiBySeverity[severity] = (nucleiBySeverity[severity] ?? 0) + num(match["matches"]);
    }
    const expiringBefore = scope.now.getTime() + 30 * DAY_MS;
    return {
      source: "native_scans",
      collected_at: scope.now,
      item_count: items.length,
      items,
      summary: {
        window_days: this.#scanWindowDays,
        nuclei_templates: nuclei.length,
        nuclei_matches: nuclei.reduce((sum, n) => sum + num(n["matches"]), 0),
        nuclei_by_severity: nucleiBySeverity,
        ssl_endpoints: ssl.length,
        ssl_with_issues: ssl.filter((s) => num(s["issues"]) > 0 || s["error"] !== undefined).length,
        ssl_certificates_expiring_30d: ssl.filter(
          (s) => s["certificate_expires_at"] instanceof Date && (s["certificate_expires_at"] as Date).getTime() < expiringBefore,
        ).length,
        header_targets: headers.length,
        header_average_score:
          headers.length === 0 ? 0 : Math.round((headers.reduce((sum, h) => sum + num(h["score"]), 0) / headers.length) * 100) / 100,
        header_targets_below_50: headers.filter((h) => num(h["score"]) < 50).length,
      },
    };
  }

  /** Open vulnerabilities by severity, SLA breaches and open critical/high ones: one aggregation on `vulnerability_occurrences`. */
  protected async collectVulnerabilities(scope: EvidenceScope): Promise<SourceEvidence> {
    const breached: Document = { $and: [{ $gt: ["$sla_expires_at", null] }, { $lt: ["$sla_expires_at", scope.now] }] };
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
    const [facet = {}] = await this.#run("VULNERABILITIES", "vulnerability_occurrences", scope, [
      { $match: { team_id: scope.teamId, status: "open" } },
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
            { $match: { sla_expires_at: { $lt: scope.now } } },
            { $sort: { sla_expires_at: 1, _id: 1 } },
            { $limit: HALF_ITEMS },
            { $project: { ...project, kind: { $literal: "sla_breach" } } },
          ],
          critical_open: [
            { $match: { severity: { $in: ["critical", "high"] }, $nor: [{ sla_expires_at: { $lt: scope.now } }] } },
            { $sort: { known_exploited: -1, first_seen_at: 1, _id: 1 } },
            { $limit: HALF_ITEMS },
            { $project: { ...project, kind: { $literal: "open_vulnerability" } } },
          ],
        },
      },
    ]);
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
      },
    };
  }

  /** The latest risk assessment per AI model, with the model's name (same-database `$lookup` on `ai_models`): one aggregation. */
  protected async collectAiGovernance(scope: EvidenceScope): Promise<SourceEvidence> {
    const docs = await this.#run(
      "AI_GOVERNANCE",
      "ai_risk_assessments",
      scope,
      [
        { $match: { team_id: scope.teamId } },
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
              { $match: { team_id: scope.teamId } },
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
      ],
      MAX_EVIDENCE_ITEMS,
    );
    const items = plainItems(docs);
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
        average_score: items.length === 0 ? 0 : Math.round((items.reduce((sum, i) => sum + num(i["score"]), 0) / items.length) * 100) / 100,
        high_findings: items.reduce((sum, i) => sum + num(i["high_findings"]), 0),
      },
    };
  }

  #run(database: DatabaseKey, collection: string, scope: EvidenceScope, pipeline: Document[], batchSize?: number): Promise<Document[]> {
    return runAggregation(this.#manager, {
      database,
      collection,
      pipeline,
      ...(scope.session === undefined ? {} : { session: scope.session }),
      ...(batchSize === undefined ? {} : { batchSize }),
    });
  }
}
