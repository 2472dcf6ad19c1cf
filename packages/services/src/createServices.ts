import type { CacheService } from "@cspm/cache";
import type { CredentialCipher } from "@cspm/crypto";
import type { CSPMDatabaseManager } from "@cspm/mongo";
import { instrumentMethods } from "@cspm/telemetry";
import { type Actor, createIdentity, type Identity, type IdentityOptions } from "@cspm/identity";
import { RepositoryFactory } from "@cspm/repository";
import { type ActorRequestContext, ActorServices } from "./actorServices";
import { AggregationService } from "./aggregationService";
import { AssessmentIntegrationService } from "./assessmentIntegrationService";
import { CentralAccountService } from "./centralAccountService";
import type { Clock } from "./clock";
import { EvidenceIntegrationService } from "./evidenceIntegrationService";
import { FindingQueryService } from "./findingQueryService";
import { MuteRuleService } from "./muteRuleService";
import { GlobalAssessmentService } from "./globalAssessmentService";
import { AiGovernanceService } from "./aiGovernanceService";
import { CompliancePostureService } from "./compliancePostureService";
import { PostureOverviewService } from "./postureOverviewService";
import { ScanRunQueryService } from "./scanRunQueryService";
import { VulnerabilityService } from "./vulnerabilityService";

/** Tunables of the service graph; every one has a default. */
export interface ServicesOptions {
  /** TTL of cached account reads (default 300 s). */
  readonly accountCacheTtlSeconds?: number;
  /** TTL of cached dashboard and activity summaries (default 60 s). */
  readonly summaryCacheTtlSeconds?: number;
}

/** What the whole service graph is built from. */
export interface ServicesDependencies {
  /** Connected (or connecting) manager; every database and collection name comes from the registry through it. */
  readonly manager: CSPMDatabaseManager;
  /** Cache for reads (`MemoryCache`, `RedisCache`, or a disabled cache); keys are tenant-scoped. */
  readonly cache: CacheService;
  /** Encrypts cloud credentials before they are stored. */
  readonly cipher: CredentialCipher;
  /** Repository factory to share with the rest of the host app; one over `manager` when absent. */
  readonly repositories?: RepositoryFactory;
  /** Source of "now" (default `() => new Date()`); tests pass a fixed clock. */
  readonly clock?: Clock;
  readonly options?: ServicesOptions;
  /** Identity options: JWT verification, session lifetime, last-use batching (see `createIdentity`). */
  readonly identity?: IdentityOptions;
}

/** Every service of the data layer, wired to one set of dependencies. */
export interface Services {
  readonly repositories: RepositoryFactory;
  readonly accounts: CentralAccountService;
  readonly aggregation: AggregationService;
  readonly evidence: EvidenceIntegrationService;
  readonly integration: AssessmentIntegrationService;
  readonly assessments: GlobalAssessmentService;
  /** Filtered finding pages, facet counts and one finding with its history. */
  readonly findings: FindingQueryService;
  /** Mute rules: create/list/update/delete, each applied to the team's findings at once. */
  readonly muteRules: MuteRuleService;
  /** Posture by provider/account, service, region; severity and new/resolved trends. */
  readonly overview: PostureOverviewService;
  /** Compliance frameworks of the team's providers with requirement status from its findings. */
  readonly compliance: CompliancePostureService;
  /** Scan runs: keyset pages and one run's counts. */
  readonly scanRuns: ScanRunQueryService;
  /** Vulnerability occurrences with SLA state, and their summary. */
  readonly vulnerabilities: VulnerabilityService;
  /** The AI model inventory with EU AI Act status, and its summary. */
  readonly aiGovernance: AiGovernanceService;
  /** Authenticator, API keys, sessions, members, roles, the audit trail (`@cspm/identity`). */
  readonly identity: Identity;
  /**
   * The graph as one actor may use it: every read authorized, every mutation authorized and audited
   * (see `ActorServices`). What request handlers should call; the plain services above are the trusted layer.
   */
  forActor(actor: Actor, context?: ActorRequestContext): ActorServices;
}

