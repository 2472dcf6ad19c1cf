import { createHash } from "node:crypto";
import { ValidationError } from "@cspm/errors";
import type { MigrationContext } from "./migrationContext";

/**
 * What a migration returns from `up` (stored in the ledger as `result`) or from `dryRun` (shown by
 * `MigrationRunner.dryRun`): small, JSON-safe facts such as counts of documents touched. Never secrets.
 */
export type MigrationReport = Readonly<Record<string, MigrationReportValue>>;

/** One value of a `MigrationReport`. */
export type MigrationReportValue =
  | string
  | number
  | boolean
  | null
  | readonly MigrationReportValue[]
  | { readonly [key: string]: MigrationReportValue };

/** What `defineMigration` takes. */
export interface MigrationDefinition {
  /**
   * Stable, unique id; ordering is by position in the runner's list, the id only names it.
   * Convention: `"0001-consolidate-cloud-accounts"` (letters, digits, `.`, `_`, `-`; at most 128 characters).
   */
  readonly id: string;
  /** One line for `status` output. */
  readonly description: string;
  /**
   * Bump when the migration's behaviour changes on purpose. With a `version`, the checksum is computed
   * from `id`, `description` and `version` only, so it is stable across builds (ESM/CJS, minifiers).
   * Without one, the source text of `up`/`dryRun` is hashed as well.
   */
  readonly version?: string | number;
  /**
   * A repeatable migration runs again whenever its checksum changes (e.g. its `version` is derived from a
   * catalog), instead of being reported as a checksum mismatch. It must be idempotent like any other.
   */
  readonly repeatable?: boolean;
  /**
   * Applies the change. Must be idempotent: running it again on its own output changes nothing.
   * Call `ctx.progress(done, total)` in long loops; honour `ctx.signal`.
   */
  up(ctx: MigrationContext): Promise<MigrationReport | void>;
  /** Counts what `up` would change, without writing anything. */
  dryRun?(ctx: MigrationContext): Promise<MigrationReport>;
  /**
   * Whether the migration can run in this host (e.g. a service it needs is configured). A string is the
   * reason it cannot: it is then skipped without a ledger entry and stays pending. Default: applicable.
   */
  applicable?(ctx: MigrationContext): string | true;
}

/** A migration as the runner sees it: the definition plus its checksum. */
export interface Migration extends MigrationDefinition {
  /** sha256 (hex) that the ledger records; a different value for an applied id is a checksum mismatch. */
  readonly checksum: string;
}

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Whitespace-insensitive form of function source, so reformatting alone does not change a checksum. */
function normalizedSource(fn: ((...args: never[]) => unknown) | undefined): string {
  return fn === undefined ? "" : Function.prototype.toString.call(fn).replace(/\s+/g, " ").trim();
}

/**
 * The checksum recorded for a migration: sha256 over a canonical JSON of `id`, `description` and, when
 * declared, `version`; without a `version` also the whitespace-normalised source of `up` and `dryRun`.
 */
export function migrationChecksum(definition: MigrationDefinition): string {
  const material =
    definition.version === undefined
      ? {
          id: definition.id,
          description: definition.description,
          up: normalizedSource(definition.up),
          dryRun: normalizedSource(definition.dryRun),
        }
      : { id: definition.id, description: definition.description, version: String(definition.version) };
  if (definition.repeatable === true) Object.assign(material, { repeatable: true });
  return createHash("sha256").update(JSON.stringify(material)).digest("hex");
}

/**
 * Declares a migration and computes its checksum. Register it by passing it in `migrations:` to
 * `new MigrationRunner({...})` (or in an exported `*MIGRATIONS*` array). Throws `VALIDATION_FAILED`
 * for an empty or malformed id, a missing description or a missing `up`.
 * @example export const ADD_FLAG = defineMigration({ id: "0004-add-flag", description: "…", version: 1, up: async (ctx) => ({}) });
 */
export function defineMigration(definition: MigrationDefinition): Migration {
  const issues: { path: string; message: string }[] = [];
  if (typeof definition?.id !== "string" || !ID_PATTERN.test(definition.id)) {
    issues.push({ path: "id", message: "must be 1-128 characters of letters, digits, '.', '_' or '-', starting with a letter or digit" });
  }
  if (typeof definition?.description !== "string" || definition.description.trim() === "") {
    issues.push({ path: "description", message: "must be a non-empty string" });
  }
  if (typeof definition?.up !== "function") issues.push({ path: "up", message: "must be a function" });
  if (definition?.dryRun !== undefined && typeof definition.dryRun !== "function") {
    issues.push({ path: "dryRun", message: "must be a function" });
  }
  if (definition?.repeatable !== undefined && typeof definition.repeatable !== "boolean") {
    issues.push({ path: "repeatable", message: "must be a boolean" });
  }
  if (definition?.version !== undefined && !["string", "number"].includes(typeof definition.version)) {
    issues.push({ path: "version", message: "must be a string or a number" });
  }
  if (issues.length > 0) {
    throw new ValidationError(`Invalid migration definition${typeof definition?.id === "string" ? ` "${definition.id}"` : ""}.`, issues);
  }
  return Object.freeze({ ...definition, checksum: migrationChecksum(definition) });
}
