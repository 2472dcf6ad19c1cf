// The public surface of @cspm/domain: every schema, type and repository, by database folder.

// common
export {
  CLOUD_PROVIDERS,
  CloudProviderSchema,
  PROVIDER_ACCOUNT_ID_FORMATS,
  isValidProviderAccountId,
  validateProviderAccountId,
  checkProviderAccountId,
} from "./common/cloudProvider";
export type { CloudProvider } from "./common/cloudProvider";
export { ObjectIdSchema, RefIdSchema, tenantDocumentSchema, sharedDocumentSchema } from "./common/documentSchema";
export { EncryptedEnvelopeObjectSchema, CompactEnvelopeSchema, EncryptedEnvelopeSchema } from "./common/encryptedEnvelopeSchema";
export type { StoredEncryptedEnvelope } from "./common/encryptedEnvelopeSchema";
export { FreeFormObjectSchema, FreeFormValueSchema } from "./common/freeFormObjectSchema";
export type { FreeFormObject } from "./common/freeFormObjectSchema";
export { SECRET_KEY_PATTERN, NonSecretConfigSchema } from "./common/nonSecretConfigSchema";
export type { NonSecretConfig } from "./common/nonSecretConfigSchema";
export { ResourceTagSchema, ResourceTagsSchema, tagsFromMap } from "./common/resourceTagSchema";
export type { ResourceTag } from "./common/resourceTagSchema";
export { SEVERITIES, SeveritySchema, emptySeverityCounts } from "./common/severity";
export { SIGHTING_DELTAS, SightingDeltaSchema } from "./common/scanSightings";
export type { SightingDelta, SightingError, SightingWriteResult, ScanLifecycleCounts } from "./common/scanSightings";
export { snapshotFingerprint } from "./common/scanSnapshots";
export type { SnapshotWriteResult } from "./common/scanSnapshots";
export type { Severity, SeverityCounts } from "./common/severity";

// platform
export { ApiKeyRepository } from "./platform/apiKeyRepository";
export type { ApiKeyDocument } from "./platform/apiKeyRepository";
export { ApiKeySchema, CreatedBySchema } from "./platform/apiKeySchema";
export type { ApiKey } from "./platform/apiKeySchema";
export { AuditLogRepository } from "./platform/auditLogRepository";
export type { AuditLogDocument, AuditLogPageQuery, AuditLogQuery } from "./platform/auditLogRepository";
export { AuditOutboxRepository } from "./platform/auditOutboxRepository";
export type { AuditOutboxDocument } from "./platform/auditOutboxRepository";
export {
  AUDIT_ACTOR_TYPES,
  AUDIT_ACTOR_VIAS,
  AUDIT_OUTCOMES,
  AuditActorSchema,
  AuditChangesSchema,
  AuditLogSchema,
  AuditOutboxSchema,
  AuditTargetSchema,
} from "./platform/auditLogSchema";
export type { AuditLog, AuditOutboxEntry } from "./platform/auditLogSchema";
export { PERMISSIONS, PermissionSchema, RoleNameSchema, Sha256HexSchema } from "./platform/permissionSchema";
export type { Permission } from "./platform/permissionSchema";
export { RoleRepository } from "./platform/roleRepository";
export type { RoleDocument } from "./platform/roleRepository";
export { RoleSchema } from "./platform/roleSchema";
export type { Role } from "./platform/roleSchema";
export { SessionRepository } from "./platform/sessionRepository";
export type { SessionDocument } from "./platform/sessionRepository";
export { SessionSchema } from "./platform/sessionSchema";
export type { Session } from "./platform/sessionSchema";
export { SettingRepository } from "./platform/settingRepository";
export type { SettingDocument } from "./platform/settingRepository";
export { SettingSchema } from "./platform/settingSchema";
export type { Setting } from "./platform/settingSchema";
export { TeamRepository } from "./platform/teamRepository";
export type { TeamDocument } from "./platform/teamRepository";
export { TEAM_STATUSES, TeamSchema } from "./platform/teamSchema";
export type { Team } from "./platform/teamSchema";
export { UserRepository } from "./platform/userRepository";
export type { UserDocument } from "./platform/userRepository";
export { USER_ROLES, USER_STATUSES, UserSchema } from "./platform/userSchema";
export type { User } from "./platform/userSchema";

