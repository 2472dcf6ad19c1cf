import {
  AiRiskAssessmentRepository,
  AssessmentEvidenceRepository,
  type EvidenceSummary,
  GlobalAssessmentRepository,
  NucleiScanRepository,
  ProwlerFindingRepository,
  VulnerabilityOccurrenceRepository,
} from "@cspm/domain";
import { ConflictError, type CspmError, InternalError, NotFoundError, ValidationError } from "@cspm/errors";
import {
  type BaseRepository,
  type BulkUpsertError,
  ObjectIdHexSchema,
  parseInput,
  parseTeamId,
  type RepositoryClass,
  type RepositoryFactory,
  type TeamId,
} from "@cspm/repository";
import type { ClientSession, Document } from "mongodb";
import {
  aiGovernanceEvidence,
  aiGovernanceEvidencePipeline,
  cloudSecurityEvidence,
  cloudSecurityEvidencePipeline,
  type EvidenceScope,
  type EvidenceSource,
  nativeScansEvidence,
  nativeScansEvidencePipeline,
  type SourceEvidence,
  vulnerabilityEvidence,
  vulnerabilityEvidencePipeline,
} from "./evidencePipelines";
import type { Clock } from "./clock";

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

/** Dependencies of `EvidenceIntegrationService` (built by `createServices`). */
export interface EvidenceIntegrationServiceDependencies {
  readonly repositories: RepositoryFactory;
  readonly clock: Clock;
}

function bulkError(error: BulkUpsertError): CspmError {
  if (error.code === "VALIDATION_FAILED") return new ValidationError(`Evidence could not be stored: ${error.message}`, error.issues ?? []);
  if (error.code === "CONFLICT") return new ConflictError(`Evidence could not be stored: ${error.message}`);
  return new InternalError("Evidence could not be stored.", { details: { code: error.code } });
}

/**
 * Gathers an assessment's evidence over the assessment's own period (`period_start`..`period_end`, or now
 * for a period still running; each source's summary says how it read the period) from four databases — one aggregation per source: findings and
 * security scores (cloud security, scores by a same-database `$lookup`), Nuclei/SSL/header results (native
 * scans, one pipeline joined by same-database `$unionWith`), open vulnerabilities and SLA breaches
 * (vulnerabilities), AI risk assessments with their models (AI governance) — and stores it in
 * `cspm_assessments.assessment_evidence`, one document per (assessment, source): collecting again replaces
 * it. Every read goes through a team-scoped repository (`forTeam(teamId).aggregate`), which adds the tenant
 * condition; the pipelines themselves (`evidencePipelines.ts`) never name the team. Methods throw
 * `VALIDATION_FAILED`, `NOT_FOUND`, `CONTRACT_VIOLATION`, `UNAVAILABLE` or `INTERNAL`.
 */
export class EvidenceIntegrationService {
  readonly #repositories: RepositoryFactory;
  readonly #assessments: GlobalAssessmentRepository;
  readonly #evidence: AssessmentEvidenceRepository;
  readonly #clock: Clock;

  constructor(deps: EvidenceIntegrationServiceDependencies) {
    this.#repositories = deps.repositories;
    this.#assessments = deps.repositories.get(GlobalAssessmentRepository);
    this.#evidence = deps.repositories.get(AssessmentEvidenceRepository);
    this.#clock = deps.clock;
  }

