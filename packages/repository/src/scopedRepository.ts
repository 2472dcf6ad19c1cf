import {
  ConflictError,
  ContractViolationError,
  type CspmError,
  type ErrorCode,
  type FieldIssue,
  ForbiddenError,
  isCspmError,
  NotFoundError,
  ValidationError,
} from "@cspm/errors";
import {
  type AnyBulkWriteOperation,
  type BulkWriteResult,
  type ClientSession,
  type Document,
  type FindOptions as DriverFindOptions,
  ObjectId,
  type UpdateFilter,
} from "mongodb";
import { withDeadline } from "@cspm/mongo";
import { traceDbOperation } from "@cspm/telemetry";
import { mapDriverError } from "./mapDriverError";
import { toObjectId } from "./parseInput";
import { scopePipeline } from "./pipelineGuard";
import type { RepositoryCore } from "./repositoryCore";
import type { UpsertResetValue } from "./upsertPipeline";
import type { ObjectSchema, RepositoryDocument, RepositoryInput } from "./repositoryDefinition";
import { assertSafeExpression, bsonType, isPlainObject, sanitizeFilter } from "./sanitizeFilter";
import { type FilterInput, isTrustedFilter } from "./trustedFilter";
import { partitionsOfDocuments, partitionsOfFilters } from "./writeObserver";

/** Sort order for `findMany`/`findOne`/`stream`: field -> 1 (ascending) or -1 (descending). */
export type SortSpec = Readonly<Record<string, 1 | -1>>;

/**
 * A code-written operator update (`$set`, `$inc`, `$push` …); see `ScopedRepository.updateOne`. Typed as the
 * driver's `UpdateFilter` or, loosely, any `{ $operator: { path: value } }` object: the repository checks it at run time.
 */
export type UpdateSpec<TDoc extends Document = Document> =
  | UpdateFilter<TDoc>
  | { readonly [operator: `$${string}`]: Readonly<Record<string, unknown>> | undefined };

/** Options of every read. */
export interface ReadOptions {
  /** Also return soft-deleted documents. */
  readonly includeDeleted?: boolean;
  readonly session?: ClientSession;
}

/** Options of `findOne`. */
export interface FindOptions extends ReadOptions {
  readonly sort?: SortSpec;
  /** A code-written projection (checked for forbidden operators). */
  readonly projection?: Document;
}

/** Options of `findMany`. */
export interface FindManyOptions extends FindOptions {
  /** At most this many documents, 1..`MAX_FIND_LIMIT` (10,000); default `DEFAULT_FIND_LIMIT` (1,000). Read more with `stream`. */
  readonly limit?: number;
  readonly skip?: number;
}

/** Options of `count`. */
export interface CountOptions extends ReadOptions {
  readonly limit?: number;
}

/** Options of `stream`. */
export interface StreamOptions extends FindOptions {
  /** Documents fetched per round trip and held in memory at most (default 500, 1..10,000). */
  readonly batchSize?: number;
  readonly limit?: number;
}

/** Options of `aggregate`. */
export interface AggregateOptions extends ReadOptions {
  readonly allowDiskUse?: boolean;
  readonly batchSize?: number;
}

/** Options of every write. */
export interface WriteOptions {
  readonly session?: ClientSession;
}

/** Options of `insertMany`. */
export interface InsertManyOptions extends WriteOptions {
  /** Stop at the first failing document (default true). */
  readonly ordered?: boolean;
}

/** Options of `update`, `updateOne`. */
export interface UpdateOptions extends WriteOptions {
  /** Apply only when the stored `version` equals this; otherwise `CONFLICT` with `details.reason: "VERSION_CONFLICT"`. */
  readonly expectedVersion?: number;
}

/** Options of `findOneAndUpdate`. */
export interface FindOneAndUpdateOptions extends UpdateOptions {
  readonly sort?: SortSpec;
  /** Return the document as it was before or after the update (default "after"). */
  readonly returnDocument?: "before" | "after";
}

/** Options of the deletes. */
export interface DeleteOptions extends WriteOptions {
  /** Remove the document even when the repository soft-deletes. */
  readonly hard?: boolean;
  readonly expectedVersion?: number;
}

/**
 * Options of `upsert` (and `bulkUpsert`). Besides the natural key they say how an import treats what is
 * already stored, so it needs no read first: every field rule is applied by the server in the same write.
 * A rule naming a non-writable or key field is a `CONTRACT_VIOLATION`.
 */
export interface UpsertOptions extends WriteOptions {
  /** Natural key; defaults to the definition's `keyFields`. */
  readonly keyFields?: readonly string[];
  /**
   * Fields written only where the stored document has no value for them — on insert (`$setOnInsert`), or
   * into a document stored without them; a stored value is kept (`first_seen_at`, an SLA start, a workflow
   * status). They never make a document "updated". Still validated as part of the input document.
   */
  readonly insertOnlyFields?: readonly string[];
  /**
   * Values for fields an input document leaves out (`undefined`): such a field keeps its stored value and is
   * written (with this value) only where the stored document has none, like an insert-only field. A value the
   * input gives is written as usual. E.g. `{ muted: false }`: new findings start unmuted, a user's mute survives
   * re-imports, an import that says `muted: true` mutes.
   */
  readonly defaults?: Readonly<Record<string, unknown>>;
  /**
   * Date fields kept at the input's distance from an anchor field's resulting value: `{ sla_expires_at:
   * "sla_started_at" }` writes `sla_expires_at = (kept or new sla_started_at) + (input.sla_expires_at -
   * input.sla_started_at)`. Both must be dates when the relative field is given (else `VALIDATION_FAILED` for that document).
   */
  readonly relativeFields?: Readonly<Record<string, string>>;
  /**
   * Treats a stored document whose `field` holds one of `in` as new again: its insert-only/defaulted `fields`
   * are written from the input and its `unset` fields (optional ones) are removed, unless the input gives them.
   * A reset always counts as "updated". E.g. a mitigated vulnerability seen again:
   * `{ field: "status", in: ["mitigated"], fields: ["status", "sla_started_at"], unset: ["mitigated_at"] }`.
   */
  readonly resetWhen?: UpsertReset;
}

/** See `UpsertOptions.resetWhen`. */
export interface UpsertReset {
  /** A writable schema field of the stored document. */
  readonly field: string;
  /** The stored values that trigger the reset (1..100 strings, finite numbers, booleans or null). */
  readonly in: readonly UpsertResetValue[];
  /** Insert-only or defaulted fields written from the input on a reset. */
  readonly fields?: readonly string[];
  /** Optional fields removed on a reset. */
  readonly unset?: readonly string[];
}

/** Options of `bulkUpsert`. */
export interface BulkUpsertOptions extends UpsertOptions {
  /** Documents per `bulkWrite` round trip (default 1,000, 1..10,000). */
  readonly batchSize?: number;
}