// cloud-security
export { cloudAccountCredentialAad } from "./cloud-security/cloudAccountCredentialAad";
export type { CloudAccountCredentialIdentity } from "./cloud-security/cloudAccountCredentialAad";
export { CloudAccountRepository } from "./cloud-security/cloudAccountRepository";
export type { CloudAccountDocument, NewCloudAccount, CloudAccountStatus } from "./cloud-security/cloudAccountRepository";
export {
  CLOUD_ACCOUNT_STATUSES,
  LAST_SCAN_STATUSES,
  RegionSchema,
  CloudAccountObjectSchema,
  CloudAccountSchema,
} from "./cloud-security/cloudAccountSchema";
export type { CloudAccount } from "./cloud-security/cloudAccountSchema";
export { ProwlerFindingRepository, findingDerivedFields } from "./cloud-security/prowlerFindingRepository";
export { MuteRuleRepository, MAX_ACTIVE_MUTE_RULES } from "./cloud-security/muteRuleRepository";
export { FindingRollupRepository, findingRollupRowsPipeline } from "./cloud-security/findingRollupRepository";
export type {
  FindingRollupDocument,
  RollupRefreshProgress,
  RollupRefreshResult,
  RollupVerifyResult,
} from "./cloud-security/findingRollupRepository";
export { FindingRollupMarkRepository, ALL_ACCOUNTS_MARK } from "./cloud-security/findingRollupMarkRepository";
export type { FindingRollupMarkDocument } from "./cloud-security/findingRollupMarkRepository";
export { FindingFacetCellRepository, findingFacetCellsPipeline } from "./cloud-security/findingFacetCellRepository";
export type { FindingFacetCellDocument } from "./cloud-security/findingFacetCellRepository";
export {
  FindingRollupSchema,
  FindingRollupMarkSchema,
  FindingFacetCellSchema,
  FACET_CELL_FIELDS,
  FINDING_ROLLUP_DIMENSIONS,
  TEAM_ROLLUP_ACCOUNT,
} from "./cloud-security/findingRollupSchema";
export type { FindingRollupDimension } from "./cloud-security/findingRollupSchema";
export type { MuteRuleDocument } from "./cloud-security/muteRuleRepository";
export {
  MuteRuleSchema,
  ResourceUidGlobSchema,
  globToRegexSource,
  muteRuleFindingFilter,
  muteRuleMatches,
} from "./cloud-security/muteRuleSchema";
export type { MuteRule, MuteRuleCriteria, MuteRuleSubject } from "./cloud-security/muteRuleSchema";
export type {
  ProwlerFindingDocument,
  ScannedFinding,
  SightedFinding,
  ResolveScope,
  FailingFindingsQuery,
} from "./cloud-security/prowlerFindingRepository";
export {
  FINDING_PROVIDERS,
  FindingProviderSchema,
  FindingSourceSchema,
  FINDING_STATE_FIELDS,
  FINDING_STATUSES,
  FINDING_IDENTITY_FIELDS,
  FindingComplianceSchema,
  ProwlerFindingObjectSchema,
  ProwlerFindingSchema,
  complianceFromMap,
  complianceToMap,
  FINDING_STATES,
  FINDING_HISTORY_LIMIT,
  SEVERITY_RANK,
  FindingHistoryEntrySchema,
  searchTokens,
  findingSearchTerms,
} from "./cloud-security/prowlerFindingSchema";
export type {
  FindingCompliance,
  FindingProvider,
  ProwlerFinding,
  FindingState,
  FindingHistoryEntry,
} from "./cloud-security/prowlerFindingSchema";
export { SecurityScoreRepository } from "./cloud-security/securityScoreRepository";
export type { SecurityScoreDocument } from "./cloud-security/securityScoreRepository";
export { SeverityCountsSchema, SecurityScoreSchema } from "./cloud-security/securityScoreSchema";
export type { SecurityScore } from "./cloud-security/securityScoreSchema";

