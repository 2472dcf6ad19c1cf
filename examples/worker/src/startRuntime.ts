import { cacheNoticeOf, createServiceContainer, loadConfigFromEnv, type ServiceContainer } from "@cspm/container";
import { generateKey } from "@cspm/crypto";
import { UnavailableError, ValidationError } from "@cspm/errors";
import { type CompatServer, startCompatServer } from "@cspm/mongo-engine";

/** Options of `startRuntime`. */
export interface RuntimeOptions {
  /** Environment to read (default `process.env`); see `loadConfigFromEnv` for the variables. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * Without `MONGODB_URI`, start the embedded MongoDB: `@cspm/mongo-engine`, the offline in-process
   * engine on an ephemeral 127.0.0.1 port. Demo use only: data lives as long as the process.
   */
  readonly allowEmbedded: boolean;
  /** Where notices go (default: stderr). */
  readonly log?: (line: string) => void;
  /** Create the declared indexes on start (default true; idempotent). */
  readonly ensureIndexes?: boolean;
}

/** A started data layer: the container, and the embedded MongoDB when one was started. */
export interface Runtime {
  readonly services: ServiceContainer;
  /** The embedded MongoDB, when `MONGODB_URI` was not set. */
  readonly embedded: CompatServer | undefined;
  /** True when `CSPM_ENCRYPTION_KEYS` was not set and a throwaway key was generated (embedded only). */
  readonly ephemeralKey: boolean;
  /** Disposes the container (closing MongoDB and Redis connections), then stops the embedded MongoDB. Idempotent. */
  close(): Promise<void>;
}

function banner(lines: readonly string[]): string {
  const width = Math.max(...lines.map((l) => l.length));
  const rule = `+${"-".repeat(width + 2)}+`;
  return [rule, ...lines.map((l) => `| ${l.padEnd(width)} |`), rule].join("\n");
}

/**
 * Builds the `ServiceContainer` a host process runs on from the environment and initializes it
 * (connect + indexes). With no `MONGODB_URI` and `allowEmbedded`, starts the embedded MongoDB, and with no
 * `CSPM_ENCRYPTION_KEYS` there generates a throwaway key — both announced loudly, both demo only. Against
 * a real `MONGODB_URI` the key ring is required: a generated key would make stored credentials unreadable
 * after a restart. Throws `VALIDATION_FAILED` (missing/invalid configuration), `UNAVAILABLE` (MongoDB unreachable,
 * embedded MongoDB failed to start).
 */
export async function startRuntime(options: RuntimeOptions): Promise<Runtime> {
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const configured = env.MONGODB_URI?.trim();
  if (!configured && !options.allowEmbedded) {
    throw new ValidationError("MONGODB_URI is not set.", [
      { path: "MONGODB_URI", message: "is required (or use the embedded demo MongoDB)" },
    ]);
  }
  let embedded: CompatServer | undefined;
  let uri = configured ?? "";
  if (!configured) {
    try {
      embedded = await startCompatServer();
    } catch (error) {
      throw new UnavailableError(`The embedded MongoDB did not start: ${(error as Error).message}`, {
        cause: error,
        details: { hint: "Set MONGODB_URI to a running MongoDB." },
      });
    }
    uri = embedded.uri;
    log(
      banner([
        `EMBEDDED MongoDB (@cspm/mongo-engine, offline) at ${uri}`,
        "MONGODB_URI is not set, so data lives only as long as this process.",
        "Set MONGODB_URI to use a real MongoDB (a replica set: assessments use transactions).",
      ]),
    );
  }
  let keys = env.CSPM_ENCRYPTION_KEYS?.trim();
  let ephemeralKey = false;
  if (!keys && embedded) {
    keys = `demo-ephemeral:${generateKey()}`;
    ephemeralKey = true;
    log(
      banner([
        "WARNING: CSPM_ENCRYPTION_KEYS is not set; generated a THROWAWAY key for this demo run.",
        "Credentials encrypted with it cannot be decrypted after a restart. Never do this in production:",
        'set CSPM_ENCRYPTION_KEYS="k1:<base64 of 32 random bytes>" (e.g. `openssl rand -base64 32`).',
      ]),
    );
  }
  // The embedded database is this process's own: its in-memory cache hears of every write. A real
  // MONGODB_URI may be shared (the worker imports while the API serves): without REDIS_URL the container
  // turns the cache off, and says so here.
  const effective = {
    ...env,
    MONGODB_URI: uri,
    ...(keys ? { CSPM_ENCRYPTION_KEYS: keys } : {}),
    ...(embedded && !env.CSPM_CACHE?.trim() ? { CSPM_CACHE: "on" } : {}),
  };
  const notice = cacheNoticeOf(effective);
  if (notice !== undefined) log(notice);
  let services: ServiceContainer;
  try {
    services = createServiceContainer(loadConfigFromEnv(effective));
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
  try {
    await services.initialize({ ensureIndexes: options.ensureIndexes ?? true });
  } catch (error) {
    await services.dispose().catch(() => undefined);
    await embedded?.stop();
    throw error;
  }
  let closing: Promise<void> | undefined;
  return {
    services,
    embedded,
    ephemeralKey,
    close() {
      closing ??= (async () => {
        try {
          await services.dispose();
        } finally {
          await embedded?.stop();
        }
      })();
      return closing;
    },
  };
}