/** Options of `paginate`. */
export interface PaginateOptions<TDoc extends Document = Document> {
  readonly filter?: FilterInput<TDoc>;
  /** Sort key (a schema field, `_id`, `created_at` …) and direction; default `_id` ascending. */
  readonly sort?: { readonly field: string; readonly direction: "asc" | "desc" };
  /** Items per page, 1..1,000 (default 50). */
  readonly limit?: number;
  /**
   * A stable digest of the caller's query (its filter): the cursor is bound to it too, so a cursor made for
   * one filter is refused (`VALIDATION_FAILED`) with another. At most 256 characters.
   */
  readonly queryKey?: string;
  /** `nextCursor` of the previous page; absent or null for the first page. */
  readonly cursor?: string | null;
  readonly includeDeleted?: boolean;
  readonly projection?: Document;
  readonly session?: ClientSession;
}

/** One page of keyset pagination. */
export interface Page<TDoc> {
  readonly items: TDoc[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  readonly nextCursor: string | null;
}

/** What `updateOne`, `updateMany` report. */
export interface WriteSummary {
  readonly matchedCount: number;
  readonly modifiedCount: number;
}

/** What `upsert` reports. */
export interface UpsertResult<TDoc> {
  readonly status: "inserted" | "updated" | "unchanged";
  readonly document: TDoc;
}

/** A document `bulkUpsert` could not write; the others were still written. */
export interface BulkUpsertError {
  /** Position in the input array. */
  readonly index: number;
  readonly code: ErrorCode;
  readonly message: string;
  readonly issues?: readonly FieldIssue[];
  /** For `CONFLICT`: the fields of the violated unique index. */
  readonly fields?: readonly string[];
}

/** A guarded status move for `ScopedRepository.moveStatus`. */
export interface StatusMove {
  /** The states the document may be in for the move to happen (the legal sources of `to`). */
  readonly from: readonly string[];
  readonly to: string;
  /** Other fields written with the move (validated like `update`'s changes): `started_at`, `completed_at` … */
  readonly set?: Readonly<Record<string, unknown>>;
  /** How messages name the document: `"scan run"`, `"assessment"`. */
  readonly entity: string;
  /** The status field (default `status`). */
  readonly field?: string;
  readonly session?: ClientSession;
}

/** One operation of `ScopedRepository.bulkUpdate`: a code-written filter and update pipeline. */
export interface ScopedPipelineUpdate {
  /** Equality/operator filter without `team_id` (the scope adds it). */
  readonly filter: Document;
  /** `$set` / `$addFields` / `$unset` stages computed against the stored document; none may touch `team_id`. */
  readonly pipeline: readonly Document[];
  readonly upsert?: boolean;
}

/** Options of `bulkUpdate`. */
export interface BulkUpdateOptions extends WriteOptions {
  /** Stop at the first failing operation (default false: every operation is tried). */
  readonly ordered?: boolean;
}

/** What `bulkUpdate` reports; `errors` carry the input index of each failed operation. */
export interface BulkUpdateResult {
  readonly matched: number;
  readonly modified: number;
  readonly upserted: number;
  readonly errors: BulkUpsertError[];
}

/** What `bulkUpsert` reports: "unchanged" documents matched but nothing in them differed. */
export interface BulkUpsertResult {
  readonly inserted: number;
  readonly updated: number;
  readonly unchanged: number;
  readonly errors: BulkUpsertError[];
}

/**
 * Every data method of `ScopedRepository`: each one adds the scope's `team_id` to what it sends.
 * The isolation test walks this list; adding a method without adding it here fails that test.
 */
export const TENANT_SCOPED_OPERATIONS = [
  "findById",
  "getById",
  "findOne",
  "findMany",
  "count",
  "exists",
  "distinct",
  "aggregate",
  "stream",
  "paginate",
  "insertOne",
  "insertMany",
  "update",
  "updateOne",
  "updateMany",
  "findOneAndUpdate",
  "upsert",
  "bulkUpsert",
  "deleteById",
  "deleteOne",
  "deleteMany",
  "restore",
  "moveStatus",
  "bulkUpdate",
] as const;

/** One of `TENANT_SCOPED_OPERATIONS`. */
export type TenantScopedOperation = (typeof TENANT_SCOPED_OPERATIONS)[number];

/** How many documents `findMany` returns at most when no `limit` is given. */
export const DEFAULT_FIND_LIMIT = 1_000;
/** The largest `limit` `findMany` accepts; callers that need more documents iterate `stream`. */
export const MAX_FIND_LIMIT = 10_000;

const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 1_000;
const DEFAULT_STREAM_BATCH = 500;
const DEFAULT_BULK_BATCH = 1_000;
const MAX_BATCH = 10_000;

function intOption(value: number | undefined, name: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ValidationError(`${name} must be an integer from ${min} to ${max}.`, [{ path: name, message: `must be ${min}..${max}` }]);
  }
  return value;
}

function bulkErrorEntry(index: number, error: CspmError): BulkUpsertError {
  const fields = error.details?.fields;
  return {
    index,
    code: error.code,
    message: error.message,
    ...(error instanceof ValidationError ? { issues: error.issues } : {}),
    ...(Array.isArray(fields) ? { fields: fields as string[] } : {}),
  };
}

interface DriverWriteError {
  index?: number;
  code?: number;
  err?: Document;
}

/**
 * All data operations of one repository within one scope: a team (`repo.forTeam(teamId)`) or, for
 * collections the registry marks shared, no team (`repo.shared()`). Every filter is combined as
 * `{ team_id, …, <caller filter> }`, every document is written with the scope's `team_id`, and
 * soft-deleted documents are hidden unless asked for. Plain-object filters are untrusted data
 * (`sanitizeFilter`); operators need `trustedFilter()`. Obtain it from `BaseRepository`, never construct it.
 */
export class ScopedRepository<S extends ObjectSchema = ObjectSchema> {
  readonly #core: RepositoryCore<S>;
  readonly #teamId: string | null;

  /** @internal Use `BaseRepository.forTeam` / `shared`. */
  constructor(core: RepositoryCore<S>, teamId: string | null) {
    this.#core = core;
    this.#teamId = teamId;
  }

  /** The team this view is scoped to; `null` for a shared collection. */
  get teamId(): string | null {
    return this.#teamId;
  }

  /** `"<DATABASE_KEY>.<collection>"` of the underlying repository. */
  get repositoryKey(): string {
    return this.#core.key;
  }

  // ---------------------------------------------------------------- scope and filters

  #base(includeDeleted: boolean | undefined): Document {
    const base: Document = this.#teamId === null ? {} : { team_id: this.#teamId };
    if (this.#core.softDelete && includeDeleted !== true) base.deleted_at = null;
    return base;
  }