// native-scans
export { HeaderScanRepository } from "./native-scans/headerScanRepository";
export type { HeaderScanDocument } from "./native-scans/headerScanRepository";
export { HEADER_SCAN_TOOLS, HeaderIssueSchema, HeaderScanSchema } from "./native-scans/headerScanSchema";
export type { HeaderScan } from "./native-scans/headerScanSchema";
export { NucleiScanRepository } from "./native-scans/nucleiScanRepository";
export { nucleiMatchKey } from "./native-scans/nucleiScanRepository";
export type { NucleiScanDocument, SightedNucleiMatch } from "./native-scans/nucleiScanRepository";
export {
  NUCLEI_MATCH_IDENTITY_FIELDS,
  NUCLEI_MATCH_STATE_FIELDS,
  NUCLEI_TEMPLATE_TYPES,
  NucleiScanSchema,
  severityFromNuclei,
} from "./native-scans/nucleiScanSchema";
export type { NucleiScan } from "./native-scans/nucleiScanSchema";
export { SslScanRepository } from "./native-scans/sslScanRepository";
export type { SslScanDocument } from "./native-scans/sslScanRepository";
export {
  TLS_PROTOCOLS,
  SSL_SCAN_TOOLS,
  CertificateSchema,
  SslCipherSchema,
  SslIssueSchema,
  SslVulnerabilitySchema,
  SslScanSchema,
} from "./native-scans/sslScanSchema";
export type { SslScan } from "./native-scans/sslScanSchema";

// orchestration
export { JobRepository } from "./orchestration/jobRepository";
export type { JobDocument, NewJob } from "./orchestration/jobRepository";
export { MAX_JOB_PRIORITY, JobSchema } from "./orchestration/jobSchema";
export type { Job } from "./orchestration/jobSchema";
export {
  LIFECYCLE_STATUSES,
  LifecycleStatusSchema,
  LIFECYCLE_TRANSITIONS,
  TERMINAL_STATUSES,
  canTransition,
  sourcesOf,
  assertTransition,
  LIFECYCLE_SHAPE,
} from "./orchestration/lifecycle";
export type { LifecycleStatus } from "./orchestration/lifecycle";
export { LifecycleRepository } from "./orchestration/lifecycleRepository";
export type { TransitionOptions } from "./orchestration/lifecycleRepository";
export { ScanRunRepository } from "./orchestration/scanRunRepository";
export type { ScanRunDocument, NewScanRun } from "./orchestration/scanRunRepository";
export { SCANNERS, ScanRunLifecycleSchema, ScanRunSchema } from "./orchestration/scanRunSchema";
export type { ScanRun } from "./orchestration/scanRunSchema";
export { SubJobRepository } from "./orchestration/subJobRepository";
export type { SubJobDocument } from "./orchestration/subJobRepository";
export { SubJobSchema } from "./orchestration/subJobSchema";
export type { SubJob } from "./orchestration/subJobSchema";

// vulnerabilities
export { CveIdSchema, CweIdSchema, CvssSchema, EpssSchema } from "./vulnerabilities/cvssSchemas";
export type { Cvss, Epss } from "./vulnerabilities/cvssSchemas";
export { SlaPolicyRepository } from "./vulnerabilities/slaPolicyRepository";
export type { SlaPolicyDocument } from "./vulnerabilities/slaPolicyRepository";
export { SlaDaysSchema, SlaPolicySchema, slaExpiry } from "./vulnerabilities/slaPolicySchema";
export type { SlaPolicy } from "./vulnerabilities/slaPolicySchema";
export { VulnerabilityCatalogEntrySchema } from "./vulnerabilities/vulnerabilityCatalogEntrySchema";
export type { VulnerabilityCatalogEntry } from "./vulnerabilities/vulnerabilityCatalogEntrySchema";
export { VulnerabilityCatalogRepository } from "./vulnerabilities/vulnerabilityCatalogRepository";
export type { VulnerabilityCatalogEntryDocument } from "./vulnerabilities/vulnerabilityCatalogRepository";
export { VulnerabilityOccurrenceRepository } from "./vulnerabilities/vulnerabilityOccurrenceRepository";
export type {
  VulnerabilityOccurrenceDocument,
  DetectedOccurrence,
  OccurrenceStatus,
} from "./vulnerabilities/vulnerabilityOccurrenceRepository";
export {
  OCCURRENCE_STATUSES,
  OCCURRENCE_IDENTITY_FIELDS,
  VulnerabilityOccurrenceObjectSchema,
  VulnerabilityOccurrenceSchema,
} from "./vulnerabilities/vulnerabilityOccurrenceSchema";
export type { VulnerabilityOccurrence } from "./vulnerabilities/vulnerabilityOccurrenceSchema";

