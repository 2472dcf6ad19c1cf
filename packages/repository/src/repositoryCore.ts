import { ContractViolationError, type FieldIssue, issuesFromZod, ValidationError } from "@cspm/errors";
import { DatabaseRegistry } from "@cspm/registry";
import { type Collection, type Document, ObjectId } from "mongodb";
import type { z } from "zod";
import { CursorCodec } from "./cursorCodec";
import { mapDriverError } from "./mapDriverError";
import { RESERVED_FIELDS, type ObjectSchema, type RepositoryContext, type RepositoryDefinition } from "./repositoryDefinition";
import { assertSafeExpression, FORBIDDEN_KEYS, isPlainObject, storedDataIssues } from "./sanitizeFilter";
import { mayHoldFreeFormKeys } from "./schemaInspection";
import { buildUpsertPipeline, checkUpsertRules, type UpsertOperation, type UpsertRuleOptions, type UpsertRules } from "./upsertPipeline";
import type { WriteObserver } from "./writeObserver";

const RESERVED: ReadonlySet<string> = new Set(RESERVED_FIELDS);
const SYSTEM_FILTER_FIELDS = ["_id", "created_at", "updated_at", "version"] as const;
const MAX_ISSUES = 100;
/** Positional update segments: `$`, `$[]`, `$[identifier]`. */
const POSITIONAL_SEGMENT = /^\$(\[[A-Za-z0-9_]*\])?$/;

function hasReservedField(input: Record<string, unknown>): boolean {
  for (const field of RESERVED_FIELDS) if (field in input) return true;
  return false;
}

/** Update operators a code-written `UpdateSpec` may use. */
export const ALLOWED_UPDATE_OPERATORS: ReadonlySet<string> = new Set([
  "$set",
  "$unset",
  "$inc",
  "$mul",
  "$min",
  "$max",
  "$push",
  "$addToSet",
  "$pull",
  "$pullAll",
  "$pop",
  "$rename",
  "$currentDate",
]);

/**
 * Everything a repository knows independent of the scope: the registry binding, the schema and the
 * derived field sets, the cursor codec and the (lazily fetched) driver collection. Internal.
 */
export class RepositoryCore<S extends ObjectSchema> {
  readonly definition: RepositoryDefinition<S>;
  readonly key: string;
  readonly databaseKey: string;
  readonly tenantOwned: boolean;
  readonly versioned: boolean;
  readonly softDelete: boolean;
  readonly keyFields: readonly string[] | undefined;
  /** Field -> schema, for the writable (non-reserved) fields. */
  readonly fieldSchemas: ReadonlyMap<string, z.core.$ZodType>;
  /** Fields a filter or sort may name. */
  readonly filterFields: ReadonlySet<string>;
  readonly schemaDeclaresTeamId: boolean;
  /** Fields whose values may carry keys the schema does not name (records, unknown …): scanned before storing. */
  readonly freeFormFields: ReadonlySet<string>;
  readonly codec: CursorCodec;
  /** Hears of every team-scoped write (see `WriteObserver`); undefined for most repositories. */
  readonly writeObserver: WriteObserver | undefined;
  readonly #context: RepositoryContext;
  #collection: Collection<Document> | undefined;

  constructor(context: RepositoryContext, definition: RepositoryDefinition<S>, writeObserver?: WriteObserver) {
    const collectionDefinition = DatabaseRegistry.getCollection(definition.database, definition.collection);
    const database = DatabaseRegistry.resolve(definition.database);
    const shape = definition.schema?.shape as Readonly<Record<string, z.core.$ZodType>> | undefined;
    if (shape === undefined || typeof shape !== "object") {
      throw new ContractViolationError("A repository schema must be a zod object schema (z.object / z.strictObject).", {
        details: { collection: definition.collection },
      });
    }
    this.definition = definition;
    this.#context = context;
    this.databaseKey = database.key;
    this.key = `${database.key}.${definition.collection}`;
    this.tenantOwned = collectionDefinition.tenantOwned;
    this.versioned = definition.versioned === true;
    this.softDelete = definition.softDelete === true;
    const fieldSchemas = new Map<string, z.core.$ZodType>();
    for (const [name, fieldSchema] of Object.entries(shape)) if (!RESERVED.has(name)) fieldSchemas.set(name, fieldSchema);
    this.fieldSchemas = fieldSchemas;
    this.schemaDeclaresTeamId = Object.hasOwn(shape, "team_id");
    this.filterFields = new Set([...fieldSchemas.keys(), ...SYSTEM_FILTER_FIELDS, ...(this.tenantOwned ? ["team_id"] : [])]);
    this.freeFormFields = new Set([...fieldSchemas].filter(([, fieldSchema]) => mayHoldFreeFormKeys(fieldSchema)).map(([name]) => name));
    this.codec = new CursorCodec(context.cursorSecret);
    this.writeObserver = writeObserver;
    if (definition.keyFields !== undefined) this.keyFields = this.checkKeyFields(definition.keyFields);
    else this.keyFields = undefined;
  }