  #filter(input: FilterInput | undefined, includeDeleted: boolean | undefined): Document {
    const base = this.#base(includeDeleted);
    if (input === undefined || input === null) return base;
    if (isTrustedFilter(input)) {
      const trusted = input.filter as Document;
      assertSafeExpression(trusted, "filter");
      return Object.keys(trusted).length === 0 ? base : Object.keys(base).length === 0 ? trusted : { $and: [base, trusted] };
    }
    const clean = sanitizeFilter(input, { allowedFields: this.#core.filterFields });
    if ("team_id" in clean) {
      const value = clean.team_id as unknown;
      const values = isPlainObject(value) ? (value.$in as unknown[]) : [value];
      if (values.length === 0 || values.some((v) => v !== this.#teamId)) {
        throw new ForbiddenError("The filter names another team.", { details: { field: "team_id" } });
      }
      delete clean.team_id;
    }
    if ("_id" in clean) {
      const value = clean._id as unknown;
      clean._id = isPlainObject(value) ? { $in: (value.$in as unknown[]).map((v) => toObjectId(v)) } : toObjectId(value);
    }
    return Object.assign(clean, base);
  }

  #sort(sort: SortSpec | undefined): Document | undefined {
    if (sort === undefined) return undefined;
    if (!isPlainObject(sort))
      throw new ValidationError("sort must be an object of field: 1 | -1.", [{ path: "sort", message: "must be an object" }]);
    for (const field of Object.keys(sort)) {
      if (!this.#core.filterFields.has(field))
        throw new ValidationError(`Cannot sort on "${field}".`, [{ path: `sort.${field}`, message: "unknown field" }]);
      const direction = sort[field];
      if (direction !== 1 && direction !== -1)
        throw new ValidationError("Sort directions are 1 or -1.", [{ path: `sort.${field}`, message: "must be 1 or -1" }]);
    }
    return sort;
  }

  #projection(projection: Document | undefined): Document | undefined {
    if (projection === undefined) return undefined;
    if (!isPlainObject(projection))
      throw new ValidationError("projection must be an object.", [{ path: "projection", message: "must be an object" }]);
    assertSafeExpression(projection, "projection");
    return projection;
  }

  #findOptions(options: FindManyOptions & { batchSize?: number }): DriverFindOptions {
    const driver: DriverFindOptions = {};
    const sort = this.#sort(options.sort);
    if (sort !== undefined) driver.sort = sort;
    const projection = this.#projection(options.projection);
    if (projection !== undefined) driver.projection = projection;
    if (options.limit !== undefined) driver.limit = intOption(options.limit, "limit", 0, Number.MAX_SAFE_INTEGER, 0);
    if (options.skip !== undefined) driver.skip = intOption(options.skip, "skip", 0, Number.MAX_SAFE_INTEGER, 0);
    if (options.batchSize !== undefined) driver.batchSize = options.batchSize;
    if (options.session !== undefined) driver.session = options.session;
    return driver;
  }