// ai-governance
export { AiModelRepository } from "./ai-governance/aiModelRepository";
export type { AiModelDocument } from "./ai-governance/aiModelRepository";
export { AI_RISK_TIERS, AiRiskTierSchema, AI_MODEL_STATUSES, AiModelSchema } from "./ai-governance/aiModelSchema";
export type { AiRiskTier, AiModel } from "./ai-governance/aiModelSchema";
export { AiRiskAssessmentRepository } from "./ai-governance/aiRiskAssessmentRepository";
export type { AiRiskAssessmentDocument } from "./ai-governance/aiRiskAssessmentRepository";
export { AiRiskFindingSchema, AiRiskAssessmentSchema } from "./ai-governance/aiRiskAssessmentSchema";
export type { AiRiskAssessment } from "./ai-governance/aiRiskAssessmentSchema";
export { deriveAiActStatus, EuAiActComplianceRepository } from "./ai-governance/euAiActComplianceRepository";
export type { EuAiActComplianceDocument, EuAiActComplianceInput } from "./ai-governance/euAiActComplianceRepository";
export {
  OBLIGATION_STATUSES,
  EU_AI_ACT_STATUSES,
  AiActObligationSchema,
  EuAiActComplianceSchema,
} from "./ai-governance/euAiActComplianceSchema";
export type { EuAiActCompliance, AiActObligation } from "./ai-governance/euAiActComplianceSchema";

// assessments
export { AssessmentEvidenceRepository } from "./assessments/assessmentEvidenceRepository";
export type { AssessmentEvidenceDocument, CollectedEvidence } from "./assessments/assessmentEvidenceRepository";
export { MAX_EVIDENCE_ITEMS, AssessmentEvidenceSchema } from "./assessments/assessmentEvidenceSchema";
export type { AssessmentEvidence } from "./assessments/assessmentEvidenceSchema";
export { ASSESSMENT_TRANSITIONS, GlobalAssessmentRepository } from "./assessments/globalAssessmentRepository";
export type { GlobalAssessmentDocument, NewGlobalAssessment, AssessmentStatus } from "./assessments/globalAssessmentRepository";
export {
  ASSESSMENT_FREQUENCIES,
  ASSESSMENT_STATUSES,
  EvidenceSourceSummarySchema,
  EvidenceSummarySchema,
  GlobalAssessmentObjectSchema,
  GlobalAssessmentSchema,
} from "./assessments/globalAssessmentSchema";
export type { GlobalAssessment, EvidenceSummary } from "./assessments/globalAssessmentSchema";

// risk-management
export { RiskRepository } from "./risk-management/riskRepository";
export type { RiskDocument, NewRisk, RiskStatus } from "./risk-management/riskRepository";
export { RISK_STATUSES, RiskObjectSchema, RiskSchema, riskScore } from "./risk-management/riskSchema";
export type { Risk } from "./risk-management/riskSchema";
export { RiskTreatmentRepository } from "./risk-management/riskTreatmentRepository";
export type { RiskTreatmentDocument } from "./risk-management/riskTreatmentRepository";
export { TREATMENT_STRATEGIES, TREATMENT_STATUSES, RiskTreatmentSchema } from "./risk-management/riskTreatmentSchema";
export type { RiskTreatment } from "./risk-management/riskTreatmentSchema";

// compliance
export { ControlMappingRepository } from "./compliance/controlMappingRepository";
export type { ControlMappingDocument } from "./compliance/controlMappingRepository";
export { ControlMappingSchema } from "./compliance/controlMappingSchema";
export type { ControlMapping } from "./compliance/controlMappingSchema";
export { ControlRepository } from "./compliance/controlRepository";
export type { ControlDocument } from "./compliance/controlRepository";
export { ControlIdSchema, ControlSchema } from "./compliance/controlSchema";
export type { Control } from "./compliance/controlSchema";
export { FrameworkRepository } from "./compliance/frameworkRepository";
export type { FrameworkDocument } from "./compliance/frameworkRepository";
export { FrameworkIdSchema, FrameworkSchema, frameworkIdFor } from "./compliance/frameworkSchema";
export type { Framework } from "./compliance/frameworkSchema";

