import { REDACTED, redactConnectionString } from "@cspm/crypto";
import { ValidationError, issuesFromZod } from "@cspm/errors";
import type { JwtOptions } from "@cspm/identity";
import { z } from "zod";

const positiveInt = (max: number) => z.coerce.number().int().positive().max(max);

/** A switch as written in config objects (`true`/`false`) or the environment (`on`/`off`, `true`/`false`, `1`/`0`). */
const onOff = z.union(
  [z.boolean(), z.enum(["on", "off", "true", "false", "1", "0"]).transform((text) => text === "on" || text === "true" || text === "1")],
  { error: 'must be "on" or "off"' },
);

const AUTH_DEFAULTS = { sessionTtlSeconds: 43_200, lastUsedFlushMs: 30_000, auditRelayIntervalMs: 60_000, auditOutboxGraceMs: 300_000 };

/** `auth`: JWT verification against a JWKS (file or URL) and the identity tunables. */
const AuthConfigSchema = z
  .strictObject({
    jwksFile: z.string().min(1).optional(),
    jwksUrl: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).optional(),
    issuer: z.string().min(1).optional(),
    /** One audience, or several separated by commas. */
    audience: z.string().min(1).optional(),
    teamClaim: z.string().min(1).max(200).optional(),
    roleClaim: z.string().min(1).max(200).optional(),
    /** IdP values to role names: `"cspm-admins=admin,cspm-readers=viewer"`. */
    roleMap: z
      .string()
      .regex(/^[^=,]+=[a-z][a-z0-9_-]*(,[^=,]+=[a-z][a-z0-9_-]*)*$/, 'must be "idp-value=role,…"')
      .optional(),
    defaultRole: z
      .string()
      .regex(/^[a-z][a-z0-9_-]{0,63}$/)
      .optional(),
    sessionTtlSeconds: positiveInt(2_592_000).default(AUTH_DEFAULTS.sessionTtlSeconds),
    lastUsedFlushMs: positiveInt(3_600_000).default(AUTH_DEFAULTS.lastUsedFlushMs),
    /** How often the container moves stale outbox entries to the audit log (`0` = never). */
    auditRelayIntervalMs: z.coerce.number().int().min(0).max(86_400_000).default(AUTH_DEFAULTS.auditRelayIntervalMs),
    /** Outbox entries older than this are taken as interrupted by a crash. */
    auditOutboxGraceMs: positiveInt(86_400_000).default(AUTH_DEFAULTS.auditOutboxGraceMs),
  })
  .superRefine((auth, ctx) => {
    const jwt = auth.jwksFile ?? auth.jwksUrl ?? auth.issuer ?? auth.audience;
    if (jwt === undefined) return;
    if ((auth.jwksFile === undefined) === (auth.jwksUrl === undefined))
      ctx.addIssue({ code: "custom", path: ["jwksFile"], message: "set exactly one of jwksFile and jwksUrl for JWT verification" });
    if (auth.issuer === undefined) ctx.addIssue({ code: "custom", path: ["issuer"], message: "is required for JWT verification" });
    if (auth.audience === undefined) ctx.addIssue({ code: "custom", path: ["audience"], message: "is required for JWT verification" });
  })
  .default(AUTH_DEFAULTS);

/** The typed configuration a `ServiceContainer` is built from; see `loadConfigFromEnv` for the env names. */
export const ServiceConfigSchema = z.strictObject({
  mongodb: z.strictObject({
    /** `mongodb://` or `mongodb+srv://` connection string (replica sets and mongos lists included). */
    uri: z
      .string({ error: (issue) => (issue.input === undefined ? "is required (MONGODB_URI)" : "must be a string") })
      .regex(/^mongodb(\+srv)?:\/\/.+/, "must be a mongodb:// or mongodb+srv:// connection string"),
    /** Environment prefix before every database name (`staging` -> `staging_cspm_platform`). */
    prefix: z
      .string()
      .regex(/^[A-Za-z0-9_-]*$/, "may contain only letters, digits, '_' and '-'")
      .max(30)
      .default(""),
    serverSelectionTimeoutMS: positiveInt(120_000).default(5_000),
    /** The most one MongoDB operation may take before `UNAVAILABLE`; default: the server selection timeout. */
    operationTimeoutMS: positiveInt(600_000).optional(),
    appName: z.string().min(1).max(128).default("cspm-data-layer"),
    /**
     * One OpenTelemetry span per MongoDB command from the driver's command events (`CSPM_MONGO_COMMAND_SPANS=on`);
     * costs a second decode of every reply, so off by default. Pool metrics are always reported.
     */
    commandSpans: onOff.default(false),
  }),
  /** Without `redis`, the container uses an in-process `MemoryCache`. */
  redis: z
    .strictObject({
      url: z.string().regex(/^rediss?:\/\/.+/, "must be a redis:// or rediss:// URL"),
      keyPrefix: z.string().max(64).default("cspm:"),
      commandTimeoutMs: positiveInt(10_000).default(200),
    })
    .optional(),
  /** Key ring for credential encryption: `"k2:<base64 32 bytes>,k1:<base64 32 bytes>"`, first is active. */
  encryptionKeys: z
    .string({
      error: (issue) =>
        issue.input === undefined ? "is required (CSPM_ENCRYPTION_KEYS): a key ring such as k1:<base64 of 32 bytes>" : "must be a string",
    })
    .min(1, "is required (CSPM_ENCRYPTION_KEYS): a key ring such as k1:<base64 of 32 bytes>"),
  cache: z
    .strictObject({
      /** `false` (`CSPM_CACHE=off`): no cache at all (`NoCache`), for debugging and measuring; Redis is not connected. */
      enabled: onOff.default(true),
      defaultTtlSeconds: positiveInt(86_400).default(60),
      maxEntries: positiveInt(1_000_000).default(10_000),
    })
    .default({ enabled: true, defaultTtlSeconds: 60, maxEntries: 10_000 }),
  /** HMAC key for pagination cursors; set it so cursors survive restarts and work across instances. */
  cursorSecret: z.string().min(16, "must be at least 16 characters").optional(),
  /** Authentication and audit: OIDC/JWT verification (off unless a JWKS is set), sessions, last use, the audit outbox relay. */
  auth: AuthConfigSchema,
});

