/**
 * Injection tokens of everything a `ServiceContainer` registers. Repositories are registered under
 * their own class (`container.resolve(ProwlerFindingRepository)`).
 */
export const TOKENS = {
  Config: "cspm:Config",
  DatabaseManager: "cspm:CSPMDatabaseManager",
  DatabaseFactory: "cspm:DatabaseFactory",
  CommandMonitor: "cspm:CommandMonitor",
  Cache: "cspm:CacheService",
  Cipher: "cspm:CredentialCipher",
  RepositoryFactory: "cspm:RepositoryFactory",
  ResponseService: "cspm:ResponseService",
  CentralAccountService: "cspm:CentralAccountService",
  AggregationService: "cspm:AggregationService",
  EvidenceIntegrationService: "cspm:EvidenceIntegrationService",
  AssessmentIntegrationService: "cspm:AssessmentIntegrationService",
  GlobalAssessmentService: "cspm:GlobalAssessmentService",
  Identity: "cspm:Identity",
  Authenticator: "cspm:Authenticator",
  AuditTrail: "cspm:AuditTrail",
  Actor: "cspm:Actor",
  ActorServices: "cspm:ActorServices",
  RequestContext: "cspm:RequestContext",
} as const;

/** One of the string tokens in `TOKENS`. */
export type ServiceToken = (typeof TOKENS)[keyof typeof TOKENS];
