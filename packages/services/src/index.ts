export { createServices } from "./createServices";
export type { Services, ServicesDependencies, ServicesOptions } from "./createServices";
export type { Clock } from "./clock";
export { ActorServices } from "./actorServices";
export type { ActorRequestContext, ActorServicesDependencies } from "./actorServices";
export {
  calculateAssessmentDates,
  DEFAULT_GRACE_DAYS,
  MONTHS_PER_PERIOD,
} from "./calculateAssessmentDates";
export type { AssessmentDates, AssessmentDatesInput, AssessmentFrequency } from "./calculateAssessmentDates";
export {
  parseProviderCredentials,
  PROVIDER_CREDENTIAL_SHAPES,
  AwsAccessKeyCredentialsSchema,
  AwsAssumeRoleCredentialsSchema,
  AzureCredentialsSchema,
  GcpServiceAccountCredentialsSchema,
  KubeconfigCredentialsSchema,
  KubernetesTokenCredentialsSchema,
} from "./providerCredentials";
export type { ProviderCredentials } from "./providerCredentials";
export { CentralAccountService, RegisterAccountInputSchema, UpdateAccountInputSchema } from "./centralAccountService";
export type {
  AccountPage,
  AccountSummary,
  CentralAccountServiceDependencies,
  CloudAccountStatus,
  CloudAccountView,
  LastScanStatus,
  ListAccountsOptions,
  RegisterAccountInput,
  UpdateAccountInput,
} from "./centralAccountService";
export { AggregationService, DEFAULT_WINDOW_DAYS, MAX_WINDOW_DAYS } from "./aggregationService";
export type {
  AccountActivityRow,
  AggregationServiceDependencies,
  DashboardSummaryOptions,
  RecentScanRun,
  RunCounts,
  ScanActivity,
  ScanActivityOptions,
} from "./aggregationService";
export { DASHBOARD_SEVERITIES } from "./dashboardSummaryPipeline";
export type {
  AccountBreakdownRow,
  BreakdownRow,
  DailyTrendPoint,
  DashboardScope,
  DashboardSeverity,
  DashboardSummary,
  FailingCheckRow,
  FrameworkComplianceRow,
  StatusCounts,
} from "./dashboardSummaryPipeline";
export { EvidenceIntegrationService } from "./evidenceIntegrationService";
export type { CollectEvidenceOptions, ComprehensiveEvidence, EvidenceIntegrationServiceDependencies } from "./evidenceIntegrationService";
export { EVIDENCE_SOURCES } from "./evidencePipelines";
export type { EvidenceScope, EvidenceSource, SourceEvidence } from "./evidencePipelines";
export { AssessmentIntegrationService, assessmentScore, checkResultsFromEvidence } from "./assessmentIntegrationService";
export type {
  AssessmentIntegrationServiceDependencies,
  CheckEvidence,
  ControlEvaluation,
  ControlResult,
  ControlStatus,
  ControlTotals,
  EvaluateControlsOptions,
} from "./assessmentIntegrationService";
export { CreateAssessmentInputSchema, GlobalAssessmentService } from "./globalAssessmentService";
export type {
  AssessmentPage,
  AssessmentView,
  CreateAssessmentInput,
  GlobalAssessmentServiceDependencies,
  InTransactionOptions,
  ListAssessmentsOptions,
} from "./globalAssessmentService";
export {
  FindingQueryService,
  FindingFilterSchema,
  FindingPageSchema,
  FINDING_FACETS,
  FINDING_SORT_FIELDS,
  FINDING_SORT_KEYS,
  FINDING_PAGE_LIMITS,
  MAX_FACET_VALUES,
  findingMongoFilter,
} from "./findingQueryService";
export type {
  FacetCount,
  FindingDetail,
  FindingFacetName,
  FindingFacets,
  FindingFilter,
  FindingPage,
  FindingPageOptions,
  FindingQueryServiceDependencies,
  FindingSortField,
  FindingView,
} from "./findingQueryService";
export { MuteRuleService, CreateMuteRuleInputSchema, UpdateMuteRuleInputSchema } from "./muteRuleService";
export type {
  CreateMuteRuleInput,
  MuteRuleChange,
  MuteRulePage,
  MuteRuleServiceDependencies,
  MuteRuleView,
  UpdateMuteRuleInput,
} from "./muteRuleService";
export { DEFAULT_TREND_DAYS, MAX_TREND_DAYS, PostureOverviewService } from "./postureOverviewService";
export type {
  AccountPostureRow,
  FindingsTrend,
  FindingsTrendPoint,
  GroupOverview,
  GroupPostureRow,
  PostureCounts,
  PostureFilter,
  PostureOverviewServiceDependencies,
  ProviderOverview,
  ProviderPostureRow,
  SeverityTrend,
  SeverityTrendPoint,
  TrendOptions,
} from "./postureOverviewService";
export { CompliancePostureService } from "./compliancePostureService";
export type {
  CompliancePostureServiceDependencies,
  FrameworkPosture,
  FrameworkPostureList,
  FrameworkPostureRow,
  RequirementCounts,
  RequirementPosture,
  RequirementStatus,
} from "./compliancePostureService";
export { ScanRunQueryService } from "./scanRunQueryService";
export type {
  PageRequest,
  ScanRunDetail,
  ScanRunLifecycle,
  ScanRunPage,
  ScanRunQueryServiceDependencies,
  ScanRunView,
} from "./scanRunQueryService";
export { VulnerabilityService } from "./vulnerabilityService";
export type {
  OccurrenceFilter,
  OccurrencePage,
  OccurrenceSla,
  OccurrenceView,
  VulnerabilityServiceDependencies,
  VulnerabilitySummary,
} from "./vulnerabilityService";
export { AiGovernanceService } from "./aiGovernanceService";
export type {
  AiGovernanceServiceDependencies,
  AiGovernanceSummary,
  AiModelPage,
  AiModelStatus,
  AiModelView,
  EuAiActStatus,
} from "./aiGovernanceService";