/** Configuration as the caller writes it (defaults optional). */
export type ServiceConfigInput = z.input<typeof ServiceConfigSchema>;
/** Configuration after validation, with every default filled in. */
export type ServiceConfig = z.output<typeof ServiceConfigSchema>;

/**
 * Validates a configuration object, reporting every problem at once.
 * Throws `VALIDATION_FAILED` with one issue per bad field (values are never echoed: they may be secrets).
 */
export function parseServiceConfig(input: unknown): ServiceConfig {
  const result = ServiceConfigSchema.safeParse(input);
  if (result.success) return result.data;
  const issues = issuesFromZod(result.error);
  throw new ValidationError(`Invalid CSPM configuration: ${issues.map((i) => `${i.path || "(root)"} ${i.message}`).join("; ")}.`, issues);
}

/** The environment variables `loadConfigFromEnv` reads, with the config field each one fills. */
export const CONFIG_ENV_VARIABLES = {
  MONGODB_URI: "mongodb.uri",
  CSPM_DB_PREFIX: "mongodb.prefix",
  CSPM_MONGO_TIMEOUT_MS: "mongodb.serverSelectionTimeoutMS",
  CSPM_MONGO_OPERATION_TIMEOUT_MS: "mongodb.operationTimeoutMS",
  CSPM_APP_NAME: "mongodb.appName",
  CSPM_MONGO_COMMAND_SPANS: "mongodb.commandSpans",
  REDIS_URL: "redis.url",
  CSPM_REDIS_KEY_PREFIX: "redis.keyPrefix",
  CSPM_REDIS_TIMEOUT_MS: "redis.commandTimeoutMs",
  CSPM_ENCRYPTION_KEYS: "encryptionKeys",
  CSPM_CACHE: "cache.enabled",
  CSPM_CACHE_TTL_SECONDS: "cache.defaultTtlSeconds",
  CSPM_CACHE_MAX_ENTRIES: "cache.maxEntries",
  CSPM_CURSOR_SECRET: "cursorSecret",
  CSPM_JWT_JWKS_FILE: "auth.jwksFile",
  CSPM_JWT_JWKS_URL: "auth.jwksUrl",
  CSPM_JWT_ISSUER: "auth.issuer",
  CSPM_JWT_AUDIENCE: "auth.audience",
  CSPM_JWT_TEAM_CLAIM: "auth.teamClaim",
  CSPM_JWT_ROLE_CLAIM: "auth.roleClaim",
  CSPM_JWT_ROLE_MAP: "auth.roleMap",
  CSPM_JWT_DEFAULT_ROLE: "auth.defaultRole",
  CSPM_SESSION_TTL_SECONDS: "auth.sessionTtlSeconds",
  CSPM_API_KEY_LAST_USED_FLUSH_MS: "auth.lastUsedFlushMs",
  CSPM_AUDIT_RELAY_INTERVAL_MS: "auth.auditRelayIntervalMs",
  CSPM_AUDIT_OUTBOX_GRACE_MS: "auth.auditOutboxGraceMs",
} as const;

