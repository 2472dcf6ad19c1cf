import type { CSPMDatabaseManager } from "@cspm/mongo";
import type { RepositoryFactory } from "@cspm/repository";
import { ApiKeyService } from "./apiKeyService";
import { AuditTrail } from "./auditTrail";
import { Authenticator } from "./authenticator";
import { JwtVerifier, type JwtOptions } from "./jwtVerifier";
import { LastUsedTracker } from "./lastUsedTracker";
import { MemberService } from "./memberService";
import { RoleCatalog } from "./roleCatalog";
import { SessionService } from "./sessionService";

/** Tunables of the identity graph. */
export interface IdentityOptions {
  /** Accept IdP JWTs verified this way; without it only API keys and sessions authenticate. */
  readonly jwt?: JwtOptions;
  /** Default session lifetime (default 43,200 s = 12 h). */
  readonly sessionTtlSeconds?: number;
  /** Delay before noted API key uses are written (default 30 s). */
  readonly lastUsedFlushMs?: number;
  /** Told about audit entries left for the relay and last-use writes that failed. */
  readonly onError?: (error: unknown) => void;
}

/** Every identity component, wired to one repository factory. */
export interface Identity {
  readonly authenticator: Authenticator;
  readonly apiKeys: ApiKeyService;
  readonly sessions: SessionService;
  readonly members: MemberService;
  readonly roles: RoleCatalog;
  readonly audit: AuditTrail;
  readonly lastUsed: LastUsedTracker;
}

/**
 * Builds the identity graph: roles, API keys, sessions, members, the authenticator (with JWT verification
 * when configured), the batched last-use tracker and the audit trail. `createServices` of `@cspm/services`
 * calls it; use it directly in a host that has no other services. Throws `VALIDATION_FAILED` for a bad JWT
 * configuration (see `JwtVerifier`).
 */
export function createIdentity(deps: {
  readonly manager: Pick<CSPMDatabaseManager, "withTransaction">;
  readonly repositories: RepositoryFactory;
  readonly clock?: () => Date;
  readonly options?: IdentityOptions;
}): Identity {
  const clock = deps.clock ?? (() => new Date());
  const options = deps.options ?? {};
  const onError = options.onError ?? (() => undefined);
  const { repositories } = deps;
  const roles = new RoleCatalog(repositories);
  const sessions = new SessionService({
    repositories,
    clock,
    ...(options.sessionTtlSeconds === undefined ? {} : { ttlSeconds: options.sessionTtlSeconds }),
  });
  const lastUsed = new LastUsedTracker({
    repositories,
    clock,
    onError,
    ...(options.lastUsedFlushMs === undefined ? {} : { flushAfterMs: options.lastUsedFlushMs }),
  });
  return {
    roles,
    sessions,
    lastUsed,
    apiKeys: new ApiKeyService({ repositories, roles, clock }),
    members: new MemberService({ repositories, roles, sessions }),
    audit: new AuditTrail({ manager: deps.manager, repositories, clock, onError }),
    authenticator: new Authenticator({
      repositories,
      roles,
      lastUsed,
      clock,
      ...(options.jwt === undefined ? {} : { jwt: new JwtVerifier(options.jwt) }),
    }),
  };
}
