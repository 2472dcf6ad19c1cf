import type { AuditLogDocument, AuditLogPageQuery, AssessmentStatus, Permission } from "@cspm/domain";
import { ForbiddenError, ValidationError } from "@cspm/errors";
import {
  type Actor,
  type AddMemberInput,
  type AuditContext,
  type AuditedMutation,
  type AuditMode,
  authorize,
  type CreateApiKeyInput,
  type CreateRoleInput,
  type CreateSessionOptions,
  type Identity,
  type MutationScope,
  sessionIdOf,
  systemActor,
} from "@cspm/identity";
import type { Page, TeamId } from "@cspm/repository";
import type { AggregationService } from "./aggregationService";
import type { CentralAccountService } from "./centralAccountService";
import type { EvidenceIntegrationService } from "./evidenceIntegrationService";
import type { FindingQueryService } from "./findingQueryService";
import type { GlobalAssessmentService } from "./globalAssessmentService";
import type { CreateMuteRuleInput, MuteRuleService, UpdateMuteRuleInput } from "./muteRuleService";
import type { AiGovernanceService } from "./aiGovernanceService";
import type { CompliancePostureService } from "./compliancePostureService";
import type { PostureOverviewService } from "./postureOverviewService";
import type { ScanRunQueryService } from "./scanRunQueryService";
import type { VulnerabilityService } from "./vulnerabilityService";

/** What else an actor-bound view records about the request it serves. */
export interface ActorRequestContext {
  /** Stored as the audit entries' `request_id`. */
  readonly requestId?: string;
  readonly ip?: string;
}

/** The services an actor-bound view wraps (what `createServices` built). */
export interface ActorServicesDependencies {
  readonly accounts: CentralAccountService;
  readonly aggregation: AggregationService;
  readonly evidence: EvidenceIntegrationService;
  readonly assessments: GlobalAssessmentService;
  readonly findings: FindingQueryService;
  readonly muteRules: MuteRuleService;
  readonly overview: PostureOverviewService;
  readonly compliance: CompliancePostureService;
  readonly scanRuns: ScanRunQueryService;
  readonly vulnerabilities: VulnerabilityService;
  readonly aiGovernance: AiGovernanceService;
  readonly identity: Identity;
}

type Target = { readonly type: string; readonly id?: string };

/**
 * The service graph as one actor may use it: the same methods, team first, as the plain services, but
 * every read first runs `authorize(actor, teamId, "read")` and every mutation goes through the audit trail's
 * gate (`AuditTrail.run`: `authorize` with the mutation's permission, then the change, then exactly one
 * audit entry — in the change's transaction for assessment creation and refresh, through the outbox for
 * everything else). A team other than the actor's is refused (`FORBIDDEN`, `TEAM_MISMATCH`).
 * Build it with `services.forActor(actor, { requestId })`, once per request.
 */
export class ActorServices {
  readonly actor: Actor;
  readonly #deps: ActorServicesDependencies;
  readonly #context: ActorRequestContext;
  /** The method groups built so far: each is made on first use, so a request pays only for the ones it calls. */
  readonly #groups = new Map<string, unknown>();

  constructor(deps: ActorServicesDependencies, actor: Actor, context: ActorRequestContext = {}) {
    this.#deps = deps;
    this.actor = actor;
    this.#context = context;
  }

  /** The actor's team: the only one this view acts for. */
  get teamId(): TeamId {
    return this.actor.teamId;
  }

  /**
   * The audit hook for mutations outside this package (imports of `@cspm/ingest`, mute rules): checks
   * `mutation.permission`, runs `fn`, records one entry with this view's actor and request id. Use `outbox`
   * mode unless `fn` passes the given session to every write. Throws `FORBIDDEN` and whatever `fn` throws.
   * @example await scope.audited({ action: "findings.import", permission: "manage_scans", mode: "outbox",
   *   target: { type: "cloud_account", id: account.id } }, teamId, () => importer.run(...));
   */
  audited<R>(mutation: AuditedMutation<R>, teamId: TeamId, fn: (scope: MutationScope) => Promise<R>): Promise<R> {
    return this.#deps.identity.audit.run(this.#auditContext(teamId), mutation, fn);
  }

