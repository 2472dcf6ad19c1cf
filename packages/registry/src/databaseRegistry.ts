import { ContractViolationError, ValidationError } from "@cspm/errors";
import { DATABASES, LEGACY_COLLECTIONS, type DatabaseAlias, type DatabaseKey, type DatabaseName } from "./databases";
import type { CollectionDefinition, DatabaseDefinition, LegacyCollectionDefinition } from "./definitions";

type Database = (typeof DATABASES)[number];

/** Anything that names one database: its constant, its alias or its physical name. */
export type DatabaseRef = DatabaseKey | DatabaseAlias | DatabaseName;

/** `DatabaseRegistry.PLATFORM === "cspm_platform"` and so on for all 14 databases. */
export type DatabaseNameConstants = { readonly [D in Database as D["key"]]: D["name"] };

const byRef = new Map<string, Database>();
for (const database of DATABASES) {
  for (const ref of [database.key, database.alias, database.name]) {
    if (byRef.has(ref)) throw new Error(`Registry bug: "${ref}" names two databases.`);
    byRef.set(ref, database);
  }
}
const ownerByCollection = new Map<string, Database>();
for (const database of DATABASES) {
  for (const collection of database.collections) {
    const owner = ownerByCollection.get(collection.name);
    // One name in two places would make `ownerOf` ambiguous and the consolidation contract meaningless.
    if (owner) throw new Error(`Registry bug: collection "${collection.name}" is declared by ${owner.key} and ${database.key}.`);
    ownerByCollection.set(collection.name, database);
  }
}
const legacyByName = new Map(LEGACY_COLLECTIONS.map((legacy) => [legacy.name, legacy]));

/** MongoDB forbids these characters in database names; a prefix must not smuggle them in. */
const PREFIX_PATTERN = /^[A-Za-z0-9_-]*$/;
/** MongoDB's limit on a database name, in bytes. */
const MAX_DATABASE_NAME_BYTES = 63;

function validRefs(): string {
  return DATABASES.map((d) => `${d.key} (${d.alias}, ${d.name})`).join(", ");
}

function legacyError(legacy: LegacyCollectionDefinition): ContractViolationError {
  return new ContractViolationError(
    `Collection "${legacy.name}" is legacy and must not be used; use "${legacy.replacement}". ${legacy.reason}`,
    { details: { collection: legacy.name, replacement: legacy.replacement, contract: "collection-consolidation" } },
  );
}

function resolve(ref: string): DatabaseDefinition<DatabaseKey> {
  const database = byRef.get(ref);
  if (!database) {
    throw new ValidationError(`Unknown database "${ref}". Valid: ${validRefs()}.`, [{ path: "database", message: "unknown database" }], {
      details: { database: ref, valid: DATABASES.map((d) => d.key) },
    });
  }
  return database;
}

function validatePrefix(prefix: string): string {
  if (!PREFIX_PATTERN.test(prefix)) {
    throw new ValidationError(`Database prefix "${prefix}" may contain only letters, digits, "_" and "-".`, [
      { path: "prefix", message: "invalid characters" },
    ]);
  }
  return prefix === "" || prefix.endsWith("_") ? prefix : `${prefix}_`;
}

function databaseName(ref: DatabaseRef, prefix = ""): string {
  const name = `${validatePrefix(prefix)}${resolve(ref).name}`;
  if (Buffer.byteLength(name) > MAX_DATABASE_NAME_BYTES) {
    throw new ValidationError(`Database name "${name}" is longer than MongoDB's ${MAX_DATABASE_NAME_BYTES} bytes; shorten the prefix.`, [
      { path: "prefix", message: "too long" },
    ]);
  }
  return name;
}

function getCollection(ref: DatabaseRef, collection: string): CollectionDefinition {
  const legacy = legacyByName.get(collection);
  if (legacy) throw legacyError(legacy);
  const database = resolve(ref);
  const definition = database.collections.find((c) => c.name === collection);
  if (definition) return definition;
  const owner = ownerByCollection.get(collection);
  throw new ValidationError(
    owner
      ? `Collection "${collection}" belongs to ${owner.key} (${owner.name}), not ${database.key} (${database.name}).`
      : `Unknown collection "${collection}" in ${database.key}. Valid: ${database.collections.map((c) => c.name).join(", ")}.`,
    [{ path: "collection", message: owner ? "owned by another database" : "unknown collection" }],
    { details: { database: database.key, collection, ...(owner ? { owner: owner.key } : {}) } },
  );
}

function ownerOf(collection: string): DatabaseDefinition<DatabaseKey> {
  const legacy = legacyByName.get(collection);
  if (legacy) throw legacyError(legacy);
  const owner = ownerByCollection.get(collection);
  if (!owner) {
    throw new ValidationError(`No database owns a collection named "${collection}".`, [
      { path: "collection", message: "unknown collection" },
    ]);
  }
  return owner;
}

const constants = Object.fromEntries(DATABASES.map((d) => [d.key, d.name])) as DatabaseNameConstants;

/**
 * The single source of truth for database names, aliases, purposes and owned collections.
 * Constants (`DatabaseRegistry.PLATFORM === "cspm_platform"`) plus look-ups; unknown names throw
 * `VALIDATION_FAILED` listing the valid ones, legacy collections throw `CONTRACT_VIOLATION`.
 * @example DatabaseRegistry.databaseName("cloud_security", "test_42") // "test_42_cspm_cloud_security"
 */
export const DatabaseRegistry = Object.freeze({
  ...constants,
  /** All 14 databases in registry order. */
  all: (): readonly DatabaseDefinition<DatabaseKey>[] => DATABASES,
  /** All registry constants, in registry order. */
  keys: (): readonly DatabaseKey[] => DATABASES.map((d) => d.key),
  /** The database named by constant, alias or physical name. Throws `VALIDATION_FAILED`. */
  resolve,
  /** True when `ref` names a registered database. */
  has: (ref: string): ref is DatabaseRef => byRef.has(ref),
  /** The physical name of a database, with an optional environment prefix. Throws `VALIDATION_FAILED`. */
  databaseName,
  /** Normalises an environment prefix (`"test_42"` -> `"test_42_"`). Throws `VALIDATION_FAILED`. */
  normalizePrefix: validatePrefix,
  /** The definition of a collection the database owns. Throws `VALIDATION_FAILED` or `CONTRACT_VIOLATION` (legacy). */
  getCollection,
  /** The one database that owns a collection. Throws `VALIDATION_FAILED` or `CONTRACT_VIOLATION` (legacy). */
  ownerOf,
  /** True when `database` owns `collection`. Never throws. */
  owns: (ref: DatabaseRef, collection: string): boolean => byRef.get(ref)?.collections.some((c) => c.name === collection) ?? false,
  /** The legacy definition for a forbidden collection name, if it is one. */
  legacyCollection: (name: string): LegacyCollectionDefinition | undefined => legacyByName.get(name),
  /** Every forbidden legacy collection name. */
  legacyCollections: (): readonly LegacyCollectionDefinition[] => LEGACY_COLLECTIONS,
});
