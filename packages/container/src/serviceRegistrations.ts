import type { CacheService } from "@cspm/cache";
import type { CredentialCipher } from "@cspm/crypto";
import type { CommandMonitor, CSPMDatabaseManager, DatabaseFactory } from "@cspm/mongo";
import type { RepositoryFactory } from "@cspm/repository";
import type { ResponseService } from "@cspm/response";
import type {
  AggregationService,
  AssessmentIntegrationService,
  CentralAccountService,
  EvidenceIntegrationService,
  GlobalAssessmentService,
  Services,
} from "@cspm/services";
import type { AuditTrail, Authenticator, Identity } from "@cspm/identity";
import type { DependencyContainer } from "tsyringe";
import type { ServiceConfig } from "./serviceConfig";
import { TOKENS } from "./tokens";

/** The type each `TOKENS` entry resolves to. */
export interface ServiceTokenTypes {
  [TOKENS.Config]: ServiceConfig;
  [TOKENS.DatabaseManager]: CSPMDatabaseManager;
  [TOKENS.DatabaseFactory]: DatabaseFactory;
  [TOKENS.CommandMonitor]: CommandMonitor;
  [TOKENS.Cache]: CacheService;
  [TOKENS.Cipher]: CredentialCipher;
  [TOKENS.RepositoryFactory]: RepositoryFactory;
  [TOKENS.ResponseService]: ResponseService;
  [TOKENS.CentralAccountService]: CentralAccountService;
  [TOKENS.AggregationService]: AggregationService;
  [TOKENS.EvidenceIntegrationService]: EvidenceIntegrationService;
  [TOKENS.AssessmentIntegrationService]: AssessmentIntegrationService;
  [TOKENS.GlobalAssessmentService]: GlobalAssessmentService;
  [TOKENS.Identity]: Identity;
  [TOKENS.Authenticator]: Authenticator;
  [TOKENS.AuditTrail]: AuditTrail;
}

/**
 * Registers the services `createServices` built (the one wiring of the service graph) under their tokens.
 * Factories and values only: nothing depends on decorator metadata.
 */
export function registerDomainServices(container: DependencyContainer, services: Services): void {
  container.register(TOKENS.CentralAccountService, { useValue: services.accounts });
  container.register(TOKENS.AggregationService, { useValue: services.aggregation });
  container.register(TOKENS.EvidenceIntegrationService, { useValue: services.evidence });
  container.register(TOKENS.AssessmentIntegrationService, { useValue: services.integration });
  container.register(TOKENS.GlobalAssessmentService, { useValue: services.assessments });
  container.register(TOKENS.Identity, { useValue: services.identity });
  container.register(TOKENS.Authenticator, { useValue: services.identity.authenticator });
  container.register(TOKENS.AuditTrail, { useValue: services.identity.audit });
}