// inventory
export { CloudResourceRepository } from "./inventory/cloudResourceRepository";
export type { CloudResourceDocument, DiscoveredResource } from "./inventory/cloudResourceRepository";
export { RESOURCE_IDENTITY_FIELDS, CloudResourceSchema } from "./inventory/cloudResourceSchema";
export type { CloudResource } from "./inventory/cloudResourceSchema";
export { ResourceRelationshipRepository } from "./inventory/resourceRelationshipRepository";
export type { ResourceRelationshipDocument } from "./inventory/resourceRelationshipRepository";
export { ResourceRelationshipSchema } from "./inventory/resourceRelationshipSchema";
export type { ResourceRelationship } from "./inventory/resourceRelationshipSchema";

// remediation
export { RemediationExceptionRepository } from "./remediation/remediationExceptionRepository";
export type { RemediationExceptionDocument } from "./remediation/remediationExceptionRepository";
export { ANY_RESOURCE, RemediationExceptionSchema } from "./remediation/remediationExceptionSchema";
export type { RemediationException } from "./remediation/remediationExceptionSchema";
export { RemediationTaskRepository } from "./remediation/remediationTaskRepository";
export type { RemediationTaskDocument, NewRemediationTask } from "./remediation/remediationTaskRepository";
export { REMEDIATION_STATUSES, OPEN_REMEDIATION_STATUSES, RemediationTaskSchema } from "./remediation/remediationTaskSchema";
export type { RemediationTask } from "./remediation/remediationTaskSchema";

// reporting
export { isValidCronExpression, CronExpressionSchema } from "./reporting/cronExpressionSchema";
export { REPORT_TRANSITIONS, ReportRepository } from "./reporting/reportRepository";
export type { ReportDocument, NewReport } from "./reporting/reportRepository";
export { ReportScheduleRepository } from "./reporting/reportScheduleRepository";
export type { ReportScheduleDocument } from "./reporting/reportScheduleRepository";
export { ReportScheduleSchema } from "./reporting/reportScheduleSchema";
export type { ReportSchedule } from "./reporting/reportScheduleSchema";
export { REPORT_TYPES, REPORT_FORMATS, REPORT_STATUSES, ReportSchema } from "./reporting/reportSchema";
export type { Report } from "./reporting/reportSchema";

// notifications
export { AlertRepository } from "./notifications/alertRepository";
export type { AlertDocument, NewAlert } from "./notifications/alertRepository";
export { ALERT_STATUSES, AlertSchema } from "./notifications/alertSchema";
export type { Alert } from "./notifications/alertSchema";
export { ChannelRepository } from "./notifications/channelRepository";
export type { ChannelDocument } from "./notifications/channelRepository";
export { CHANNEL_TYPES, CHANNEL_CONFIG_SCHEMAS, ChannelObjectSchema, ChannelSchema } from "./notifications/channelSchema";
export type { ChannelType, Channel } from "./notifications/channelSchema";
export { DeliveryRepository } from "./notifications/deliveryRepository";
export type { DeliveryDocument, DeliveryAttempt } from "./notifications/deliveryRepository";
export { DELIVERY_STATUSES, DeliverySchema } from "./notifications/deliverySchema";
export type { Delivery } from "./notifications/deliverySchema";

// integrations
export { ConnectorRepository } from "./integrations/connectorRepository";
export type { ConnectorDocument } from "./integrations/connectorRepository";
export { CONNECTOR_TYPES, CONNECTOR_STATUSES, ConnectorSchema } from "./integrations/connectorSchema";
export type { Connector } from "./integrations/connectorSchema";
export { WebhookRepository } from "./integrations/webhookRepository";
export type { WebhookDocument } from "./integrations/webhookRepository";
export { WebhookEventSchema, WebhookSchema } from "./integrations/webhookSchema";
export type { Webhook } from "./integrations/webhookSchema";

export { DOMAIN_REPOSITORIES } from "./domainRepositories";
export type { DomainRepositoryClass } from "./domainRepositories";
