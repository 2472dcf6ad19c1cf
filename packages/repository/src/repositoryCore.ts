import { ContractViolationError, type FieldIssue, ValidationError } from "@cspm/errors";
import { DatabaseRegistry } from "@cspm/registry";
import { type Collection, type Document, ObjectId } from "mongodb";
import type { z } from "zod";
import { CursorCodec } from "./cursorCodec";
import { mapDriverError } from "./mapDriverError";
import { RESERVED_FIELDS, type ObjectSchema, type RepositoryContext, type RepositoryDefinition } from "./repositoryDefinition";
import { assertSafeExpression, bsonType, FORBIDDEN_KEYS, isPlainObject, storedDataIssues } from "./sanitizeFilter";
import { mayHoldFreeFormKeys } from "./schemaInspection";

const RESERVED: ReadonlySet<string> = new Set(RESERVED_FIELDS);
const SYSTEM_FILTER_FIELDS = ["_id", "created_at", "updated_at", "version"] as const;
const MAX_ISSUES = 100;
/** Positional update segments: `$`, `$[]`, `$[identifier]`. */
const POSITIONAL_SEGMENT = /^\$(\[[A-Za-z0-9_]*\])?$/;

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

/** zod issues as `FieldIssue`s with dotted paths, optionally under a prefix. */
export function zodIssues(error: z.ZodError, prefix = ""): FieldIssue[] {
  return error.issues.slice(0, MAX_ISSUES).map((issue) => {
    const path = issue.path.map(String).join(".");
    return { path: prefix === "" ? path : path === "" ? prefix : `${prefix}.${path}`, message: issue.message };
  });
}

/** True when a value can be part of a natural key (and so of an upsert's equality filter). */
function isKeyScalar(value: unknown): boolean {
  if (typeof value === "string" || typeof value === "boolean") return true;
  if (typeof value === "number") return Number.isFinite(value);
  if (value instanceof Date) return !Number.isNaN(value.getTime());
  return bsonType(value) === "ObjectId";
}

/** A value as an aggregation expression: wrapped in `$literal` when it could be read as a path or expression. */
function literal(value: unknown): unknown {
  if (typeof value === "string") return value.startsWith("$") ? { $literal: value } : value;
  if (typeof value !== "object" || value === null || value instanceof Date) return value;
  if (bsonType(value) !== undefined) return value;
  return { $literal: value };
}

/** A value a `resetWhen` condition may test the stored document for. */
export type UpsertResetValue = string | number | boolean | null;

/** The write rules of an upsert as callers give them (the extra fields of `UpsertOptions`). */
export interface UpsertRuleOptions {
  readonly insertOnlyFields?: readonly string[] | undefined;
  readonly defaults?: Readonly<Record<string, unknown>> | undefined;
  readonly relativeFields?: Readonly<Record<string, string>> | undefined;
  readonly resetWhen?:
    | {
        readonly field: string;
        readonly in: readonly UpsertResetValue[];
        readonly fields?: readonly string[] | undefined;
        readonly unset?: readonly string[] | undefined;
      }
    | undefined;
}

/** The checked write rules of one upsert call. Internal. */
export interface UpsertRules {
  readonly insertOnly: ReadonlySet<string>;
  readonly defaults: Readonly<Record<string, unknown>>;
  /** field -> anchor field. */
  readonly relative: ReadonlyMap<string, string>;
  readonly reset:
    | {
        readonly field: string;
        readonly in: readonly UpsertResetValue[];
        readonly fields: ReadonlySet<string>;
        readonly unset: readonly string[];
      }
    | undefined;
}

const MAX_RESET_VALUES = 100;

function isResetValue(value: unknown): value is UpsertResetValue {
  return value === null || typeof value === "string" || typeof value === "boolean" || (typeof value === "number" && Number.isFinite(value));
}

