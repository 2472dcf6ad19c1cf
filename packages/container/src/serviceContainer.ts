// tsyringe refuses to load without a Reflect metadata polyfill, even though nothing here uses decorators.
import "reflect-metadata";
import { type CacheService, MemoryCache, NoCache, RedisCache } from "@cspm/cache";
import { CredentialCipher } from "@cspm/crypto";
import { ForbiddenError, UnavailableError, ValidationError } from "@cspm/errors";
import { DOMAIN_REPOSITORIES } from "@cspm/domain";
import {
  ClientTelemetry,
  type CommandMonitor,
  CSPMDatabaseManager,
  DatabaseFactory,
  type EnsureIndexesReport,
  type HealthReport,
  MongoClientPool,
} from "@cspm/mongo";
import { RepositoryFactory } from "@cspm/repository";
import { ResponseService } from "@cspm/response";
import type { Actor } from "@cspm/identity";
import { type ActorRequestContext, type ActorServices, type Clock, createServices, type Services } from "@cspm/services";
import { type DependencyContainer, type InjectionToken, container as rootContainer, instanceCachingFactory } from "tsyringe";
import { jwtOptionsOf, parseServiceConfig, redactServiceConfig, type ServiceConfig, type ServiceConfigInput } from "./serviceConfig";
import { registerDomainServices, type ServiceTokenTypes } from "./serviceRegistrations";
import { TOKENS } from "./tokens";

/** What a request scope knows about its caller; services read the team from their arguments, not from here. */
export interface RequestContext {
  readonly teamId?: string;
  readonly requestId?: string;
  /** The authenticated caller; with it the scope resolves `TOKENS.Actor` and `TOKENS.ActorServices`. */
  readonly actor?: Actor;
  readonly ip?: string;
}

/** Health of the container's dependencies, for a `/health` route. */
export interface ContainerHealth {
  readonly ok: boolean;
  readonly mongodb: HealthReport;
  readonly cache: { readonly ok: boolean; readonly kind: CacheKind; readonly state?: string };
}

/** Options of `ServiceContainer.initialize`. */
export interface InitializeOptions {
  /** Create the declared indexes on all 14 databases (idempotent); default false. */
  readonly ensureIndexes?: boolean;
}

/** Which cache a container uses: from `redis`, in memory, none (`cache.enabled: false`), or one given as an override. */
export type CacheKind = "redis" | "memory" | "none" | "custom";

/**
 * What a host or a test may supply instead of what the configuration would build: a clock for every
 * service, a cache (any `CacheService`; the container then closes it on `dispose`) or a cipher — and a
 * command monitor, the one consumer of the driver's command events: only with it does the container's
 * client monitor commands (the driver then decodes every reply a second time to build its events).
 */
export interface ServiceContainerOverrides {
  readonly clock?: Clock;
  readonly cache?: CacheService;
  readonly cipher?: CredentialCipher;
  /** Counts the container's MongoDB commands (tests, benchmarks, telemetry); resolvable as `TOKENS.CommandMonitor`. */
  readonly commandMonitor?: CommandMonitor;
}

/** Callers resolve by a `TOKENS` string or by a repository class. */
type Resolvable<T> = InjectionToken<T>;

/**
 * The data layer wired from one typed configuration on a tsyringe child container this object owns:
 * database manager, `DatabaseFactory`, cache (Redis or in-memory), credential cipher, repositories,
 * response service and the domain services (built by `createServices`). Each container owns its MongoDB
 * clients (its own `MongoClientPool`) and its cache: two containers in one process share nothing.
 * @example
 * const services = createServiceContainer(loadConfigFromEnv());
 * await services.initialize();
 * const summary = await services.resolve(TOKENS.AggregationService).getDashboardSummary("team-a");
 * await services.dispose();
 */
export class ServiceContainer {
  /** The validated configuration with every secret redacted (see `redactServiceConfig`). */
  readonly config: ServiceConfig;
  readonly #container: DependencyContainer;
  readonly #manager: CSPMDatabaseManager;
  readonly #clientPool: MongoClientPool;
  readonly #cache: CacheService;
  readonly #cacheKind: CacheKind;
  /** Every service, as `createServices` built them. */
  readonly services: Services;
  #initialized: Promise<void> | undefined;
  #disposed: Promise<void> | undefined;
  #relayTimer: NodeJS.Timeout | undefined;