  #session(options: { session?: ClientSession } | undefined): { session?: ClientSession } {
    return options?.session === undefined ? {} : { session: options.session };
  }

  #versionCheck(expectedVersion: number | undefined): Document {
    if (expectedVersion === undefined) return {};
    if (!this.#core.versioned) {
      throw new ContractViolationError(`expectedVersion needs a versioned repository; ${this.#core.key} is not versioned.`);
    }
    intOption(expectedVersion, "expectedVersion", 0, Number.MAX_SAFE_INTEGER, 0);
    return { version: expectedVersion };
  }

  /** After a versioned write matched nothing: `CONFLICT` (VERSION_CONFLICT) if the target exists, else `NOT_FOUND`/null. */
  async #explainMiss(
    filter: Document,
    expectedVersion: number | undefined,
    session: { session?: ClientSession },
    notFound: boolean,
  ): Promise<void> {
    if (expectedVersion !== undefined) {
      const { version: _ignored, ...withoutVersion } = filter;
      const current = await this.#run("findOne", () =>
        this.#core.collection.findOne(withoutVersion, { projection: { version: 1 }, ...session }),
      );
      if (current !== null) {
        throw ConflictError.versionConflict(expectedVersion, typeof current.version === "number" ? current.version : null);
      }
    }
    if (notFound) throw new NotFoundError("No such document in this team.", { log: { collection: this.#core.definition.collection } });
  }

  #mapError(error: unknown, operation: string): CspmError {
    return mapDriverError(error, { operation, collection: this.#core.definition.collection });
  }

  /**
   * Every driver call goes through here: traced as a client span (with its duration metric), held to the
   * provider's operation deadline, errors mapped to the taxonomy.
   */
  async #run<R>(name: string, operation: () => Promise<R>): Promise<R> {
    const collection = this.#core.definition.collection;
    try {
      const span = { operation: name, database: this.#core.collection.dbName, collection, teamId: this.#teamId ?? undefined };
      return await traceDbOperation(span, () => withDeadline(operation(), this.#core.operationTimeoutMS, { operation: name, collection }));
    } catch (error) {
      throw this.#mapError(error, name);
    }
  }

  /**
   * Every write of a team's documents goes through here: the repository's `WriteObserver`, if it has one,
   * hears of it before it is sent and after it succeeded, with the partitions it can touch.
   */
  async #observed<R>(partitions: (field: string) => readonly string[] | null, write: () => Promise<R>): Promise<R> {
    const observer = this.#core.writeObserver;
    if (observer === undefined || this.#teamId === null) return write();
    const touched = partitions(observer.partitionField);
    await observer.onWrite(this.#teamId, touched, "before");
    let result: R;
    try {
      result = await write();
    } catch (error) {
      // A failed write may still have written some documents (a partial bulkWrite): say so, keep its error.
      await observer.onWrite(this.#teamId, touched, "after").catch(() => undefined);
      throw error;
    }
    await observer.onWrite(this.#teamId, touched, "after");
    return result;
  }

  // ---------------------------------------------------------------- reads

  /** The document with this id in scope, or null. Throws `VALIDATION_FAILED` for a malformed id. */
  async findById(id: ObjectId | string, options: ReadOptions = {}): Promise<RepositoryDocument<S> | null> {
    const filter = { _id: toObjectId(id), ...this.#base(options.includeDeleted) };
    return (await this.#run("findOne", () =>
      this.#core.collection.findOne(filter, this.#session(options)),
    )) as RepositoryDocument<S> | null;
  }

  /** The document with this id in scope. Throws `NOT_FOUND`, `VALIDATION_FAILED`. */
  async getById(id: ObjectId | string, options: ReadOptions = {}): Promise<RepositoryDocument<S>> {
    const doc = await this.findById(id, options);
    if (doc === null) throw new NotFoundError("No such document in this team.", { log: { collection: this.#core.definition.collection } });
    return doc;
  }

  /** The first matching document in scope, or null. Throws `VALIDATION_FAILED` for an unsafe filter. */
  async findOne(filter?: FilterInput<RepositoryDocument<S>>, options: FindOptions = {}): Promise<RepositoryDocument<S> | null> {
    const query = this.#filter(filter as FilterInput, options.includeDeleted);
    const driverOptions = this.#findOptions(options);
    return (await this.#run("findOne", () => this.#core.collection.findOne(query, driverOptions))) as RepositoryDocument<S> | null;
  }

  /**
   * Matching documents in scope, as plain objects (not re-validated): at most `limit` (1..10,000), and at most
   * `DEFAULT_FIND_LIMIT` (1,000) without one, so a forgotten limit cannot load a whole collection; iterate
   * `stream` to read more. Throws `VALIDATION_FAILED` (unsafe filter, limit out of range).
   */
  async findMany(filter?: FilterInput<RepositoryDocument<S>>, options: FindManyOptions = {}): Promise<RepositoryDocument<S>[]> {
    const query = this.#filter(filter as FilterInput, options.includeDeleted);
    const limit = intOption(options.limit, "limit", 1, MAX_FIND_LIMIT, DEFAULT_FIND_LIMIT);
    const driverOptions = this.#findOptions({ ...options, limit });
    return (await this.#run("find", () => this.#core.collection.find(query, driverOptions).toArray())) as RepositoryDocument<S>[];
  }

  /** Number of matching documents in scope. Throws `VALIDATION_FAILED`. */
  async count(filter?: FilterInput<RepositoryDocument<S>>, options: CountOptions = {}): Promise<number> {
    const query = this.#filter(filter as FilterInput, options.includeDeleted);
    const driverOptions = {
      ...this.#session(options),
      ...(options.limit === undefined ? {} : { limit: intOption(options.limit, "limit", 1, Number.MAX_SAFE_INTEGER, 1) }),
    };
    return this.#run("countDocuments", () => this.#core.collection.countDocuments(query, driverOptions));
  }

  /** True when at least one document in scope matches. Throws `VALIDATION_FAILED`. */
  async exists(filter?: FilterInput<RepositoryDocument<S>>, options: ReadOptions = {}): Promise<boolean> {
    const query = this.#filter(filter as FilterInput, options.includeDeleted);
    const found = await this.#run("findOne", () =>
      this.#core.collection.findOne(query, { projection: { _id: 1 }, ...this.#session(options) }),
    );
    return found !== null;
  }

  /** Distinct values of a schema field among matching documents in scope. Throws `VALIDATION_FAILED`. */
  async distinct<K extends Extract<keyof RepositoryDocument<S>, string>>(
    field: K,
    filter?: FilterInput<RepositoryDocument<S>>,
    options: ReadOptions = {},
  ): Promise<Array<RepositoryDocument<S>[K]>> {
    const root = typeof field === "string" ? field.split(".", 1)[0] : undefined;
    if (root === undefined || !this.#core.filterFields.has(root)) {
      throw new ValidationError(`Cannot list distinct values of "${String(field)}".`, [{ path: "field", message: "unknown field" }]);
    }
    const query = this.#filter(filter as FilterInput, options.includeDeleted);
    return (await this.#run("distinct", () => this.#core.collection.distinct(field, query, this.#session(options)))) as Array<
      RepositoryDocument<S>[K]
    >;
  }

  /**
   * Runs a code-written aggregation over the scope's documents: `$match { team_id }` (and not deleted) is
   * prepended, joins are restricted to the team, writing and diagnostic stages are refused.
   * Throws `VALIDATION_FAILED`, `CONTRACT_VIOLATION` (cross-database join), `FORBIDDEN`.
   */
  async aggregate<R = Document>(pipeline: readonly Document[], options: AggregateOptions = {}): Promise<R[]> {
    const extra = this.#core.softDelete && options.includeDeleted !== true ? { deleted_at: null } : undefined;
    const scope = { database: this.#core.definition.database, teamId: this.#teamId, databaseName: () => this.#core.collection.dbName };
    const scoped = scopePipeline(pipeline, scope, extra);
    const driverOptions = {
      ...this.#session(options),
      ...(options.allowDiskUse === undefined ? {} : { allowDiskUse: options.allowDiskUse }),
      ...(options.batchSize === undefined ? {} : { batchSize: intOption(options.batchSize, "batchSize", 1, MAX_BATCH, 1) }),
    };
    return (await this.#run("aggregate", () => this.#core.collection.aggregate(scoped, driverOptions).toArray())) as R[];
  }

  /**
   * Iterates matching documents in scope through a server cursor, `batchSize` at a time (default 500),
   * so memory stays bounded; breaking out of the loop closes the cursor. Options are checked at call time
   * (`VALIDATION_FAILED`); driver failures surface from the iteration, mapped to the taxonomy.
   */
  stream(filter?: FilterInput<RepositoryDocument<S>>, options: StreamOptions = {}): AsyncIterable<RepositoryDocument<S>> {
    const query = this.#filter(filter as FilterInput, options.includeDeleted);
    const batchSize = intOption(options.batchSize, "batchSize", 1, MAX_BATCH, DEFAULT_STREAM_BATCH);
    const driverOptions = this.#findOptions({ ...options, batchSize });
    const core = this.#core;
    const mapError = (error: unknown) => this.#mapError(error, "stream");
    const context = { operation: "getMore", collection: core.definition.collection };
    return {
      async *[Symbol.asyncIterator]() {
        const cursor = core.collection.find(query, driverOptions);
        let timedOut = false;
        try {
          for (;;) {
            // Only a fetch from the server (first batch, getMore) is held to the deadline; buffered documents are local.
            const next =
              cursor.bufferedCount() > 0 ? await cursor.next() : await withDeadline(cursor.next(), core.operationTimeoutMS, context);
            if (next === null) return;
            yield next as RepositoryDocument<S>;
          }
        } catch (error) {
          timedOut = isCspmError(error) && error.code === "UNAVAILABLE";
          throw mapError(error);
        } finally {
          const closing = cursor.close().catch(() => undefined);
          if (!timedOut) await closing; // a stalled connection would hold killCursors too
        }
      },
    };
  }

  /**
   * Keyset pagination on `sort.field` + `_id`: stable under concurrent inserts (no gaps, no duplicates),
   * with an opaque HMAC-checked cursor bound to this repository, team and sort.
   * Throws `VALIDATION_FAILED` (bad limit, sort field or cursor).
   */
  async paginate(options: PaginateOptions<RepositoryDocument<S>> = {}): Promise<Page<RepositoryDocument<S>>> {
    const limit = intOption(options.limit, "limit", 1, MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE);
    const field = options.sort?.field ?? "_id";
    const direction = options.sort?.direction ?? "asc";
    if (field !== "_id" && !this.#core.filterFields.has(field)) {
      throw new ValidationError(`Cannot paginate on "${field}".`, [{ path: "sort.field", message: "unknown field" }]);
    }
    if (direction !== "asc" && direction !== "desc") {
      throw new ValidationError("sort.direction must be asc or desc.", [{ path: "sort.direction", message: "must be asc or desc" }]);
    }
    if (options.queryKey !== undefined && (typeof options.queryKey !== "string" || options.queryKey.length > 256)) {
      throw new ValidationError("queryKey must be a string of at most 256 characters.", [
        { path: "queryKey", message: "at most 256 characters" },
      ]);
    }
    const binding = `${this.#core.key}|${this.#teamId ?? ""}|${field}|${direction}${options.queryKey === undefined ? "" : `|${options.queryKey}`}`;
    const query = this.#filter(options.filter as FilterInput | undefined, options.includeDeleted);
    let filter = query;
    if (options.cursor !== undefined && options.cursor !== null) {
      const position = this.#core.codec.decode(options.cursor, binding);
      if (position.field !== field || position.direction !== direction) {
        throw new ValidationError("The cursor was made for another sort.", [{ path: "cursor", message: "sort mismatch" }]);
      }
      filter = { $and: [query, keysetCondition(field, direction, position.value, position.id)] };
    }
    const order = direction === "asc" ? 1 : -1;
    const sort: Document = field === "_id" ? { _id: order } : { [field]: order, _id: order };
    const driverOptions: DriverFindOptions = { sort, limit: limit + 1, ...this.#session(options) };
    const projection = this.#projection(options.projection);
    if (projection !== undefined) driverOptions.projection = pageProjection(projection, field);
    const items = (await this.#run("find", () => this.#core.collection.find(filter, driverOptions).toArray())) as RepositoryDocument<S>[];
    if (items.length <= limit) return { items, nextCursor: null };
    items.length = limit;
    const last = items[limit - 1] as Document;
    return { items, nextCursor: this.#core.codec.encode({ field, direction, value: last[field] ?? null, id: last._id }, binding) };
  }

  // ---------------------------------------------------------------- writes

  /** Validates and inserts one document with the scope's team_id and fresh timestamps. Throws `VALIDATION_FAILED`, `CONFLICT`. */
  async insertOne(data: RepositoryInput<S>, options: WriteOptions = {}): Promise<RepositoryDocument<S>> {
    const id = explicitId(data, "_id");
    const doc = this.#core.stampNew(this.#core.parseDocument(data, this.#teamId), this.#teamId, new Date(), id);
    await this.#observed(
      (field) => partitionsOfDocuments([doc], field),
      () => this.#run("insertOne", () => this.#core.collection.insertOne(doc, this.#session(options))),
    );
    return doc as RepositoryDocument<S>;
  }

  /**
   * Validates every document first (any invalid one -> `VALIDATION_FAILED` listing `index.field` paths,
   * nothing written), then inserts them. Throws `CONFLICT` on a duplicate key (earlier documents of an
   * ordered insert stay written).
   */
  async insertMany(data: readonly RepositoryInput<S>[], options: InsertManyOptions = {}): Promise<RepositoryDocument<S>[]> {
    if (!Array.isArray(data)) throw new ValidationError("insertMany takes an array.", [{ path: "", message: "must be an array" }]);
    const now = new Date();
    const docs: Document[] = new Array(data.length);
    const issues: FieldIssue[] = [];
    for (let i = 0; i < data.length; i++) {
      try {
        const id = explicitId(data[i], `${i}._id`);
        docs[i] = this.#core.stampNew(this.#core.parseDocument(data[i], this.#teamId, String(i)), this.#teamId, now, id);
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        issues.push(...error.issues);
        if (issues.length >= 100) break;
      }
    }
    if (issues.length > 0) throw new ValidationError("Some documents are invalid; nothing was written.", issues);
    if (docs.length === 0) return [];
    await this.#observed(
      (field) => partitionsOfDocuments(docs, field),
      () =>
        this.#run("insertMany", () =>
          this.#core.collection.insertMany(docs, { ordered: options.ordered ?? true, ...this.#session(options) }),
        ),
    );
    return docs as RepositoryDocument<S>[];
  }

  /**
   * Sets validated fields of one document (each value checked against its field schema; object-level
   * refinements are not re-run) and returns the updated document.
   * Throws `NOT_FOUND`, `CONFLICT` (`VERSION_CONFLICT` with `expectedVersion`; duplicate key), `VALIDATION_FAILED`.
   */
  async update(id: ObjectId | string, changes: Partial<RepositoryInput<S>>, options: UpdateOptions = {}): Promise<RepositoryDocument<S>> {
    const filter = { _id: toObjectId(id), ...this.#base(false), ...this.#versionCheck(options.expectedVersion) };
    const update = this.#core.addSystemChanges({ $set: this.#core.parseChanges(changes) }, new Date());
    const session = this.#session(options);
    const doc = await this.#observed(
      () => null,
      () =>
        this.#run("findOneAndUpdate", () =>
          this.#core.collection.findOneAndUpdate(filter, update, { returnDocument: "after", ...session }),
        ),
    );
    if (doc === null) await this.#explainMiss(filter, options.expectedVersion, session, true);
    return doc as RepositoryDocument<S>;
  }

  /**
   * Applies a code-written operator update (`$set`, `$inc`, `$push` …) to the first matching document in
   * scope; `_id`, `team_id`, timestamps, `version` and `deleted_at` cannot be touched, `updated_at` is set.
   * Throws `VALIDATION_FAILED`, `CONFLICT` (`VERSION_CONFLICT`, duplicate key).
   */
  async updateOne(
    filter: FilterInput<RepositoryDocument<S>>,
    update: UpdateSpec<RepositoryDocument<S>>,
    options: UpdateOptions = {},
  ): Promise<WriteSummary> {
    const query = { ...this.#filter(filter as FilterInput, false), ...this.#versionCheck(options.expectedVersion) };
    const prepared = this.#core.prepareUpdate(update, new Date());
    const session = this.#session(options);
    const result = await this.#observed(
      (field) => partitionsOfFilters([{ filter, update: prepared }], field),
      () => this.#run("updateOne", () => this.#core.collection.updateOne(query, prepared, session)),
    );
    if (result.matchedCount === 0) await this.#explainMiss(query, options.expectedVersion, session, false);
    return { matchedCount: result.matchedCount, modifiedCount: result.modifiedCount };
  }

  /** `updateOne` for every matching document in scope. Throws `VALIDATION_FAILED`, `CONFLICT`. */
  async updateMany(
    filter: FilterInput<RepositoryDocument<S>>,
    update: UpdateSpec<RepositoryDocument<S>>,
    options: WriteOptions = {},
  ): Promise<WriteSummary> {
    const query = this.#filter(filter as FilterInput, false);
    const prepared = this.#core.prepareUpdate(update, new Date());
    const result = await this.#observed(
      (field) => partitionsOfFilters([{ filter, update: prepared }], field),
      () => this.#run("updateMany", () => this.#core.collection.updateMany(query, prepared, this.#session(options))),
    );
    return { matchedCount: result.matchedCount, modifiedCount: result.modifiedCount };
  }

  /**
   * Atomically updates the first matching document in scope (in `sort` order) and returns it — the
   * building block of "claim the next job" style transitions. Null when nothing matched.
   * Throws `VALIDATION_FAILED`, `CONFLICT` (`VERSION_CONFLICT`, duplicate key).
   */
  async findOneAndUpdate(
    filter: FilterInput<RepositoryDocument<S>>,
    update: UpdateSpec<RepositoryDocument<S>>,
    options: FindOneAndUpdateOptions = {},
  ): Promise<RepositoryDocument<S> | null> {
    const query = { ...this.#filter(filter as FilterInput, false), ...this.#versionCheck(options.expectedVersion) };
    const prepared = this.#core.prepareUpdate(update, new Date());
    const sort = this.#sort(options.sort);
    const session = this.#session(options);
    const driverOptions = { returnDocument: options.returnDocument ?? "after", ...(sort === undefined ? {} : { sort }), ...session };
    const doc = await this.#observed(
      (field) => partitionsOfFilters([{ filter, update: prepared }], field),
      () => this.#run("findOneAndUpdate", () => this.#core.collection.findOneAndUpdate(query, prepared, driverOptions)),
    );
    if (doc === null) await this.#explainMiss(query, options.expectedVersion, session, false);
    return doc as RepositoryDocument<S> | null;
  }

  #keyFields(keyFields: readonly string[] | undefined): readonly string[] {
    if (keyFields !== undefined) return this.#core.checkKeyFields(keyFields);
    if (this.#core.keyFields === undefined) {
      throw new ContractViolationError(`${this.#core.key} has no keyFields; pass them in the options.`);
    }
    return this.#core.keyFields;
  }

  /**
   * Inserts or updates the document with the same natural key (`keyFields`, within the team) in one
   * round trip. Fields are `$set` except those the options' rules keep (`insertOnlyFields`, `defaults`,
   * `relativeFields`, `resetWhen`); `updated_at`/`version` change only if a written field changed (status
   * "unchanged" otherwise); a soft-deleted match is restored. Throws `VALIDATION_FAILED`, `CONFLICT`,
   * `CONTRACT_VIOLATION` (bad rules).
   */
  async upsert(data: RepositoryInput<S>, options: UpsertOptions = {}): Promise<UpsertResult<RepositoryDocument<S>>> {
    const keyFields = this.#keyFields(options.keyFields);
    const rules = this.#core.upsertRules(options, keyFields);
    const now = new Date();
    const { filter, update } = this.#core.prepareUpsert({ input: data, keyFields, teamId: this.#teamId, now, rules });
    const result = await this.#observed(
      (field) => partitionsOfDocuments([data], field),
      () =>
        this.#run("findOneAndUpdate", () =>
          this.#core.collection.findOneAndUpdate(filter, update, {
            upsert: true,
            returnDocument: "after",
            includeResultMetadata: true,
            ...this.#session(options),
          }),
        ),
    );
    const doc = result.value as RepositoryDocument<S>;
    const inserted = result.lastErrorObject?.updatedExisting === false;
    const status = inserted
      ? "inserted"
      : doc.updated_at instanceof Date && doc.updated_at.getTime() === now.getTime()
        ? "updated"
        : "unchanged";
    return { status, document: doc };
  }

  /**
   * Upserts many documents by natural key with unordered `bulkWrite`s of `batchSize` (default 1,000):
   * exactly one command per batch, whatever the rules (`insertOnlyFields`, `defaults`, `relativeFields`,
   * `resetWhen` are applied by the server against the stored document, so concurrent imports cannot undo
   * each other's first-sighting values). Invalid documents and failed writes (duplicate unique key …)
   * become entries of `errors` with their input index and taxonomy code; the rest are written. Re-importing
   * identical data reports them "unchanged" and leaves `updated_at` alone. Throws only for bad options
   * (`VALIDATION_FAILED`, `CONTRACT_VIOLATION`) or when MongoDB fails as a whole (`UNAVAILABLE`, `INTERNAL`).
   */
  async bulkUpsert(docs: readonly unknown[], options: BulkUpsertOptions = {}): Promise<BulkUpsertResult> {
    if (!Array.isArray(docs)) throw new ValidationError("bulkUpsert takes an array.", [{ path: "", message: "must be an array" }]);
    return this.#observed(
      (field) => partitionsOfDocuments(docs, field),
      () => this.#bulkUpsert(docs, options),
    );
  }

  async #bulkUpsert(docs: readonly unknown[], options: BulkUpsertOptions): Promise<BulkUpsertResult> {
    const keyFields = this.#keyFields(options.keyFields);
    const rules = this.#core.upsertRules(options, keyFields);
    const batchSize = intOption(options.batchSize, "batchSize", 1, MAX_BATCH, DEFAULT_BULK_BATCH);
    const now = new Date();
    const session = this.#session(options);
    let inserted = 0;
    let updated = 0;
    let unchanged = 0;
    const errors: BulkUpsertError[] = [];
    for (let start = 0; start < docs.length; start += batchSize) {
      const end = Math.min(start + batchSize, docs.length);
      const operations: AnyBulkWriteOperation<Document>[] = [];
      const inputIndex: number[] = [];
      for (let i = start; i < end; i++) {
        try {
          const { filter, update } = this.#core.prepareUpsert({
            input: docs[i],
            keyFields,
            teamId: this.#teamId,
            now,
            rules,
            path: String(i),
          });
          operations.push({ updateOne: { filter, update, upsert: true } });
          inputIndex.push(i);
        } catch (error) {
          if (!isCspmError(error)) throw error;
          errors.push(bulkErrorEntry(i, error));
        }
      }
      if (operations.length === 0) continue;
      let result: BulkWriteResult;
      try {
        result = await withDeadline(
          this.#core.collection.bulkWrite(operations, { ordered: false, ...session }),
          this.#core.operationTimeoutMS,
          {
            operation: "bulkWrite",
            collection: this.#core.definition.collection,
          },
        );
      } catch (error) {
        const partial = bulkFailure(error);
        if (partial === undefined) throw this.#mapError(error, "bulkUpsert");
        result = partial.result;
        for (const writeError of partial.writeErrors) {
          const index = inputIndex[writeError.index ?? -1];
          errors.push(bulkErrorEntry(index ?? -1, this.#mapError(writeError.err ?? writeError, "bulkUpsert")));
        }
      }
      inserted += result.upsertedCount;
      updated += result.modifiedCount;
      unchanged += result.matchedCount - result.modifiedCount;
    }
    errors.sort((a, b) => a.index - b.index);
    return { inserted, updated, unchanged, errors };
  }

  /**
   * Moves one document of the scope from one of `move.from` to `move.to` with ONE conditional
   * `findOneAndUpdate({ _id, team_id, [field]: { $in: from } })`, so two concurrent movers cannot both win;
   * returns the moved document. The shared state-machine step of every lifecycle repository. Throws
   * `VALIDATION_FAILED` (bad id, invalid `set` values), `NOT_FOUND` (no such document in scope), `CONFLICT`
   * with reason `ILLEGAL_TRANSITION` and details `{ from, to }` (its current state cannot go to `to`,
   * including when another writer moved it first).
   */
  async moveStatus(id: ObjectId | string, move: StatusMove): Promise<RepositoryDocument<S>> {
    const _id = toObjectId(id);
    const field = move.field ?? "status";
    const changes = this.#core.parseChanges({ ...move.set, [field]: move.to } as Partial<RepositoryInput<S>>);
    const update = this.#core.addSystemChanges({ $set: changes }, new Date());
    const filter = { _id, ...this.#base(false), [field]: { $in: [...move.from] } };
    const session = this.#session(move);
    const moved = await this.#observed(
      () => null,
      () =>
        this.#run("findOneAndUpdate", () =>
          this.#core.collection.findOneAndUpdate(filter, update, { returnDocument: "after", ...session }),
        ),
    );
    if (moved !== null) return moved as RepositoryDocument<S>;
    const current = await this.findById(_id, session);
    if (current === null) {
      throw new NotFoundError(`No ${move.entity} ${_id.toHexString()} in this team.`, { details: { id: _id.toHexString() } });
    }
    throw ConflictError.illegalTransition(String((current as Record<string, unknown>)[field]), move.to, move.entity);
  }

  /**
   * Sends code-written pipeline updates (one `updateOne` each, optionally upserting) as ONE unordered
   * `bulkWrite`, every filter scoped to the team — the primitive for write paths whose rules need the
   * stored document (the finding lifecycle keeps the previous scan's state). The caller validates the values
   * it writes; the repository checks the structure: filters and stages must be safe expressions, only
   * `$set`, `$addFields` and `$unset` stages are allowed and none may write `team_id`. Per-operation
   * failures become `errors` (input index, code); the rest are written. Throws `VALIDATION_FAILED`,
   * `FORBIDDEN` (a filter naming another team), `UNAVAILABLE`, `INTERNAL`.
   */
  async bulkUpdate(operations: readonly ScopedPipelineUpdate[], options: BulkUpdateOptions = {}): Promise<BulkUpdateResult> {
    if (!Array.isArray(operations)) throw new ValidationError("bulkUpdate takes an array.", [{ path: "", message: "must be an array" }]);
    if (operations.length > MAX_BATCH) {
      throw new ValidationError(`bulkUpdate takes at most ${MAX_BATCH} operations.`, [{ path: "", message: `at most ${MAX_BATCH}` }]);
    }
    const now = new Date();
    const writes: AnyBulkWriteOperation<Document>[] = operations.map((operation, index) => {
      const path = String(index);
      if (!isPlainObject(operation?.filter))
        throw new ValidationError("Each operation needs a filter object.", [{ path: `${path}.filter`, message: "must be an object" }]);
      assertSafeExpression(operation.filter, `${path}.filter`);
      if ("team_id" in operation.filter && operation.filter.team_id !== this.#teamId) {
        throw new ForbiddenError("The filter names another team.", { details: { field: "team_id" } });
      }
      // The scope's fields are equalities of the filter itself (not an $and), so an upsert inserts them.
      const filter = { ...operation.filter, ...this.#base(false) };
      const pipeline = checkedPipeline(operation.pipeline, `${path}.pipeline`);
      // System fields of an inserted document, as `upsert` writes them (an existing document keeps its own),
      // set after the caller's stages so they see the stored document as it was (no `_id`: a new one). The id
      // is made client-side so every server and engine inserts the same document.
      const system = { $set: { _id: { $ifNull: ["$_id", new ObjectId()] }, created_at: { $ifNull: ["$created_at", now] } } };
      return { updateOne: { filter, update: [...pipeline, system], upsert: operation.upsert === true } };
    });
    if (writes.length === 0) return { matched: 0, modified: 0, upserted: 0, errors: [] };
    const errors: BulkUpsertError[] = [];
    let result: BulkWriteResult;
    try {
      result = await this.#observed(
        (field) =>
          partitionsOfFilters(
            operations.map((o) => ({ filter: o.filter, update: o.pipeline })),
            field,
          ),
        () =>
          withDeadline(
            this.#core.collection.bulkWrite(writes, { ordered: options.ordered === true, ...this.#session(options) }),
            this.#core.operationTimeoutMS,
            { operation: "bulkWrite", collection: this.#core.definition.collection },
          ),
      );
    } catch (error) {
      const partial = bulkFailure(error);
      if (partial === undefined) throw this.#mapError(error, "bulkUpdate");
      result = partial.result;
      for (const writeError of partial.writeErrors) {
        errors.push(bulkErrorEntry(writeError.index ?? -1, this.#mapError(writeError.err ?? writeError, "bulkUpdate")));
      }
    }
    errors.sort((a, b) => a.index - b.index);
    return { matched: result.matchedCount, modified: result.modifiedCount, upserted: result.upsertedCount, errors };
  }

  // ---------------------------------------------------------------- deletes

  #softDeleteUpdate(now: Date): Document {
    return this.#core.addSystemChanges({ $set: { deleted_at: now } }, now);
  }

  /**
   * Deletes the document with this id in scope: sets `deleted_at` when the repository soft-deletes (unless
   * `hard`), removes it otherwise. False when there was none. Throws `VALIDATION_FAILED`, `CONFLICT` (`VERSION_CONFLICT`).
   */
  async deleteById(id: ObjectId | string, options: DeleteOptions = {}): Promise<boolean> {
    const hard = !this.#core.softDelete || options.hard === true;
    const filter = { _id: toObjectId(id), ...this.#base(hard), ...this.#versionCheck(options.expectedVersion) };
    const session = this.#session(options);
    const count = await this.#observed(
      () => null,
      async () =>
        hard
          ? (await this.#run("deleteOne", () => this.#core.collection.deleteOne(filter, session))).deletedCount
          : (await this.#run("updateOne", () => this.#core.collection.updateOne(filter, this.#softDeleteUpdate(new Date()), session)))
              .matchedCount,
    );
    if (count === 0) await this.#explainMiss(filter, options.expectedVersion, session, false);
    return count > 0;
  }

  /** Deletes (or soft-deletes) the first matching document in scope; false when none matched. Throws `VALIDATION_FAILED`. */
  async deleteOne(filter: FilterInput<RepositoryDocument<S>>, options: DeleteOptions = {}): Promise<boolean> {
    const hard = !this.#core.softDelete || options.hard === true;
    const query = { ...this.#filter(filter as FilterInput, hard), ...this.#versionCheck(options.expectedVersion) };
    const session = this.#session(options);
    const count = await this.#observed(
      (field) => partitionsOfFilters([{ filter }], field),
      async () =>
        hard
          ? (await this.#run("deleteOne", () => this.#core.collection.deleteOne(query, session))).deletedCount
          : (await this.#run("updateOne", () => this.#core.collection.updateOne(query, this.#softDeleteUpdate(new Date()), session)))
              .matchedCount,
    );
    if (count === 0) await this.#explainMiss(query, options.expectedVersion, session, false);
    return count > 0;
  }

  /** Deletes (or soft-deletes) every matching document in scope; returns how many. Throws `VALIDATION_FAILED`. */
  async deleteMany(filter: FilterInput<RepositoryDocument<S>>, options: DeleteOptions = {}): Promise<number> {
    if (options.expectedVersion !== undefined) {
      throw new ValidationError("deleteMany does not take expectedVersion.", [{ path: "expectedVersion", message: "not supported" }]);
    }
    const hard = !this.#core.softDelete || options.hard === true;
    const query = this.#filter(filter as FilterInput, hard);
    const session = this.#session(options);
    return this.#observed(
      (field) => partitionsOfFilters([{ filter }], field),
      async () =>
        hard
          ? (await this.#run("deleteMany", () => this.#core.collection.deleteMany(query, session))).deletedCount
          : (await this.#run("updateMany", () => this.#core.collection.updateMany(query, this.#softDeleteUpdate(new Date()), session)))
              .matchedCount,
    );
  }

  /** Undoes a soft delete; false when the document is absent or not deleted. Throws `CONTRACT_VIOLATION` when the repository does not soft-delete. */
  async restore(id: ObjectId | string, options: WriteOptions = {}): Promise<boolean> {
    if (!this.#core.softDelete) throw new ContractViolationError(`${this.#core.key} does not soft-delete; there is nothing to restore.`);
    const filter = { _id: toObjectId(id), ...this.#base(true), deleted_at: { $ne: null } };
    const update = this.#core.addSystemChanges({ $unset: { deleted_at: "" } }, new Date());
    const result = await this.#observed(
      () => null,
      () => this.#run("updateOne", () => this.#core.collection.updateOne(filter, update, this.#session(options))),
    );
    return result.matchedCount > 0;
  }
}

/** An explicit `_id` of an insert: absent, or an ObjectId. Throws `VALIDATION_FAILED`. */
function explicitId(data: unknown, path: string): ObjectId | undefined {
  if (!isPlainObject(data) || data._id === undefined) return undefined;
  if (bsonType(data._id) === "ObjectId") return data._id as ObjectId;
  throw new ValidationError("_id must be an ObjectId when given.", [{ path, message: "must be an ObjectId" }]);
}

/** The stages a scoped pipeline update may use: they compute fields, they cannot replace the document. */
const PIPELINE_UPDATE_STAGES: ReadonlySet<string> = new Set(["$set", "$addFields", "$unset"]);

function writesTeam(field: string): boolean {
  return field === "team_id" || field.startsWith("team_id.");
}

/** Checks a code-written update pipeline of `bulkUpdate`. Throws `VALIDATION_FAILED`, `FORBIDDEN`. */
function checkedPipeline(pipeline: unknown, path: string): Document[] {
  if (!Array.isArray(pipeline) || pipeline.length === 0) {
    throw new ValidationError("An update pipeline must be a non-empty array of stages.", [{ path, message: "must be a non-empty array" }]);
  }
  assertSafeExpression(pipeline, path);
  return pipeline.map((stage: unknown, index) => {
    const at = `${path}.${index}`;
    const op = isPlainObject(stage) ? Object.keys(stage) : [];
    const name = op[0];
    if (op.length !== 1 || name === undefined || !PIPELINE_UPDATE_STAGES.has(name)) {
      throw new ValidationError("Pipeline updates may only use $set, $addFields and $unset stages.", [
        { path: at, message: "stage not allowed" },
      ]);
    }
    const spec = (stage as Document)[name];
    const fields = name === "$unset" ? (Array.isArray(spec) ? spec : [spec]) : isPlainObject(spec) ? Object.keys(spec) : null;
    if (fields === null || fields.some((field) => typeof field !== "string")) {
      throw new ValidationError(`${name} takes field names.`, [{ path: at, message: "malformed stage" }]);
    }
    if ((fields as string[]).some(writesTeam)) {
      throw new ForbiddenError("An update may not write team_id: the scope owns it.", { details: { field: "team_id" } });
    }
    return stage as Document;
  });
}

/** A driver bulk error with per-operation failures, or undefined for a failure of the whole batch. */
function bulkFailure(error: unknown): { result: BulkWriteResult; writeErrors: DriverWriteError[] } | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const shape = error as { name?: unknown; result?: unknown; writeErrors?: unknown };
  if (shape.name !== "MongoBulkWriteError" || typeof shape.result !== "object" || shape.result === null) return undefined;
  const writeErrors = Array.isArray(shape.writeErrors) ? shape.writeErrors : shape.writeErrors === undefined ? [] : [shape.writeErrors];
  if (writeErrors.length === 0) return undefined; // a write-concern failure: the batch as a whole failed
  return { result: shape.result as BulkWriteResult, writeErrors: writeErrors as DriverWriteError[] };
}

/** The filter for "after (value, id)" in `field` order, respecting how MongoDB orders null/missing values. */
function keysetCondition(field: string, direction: "asc" | "desc", value: unknown, id: unknown): Document {
  const after = direction === "asc" ? "$gt" : "$lt";
  if (field === "_id") return { _id: { [after]: id } };
  if (value === null || value === undefined) {
    // null/missing sort first ascending and last descending.
    return direction === "asc"
      ? { $or: [{ [field]: null, _id: { $gt: id } }, { [field]: { $ne: null } }] }
      : { [field]: null, _id: { $lt: id } };
  }
  const clauses: Document[] = [{ [field]: { [after]: value } }, { [field]: value, _id: { [after]: id } }];
  if (direction === "desc") clauses.push({ [field]: null });
  return { $or: clauses };
}

/** A caller's projection adjusted so the sort key and `_id` come back (needed for the next cursor). */
function pageProjection(projection: Document, field: string): Document {
  const values = Object.entries(projection)
    .filter(([key]) => key !== "_id")
    .map(([, value]) => value);
  const inclusive = values.some((value) => value === 1 || value === true);
  if (projection._id === 0 || projection._id === false || projection[field] === 0 || projection[field] === false) {
    throw new ValidationError("A paginated projection must keep _id and the sort field.", [
      { path: "projection", message: "excludes the sort key" },
    ]);
  }
  return inclusive ? { ...projection, [field]: 1 } : projection;
}