/** True when a stored field holds a value (neither missing nor null), as an aggregation expression. */
function present(field: string): Document {
  return { $not: [{ $in: [{ $type: `$${field}` }, ["missing", "null"]] }] };
}

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
  readonly #context: RepositoryContext;
  #collection: Collection<Document> | undefined;

  constructor(context: RepositoryContext, definition: RepositoryDefinition<S>) {
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
    if (definition.keyFields !== undefined) this.keyFields = this.checkKeyFields(definition.keyFields);
    else this.keyFields = undefined;
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
    if (!isPlainObject(input)) {
      throw new ValidationError("A document must be a plain object.", [{ path: prefix, message: "must be an object" }]);
    }
    let source: Record<string, unknown> = input;
    let copied = false;
    for (const field of RESERVED_FIELDS) {
      if (field in source) {
        if (!copied) {
          source = { ...source };
          copied = true;
        }
        delete source[field];
      }
    }
    if (teamId !== null && this.schemaDeclaresTeamId)
      source = copied ? Object.assign(source, { team_id: teamId }) : { ...source, team_id: teamId };
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
    if (!parsed.success) throw new ValidationError("The document is invalid.", zodIssues(parsed.error, prefix));
    const doc = parsed.data as Document;
    for (const key of Object.keys(doc)) {
      if (doc[key] === undefined || (RESERVED.has(key) && key !== "team_id")) delete doc[key];
    }
    return doc;
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
    if (!parsed.success) throw new ValidationError(`Field "${field}" is invalid.`, zodIssues(parsed.error, path));
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

  /** A field named by upsert rules must be a writable schema field and not part of the natural key. */
  #ruleField(field: unknown, option: string, keyFields: readonly string[]): string {
    if (typeof field !== "string" || !this.fieldSchemas.has(field)) {
      throw new ContractViolationError(`${option} names "${String(field)}", which is not a writable field of ${this.key}.`, {
        details: { option, field: String(field), repository: this.key },
      });
    }
    if (keyFields.includes(field)) {
      throw new ContractViolationError(`${option} cannot name the key field "${field}": key fields always come from the filter.`, {
        details: { option, field, repository: this.key },
      });
    }
    return field;
  }

  /**
   * Checks the write rules of an upsert call (`insertOnlyFields`, `defaults`, `relativeFields`, `resetWhen`);
   * undefined when none is given. They are code-written, so a mistake is `CONTRACT_VIOLATION`.
   */
  upsertRules(options: UpsertRuleOptions, keyFields: readonly string[]): UpsertRules | undefined {
    const { insertOnlyFields, defaults, relativeFields, resetWhen } = options;
    if (insertOnlyFields === undefined && defaults === undefined && relativeFields === undefined && resetWhen === undefined)
      return undefined;
    const insertOnly = new Set<string>();
    if (insertOnlyFields !== undefined) {
      if (!Array.isArray(insertOnlyFields)) throw new ContractViolationError("insertOnlyFields must be an array of field names.");
      for (const field of insertOnlyFields) insertOnly.add(this.#ruleField(field, "insertOnlyFields", keyFields));
    }
    const defaultValues: Record<string, unknown> = {};
    if (defaults !== undefined) {
      if (!isPlainObject(defaults)) throw new ContractViolationError("defaults must be an object of field: value.");
      for (const [field, value] of Object.entries(defaults)) {
        this.#ruleField(field, "defaults", keyFields);
        if (value === undefined)
          throw new ContractViolationError(`defaults.${field} is undefined.`, { details: { option: "defaults", field } });
        defaultValues[field] = value;
      }
    }
    const relative = new Map<string, string>();
    if (relativeFields !== undefined) {
      if (!isPlainObject(relativeFields)) throw new ContractViolationError("relativeFields must be an object of field: anchor field.");
      for (const [field, anchor] of Object.entries(relativeFields)) {
        this.#ruleField(field, "relativeFields", keyFields);
        this.#ruleField(anchor, "relativeFields", keyFields);
        if (field === anchor || insertOnly.has(field) || field in defaultValues) {
          throw new ContractViolationError(`relativeFields.${field} cannot also be its own anchor, insert-only or defaulted.`, {
            details: { option: "relativeFields", field },
          });
        }
        relative.set(field, anchor as string);
      }
      for (const anchor of relative.values()) {
        if (relative.has(anchor)) {
          throw new ContractViolationError(`relativeFields: the anchor "${anchor}" is itself relative.`, {
            details: { option: "relativeFields", field: anchor },
          });
        }
      }
    }
    let reset: UpsertRules["reset"];
    if (resetWhen !== undefined) {
      if (!isPlainObject(resetWhen)) throw new ContractViolationError("resetWhen must be { field, in, fields?, unset? }.");
      const field = this.#ruleField(resetWhen.field, "resetWhen.field", []);
      const values = resetWhen.in;
      if (!Array.isArray(values) || values.length === 0 || values.length > MAX_RESET_VALUES || !values.every(isResetValue)) {
        throw new ContractViolationError(`resetWhen.in must be 1-${MAX_RESET_VALUES} strings, finite numbers, booleans or null.`, {
          details: { option: "resetWhen.in" },
        });
      }
      const fields = new Set<string>();
      for (const name of resetWhen.fields ?? []) {
        this.#ruleField(name, "resetWhen.fields", keyFields);
        if (!insertOnly.has(name) && !(name in defaultValues)) {
          throw new ContractViolationError(
            `resetWhen.fields names "${name}", which is neither insert-only nor defaulted (it is written anyway).`,
            {
              details: { option: "resetWhen.fields", field: name },
            },
          );
        }
        fields.add(name);
      }
      const unset: string[] = [];
      for (const name of resetWhen.unset ?? []) {
        this.#ruleField(name, "resetWhen.unset", keyFields);
        if (!(this.fieldSchemas.get(name) as z.ZodType).safeParse(undefined).success) {
          throw new ContractViolationError(`resetWhen.unset names the required field "${name}".`, {
            details: { option: "resetWhen.unset", field: name },
          });
        }
        unset.push(name);
      }
      reset = { field, in: [...values], fields, unset };
    }
    return { insertOnly, defaults: defaultValues, relative, reset };
  }

  /**
   * Validates one upsert input and builds its filter and pipeline: the rules' `defaults` fill fields the
   * input leaves out (the schema then checks the whole document). Throws `VALIDATION_FAILED`.
   */
  prepareUpsert(
    input: unknown,
    keyFields: readonly string[],
    teamId: string | null,
    now: Date,
    rules: UpsertRules | undefined,
    prefix = "",
  ): { filter: Document; update: Document[] } {
    if (rules === undefined || Object.keys(rules.defaults).length === 0 || !isPlainObject(input)) {
      return this.buildUpsert(this.parseDocument(input, teamId, prefix), keyFields, teamId, now, prefix, rules);
    }
    let source: Record<string, unknown> | undefined;
    const filled = new Set<string>();
    for (const [field, value] of Object.entries(rules.defaults)) {
      if (input[field] !== undefined) continue;
      source ??= { ...input };
      source[field] = value;
      filled.add(field);
    }
    return this.buildUpsert(this.parseDocument(source ?? input, teamId, prefix), keyFields, teamId, now, prefix, rules, filled);
  }

  /**
   * The equality filter and update pipeline that upsert one validated document by its natural key:
   * data fields are `$set`; `created_at` is kept (or set on insert); `updated_at` and `version` change only
   * when a data field actually changes, so re-importing the same data reports "unchanged".
   * With `rules`: insert-only (and defaulted) fields keep a stored value and are written only where the stored
   * document has none (a new document, or one stored without it) — or when `resetWhen` matches; relative
   * fields follow their anchor's resulting value; `resetWhen.unset` fields are removed on a reset. Only the
   * fields that would be written count for "unchanged"; a reset always counts as a change.
   * Throws `VALIDATION_FAILED` when a key field is missing or not a scalar, or a relative field lacks its anchor.
   */
  buildUpsert(
    doc: Document,
    keyFields: readonly string[],
    teamId: string | null,
    now: Date,
    prefix = "",
    rules?: UpsertRules,
    defaulted?: ReadonlySet<string>,
  ): { filter: Document; update: Document[] } {
    const path = (field: string) => (prefix === "" ? field : `${prefix}.${field}`);
    const filter: Document = teamId === null ? {} : { team_id: teamId };
    for (const field of keyFields) {
      const value = doc[field];
      if (!isKeyScalar(value)) {
        throw new ValidationError(`Key field "${field}" must be a string, number, boolean, date or ObjectId.`, [
          { path: path(field), message: value === undefined || value === null ? "key field is required" : "must be a scalar" },
        ]);
      }
      filter[field] = value;
    }
    const same: Document[] = [];
    const set: Document = {};
    const kept: Document = {};
    const reset = rules?.reset;
    const resetCondition: Document | undefined = reset === undefined ? undefined : { $in: [`$${reset.field}`, reset.in.map(literal)] };
    if (resetCondition !== undefined) same.push({ $not: [resetCondition] });
    const relative: string[] = [];
    for (const field of Object.keys(doc)) {
      if (field === "team_id") continue;
      const value = literal(doc[field]);
      if (rules !== undefined && rules.relative.has(field)) {
        relative.push(field);
      } else if (rules !== undefined && (rules.insertOnly.has(field) || defaulted?.has(field) === true)) {
        // Written only where the stored document has no value (so also on insert), or on a reset.
        const keep = { $ifNull: [`$${field}`, value] };
        kept[field] = resetCondition !== undefined && reset?.fields.has(field) === true ? { $cond: [resetCondition, value, keep] } : keep;
        same.push(present(field));
      } else {
        same.push({ $eq: [`$${field}`, value] });
        set[field] = value;
      }
    }
    for (const field of relative) {
      const anchor = rules?.relative.get(field) as string;
      const value = doc[field];
      const anchorValue = doc[anchor];
      if (!(value instanceof Date) || !(anchorValue instanceof Date)) {
        throw new ValidationError(`"${field}" is kept relative to "${anchor}": both must be dates in the same document.`, [
          {
            path: path(anchorValue instanceof Date ? field : anchor),
            message: anchorValue === undefined ? "required with its relative field" : "must be a date",
          },
        ]);
      }
      const anchorExpression = kept[anchor] ?? set[anchor];
      const expression = { $add: [anchorExpression, value.getTime() - anchorValue.getTime()] };
      kept[field] = expression;
      same.push({ $eq: [`$${field}`, expression] });
    }
    if (resetCondition !== undefined) {
      for (const field of reset?.unset ?? []) {
        if (field in doc) continue; // the input's value wins
        kept[field] = { $cond: [resetCondition, "$$REMOVE", `$${field}`] };
      }
    }
    if (this.softDelete) same.push({ $eq: [{ $type: "$deleted_at" }, "missing"] });
    const unchanged = { $and: same };
    const system: Document = {
      // The id of an inserted document is made client-side, as insertOne does (an existing _id is kept as is);
      // this also spares servers and engines that would not assign one to a pipeline upsert.
      _id: { $ifNull: ["$_id", new ObjectId()] },
      updated_at: { $cond: [unchanged, "$updated_at", now] },
      created_at: { $ifNull: ["$created_at", now] },
    };
    if (this.versioned) system.version = { $cond: [unchanged, "$version", { $add: [{ $ifNull: ["$version", 0] }, 1] }] };
    // One stage sees the stored document as it was: system fields and kept fields are computed from it.
    const update: Document[] = [{ $set: { ...system, ...kept } }, { $set: set }];
    if (this.softDelete) update.push({ $unset: "deleted_at" });
    return { filter, update };
  }
}
