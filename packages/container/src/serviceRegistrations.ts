import type { CacheService } from "@cspm/cache";
import type { CredentialCipher } from "@cspm/crypto";
import type { CommandMonitor, CSPMDatabaseManager, DatabaseFactory } from "@cspm/mongo";
import type { RepositoryFactory } from "@cspm/repository";
import type { ResponseService } from "@cspm/response";
import {
  AggregationService,
  AssessmentIntegrationService,
  CentralAccountService,
  EvidenceIntegrationService,
  GlobalAssessmentService,
} from "@cspm/services";
import { type DependencyContainer, instanceCachingFactory } from "tsyringe";
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
}

/** The shared singletons the domain services are built from. */
export interface DomainServiceDependencies {
  readonly manager: CSPMDatabaseManager;
  readonly cache: CacheService;
  readonly repositories: RepositoryFactory;
  readonly cipher: CredentialCipher;
  readonly cacheTtlSeconds: number;
}

/**
 * Registers the five domain services as lazily built singletons. Factories (not decorators) wire them,
 * so nothing depends on decorator metadata that esbuild-based builds do not emit.
 */
export function registerDomainServices(container: DependencyContainer, deps: DomainServiceDependencies): void {
  const { manager, cache, repositories, cipher, cacheTtlSeconds } = deps;
  const singleton = <T>(build: (c: DependencyContainer) => T) => ({ useFactory: instanceCachingFactory(build) });
  container.register(
    TOKENS.CentralAccountService,
    singleton(() => new CentralAccountService({ manager, cache, repositories, cipher, cacheTtlSeconds })),
  );
  container.register(
    TOKENS.AggregationService,
    singleton(
      (c) => new AggregationService({ manager, cache, repositories, cacheTtlSeconds, accounts: c.resolve(TOKENS.CentralAccountService) }),
    ),
  );
  container.register(
    TOKENS.EvidenceIntegrationService,
    singleton(() => new EvidenceIntegrationService({ manager, repositories })),
  );
  container.register(
    TOKENS.AssessmentIntegrationService,
    singleton((c) => new AssessmentIntegrationService({ manager, repositories, evidence: c.resolve(TOKENS.EvidenceIntegrationService) })),
  );
  container.register(
    TOKENS.GlobalAssessmentService,
    singleton(
      (c) =>
        new GlobalAssessmentService({
          manager,
          repositories,
          evidence: c.resolve(TOKENS.EvidenceIntegrationService),
          integration: c.resolve(TOKENS.AssessmentIntegrationService),
        }),
    ),
  );
}