/**
 * Builds the whole service graph from its dependencies: the one place services are wired (the container,
 * the example apps and every test bed call it). Services never build their own collaborators, so a clock, a
 * cache or a cipher passed here is the one every service uses. Throws `VALIDATION_FAILED` only for a bad
 * `identity.jwt` configuration.
 * @example const services = createServices({ manager, cache: new MemoryCache(), cipher });
 * await services.assessments.createAssessment(teamId, input);
 */
export function createServices(deps: ServicesDependencies): Services {
  const repositories = deps.repositories ?? new RepositoryFactory({ provider: deps.manager });
  const clock = deps.clock ?? (() => new Date());
  const options = deps.options ?? {};
  // Cache calls get spans too (`Cache.wrap`, `Cache.invalidateTags` …); their first argument is a key, not a team.
  const cache = instrumentMethods("Cache", deps.cache, { teamFirst: false });
  const accounts = new CentralAccountService({
    repositories,
    cache,
    cipher: deps.cipher,
    clock,
    ...(options.accountCacheTtlSeconds === undefined ? {} : { cacheTtlSeconds: options.accountCacheTtlSeconds }),
  });
  const aggregation = new AggregationService({
    repositories,
    cache,
    clock,
    accounts,
    ...(options.summaryCacheTtlSeconds === undefined ? {} : { cacheTtlSeconds: options.summaryCacheTtlSeconds }),
  });
  const evidence = new EvidenceIntegrationService({ repositories, clock });
  const integration = new AssessmentIntegrationService({ repositories, evidence, clock });
  const assessments = new GlobalAssessmentService({ manager: deps.manager, repositories, evidence, integration, clock });
  const findings = new FindingQueryService({ repositories });
  const muteRules = new MuteRuleService({ repositories, aggregation });
  const overview = new PostureOverviewService({ repositories, clock });
  const compliance = new CompliancePostureService({ repositories, clock });
  const scanRuns = new ScanRunQueryService({ repositories });
  const vulnerabilities = new VulnerabilityService({ repositories, clock });
  const aiGovernance = new AiGovernanceService({ repositories, clock });
  const identity = createIdentity({
    manager: deps.manager,
    repositories,
    clock,
    ...(deps.identity === undefined ? {} : { options: deps.identity }),
  });
  // Each public service method runs in its own span (a no-op until the host registers an OpenTelemetry SDK).
  const traced = {
    accounts: instrumentMethods("CentralAccountService", accounts),
    aggregation: instrumentMethods("AggregationService", aggregation),
    evidence: instrumentMethods("EvidenceIntegrationService", evidence),
    integration: instrumentMethods("AssessmentIntegrationService", integration),
    assessments: instrumentMethods("GlobalAssessmentService", assessments),
    findings: instrumentMethods("FindingQueryService", findings),
    muteRules: instrumentMethods("MuteRuleService", muteRules),
    overview: instrumentMethods("PostureOverviewService", overview),
    compliance: instrumentMethods("CompliancePostureService", compliance),
    scanRuns: instrumentMethods("ScanRunQueryService", scanRuns),
    vulnerabilities: instrumentMethods("VulnerabilityService", vulnerabilities),
    aiGovernance: instrumentMethods("AiGovernanceService", aiGovernance),
    identity: {
      ...identity,
      authenticator: instrumentMethods("Authenticator", identity.authenticator, { teamFirst: false }),
      apiKeys: instrumentMethods("ApiKeyService", identity.apiKeys),
      sessions: instrumentMethods("SessionService", identity.sessions),
      members: instrumentMethods("MemberService", identity.members),
    },
  };
  const bound = { ...traced };
  return { repositories, ...traced, forActor: (actor, context) => new ActorServices(bound, actor, context) };
}
