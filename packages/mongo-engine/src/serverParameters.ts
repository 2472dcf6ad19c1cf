import type { Document } from "bson";
import { toNumber } from "./bsonOrder";
import { CommandError } from "./commandError";

/**
 * The mongod server parameters the engine honours, read with `getParameter` and (where mongod allows
 * it at runtime) changed with `setParameter`:
 * - `notablescan`: a query that would need a collection scan fails with 291 NoQueryExecutionPlans;
 * - `notablescanDatabasePrefixes` (this engine only, not a mongod parameter): the same rule for the
 *   databases whose names start with one of these prefixes, so one test suite can hold its own databases
 *   to `notablescan` while others share the server. `setParameter` takes the whole list, or
 *   `{ add: "prefix" }` / `{ remove: "prefix" }` to change one entry atomically;
 * - `internalQueryMaxBlockingSortMemoryUsageBytes`: an in-memory sort over more bytes than this fails
 *   with 292 QueryExceededMemoryLimitNoDiskUseAllowed when it may not spill to disk (mongod: 100 MiB);
 * - `allowDiskUseByDefault`: whether sorts may spill when the command does not say (mongod 7.0: true);
 * - `enableTestCommands`: startup only (fail points), as in mongod.
 */

/** Startup values of the parameters. */
export interface ServerParameterOptions {
  readonly notablescan?: boolean;
  readonly notablescanDatabasePrefixes?: readonly string[];
  readonly maxBlockingSortBytes?: number;
  readonly allowDiskUseByDefault?: boolean;
  readonly enableTestCommands?: boolean;
}

/** mongod's default blocking-sort memory limit (100 MiB). */
export const DEFAULT_BLOCKING_SORT_BYTES = 100 * 1024 * 1024;

function truthyParameter(value: unknown): boolean {
  return value === true || (typeof value === "number" && value !== 0) || value === "true";
}

/** The list `notablescanDatabasePrefixes` becomes: a whole list of strings, or one `add` / `remove`. */
function nextPrefixes(current: readonly string[], value: unknown): readonly string[] {
  const bad = (): CommandError =>
    new CommandError(2, "notablescanDatabasePrefixes takes an array of non-empty strings, { add: <prefix> } or { remove: <prefix> }", {
      codeName: "BadValue",
    });
  const valid = (prefix: unknown): prefix is string => typeof prefix === "string" && prefix.length > 0;
  if (Array.isArray(value)) {
    if (!value.every(valid)) throw bad();
    return [...new Set(value)];
  }
  if (value !== null && typeof value === "object" && Object.keys(value).length === 1) {
    const { add, remove } = value as { add?: unknown; remove?: unknown };
    if (valid(add)) return current.includes(add) ? current : [...current, add];
    if (valid(remove)) return current.filter((prefix) => prefix !== remove);
  }
  throw bad();
}

/** The live parameter values of one engine. */
export class ServerParameters {
  notablescan: boolean;
  notablescanDatabasePrefixes: readonly string[];
  maxBlockingSortBytes: number;
  allowDiskUseByDefault: boolean;
  readonly enableTestCommands: boolean;

  constructor(options: ServerParameterOptions = {}) {
    this.notablescan = options.notablescan === true;
    this.notablescanDatabasePrefixes = [...(options.notablescanDatabasePrefixes ?? [])];
    this.maxBlockingSortBytes = options.maxBlockingSortBytes ?? DEFAULT_BLOCKING_SORT_BYTES;
    this.allowDiskUseByDefault = options.allowDiskUseByDefault !== false;
    this.enableTestCommands = options.enableTestCommands === true;
  }

  /** Whether queries on database `db` that need a collection scan fail (`notablescan`, or a listed prefix). */
  refusesTableScan(db: string): boolean {
    return this.notablescan || this.notablescanDatabasePrefixes.some((prefix) => db.startsWith(prefix));
  }

  private all(): Document {
    return {
      notablescan: this.notablescan,
      notablescanDatabasePrefixes: [...this.notablescanDatabasePrefixes],
      internalQueryMaxBlockingSortMemoryUsageBytes: this.maxBlockingSortBytes,
      allowDiskUseByDefault: this.allowDiskUseByDefault,
      enableTestCommands: this.enableTestCommands,
      featureCompatibilityVersion: { version: "7.0" },
      authenticationMechanisms: [],
      requireApiVersion: false,
      transactionLifetimeLimitSeconds: 60,
    };
  }

  /** `getParameter`: `{getParameter: 1, name: 1}`, `{getParameter: "*"}` or `{getParameter: {showDetails: true}, name: 1}`. */
  get(body: Document): Document {
    const all = this.all();
    if (body.getParameter === "*") return { ...all, ok: 1 };
    const reply: Document = {};
    for (const key of Object.keys(body)) {
      if (key === "getParameter" || key.startsWith("$") || key === "lsid" || key === "comment") continue;
      if (Object.hasOwn(all, key)) reply[key] = all[key];
    }
    if (Object.keys(reply).length === 0) throw new CommandError(72, "no option found to get");
    return { ...reply, ok: 1 };
  }

  /** `setParameter`: `{setParameter: 1, notablescan: true}`; answers the previous value as `was`. */
  set(body: Document): Document {
    const names = Object.keys(body).filter((k) => k !== "setParameter" && !k.startsWith("$") && k !== "lsid" && k !== "comment");
    if (names.length === 0) throw new CommandError(2, "no option found to set, use help:true to see options", { codeName: "BadValue" });
    let was: unknown;
    for (const name of names) {
      const value = body[name];
      switch (name) {
        case "notablescan":
          was = this.notablescan;
          this.notablescan = truthyParameter(value);
          break;
        case "notablescanDatabasePrefixes":
          was = [...this.notablescanDatabasePrefixes];
          this.notablescanDatabasePrefixes = nextPrefixes(this.notablescanDatabasePrefixes, value);
          break;
        case "allowDiskUseByDefault":
          was = this.allowDiskUseByDefault;
          this.allowDiskUseByDefault = truthyParameter(value);
          break;
        case "internalQueryMaxBlockingSortMemoryUsageBytes": {
          const bytes = toNumber(value);
          if (!Number.isInteger(bytes) || bytes <= 0) {
            throw new CommandError(2, `Invalid value for parameter ${name}: ${String(value)}`, { codeName: "BadValue" });
          }
          was = this.maxBlockingSortBytes;
          this.maxBlockingSortBytes = bytes;
          break;
        }
        case "enableTestCommands":
          throw new CommandError(2, "not allowed to change [enableTestCommands] at runtime", { codeName: "BadValue" });
        default:
          throw new CommandError(2, `attempted to set unrecognized parameter [${name}], use help:true to see options `, {
            codeName: "BadValue",
          });
      }
    }
    return { was, ok: 1 };
  }
}
