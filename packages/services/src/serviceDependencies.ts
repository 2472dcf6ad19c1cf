import type { CacheService } from "@cspm/cache";
import type { CSPMDatabaseManager } from "@cspm/mongo";
import { RepositoryFactory } from "@cspm/repository";

/** What every service needs: the database manager, a cache and (optionally) a shared repository factory. */
export interface ServiceDependencies {
  /** Connected manager; every database and collection name comes from the registry through it. */
  readonly manager: CSPMDatabaseManager;
  /** Cache for reads (`MemoryCache` or `RedisCache`); keys are tenant-scoped, writes invalidate by tag. */
  readonly cache: CacheService;
  /** Repository factory to share with the rest of the host app; one over `manager` is created when absent. */
  readonly repositories?: RepositoryFactory;
  /** Clock, for tests; defaults to `() => new Date()`. */
  readonly now?: () => Date;
}

/** The repository factory of the dependencies, or a new one over the manager. */
export function repositoriesOf(deps: Pick<ServiceDependencies, "manager" | "repositories">): RepositoryFactory {
  return deps.repositories ?? new RepositoryFactory({ provider: deps.manager });
}
