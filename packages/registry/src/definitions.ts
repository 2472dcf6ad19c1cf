/** Direction or kind of one key of an index. */
export type IndexKeyDirection = 1 | -1 | "text" | "hashed" | "2dsphere";

/** One declared index of a registered collection; `ensureIndexes` makes the server match it. */
export interface IndexDefinition {
  /** Explicit index name, stable across releases so drift can be detected by name. */
  readonly name: string;
  readonly key: Readonly<Record<string, IndexKeyDirection>>;
  readonly unique?: boolean;
  readonly sparse?: boolean;
  readonly partialFilterExpression?: Readonly<Record<string, unknown>>;
  /** TTL in seconds on a date field (single-field index only). */
  readonly expireAfterSeconds?: number;
}

/** A collection the registry places in exactly one database. */
export interface CollectionDefinition {
  readonly name: string;
  /** Tenant-owned documents carry `team_id`; every read and write of them must be scoped to one team. */
  readonly tenantOwned: boolean;
  readonly purpose: string;
  readonly indexes: readonly IndexDefinition[];
  /** The package that alone reads and writes this collection (no domain repository), e.g. `"@cspm/migrations"`. */
  readonly managedBy?: string;
}

/** One of the platform's databases: constant, physical name, alias, purpose and owned collections. */
export interface DatabaseDefinition<K extends string = string> {
  readonly key: K;
  readonly name: string;
  readonly alias: string;
  readonly purpose: string;
  readonly collections: readonly CollectionDefinition[];
}

/** A collection name that production code must not use, and what to use instead. */
export interface LegacyCollectionDefinition {
  readonly name: string;
  /** The database the legacy data still sits in, so a migration can move it. */
  readonly database: string;
  readonly replacement: string;
  readonly reason: string;
}