  /** The provider's deadline for every operation of this repository, in ms (undefined: none). */
  get operationTimeoutMS(): number | undefined {
    return this.#context.provider.operationTimeoutMS;
  }

  /** The driver collection, fetched from the provider on first use. */
  get collection(): Collection<Document> {
    if (this.#collection === undefined) {
      try {
        this.#collection = this.#context.provider.getCollection<Document>(this.definition.database, this.definition.collection);
      } catch (error) {
        throw mapDriverError(error, { operation: "getCollection", collection: this.definition.collection });
      }
    }
    return this.#collection;
  }

  /** Key fields must be writable schema fields; `CONTRACT_VIOLATION` otherwise (a programming error). */
  checkKeyFields(keyFields: readonly string[]): readonly string[] {
    if (keyFields.length === 0) throw new ContractViolationError("keyFields must name at least one field.");
    for (const field of keyFields) {
      if (!this.fieldSchemas.has(field)) {
        throw new ContractViolationError(`Key field "${field}" is not a writable field of ${this.key}.`, {
          details: { field, repository: this.key },
        });
      }
    }
    return keyFields;
  }

  /**
   * Validates a full document for writing (insert, upsert): reserved fields in the input are dropped,
   * the scope's `team_id` is supplied when the schema declares it, unsafe keys in free-form parts are
   * refused. Returns the schema's output (a fresh object) without reserved fields except `team_id`.
   * Throws `VALIDATION_FAILED` with paths under `prefix`.
   */
  parseDocument(input: unknown, teamId: string | null, prefix = ""): Document {
    const doc = this.#validate(input, teamId, prefix);
    for (const key of Object.keys(doc)) {
      if (doc[key] === undefined || (RESERVED.has(key) && key !== "team_id")) delete doc[key];
    }
    return doc;
  }