  get accounts() {
    return this.#group("accounts", () => ({
      registerAccount: (teamId: TeamId, input: Parameters<CentralAccountService["registerAccount"]>[1]) =>
        this.#mutate(
          teamId,
          "cloud_account.create",
          "manage_accounts",
          { type: "cloud_account" },
          input,
          "outbox",
          () => this.#deps.accounts.registerAccount(teamId, input),
          (r) => r.id,
        ),
      getAccount: (teamId: TeamId, id: string) => this.#read(teamId, () => this.#deps.accounts.getAccount(teamId, id)),
      listAccounts: (teamId: TeamId, options?: Parameters<CentralAccountService["listAccounts"]>[1]) =>
        this.#read(teamId, () => this.#deps.accounts.listAccounts(teamId, options)),
      resolveAccounts: (teamId: TeamId, ids: readonly string[]) =>
        this.#read(teamId, () => this.#deps.accounts.resolveAccounts(teamId, ids)),
      updateAccount: (
        teamId: TeamId,
        id: string,
        changes: Parameters<CentralAccountService["updateAccount"]>[2],
        options?: Parameters<CentralAccountService["updateAccount"]>[3],
      ) =>
        this.#mutate(teamId, "cloud_account.update", "manage_accounts", { type: "cloud_account", id: String(id) }, changes, "outbox", () =>
          this.#deps.accounts.updateAccount(teamId, id, changes, options),
        ),
      deactivateAccount: (teamId: TeamId, id: string, reason?: string) =>
        this.#mutate(
          teamId,
          "cloud_account.deactivate",
          "manage_accounts",
          { type: "cloud_account", id: String(id) },
          { reason },
          "outbox",
          () => this.#deps.accounts.deactivateAccount(teamId, id, reason),
        ),
      deleteAccount: (teamId: TeamId, id: string) =>
        this.#mutate(
          teamId,
          "cloud_account.delete",
          "manage_accounts",
          { type: "cloud_account", id: String(id) },
          undefined,
          "outbox",
          () => this.#deps.accounts.deleteAccount(teamId, id),
        ),
      rotateCredentials: (teamId: TeamId, id: string, credentials: unknown) =>
        this.#mutate(
          teamId,
          "cloud_account.rotate_credentials",
          "manage_accounts",
          { type: "cloud_account", id: String(id) },
          { credentials },
          "outbox",
          () => this.#deps.accounts.rotateCredentials(teamId, id, credentials),
        ),
      recordLastScan: (teamId: TeamId, id: string, outcome: Parameters<CentralAccountService["recordLastScan"]>[2]) =>
        this.#mutate(
          teamId,
          "cloud_account.record_scan",
          "manage_scans",
          { type: "cloud_account", id: String(id) },
          outcome,
          "outbox",
          () => this.#deps.accounts.recordLastScan(teamId, id, outcome),
        ),
    }));
  }

  get aggregation() {
    return this.#group("aggregation", () => ({
      getDashboardSummary: (teamId: TeamId, options?: Parameters<AggregationService["getDashboardSummary"]>[1]) =>
        this.#read(teamId, () => this.#deps.aggregation.getDashboardSummary(teamId, options)),
      getScanActivity: (teamId: TeamId, options?: Parameters<AggregationService["getScanActivity"]>[1]) =>
        this.#read(teamId, () => this.#deps.aggregation.getScanActivity(teamId, options)),
    }));
  }

  /** Posture overviews and trends; reads (`read`). */
  get overview() {
    return this.#group("overview", () => ({
      getProviderOverview: (teamId: TeamId) => this.#read(teamId, () => this.#deps.overview.getProviderOverview(teamId)),
      getServiceOverview: (teamId: TeamId, filter?: Parameters<PostureOverviewService["getServiceOverview"]>[1]) =>
        this.#read(teamId, () => this.#deps.overview.getServiceOverview(teamId, filter)),
      getRegionOverview: (teamId: TeamId, filter?: Parameters<PostureOverviewService["getRegionOverview"]>[1]) =>
        this.#read(teamId, () => this.#deps.overview.getRegionOverview(teamId, filter)),
      getSeverityTrend: (teamId: TeamId, options?: Parameters<PostureOverviewService["getSeverityTrend"]>[1]) =>
        this.#read(teamId, () => this.#deps.overview.getSeverityTrend(teamId, options)),
      getFindingsTrend: (teamId: TeamId, options?: Parameters<PostureOverviewService["getFindingsTrend"]>[1]) =>
        this.#read(teamId, () => this.#deps.overview.getFindingsTrend(teamId, options)),
    }));
  }

  /** Compliance posture per framework; reads (`read`). */
  get compliance() {
    return this.#group("compliance", () => ({
      listFrameworks: (teamId: TeamId) => this.#read(teamId, () => this.#deps.compliance.listFrameworks(teamId)),
      getFramework: (teamId: TeamId, frameworkId: string) =>
        this.#read(teamId, () => this.#deps.compliance.getFramework(teamId, frameworkId)),
    }));
  }

  /** Scan runs; reads (`read`). */
  get scanRuns() {
    return this.#group("scanRuns", () => ({
      listScanRuns: (teamId: TeamId, page?: Parameters<ScanRunQueryService["listScanRuns"]>[1]) =>
        this.#read(teamId, () => this.#deps.scanRuns.listScanRuns(teamId, page)),
      getScanRun: (teamId: TeamId, id: string) => this.#read(teamId, () => this.#deps.scanRuns.getScanRun(teamId, id)),
    }));
  }

  /** Vulnerability occurrences with SLA state; reads (`read`). */
  get vulnerabilities() {
    return this.#group("vulnerabilities", () => ({
      listOccurrences: (
        teamId: TeamId,
        filter?: Parameters<VulnerabilityService["listOccurrences"]>[1],
        page?: Parameters<VulnerabilityService["listOccurrences"]>[2],
      ) => this.#read(teamId, () => this.#deps.vulnerabilities.listOccurrences(teamId, filter, page)),
      getSummary: (teamId: TeamId) => this.#read(teamId, () => this.#deps.vulnerabilities.getSummary(teamId)),
    }));
  }

  /** The AI model inventory; reads (`read`). */
  get aiGovernance() {
    return this.#group("aiGovernance", () => ({
      listModels: (teamId: TeamId, page?: Parameters<AiGovernanceService["listModels"]>[1]) =>
        this.#read(teamId, () => this.#deps.aiGovernance.listModels(teamId, page)),
      getSummary: (teamId: TeamId) => this.#read(teamId, () => this.#deps.aiGovernance.getSummary(teamId)),
    }));
  }

  get evidence() {
    return this.#group("evidence", () => ({
      getEvidence: (teamId: TeamId, assessmentId: string) =>
        this.#read(teamId, () => this.#deps.evidence.getEvidence(teamId, assessmentId)),
    }));
  }

  get assessments() {
    return this.#group("assessments", () => ({
      createAssessment: (teamId: TeamId, data: Parameters<GlobalAssessmentService["createAssessment"]>[1]) =>
        this.#mutate(
          teamId,
          "assessment.create",
          "manage_assessments",
          { type: "assessment" },
          data,
          "transaction",
          (scope) => this.#deps.assessments.createAssessment(teamId, data, scope),
          (r) => r.id,
        ),
      refreshEvidence: (teamId: TeamId, assessmentId: string) =>
        this.#mutate(
          teamId,
          "assessment.refresh_evidence",
          "manage_assessments",
          { type: "assessment", id: String(assessmentId) },
          undefined,
          "transaction",
          (scope) => this.#deps.assessments.refreshEvidence(teamId, assessmentId, scope),
        ),
      getAssessment: (teamId: TeamId, assessmentId: string) =>
        this.#read(teamId, () => this.#deps.assessments.getAssessment(teamId, assessmentId)),
      listAssessments: (teamId: TeamId, options?: Parameters<GlobalAssessmentService["listAssessments"]>[1]) =>
        this.#read(teamId, () => this.#deps.assessments.listAssessments(teamId, options)),
      transitionStatus: (teamId: TeamId, assessmentId: string, to: AssessmentStatus) =>
        this.#mutate(
          teamId,
          "assessment.transition",
          "manage_assessments",
          { type: "assessment", id: String(assessmentId) },
          { to },
          "outbox",
          () => this.#deps.assessments.transitionStatus(teamId, assessmentId, to),
        ),
      startAssessment: (teamId: TeamId, assessmentId: string) => this.assessments.transitionStatus(teamId, assessmentId, "in_progress"),
      completeAssessment: (teamId: TeamId, assessmentId: string) => this.assessments.transitionStatus(teamId, assessmentId, "completed"),
    }));
  }

  get findings() {
    return this.#group("findings", () => ({
      listFindings: (
        teamId: TeamId,
        filter?: Parameters<FindingQueryService["listFindings"]>[1],
        page?: Parameters<FindingQueryService["listFindings"]>[2],
      ) => this.#read(teamId, () => this.#deps.findings.listFindings(teamId, filter, page)),
      getFindingFacets: (teamId: TeamId, filter?: Parameters<FindingQueryService["getFindingFacets"]>[1]) =>
        this.#read(teamId, () => this.#deps.findings.getFindingFacets(teamId, filter)),
      getFinding: (teamId: TeamId, id: string) => this.#read(teamId, () => this.#deps.findings.getFinding(teamId, id)),
    }));
  }

  /** Mute rules: reads need `read`; every change needs `manage_mute_rules` and is audited once (outbox). */
  get muteRules() {
    return this.#group("muteRules", () => ({
      listRules: (teamId: TeamId, options?: Parameters<MuteRuleService["listRules"]>[1]) =>
        this.#read(teamId, () => this.#deps.muteRules.listRules(teamId, options)),
      getRule: (teamId: TeamId, id: string) => this.#read(teamId, () => this.#deps.muteRules.getRule(teamId, id)),
      createRule: (teamId: TeamId, input: CreateMuteRuleInput) =>
        this.#mutate(
          teamId,
          "mute_rule.create",
          "manage_mute_rules",
          { type: "mute_rule" },
          input,
          "outbox",
          () => this.#deps.muteRules.createRule(teamId, input, `${this.actor.type}:${this.actor.id}`),
          (r) => r.rule.id,
        ),
      updateRule: (teamId: TeamId, id: string, changes: UpdateMuteRuleInput) =>
        this.#mutate(teamId, "mute_rule.update", "manage_mute_rules", { type: "mute_rule", id: String(id) }, changes, "outbox", () =>
          this.#deps.muteRules.updateRule(teamId, id, changes),
        ),
      deleteRule: (teamId: TeamId, id: string) =>
        this.#mutate(teamId, "mute_rule.delete", "manage_mute_rules", { type: "mute_rule", id: String(id) }, undefined, "outbox", () =>
          this.#deps.muteRules.deleteRule(teamId, id),
        ),
    }));
  }

  get apiKeys() {
    return this.#group("apiKeys", () => ({
      /** Returns the token once; the audit entry records the key's id, never the token. */
      createKey: (teamId: TeamId, input: CreateApiKeyInput) =>
        this.#mutate(
          teamId,
          "api_key.create",
          "manage_api_keys",
          { type: "api_key" },
          input,
          "outbox",
          () => this.#deps.identity.apiKeys.createKey(teamId, input, this.actor),
          (r) => r.key.id,
        ),
      listKeys: (teamId: TeamId, options?: { limit?: number; cursor?: string | null }) =>
        this.#readWith(teamId, "manage_api_keys", () => this.#deps.identity.apiKeys.listKeys(teamId, options)),
      revokeKey: (teamId: TeamId, id: string) =>
        this.#mutate(teamId, "api_key.revoke", "manage_api_keys", { type: "api_key", id: String(id) }, undefined, "outbox", () =>
          this.#deps.identity.apiKeys.revokeKey(teamId, id),
        ),
    }));
  }

  get members() {
    return this.#group("members", () => ({
      listMembers: (teamId: TeamId) => this.#read(teamId, () => this.#deps.identity.members.listMembers(teamId)),
      addMember: (teamId: TeamId, input: AddMemberInput) =>
        this.#mutate(
          teamId,
          "member.add",
          "manage_members",
          { type: "member" },
          input,
          "outbox",
          () => this.#deps.identity.members.addMember(teamId, input, this.actor),
          (r) => r.id,
        ),
      changeRole: (teamId: TeamId, userId: string, role: string) =>
        this.#mutate(teamId, "member.change_role", "manage_members", { type: "member", id: String(userId) }, { role }, "outbox", () =>
          this.#deps.identity.members.changeRole(teamId, userId, role, this.actor),
        ),
      removeMember: (teamId: TeamId, userId: string) =>
        this.#mutate(teamId, "member.remove", "manage_members", { type: "member", id: String(userId) }, undefined, "outbox", () =>
          this.#deps.identity.members.removeMember(teamId, userId, this.actor),
        ),
    }));
  }

  get roles() {
    return this.#group("roles", () => ({
      listRoles: (teamId: TeamId) => this.#read(teamId, () => this.#deps.identity.roles.listRoles(teamId)),
      createRole: (teamId: TeamId, input: CreateRoleInput) =>
        this.#mutate(
          teamId,
          "role.create",
          "manage_members",
          { type: "role" },
          input,
          "outbox",
          () => this.#deps.identity.roles.createRole(teamId, input, this.actor),
          (r) => r.name,
        ),
      deleteRole: (teamId: TeamId, name: string) =>
        this.#mutate(teamId, "role.delete", "manage_members", { type: "role", id: String(name) }, undefined, "outbox", () =>
          this.#deps.identity.roles.deleteRole(teamId, name),
        ),
    }));
  }

  get sessions() {
    return this.#group("sessions", () => ({
      /**
       * A session for the acting user: the same user for a session actor; for a JWT actor the team's member
       * with the token's email, created on first use with the token's role. API keys have no sessions (`FORBIDDEN`).
       */
      createSession: (teamId: TeamId, options?: CreateSessionOptions) =>
        this.#mutate(
          teamId,
          "session.create",
          "read",
          { type: "session" },
          undefined,
          "outbox",
          async () => this.#deps.identity.sessions.createSession(teamId, await this.#userId(teamId), options),
          (r) => r.session.id,
        ),
      /** Replaces the current session (session actors only) by a new token; the old one stops working. */
      rotateSession: (teamId: TeamId) =>
        this.#mutate(
          teamId,
          "session.rotate",
          "read",
          { type: "session", id: sessionIdOf(this.actor) ?? "none" },
          undefined,
          "outbox",
          () => this.#deps.identity.sessions.rotateSession(teamId, this.#currentSession()),
        ),
      /** Ends the current session (session actors only). */
      revokeSession: (teamId: TeamId) =>
        this.#mutate(
          teamId,
          "session.revoke",
          "read",
          { type: "session", id: sessionIdOf(this.actor) ?? "none" },
          undefined,
          "outbox",
          () => this.#deps.identity.sessions.revokeSession(teamId, this.#currentSession()),
        ),
    }));
  }

  get auditLog() {
    return this.#group("auditLog", () => ({
      /** A keyset page of the team's audit log, newest first; needs `read_audit_log`. */
      page: (teamId: TeamId, query?: AuditLogPageQuery): Promise<Page<AuditLogDocument>> =>
        this.#readWith(teamId, "read_audit_log", () => this.#deps.identity.audit.page(teamId, query)),
    }));
  }

  #auditContext(teamId: TeamId): AuditContext {
    return {
      actor: this.actor,
      teamId,
      ...(this.#context.requestId === undefined ? {} : { requestId: this.#context.requestId }),
      ...(this.#context.ip === undefined ? {} : { ip: this.#context.ip }),
    };
  }

  #group<G>(name: string, build: () => G): G {
    let group = this.#groups.get(name) as G | undefined;
    if (group === undefined) {
      group = build();
      this.#groups.set(name, group);
    }
    return group;
  }

  #read<R>(teamId: TeamId, fn: () => Promise<R>): Promise<R> {
    return this.#readWith(teamId, "read", fn);
  }

  /**
   * Authorizes, then reads: `fn` runs only when `authorize` passed. Not `async` (no promise and tick of its
   * own per read), but a refusal or a synchronous throw still comes back as a rejected promise.
   */
  #readWith<R>(teamId: TeamId, permission: Permission, fn: () => Promise<R>): Promise<R> {
    try {
      authorize(this.actor, teamId, permission);
      return fn();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #mutate<R>(
    teamId: TeamId,
    action: string,
    permission: Permission,
    target: Target,
    changes: unknown,
    mode: AuditMode,
    fn: (scope: MutationScope) => Promise<R>,
    targetIdOf?: (result: R) => string | undefined,
  ): Promise<R> {
    return this.#deps.identity.audit.run(
      this.#auditContext(teamId),
      { action, permission, target, changes, mode, ...(targetIdOf === undefined ? {} : { targetIdOf }) },
      fn,
    );
  }

  #currentSession(): string {
    const id = sessionIdOf(this.actor);
    if (id === undefined)
      throw new ForbiddenError("Only a session token can rotate or end its session.", {
        reason: "PERMISSION_DENIED",
        details: { permission: "session" },
      });
    return id;
  }

  async #userId(teamId: TeamId): Promise<string> {
    const { actor } = this;
    if (actor.via === "session") return actor.id;
    if (actor.via !== "jwt")
      throw new ForbiddenError("Sessions belong to users; an API key cannot open one.", {
        reason: "PERMISSION_DENIED",
        details: { permission: "session" },
      });
    if (actor.label === undefined)
      throw new ValidationError("The token carries no email to find the member by.", [{ path: "email", message: "claim is required" }]);
    const members = this.#deps.identity.members;
    const known = await members.findByEmail(teamId, actor.label);
    if (known !== null) return known.id;
    // Just-in-time membership from the IdP: the role the verified token grants, granted by the platform.
    const created = await members.addMember(
      teamId,
      { email: actor.label, name: actor.label, role: actor.role },
      systemActor(teamId, "oidc-provisioning"),
    );
    return created.id;
  }
}
