/**
 * Test-only (not exported, not in the build): one test file's private databases on the test MongoDB
 * (`CSPM_TEST_MONGODB_URI`, set by the testkit's vitest global setup), a command monitor on its client,
 * an in-memory cache and every service wired as a host app would.
 */
import { randomUUID } from "node:crypto";
import { MemoryCache } from "@cspm/cache";
import { CredentialCipher, generateKey } from "@cspm/crypto";
import { CommandMonitor, CSPMDatabaseManager } from "@cspm/mongo";
import { DatabaseRegistry } from "@cspm/registry";
import { RepositoryFactory } from "@cspm/repository";
import type { Document } from "mongodb";
import { AggregationService } from "../aggregationService";
import { AssessmentIntegrationService } from "../assessmentIntegrationService";
import { CentralAccountService } from "../centralAccountService";
import { EvidenceIntegrationService } from "../evidenceIntegrationService";
import { GlobalAssessmentService } from "../globalAssessmentService";

/** Everything a services integration test needs. */
export interface ServicesTestbed {
  readonly prefix: string;
  readonly manager: CSPMDatabaseManager;
  readonly monitor: CommandMonitor;
  readonly cache: MemoryCache;
  readonly cipher: CredentialCipher;
  readonly repositories: RepositoryFactory;
  readonly accounts: CentralAccountService;
  readonly aggregation: AggregationService;
  readonly evidence: EvidenceIntegrationService;
  readonly integration: AssessmentIntegrationService;
  readonly assessments: GlobalAssessmentService;
  /** The fixed "now" every service of the testbed sees. */
  readonly now: Date;
  /** Inserts raw documents (already in stored shape) into a registered collection. */
  seed(database: Parameters<CSPMDatabaseManager["getCollection"]>[0], collection: string, docs: readonly Document[]): Promise<void>;
  /** Drops this file's databases and closes the client. */
  close(): Promise<void>;
}

/** Opens a testbed with a fresh prefix (`s_<8 hex>_`); call `close()` in `afterAll`. */
export async function openServicesTestbed(options: { now?: Date; label?: string } = {}): Promise<ServicesTestbed> {
  const uri = process.env.CSPM_TEST_MONGODB_URI;
  if (!uri) throw new Error("CSPM_TEST_MONGODB_URI is not set: run through the root vitest config (testkit globalSetup).");
  const prefix = `s${options.label ?? ""}_${randomUUID().replace(/-/g, "").slice(0, 8)}_`;
  const monitor = new CommandMonitor();
  const manager = new CSPMDatabaseManager({ uri, prefix, commandMonitor: monitor, appName: `services-test-${prefix}` });
  await manager.connect();
  const now = options.now ?? new Date();
  const clock = (): Date => new Date(now.getTime());
  const cache = new MemoryCache();
  const cipher = new CredentialCipher([{ id: "test1", key: generateKey() }]);
  const repositories = new RepositoryFactory({ provider: manager });
  const deps = { manager, cache, repositories, now: clock };
  const accounts = new CentralAccountService({ ...deps, cipher });
  const aggregation = new AggregationService({ ...deps, accounts });
  const evidence = new EvidenceIntegrationService(deps);
  const integration = new AssessmentIntegrationService({ ...deps, evidence });
  const assessments = new GlobalAssessmentService({ ...deps, evidence, integration });
  return {
    prefix,
    manager,
    monitor,
    cache,
    cipher,
    repositories,
    accounts,
    aggregation,
    evidence,
    integration,
    assessments,
    now,
    async seed(database, collection, docs) {
      const clean = docs.map((d) => Object.fromEntries(Object.entries(d).filter(([, v]) => v !== undefined)));
      if (clean.length > 0) await manager.getCollection(database, collection).insertMany(clean);
    },
    async close() {
      try {
        for (const key of DatabaseRegistry.keys()) await manager.getDatabase(key).dropDatabase();
      } finally {
        await cache.close();
        await manager.close();
      }
    },
  };
}
