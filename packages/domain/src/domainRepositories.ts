import type { BaseRepository, ObjectSchema, RepositoryClass, RepositoryDefinition } from "@cspm/repository";
import { AiModelRepository } from "./ai-governance/aiModelRepository";
import { AiRiskAssessmentRepository } from "./ai-governance/aiRiskAssessmentRepository";
import { EuAiActComplianceRepository } from "./ai-governance/euAiActComplianceRepository";
import { AssessmentEvidenceRepository } from "./assessments/assessmentEvidenceRepository";
import { GlobalAssessmentRepository } from "./assessments/globalAssessmentRepository";
import { CloudAccountRepository } from "./cloud-security/cloudAccountRepository";
import { FindingFacetCellRepository } from "./cloud-security/findingFacetCellRepository";
import { FindingRollupMarkRepository } from "./cloud-security/findingRollupMarkRepository";
import { FindingRollupRepository } from "./cloud-security/findingRollupRepository";
import { MuteRuleRepository } from "./cloud-security/muteRuleRepository";
import { ProwlerFindingRepository } from "./cloud-security/prowlerFindingRepository";
import { SecurityScoreRepository } from "./cloud-security/securityScoreRepository";
import { ControlMappingRepository } from "./compliance/controlMappingRepository";
import { ControlRepository } from "./compliance/controlRepository";
import { FrameworkRepository } from "./compliance/frameworkRepository";
import { ConnectorRepository } from "./integrations/connectorRepository";
import { WebhookRepository } from "./integrations/webhookRepository";
import { CloudResourceRepository } from "./inventory/cloudResourceRepository";
import { ResourceRelationshipRepository } from "./inventory/resourceRelationshipRepository";
import { HeaderScanRepository } from "./native-scans/headerScanRepository";
import { NucleiScanRepository } from "./native-scans/nucleiScanRepository";
import { SslScanRepository } from "./native-scans/sslScanRepository";
import { AlertRepository } from "./notifications/alertRepository";
import { ChannelRepository } from "./notifications/channelRepository";
import { DeliveryRepository } from "./notifications/deliveryRepository";
import { JobRepository } from "./orchestration/jobRepository";
import { ScanRunRepository } from "./orchestration/scanRunRepository";
import { SubJobRepository } from "./orchestration/subJobRepository";
import { ApiKeyRepository } from "./platform/apiKeyRepository";
import { AuditLogRepository } from "./platform/auditLogRepository";
import { AuditOutboxRepository } from "./platform/auditOutboxRepository";
import { RoleRepository } from "./platform/roleRepository";
import { SessionRepository } from "./platform/sessionRepository";
import { SettingRepository } from "./platform/settingRepository";
import { TeamRepository } from "./platform/teamRepository";
import { UserRepository } from "./platform/userRepository";
import { RemediationExceptionRepository } from "./remediation/remediationExceptionRepository";
import { RemediationTaskRepository } from "./remediation/remediationTaskRepository";
import { ReportRepository } from "./reporting/reportRepository";
import { ReportScheduleRepository } from "./reporting/reportScheduleRepository";
import { RiskRepository } from "./risk-management/riskRepository";
import { RiskTreatmentRepository } from "./risk-management/riskTreatmentRepository";
import { SlaPolicyRepository } from "./vulnerabilities/slaPolicyRepository";
import { VulnerabilityCatalogRepository } from "./vulnerabilities/vulnerabilityCatalogRepository";
import { VulnerabilityOccurrenceRepository } from "./vulnerabilities/vulnerabilityOccurrenceRepository";

/** A domain repository class: constructible by `RepositoryFactory.get` and carrying its registry binding. */
export type DomainRepositoryClass = RepositoryClass<BaseRepository<any>> & { readonly definition: RepositoryDefinition<ObjectSchema> };

/**
 * Every domain repository class, in registry order: exactly one per registered collection. A container
 * registers them all with `for (const R of DOMAIN_REPOSITORIES) factory.get(R)`.
 */
export const DOMAIN_REPOSITORIES: readonly DomainRepositoryClass[] = Object.freeze([
  // PLATFORM
  TeamRepository,
  UserRepository,
  SessionRepository,
  ApiKeyRepository,
  RoleRepository,
  AuditLogRepository,
  SettingRepository,
  AuditOutboxRepository,
  // CLOUD_SECURITY
  CloudAccountRepository,
  ProwlerFindingRepository,
  MuteRuleRepository,
  FindingRollupRepository,
  FindingRollupMarkRepository,
  FindingFacetCellRepository,
  SecurityScoreRepository,
  // SECURITY_SCANS
  NucleiScanRepository,
  SslScanRepository,
  HeaderScanRepository,
  // ORCHESTRATION
  ScanRunRepository,
  JobRepository,
  SubJobRepository,
  // VULNERABILITIES
  VulnerabilityOccurrenceRepository,
  VulnerabilityCatalogRepository,
  SlaPolicyRepository,
  // AI_GOVERNANCE
  AiModelRepository,
  AiRiskAssessmentRepository,
  EuAiActComplianceRepository,
  // ASSESSMENTS
  GlobalAssessmentRepository,
  AssessmentEvidenceRepository,
  // RISK_MANAGEMENT
  RiskRepository,
  RiskTreatmentRepository,
  // COMPLIANCE
  FrameworkRepository,
  ControlRepository,
  ControlMappingRepository,
  // INVENTORY
  CloudResourceRepository,
  ResourceRelationshipRepository,
  // REMEDIATION
  RemediationTaskRepository,
  RemediationExceptionRepository,
  // REPORTING
  ReportRepository,
  ReportScheduleRepository,
  // NOTIFICATIONS
  ChannelRepository,
  AlertRepository,
  DeliveryRepository,
  // INTEGRATIONS
  ConnectorRepository,
  WebhookRepository,
]);