  constructor(config: ServiceConfigInput | ServiceConfig, overrides: ServiceContainerOverrides = {}) {
    const parsed = parseServiceConfig(config);
    // Secrets stay in this constructor's closures; the public view is redacted so logging it is harmless.
    this.config = Object.freeze(redactServiceConfig(parsed));
    // A child of tsyringe's root container (the only constructor tsyringe exports): everything is registered
    // here, never on the global one. A token this container does not register would fall back to whatever a
    // host registered globally; every token the data layer uses is registered here, so none does.
    this.#container = rootContainer.createChildContainer();
    const cipher = overrides.cipher ?? new CredentialCipher(parsed.encryptionKeys);
    const commandMonitor = overrides.commandMonitor;
    // The container owns its clients: a pool of its own, closed with the container.
    this.#clientPool = new MongoClientPool();
    this.#manager = new CSPMDatabaseManager({
      clientPool: this.#clientPool,
      uri: parsed.mongodb.uri,
      prefix: this.config.mongodb.prefix,
      serverSelectionTimeoutMS: this.config.mongodb.serverSelectionTimeoutMS,
      // Every operation is bounded: a stalled server or network answers UNAVAILABLE within this time.
      operationTimeoutMS: this.config.mongodb.operationTimeoutMS ?? this.config.mongodb.serverSelectionTimeoutMS,
      appName: this.config.mongodb.appName,
      ...(commandMonitor === undefined ? {} : { commandMonitor }),
      telemetry: new ClientTelemetry({ commandSpans: this.config.mongodb.commandSpans }),
    });
    const redis = parsed.redis;
    this.#cacheKind = overrides.cache ? "custom" : !parsed.cache.enabled ? "none" : redis ? "redis" : "memory";
    this.#cache =
      overrides.cache ??
      (!parsed.cache.enabled
        ? new NoCache()
        : redis
          ? new RedisCache({ redis: redis.url, keyPrefix: redis.keyPrefix, commandTimeoutMs: redis.commandTimeoutMs })
          : new MemoryCache({ maxEntries: this.config.cache.maxEntries }));
    const repositories = new RepositoryFactory({
      provider: this.#manager,
      ...(parsed.cursorSecret ? { cursorSecret: parsed.cursorSecret } : {}),
    });

    const c = this.#container;
    c.register(TOKENS.Config, { useValue: this.config });
    c.register(TOKENS.DatabaseManager, { useValue: this.#manager });
    if (commandMonitor === undefined) {
      c.register(TOKENS.CommandMonitor, {
        useFactory: () => {
          throw new ValidationError(
            "This container does not monitor commands: pass a CommandMonitor as overrides.commandMonitor to createServiceContainer.",
            [{ path: "overrides.commandMonitor", message: "is required to resolve TOKENS.CommandMonitor" }],
          );
        },
      });
    } else c.register(TOKENS.CommandMonitor, { useValue: commandMonitor });
    c.register(TOKENS.DatabaseFactory, { useFactory: instanceCachingFactory(() => new DatabaseFactory(this.#manager)) });
    c.register(TOKENS.Cache, { useValue: this.#cache });
    c.register(TOKENS.Cipher, { useValue: cipher });
    c.register(TOKENS.RepositoryFactory, { useValue: repositories });
    c.register(TOKENS.ResponseService, { useFactory: instanceCachingFactory(() => new ResponseService()) });
    for (const repository of DOMAIN_REPOSITORIES) {
      c.register(repository, { useFactory: instanceCachingFactory(() => repositories.get(repository)) });
    }
    this.services = createServices({
      manager: this.#manager,
      cache: this.#cache,
      cipher,
      repositories,
      ...(overrides.clock === undefined ? {} : { clock: overrides.clock }),
      options: { summaryCacheTtlSeconds: this.config.cache.defaultTtlSeconds },
      identity: {
        ...(jwtOptionsOf(parsed.auth) === undefined
          ? {}
          : { jwt: jwtOptionsOf(parsed.auth) as NonNullable<ReturnType<typeof jwtOptionsOf>> }),
        sessionTtlSeconds: parsed.auth.sessionTtlSeconds,
        lastUsedFlushMs: parsed.auth.lastUsedFlushMs,
      },
    });
    registerDomainServices(c, this.services);
  }

  /**
   * Connects to MongoDB (once, however often it is called) and optionally ensures indexes.
   * Throws `UNAVAILABLE` (with a hint) when MongoDB cannot be reached within the timeout; a later call retries.
   */
  initialize(options: InitializeOptions = {}): Promise<void> {
    if (this.#disposed) {
      return Promise.reject(
        new UnavailableError("This ServiceContainer has been disposed.", {
          details: { hint: "Create a new container with createServiceContainer()." },
        }),
      );
    }
    this.#initialized ??= this.#manager.connect().then(
      () => this.#startAuditRelay(),
      (error: unknown) => {
        this.#initialized = undefined;
        throw error;
      },
    );
    return options.ensureIndexes ? this.#initialized.then(() => this.ensureIndexes()).then(() => undefined) : this.#initialized;
  }

  /**
   * The service graph as `actor` may use it (every read authorized, every mutation authorized and audited),
   * for one request. Same as `services.forActor`.
   */
  forActor(actor: Actor, context: ActorRequestContext = {}): ActorServices {
    return this.services.forActor(actor, context);
  }

  /**
   * Moves audit outbox entries left by a crashed process to the audit log: once before `initialize`
   * resolves, then every `auth.auditRelayIntervalMs` (`0`: never). A failed relay is retried next time.
   */
  async #startAuditRelay(): Promise<void> {
    const { auditRelayIntervalMs, auditOutboxGraceMs } = this.config.auth;
    if (auditRelayIntervalMs === 0 || this.#relayTimer !== undefined) return;
    const relay = () => this.services.identity.audit.relayOutbox({ olderThanMs: auditOutboxGraceMs }).catch(() => 0);
    await relay();
    this.#relayTimer = setInterval(() => void relay(), auditRelayIntervalMs);
    this.#relayTimer.unref();
  }

  /** Creates the declared indexes on all 14 databases; idempotent, reports drift. Throws `UNAVAILABLE`. */
  ensureIndexes(): Promise<EnsureIndexesReport> {
    return this.#manager.ensureIndexes();
  }

  /** Resolves a registered service by token (`TOKENS.X`) or a repository by its class. */
  resolve<K extends keyof ServiceTokenTypes>(token: K): ServiceTokenTypes[K];
  resolve<T>(token: Resolvable<T>): T;
  resolve(token: Resolvable<unknown>): unknown {
    return this.#container.resolve(token);
  }

  /**
   * A child scope for one request: shares every singleton, adds the request's `RequestContext` and, with
   * `context.actor`, the actor (`TOKENS.Actor`) and its actor-bound services (`TOKENS.ActorServices`).
   */
  createRequestScope(context: RequestContext = {}): RequestScope {
    const { actor } = context;
    const bound =
      actor === undefined
        ? undefined
        : this.services.forActor(actor, {
            ...(context.requestId === undefined ? {} : { requestId: context.requestId }),
            ...(context.ip === undefined ? {} : { ip: context.ip }),
          });
    return new RequestScope(this.#container, Object.freeze({ ...context }), bound);
  }

  /** MongoDB ping and cache state; never throws. */
  async health(): Promise<ContainerHealth> {
    const mongodb = await this.#manager.ping();
    const cacheHealth = await this.#cache.health();
    const cache = { ok: cacheHealth.ok, kind: this.#cacheKind, ...("state" in cacheHealth ? { state: String(cacheHealth.state) } : {}) };
    return { ok: mongodb.ok && cache.ok, mongodb, cache };
  }

  /** Closes Redis and MongoDB connections; idempotent, safe to call concurrently. */
  dispose(): Promise<void> {
    this.#disposed ??= (async () => {
      if (this.#relayTimer !== undefined) clearInterval(this.#relayTimer);
      // The last batch of API key last-use times, while MongoDB is still there.
      if (this.#initialized !== undefined) await this.services.identity.lastUsed.close();
      const results = await Promise.allSettled([this.#cache.close(), this.#manager.close().finally(() => this.#clientPool.close())]);
      await this.#container.dispose();
      const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
      if (failed) throw failed.reason;
    })();
    return this.#disposed;
  }
}

/**
 * The per-request view of a `ServiceContainer`. Its actor-bound services and context are plain fields; the
 * tsyringe child container behind `resolve` is created on the first `resolve` only, so a request that uses
 * just `services` pays for no container work.
 */
export class RequestScope {
  readonly #parent: DependencyContainer;
  readonly #context: RequestContext;
  readonly #services: ActorServices | undefined;
  #container: DependencyContainer | undefined;

  /** Made by `ServiceContainer.createRequestScope`: `parent` is the container's own, `services` the actor-bound view. */
  constructor(parent: DependencyContainer, context: RequestContext, services: ActorServices | undefined) {
    this.#parent = parent;
    this.#context = context;
    this.#services = services;
  }

  /** The actor-bound services of this request (`TOKENS.ActorServices`); `FORBIDDEN` when the scope has no actor. */
  get services(): ActorServices {
    if (this.#services === undefined) {
      throw new ForbiddenError("This request scope has no authenticated actor.", {
        reason: "PERMISSION_DENIED",
        details: { permission: "read" },
      });
    }
    return this.#services;
  }

  /** The request's context as given to `createRequestScope`. */
  get context(): RequestContext {
    return this.#context;
  }

  /** Resolves a service or repository; singletons are the container's own instances. */
  resolve<K extends keyof ServiceTokenTypes>(token: K): ServiceTokenTypes[K];
  resolve<T>(token: Resolvable<T>): T;
  resolve(token: Resolvable<unknown>): unknown {
    return this.#child().resolve(token);
  }

  /** The child container with the request's registrations, made once. */
  #child(): DependencyContainer {
    if (this.#container === undefined) {
      const child = this.#parent.createChildContainer();
      child.register(TOKENS.RequestContext, { useValue: this.#context });
      if (this.#context.actor !== undefined) child.register(TOKENS.Actor, { useValue: this.#context.actor });
      if (this.#services !== undefined) child.register(TOKENS.ActorServices, { useValue: this.#services });
      this.#container = child;
    }
    return this.#container;
  }
}

/**
 * Builds a `ServiceContainer` from a configuration object (see `loadConfigFromEnv` for env), with optional
 * `overrides` (clock, cache, cipher). Throws `VALIDATION_FAILED` listing every configuration problem at
 * once. Call `initialize()` next.
 */
export function createServiceContainer(
  config: ServiceConfigInput | ServiceConfig,
  overrides: ServiceContainerOverrides = {},
): ServiceContainer {
  return new ServiceContainer(config, overrides);
}
