import { DatabaseRegistry, type LegacyCollectionDefinition } from "@cspm/registry";

/** What the rules need to know about the registry, derived from `DatabaseRegistry` (nothing is hard-coded). */
export interface RegistryModel {
  /** Forbidden legacy collection names (`cloud_accounts`) with their replacements. */
  readonly legacy: ReadonlyMap<string, LegacyCollectionDefinition>;
  /** Physical database names (`cspm_platform` …). */
  readonly databaseNames: ReadonlySet<string>;
  /** The registry key of the database a constant, alias or physical name refers to. */
  databaseKeyOf(ref: string): string | undefined;
  /** The registry key of the database a getter/variable stem refers to (`getCloudSecurityDb` -> `CLOUD_SECURITY`). */
  databaseKeyOfStem(stem: string): string | undefined;
  /** The registry key of the database that owns a collection, if the registry knows the collection. */
  ownerOf(collection: string): string | undefined;
  /** The physical name of a database key, for messages. */
  nameOf(key: string): string;
}

/** Lower-case with `_` and `-` removed, so `CLOUD_SECURITY`, `cloud_security` and `CloudSecurity` agree. */
function squash(text: string): string {
  return text.toLowerCase().replace(/[_-]/g, "");
}

/** Builds the model once from the installed `@cspm/registry`. */
export function createRegistryModel(): RegistryModel {
  const byRef = new Map<string, string>();
  const byStem = new Map<string, string>();
  const owners = new Map<string, string>();
  const names = new Map<string, string>();
  for (const database of DatabaseRegistry.all()) {
    names.set(database.key, database.name);
    for (const ref of [database.key, database.alias, database.name]) byRef.set(ref, database.key);
    for (const stem of [database.key, database.alias]) byStem.set(squash(stem), database.key);
    for (const collection of database.collections) owners.set(collection.name, database.key);
  }
  return {
    legacy: new Map(DatabaseRegistry.legacyCollections().map((legacy) => [legacy.name, legacy])),
    databaseNames: new Set(names.values()),
    databaseKeyOf: (ref) => byRef.get(ref),
    databaseKeyOfStem: (stem) => byStem.get(squash(stem)),
    ownerOf: (collection) => owners.get(collection),
    nameOf: (key) => names.get(key) ?? key,
  };
}