  /** `parseDocument` without the clean-up of its output: `undefined` values and reserved fields the schema declares may remain. */
  #validate(input: unknown, teamId: string | null, prefix: string): Document {
    if (!isPlainObject(input)) {
      throw new ValidationError("A document must be a plain object.", [{ path: prefix, message: "must be an object" }]);
    }
    let source: Record<string, unknown> = input;
    if (hasReservedField(input)) {
      // A copy without them, made by adding properties (`delete` would slow every later read of the object).
      source = {};
      for (const key of Object.keys(input)) if (!RESERVED.has(key)) source[key] = input[key];
      if (teamId !== null && this.schemaDeclaresTeamId) source.team_id = teamId;
    } else if (teamId !== null && this.schemaDeclaresTeamId) {
      // Not `{ ...input, team_id }`: objects spread with an extra key get shapes of their own, and the
      // schema's compiled parser then reads every field through a slow generic path (about 3x the cost).
      source = Object.assign({ team_id: teamId }, input);
    }
    // Top-level keys are the schema's business (strict objects refuse unknown ones, others drop them);
    // only free-form values can carry keys nobody declared.
    let issues: FieldIssue[] | undefined;
    for (const field of this.freeFormFields) {
      const value = source[field];
      if (typeof value === "object" && value !== null)
        issues = storedDataIssues(value, prefix === "" ? field : `${prefix}.${field}`, 0, issues);
    }
    if (issues !== undefined && issues.length > 0) throw new ValidationError("The document contains keys that cannot be stored.", issues);
    const parsed = this.definition.schema.safeParse(source);
    if (!parsed.success) throw new ValidationError("The document is invalid.", issuesFromZod(parsed.error, prefix).slice(0, MAX_ISSUES));
    return parsed.data as Document;
  }

  /** Validates one field's new value; returns the parsed value. Throws `VALIDATION_FAILED`. */
  parseField(field: string, value: unknown, path = field): unknown {
    const fieldSchema = this.fieldSchemas.get(field);
    if (fieldSchema === undefined) {
      const message = RESERVED.has(field) ? "is managed by the repository" : "unknown field";
      throw new ValidationError(`Field "${field}" cannot be written: ${message}.`, [{ path, message }]);
    }
    if (this.freeFormFields.has(field)) {
      const issues = storedDataIssues(value, path);
      if (issues.length > 0) throw new ValidationError("The value contains keys that cannot be stored.", issues);
    }
    const parsed = (fieldSchema as z.ZodType).safeParse(value);
    if (!parsed.success) throw new ValidationError(`Field "${field}" is invalid.`, issuesFromZod(parsed.error, path).slice(0, MAX_ISSUES));
    return parsed.data;
  }

  /** `changes` of `update(id, changes)` as a validated `$set` document. Throws `VALIDATION_FAILED`. */
  parseChanges(changes: unknown): Document {
    if (!isPlainObject(changes)) throw new ValidationError("Changes must be a plain object.", [{ path: "", message: "must be an object" }]);
    const set: Document = {};
    const issues: FieldIssue[] = [];
    for (const key of Object.keys(changes)) {
      const value = changes[key];
      if (value === undefined) continue;
      try {
        set[key] = this.parseField(key, value);
      } catch (error) {
        if (error instanceof ValidationError) issues.push(...error.issues);
        else throw error;
      }
    }
    if (issues.length > 0) throw new ValidationError("The changes are invalid.", issues);
    if (Object.keys(set).length === 0)
      throw new ValidationError("Changes must name at least one field.", [{ path: "", message: "no changes" }]);
    return set;
  }

  #updatePath(path: string, operator: string): string {
    if (typeof path !== "string" || path.length === 0)
      throw new ValidationError("Empty update path.", [{ path: operator, message: "empty path" }]);
    const segments = path.split(".");
    const root = segments[0] as string;
    for (const segment of segments.slice(1)) {
      if (segment === "" || FORBIDDEN_KEYS.has(segment) || (segment.startsWith("$") && !POSITIONAL_SEGMENT.test(segment))) {
        throw new ValidationError(`Update path "${path}" is not allowed.`, [
          { path: `${operator}.${path}`, message: "invalid path segment" },
        ]);
      }
    }
    if (RESERVED.has(root)) {
      throw new ValidationError(`Field "${root}" is managed by the repository and cannot be updated.`, [
        { path: `${operator}.${path}`, message: "is managed by the repository" },
      ]);
    }
    if (!this.fieldSchemas.has(root)) {
      throw new ValidationError(`Unknown field "${root}" in update.`, [{ path: `${operator}.${path}`, message: "unknown field" }]);
    }
    return root;
  }

  /**
   * A code-written operator update, checked and completed: only `ALLOWED_UPDATE_OPERATORS`, paths rooted at
   * writable schema fields (never `_id`, `team_id`, timestamps, `version`, `deleted_at`), top-level `$set`
   * values validated, required fields not `$unset`, no pipelines; `updated_at` (and `version`) added.
   * Throws `VALIDATION_FAILED`.
   */
  prepareUpdate(spec: unknown, now: Date): Document {
    if (Array.isArray(spec)) {
      throw new ValidationError("Update pipelines are not supported; use update operators.", [
        { path: "", message: "pipeline updates are refused" },
      ]);
    }
    if (!isPlainObject(spec))
      throw new ValidationError("An update must be a plain object of operators.", [{ path: "", message: "must be an object" }]);
    assertSafeExpression(spec, "update");
    const update: Document = {};
    for (const operator of Object.keys(spec)) {
      if (!ALLOWED_UPDATE_OPERATORS.has(operator)) {
        throw new ValidationError(`Update operator "${operator}" is not allowed.`, [{ path: operator, message: "operator not allowed" }]);
      }
      const fields = spec[operator];
      if (!isPlainObject(fields))
        throw new ValidationError(`${operator} takes an object.`, [{ path: operator, message: "must be an object" }]);
      const out: Document = {};
      for (const path of Object.keys(fields)) {
        const root = this.#updatePath(path, operator);
        let value = fields[path];
        if (operator === "$set") {
          value = path === root ? this.parseField(root, value, `$set.${path}`) : this.#checkStoredValue(value, `$set.${path}`);
        } else if (operator === "$unset" && path === root && !(this.fieldSchemas.get(root) as z.ZodType).safeParse(undefined).success) {
          throw new ValidationError(`Field "${root}" is required and cannot be unset.`, [{ path: `$unset.${path}`, message: "required" }]);
        } else if (operator === "$rename") {
          if (typeof value !== "string")
            throw new ValidationError("$rename targets must be strings.", [{ path: `$rename.${path}`, message: "must be a string" }]);
          this.#updatePath(value, "$rename");
        } else if (operator === "$push" || operator === "$addToSet") {
          // `{ $each: [...], $position, $slice, $sort }` modifiers: the stored values are the `$each` items.
          const each = isPlainObject(value) && "$each" in value ? value.$each : undefined;
          this.#checkStoredValue(each ?? value, `${operator}.${path}${each === undefined ? "" : ".$each"}`);
        }
        out[path] = value;
      }
      update[operator] = out;
    }
    if (Object.keys(update).length === 0)
      throw new ValidationError("An update must contain at least one operator.", [{ path: "", message: "empty update" }]);
    this.addSystemChanges(update, now);
    return update;
  }

  /** Values the schema does not validate (dotted `$set`, `$push` …) are at least checked for storable keys. */
  #checkStoredValue(value: unknown, path: string): unknown {
    const issues = storedDataIssues(value, path);
    if (issues.length > 0) throw new ValidationError("The value contains keys that cannot be stored.", issues);
    return value;
  }

  /** Adds `updated_at` (and `$inc version` when versioned) to an operator update. */
  addSystemChanges(update: Document, now: Date): Document {
    update.$set = { ...(update.$set as Document | undefined), updated_at: now };
    if (this.versioned) update.$inc = { ...(update.$inc as Document | undefined), version: 1 };
    return update;
  }

  /** Stamps a validated document for insertion. */
  stampNew(doc: Document, teamId: string | null, now: Date, id?: unknown): Document {
    doc._id = id ?? new ObjectId();
    if (teamId !== null) doc.team_id = teamId;
    doc.created_at = now;
    doc.updated_at = now;
    if (this.versioned) doc.version = 1;
    return doc;
  }

  /**
   * Checks the write rules of an upsert call (`upsertRules` of `upsertPipeline.ts`); undefined when none is
   * given. Throws `CONTRACT_VIOLATION` for a rule that names a non-writable or key field.
   */
  upsertRules(options: UpsertRuleOptions, keyFields: readonly string[]): UpsertRules | undefined {
    return checkUpsertRules({ fieldSchemas: this.fieldSchemas, repository: this.key }, options, keyFields);
  }

  /**
   * Validates one upsert input and builds its filter and pipeline (`buildUpsertPipeline`): the rules'
   * `defaults` fill fields the input leaves out (the schema then checks the whole document). Throws `VALIDATION_FAILED`.
   */
  prepareUpsert(request: {
    readonly input: unknown;
    readonly keyFields: readonly string[];
    readonly teamId: string | null;
    readonly now: Date;
    readonly rules: UpsertRules | undefined;
    readonly path?: string;
  }): UpsertOperation {
    const { input, rules } = request;
    const path = request.path ?? "";
    let filled: Set<string> | undefined;
    let source: unknown = input;
    if (rules !== undefined && isPlainObject(input)) {
      for (const field in rules.defaults) {
        if (input[field] !== undefined) continue;
        if (source === input) source = { ...input };
        (source as Record<string, unknown>)[field] = rules.defaults[field];
        (filled ??= new Set()).add(field);
      }
    }
    return buildUpsertPipeline({
      doc: this.#validate(source, request.teamId, path),
      keyFields: request.keyFields,
      teamId: request.teamId,
      now: request.now,
      path,
      rules,
      defaulted: filled,
      versioned: this.versioned,
      softDelete: this.softDelete,
    });
  }
}