/** The JWT verification options of a configuration, or `undefined` when no JWKS is configured. */
export function jwtOptionsOf(auth: ServiceConfig["auth"]): JwtOptions | undefined {
  if (auth.issuer === undefined || auth.audience === undefined || (auth.jwksFile === undefined && auth.jwksUrl === undefined))
    return undefined;
  const audience = auth.audience
    .split(",")
    .map((a) => a.trim())
    .filter((a) => a !== "");
  const roleMap =
    auth.roleMap === undefined ? undefined : Object.fromEntries(auth.roleMap.split(",").map((pair) => pair.split("=") as [string, string]));
  return {
    ...(auth.jwksFile === undefined ? {} : { jwksFile: auth.jwksFile }),
    ...(auth.jwksUrl === undefined ? {} : { jwksUrl: auth.jwksUrl }),
    issuer: auth.issuer,
    audience: audience.length === 1 ? (audience[0] as string) : audience,
    ...(auth.teamClaim === undefined ? {} : { teamClaim: auth.teamClaim }),
    ...(auth.roleClaim === undefined ? {} : { roleClaim: auth.roleClaim }),
    ...(roleMap === undefined ? {} : { roleMap }),
    ...(auth.defaultRole === undefined ? {} : { defaultRole: auth.defaultRole }),
  };
}

function isSet(env: Readonly<Record<string, string | undefined>>, name: string): boolean {
  return (env[name]?.trim() ?? "") !== "";
}

/** True when `MONGODB_URI` is set but neither `REDIS_URL` nor `CSPM_CACHE`: the case `loadConfigFromEnv` turns the cache off for. */
function sharesDatabaseWithoutRedis(env: Readonly<Record<string, string | undefined>>): boolean {
  return isSet(env, "MONGODB_URI") && !isSet(env, "REDIS_URL") && !isSet(env, "CSPM_CACHE");
}

/**
 * The notice a host should log when `loadConfigFromEnv(env)` turned the cache off because `MONGODB_URI` is set
 * without `REDIS_URL` (a database other processes may write — a worker's import — while an in-memory cache
 * would only hear of its own process's invalidations), or `undefined` when the environment decides the cache.
 */
export function cacheNoticeOf(env: Readonly<Record<string, string | undefined>> = process.env): string | undefined {
  if (!sharesDatabaseWithoutRedis(env)) return undefined;
  return (
    "cache off: MONGODB_URI is set without REDIS_URL, and an in-memory cache would not hear of writes by other processes " +
    "on the same database (a worker's import would leave cached dashboards stale). Set REDIS_URL to share one cache, " +
    "or CSPM_CACHE=on if this is the only process writing to the database."
  );
}

/**
 * Builds and validates the configuration from environment variables (`CONFIG_ENV_VARIABLES`);
 * empty strings count as unset. With `MONGODB_URI` but neither `REDIS_URL` nor `CSPM_CACHE`, the cache is
 * off (`cacheNoticeOf(env)` says why): an in-process cache cannot be invalidated by the other processes
 * that share the database. Throws `VALIDATION_FAILED` listing every problem, named by env variable.
 * @example const config = loadConfigFromEnv(process.env);
 */
export function loadConfigFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): ServiceConfig {
  const input: Record<string, Record<string, unknown> | unknown> = {};
  for (const [variable, path] of Object.entries(CONFIG_ENV_VARIABLES)) {
    const value = env[variable]?.trim();
    if (value === undefined || value === "") continue;
    const [head, tail] = path.split(".") as [string, string | undefined];
    if (tail === undefined) input[head] = value;
    else input[head] = { ...((input[head] as Record<string, unknown> | undefined) ?? {}), [tail]: value };
  }
  input.mongodb ??= {};
  if (sharesDatabaseWithoutRedis(env)) input.cache = { ...((input.cache as Record<string, unknown> | undefined) ?? {}), enabled: false };
  try {
    return parseServiceConfig(input);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    const byPath = new Map(Object.entries(CONFIG_ENV_VARIABLES).map(([variable, path]) => [path as string, variable]));
    const issues = error.issues.map((issue) => ({ path: byPath.get(issue.path) ?? issue.path, message: issue.message }));
    throw new ValidationError(`Invalid CSPM environment: ${issues.map((i) => `${i.path} ${i.message}`).join("; ")}.`, issues);
  }
}

/**
 * A copy of the configuration safe to log or expose: key ring and cursor secret replaced by `"[REDACTED]"`,
 * passwords in the MongoDB and Redis URLs hidden. This is what `ServiceContainer.config` and `TOKENS.Config` give.
 */
export function redactServiceConfig(config: ServiceConfig): ServiceConfig {
  return {
    ...config,
    mongodb: { ...config.mongodb, uri: redactConnectionString(config.mongodb.uri) },
    ...(config.redis ? { redis: { ...config.redis, url: redactConnectionString(config.redis.url) } } : {}),
    encryptionKeys: REDACTED,
    ...(config.cursorSecret === undefined ? {} : { cursorSecret: REDACTED }),
    cache: { ...config.cache },
    auth: { ...config.auth },
  };
}
