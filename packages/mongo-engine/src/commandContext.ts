import type { Document, Timestamp } from "bson";
import { isPlainDocument, toNumber } from "./bsonOrder";
import type { ChangeStreamRegistry } from "./changeStreams";
import type { Collation } from "./collation";
import { CommandError, notImplemented } from "./commandError";
import { evaluating } from "./queryMatcher";
import { prepareFilter } from "./queryOperators";
import type { CollectionStore } from "./collectionStore";
import type { CursorRegistry } from "./cursorRegistry";
import { compileExpression } from "./expressionCompiler";
import { createMingoOptions, type EvaluationSettings } from "./mingoContext";
import type { ServerParameters } from "./serverParameters";
import type { StorageCatalog, StorageView } from "./storageCatalog";

/** What a command handler gets to work with. */
export interface CommandContext {
  readonly db: string;
  readonly body: Document;
  readonly view: StorageView;
  readonly catalog: StorageCatalog;
  readonly cursors: CursorRegistry;
  /** The sessions the engine knows, as `$listLocalSessions` lists them. */
  readonly localSessions: () => Document[];
  /** The engine's change streams (their cursors are served by getMore too). */
  readonly streams: ChangeStreamRegistry;
  readonly connectionId: number;
  /** The engine's server parameters (`notablescan`, the blocking-sort limit, ...). */
  readonly parameters: ServerParameters;
  /** `$$NOW` of this command: mongod evaluates it once per command. */
  readonly now: Date;
  /** `$$CLUSTER_TIME` of this command. */
  readonly clusterTime: Timestamp;
}

/** A command implementation. */
export type CommandHandler = (ctx: CommandContext) => Document | Promise<Document>;

/** Fields any command may carry (session, concerns, API version, tracing). */
export const GENERIC_FIELDS = new Set([
  "$db",
  "lsid",
  "txnNumber",
  "autocommit",
  "startTransaction",
  "$clusterTime",
  "readConcern",
  "writeConcern",
  "apiVersion",
  "apiStrict",
  "apiDeprecationErrors",
  "comment",
  "maxTimeMS",
  "$readPreference",
  "stmtId",
  "stmtIds",
  "$audit",
  "$client",
  "mayBypassWriteBlocking",
  "$configServerState",
  "$topologyTime",
  "databaseVersion",
  "shardVersion",
  "$queryOptions",
]);

/** Rejects fields a command does not know (40415, as mongod's IDL parser does). */
export function checkFields(ctx: CommandContext, command: string, allowed: readonly string[]): void {
  for (const key of Object.keys(ctx.body)) {
    if (key === command || GENERIC_FIELDS.has(key) || allowed.includes(key)) continue;
    throw new CommandError(40415, `BSON field '${command}.${key}' is an unknown field.`);
  }
}

/** The collection a command names (its first field), validated. */
export function collectionArgument(ctx: CommandContext, command: string): string {
  const name = ctx.body[command];
  if (typeof name !== "string") {
    throw new CommandError(2, `collection name has invalid type ${name === null ? "null" : typeof name}`, { codeName: "BadValue" });
  }
  if (name === "" || name.includes("\0") || name.startsWith(".") || name.includes("$")) {
    throw new CommandError(73, `Invalid collection name: ${name}`);
  }
  return name;
}

/** Validates a `hint`: it must name an existing index; hints on sparse/partial indexes change results. */
export function checkHint(store: CollectionStore | undefined, hint: unknown): void {
  if (hint === undefined || !store) return;
  if (isPlainDocument(hint) && Object.keys(hint).length === 0) return;
  if (isPlainDocument(hint) && Object.hasOwn(hint, "$natural")) return;
  const specs = store.indexSpecs();
  const spec = specs.find((s) =>
    typeof hint === "string"
      ? s.name === hint
      : isPlainDocument(hint) &&
        JSON.stringify(Object.entries(s.key).map(([k, v]) => [k, toNumber(v)])) ===
          JSON.stringify(Object.entries(hint).map(([k, v]) => [k, toNumber(v)])),
  );
  if (!spec) throw new CommandError(2, "hint provided does not correspond to an existing index");
  if (spec.sparse || spec.partialFilterExpression) throw notImplemented(`hint on sparse or partial index '${spec.name}'`);
}

const settingsCache = new WeakMap<CommandContext, Map<unknown, Map<Collation | undefined, EvaluationSettings>>>();

/**
 * Expression settings for a command: `let` variables (evaluated once), `$$NOW`/`$$CLUSTER_TIME`,
 * the collation, and a resolver for collections of its database. The same object is returned for
 * every statement of one command with the same `let` and collation.
 */
export function evaluationSettings(ctx: CommandContext, letVars?: unknown, collation?: Collation): EvaluationSettings {
  let perCommand = settingsCache.get(ctx);
  if (!perCommand) {
    perCommand = new Map();
    settingsCache.set(ctx, perCommand);
  }
  let perLet = perCommand.get(letVars);
  if (!perLet) {
    perLet = new Map();
    perCommand.set(letVars, perLet);
  }
  const hit = perLet.get(collation);
  if (hit) return hit;
  const built = buildEvaluationSettings(ctx, letVars, collation);
  const settings = collation ? { ...built, collation } : built;
  perLet.set(collation, settings);
  return settings;
}

function buildEvaluationSettings(ctx: CommandContext, letVars?: unknown, collation?: Collation): EvaluationSettings {
  const system: Document = { NOW: ctx.now, CLUSTER_TIME: ctx.clusterTime };
  const variables: Document = { ...system };
  if (letVars !== undefined) {
    if (!isPlainDocument(letVars)) throw new CommandError(14, "'let' must be an object");
    for (const [name, expression] of Object.entries(letVars)) {
      if (!/^[a-z][A-Za-z0-9_]*$/.test(name)) {
        throw new CommandError(16866, `'${name}' starts with an invalid character for a user variable name`);
      }
      // mongod evaluates each `let` expression once, before the command runs, with no document in scope.
      const options = createMingoOptions({ variables: { ...variables } });
      const value = evaluating(() => compileExpression(expression)({}, options));
      if (value !== undefined) variables[name] = value;
    }
  }
  return {
    variables,
    // With a filter (the leading `$match` of a `$unionWith` or `$lookup` pipeline): the documents an index
    // look-up or range leaves — a superset of the matches, which the pipeline's own `$match` then filters.
    collectionResolver: (name: string, filter?: Document) => {
      const store = ctx.view.collection(ctx.db, name);
      if (!store) return [];
      if (filter === undefined) return [...store.docs.values()];
      const prepared = prepareFilter(filter);
      return store.exactMatches(prepared, collation) ?? [...store.candidates(prepared, collation)];
    },
  };
}

/** Reads an optional non-negative integer option. */
export function integerOption(body: Document, field: string, command: string): number | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  const n = toNumber(value);
  if (!Number.isFinite(n) || !Number.isInteger(n)) {
    throw new CommandError(
      14,
      `BSON field '${command}.${field}' is the wrong type '${typeof value}', expected types '[long, int, decimal, double]'`,
    );
  }
  return n;
}

/** Reads an optional boolean option. */
export function booleanOption(body: Document, field: string): boolean | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value === "boolean") return value;
  if (typeof value === "number") return value !== 0;
  throw new CommandError(14, `BSON field '${field}' is the wrong type '${typeof value}', expected type 'bool'`);
}