  /**
   * Collects the evidence of one assessment of the team (scoped to its `account_ids` when it has some) and
   * stores it, replacing earlier evidence of the same sources — idempotent. Pass `session` to make it part
   * of a transaction. Throws `VALIDATION_FAILED` (bad ids), `NOT_FOUND` (no such assessment in this team),
   * `UNAVAILABLE`, `INTERNAL`.
   */
  async collectComprehensiveEvidence(
    teamId: TeamId,
    assessmentId: string,
    options: CollectEvidenceOptions = {},
  ): Promise<ComprehensiveEvidence> {
    const team = parseTeamId(teamId);
    const id = parseInput(ObjectIdHexSchema, assessmentId, "assessmentId").toLowerCase();
    const session = options.session;
    const assessment = await this.#assessments.forTeam(team).findById(id, session === undefined ? {} : { session });
    if (assessment === null) throw new NotFoundError(`No assessment ${id} in this team.`, { details: { id } });
    const now = this.#clock();
    const period = { start: assessment.period_start, end: assessment.period_end };
    const scope: EvidenceScope = {
      accountIds: assessment.account_ids !== undefined && assessment.account_ids.length > 0 ? assessment.account_ids : null,
      now,
      period,
      asOf: now.getTime() < period.end.getTime() ? now : period.end,
    };
    // Sequential on purpose: operations of one session (transaction) must not run concurrently.
    const sources: SourceEvidence[] = [];
    sources.push(await this.collectCloudSecurity(team, scope, session));
    sources.push(await this.collectNativeScans(team, scope, session));
    sources.push(await this.collectVulnerabilities(team, scope, session));
    sources.push(await this.collectAiGovernance(team, scope, session));
    await this.storeEvidence(team, id, sources, session);
    return { assessment_id: id, team_id: team, sources, summary: EvidenceIntegrationService.summarize(sources, now) };
  }

  /** The stored evidence of an assessment, by source (empty before the first collection). Throws `VALIDATION_FAILED`. */
  async getEvidence(teamId: TeamId, assessmentId: string, options: CollectEvidenceOptions = {}): Promise<SourceEvidence[]> {
    const team = parseTeamId(teamId);
    const id = parseInput(ObjectIdHexSchema, assessmentId, "assessmentId").toLowerCase();
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
    teamId: TeamId,
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

  /** Findings per check and the latest score per account (`cloudSecurityEvidencePipeline`). */
  protected async collectCloudSecurity(teamId: TeamId, scope: EvidenceScope, session: ClientSession | undefined): Promise<SourceEvidence> {
    const result = await this.#aggregate(ProwlerFindingRepository, teamId, cloudSecurityEvidencePipeline(scope), session);
    return cloudSecurityEvidence(result, scope);
  }

  /** Nuclei, SSL and header results of the scan window (`nativeScansEvidencePipeline`). */
  protected async collectNativeScans(teamId: TeamId, scope: EvidenceScope, session: ClientSession | undefined): Promise<SourceEvidence> {
    const result = await this.#aggregate(NucleiScanRepository, teamId, nativeScansEvidencePipeline(scope), session);
    return nativeScansEvidence(result, scope);
  }

  /** Open vulnerabilities and SLA breaches (`vulnerabilityEvidencePipeline`). */
  protected async collectVulnerabilities(
    teamId: TeamId,
    scope: EvidenceScope,
    session: ClientSession | undefined,
  ): Promise<SourceEvidence> {
    const result = await this.#aggregate(VulnerabilityOccurrenceRepository, teamId, vulnerabilityEvidencePipeline(scope), session);
    return vulnerabilityEvidence(result, scope);
  }

  /** The latest risk assessment per AI model (`aiGovernanceEvidencePipeline`). */
  protected async collectAiGovernance(teamId: TeamId, scope: EvidenceScope, session: ClientSession | undefined): Promise<SourceEvidence> {
    const result = await this.#aggregate(AiRiskAssessmentRepository, teamId, aiGovernanceEvidencePipeline(scope), session);
    return aiGovernanceEvidence(result, scope);
  }

  #aggregate(
    repository: RepositoryClass<BaseRepository<any>>,
    teamId: TeamId,
    pipeline: Document[],
    session: ClientSession | undefined,
  ): Promise<Document[]> {
    return this.#repositories
      .get(repository)
      .forTeam(teamId)
      .aggregate(pipeline, { batchSize: 10_000, ...(session === undefined ? {} : { session }) });
  }
}
