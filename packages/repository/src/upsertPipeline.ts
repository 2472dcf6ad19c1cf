import { ContractViolationError, ValidationError } from "@cspm/errors";
import type { Document } from "mongodb";
import type { z } from "zod";
import { bsonType, isPlainObject } from "./sanitizeFilter";

/**
 * How an upsert by natural key is written in one round trip: the equality filter on the key and the update
 * pipeline that applies the caller's write rules (insert-only fields, defaults, relative dates, resets) on
 * the server against the stored document. Pure functions: `RepositoryCore` validates the input document and
 * calls `buildUpsertPipeline`; `ScopedRepository.upsert`/`bulkUpsert` send the result.
 */

/** The filter and update pipeline of one upsert. */
export interface UpsertOperation {
  readonly filter: Document;
  readonly update: Document[];
}

/** What `buildUpsertPipeline` needs: a validated document, the key, the scope and the repository's options. */
export interface UpsertPipelineRequest {
  readonly doc: Document;
  readonly keyFields: readonly string[];
  readonly teamId: string | null;
  readonly now: Date;
  /** Prefix of field paths in error issues (the input index in a bulk upsert). */
  readonly path?: string;
  readonly rules?: UpsertRules | undefined;
  /** Fields whose value came from `rules.defaults` (the input left them out). */
  readonly defaulted?: ReadonlySet<string> | undefined;
  readonly versioned: boolean;
  readonly softDelete: boolean;
}

/** The schema facts rule checks need: the writable fields and, for messages, the repository key. */
export interface RuleSchema {
  readonly fieldSchemas: ReadonlyMap<string, z.core.$ZodType>;
  readonly repository: string;
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

/** A field named by upsert rules must be a writable schema field and not part of the natural key. */
function ruleField(schema: RuleSchema, field: unknown, option: string, keyFields: readonly string[]): string {
  if (typeof field !== "string" || !schema.fieldSchemas.has(field)) {
    throw new ContractViolationError(`${option} names "${String(field)}", which is not a writable field of ${schema.repository}.`, {
      details: { option, field: String(field), repository: schema.repository },
    });
  }
  if (keyFields.includes(field)) {
    throw new ContractViolationError(`${option} cannot name the key field "${field}": key fields always come from the filter.`, {
      details: { option, field, repository: schema.repository },
    });
  }
  return field;
}

/**
 * Checks the write rules of an upsert call (`insertOnlyFields`, `defaults`, `relativeFields`, `resetWhen`);
 * undefined when none is given. They are code-written, so a mistake is `CONTRACT_VIOLATION`.
 */
export function checkUpsertRules(schema: RuleSchema, options: UpsertRuleOptions, keyFields: readonly string[]): UpsertRules | undefined {
  const { insertOnlyFields, defaults, relativeFields, resetWhen } = options;
  if (insertOnlyFields === undefined && defaults === undefined && relativeFields === undefined && resetWhen === undefined) return undefined;
  const insertOnly = new Set<string>();
  if (insertOnlyFields !== undefined) {
    if (!Array.isArray(insertOnlyFields)) throw new ContractViolationError("insertOnlyFields must be an array of field names.");
    for (const field of insertOnlyFields) insertOnly.add(ruleField(schema, field, "insertOnlyFields", keyFields));
  }
  const defaultValues: Record<string, unknown> = {};
  if (defaults !== undefined) {
    if (!isPlainObject(defaults)) throw new ContractViolationError("defaults must be an object of field: value.");
    for (const [field, value] of Object.entries(defaults)) {
      ruleField(schema, field, "defaults", keyFields);
      if (value === undefined)
        throw new ContractViolationError(`defaults.${field} is undefined.`, { details: { option: "defaults", field } });
      defaultValues[field] = value;
    }
  }
  const relative = new Map<string, string>();
  if (relativeFields !== undefined) {
    if (!isPlainObject(relativeFields)) throw new ContractViolationError("relativeFields must be an object of field: anchor field.");
    for (const [field, anchor] of Object.entries(relativeFields)) {
      ruleField(schema, field, "relativeFields", keyFields);
      ruleField(schema, anchor, "relativeFields", keyFields);
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
    const field = ruleField(schema, resetWhen.field, "resetWhen.field", []);
    const values = resetWhen.in;
    if (!Array.isArray(values) || values.length === 0 || values.length > MAX_RESET_VALUES || !values.every(isResetValue)) {
      throw new ContractViolationError(`resetWhen.in must be 1-${MAX_RESET_VALUES} strings, finite numbers, booleans or null.`, {
        details: { option: "resetWhen.in" },
      });
    }
    const fields = new Set<string>();
    for (const name of resetWhen.fields ?? []) {
      ruleField(schema, name, "resetWhen.fields", keyFields);
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
      ruleField(schema, name, "resetWhen.unset", keyFields);
      if (!(schema.fieldSchemas.get(name) as z.ZodType).safeParse(undefined).success) {
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

/** Where the pipeline keeps the stored document while it decides whether anything changed; removed before storing. */
export const STORED_SNAPSHOT_FIELD = "__cspm_stored";

/** Fields of a validated document that are never `$set` by an upsert: the scope and the system fields. */
const NOT_WRITTEN: ReadonlySet<string> = new Set(["_id", "team_id", "created_at", "updated_at", "version", "deleted_at"]);

/**
 * The equality filter and update pipeline that upsert one validated document by its natural key:
 * data fields are `$set`; `created_at` is kept (or set on insert); `updated_at` and `version` change only
 * when the document actually changes, so re-importing the same data reports "unchanged".
 * With `rules`: insert-only (and defaulted) fields keep a stored value and are written only where the stored
 * document has none (a new document, or one stored without it) — or when `resetWhen` matches; relative
 * fields follow their anchor's resulting value; `resetWhen.unset` fields are removed on a reset. A reset
 * always counts as a change; a soft-deleted match is restored (and so changed).
 *
 * Every value is sent once: the first stage writes every field against the stored document and keeps a
 * snapshot of that document; the second compares the result with the snapshot (one whole-document `$eq`,
 * instead of one `$eq` per field carrying each value a second time) to move `updated_at`/`version` or not,
 * and drops the snapshot. Key fields are not `$set`: the filter matched them (or, on insert, the
 * server copies them from the filter's equalities), so they cannot change. Needs MongoDB 5.0+ (`$unsetField`).
 * `doc` is the schema's output: `undefined` values and system fields in it are skipped.
 * Throws `VALIDATION_FAILED` when a key field is missing or not a scalar, or a relative field lacks its anchor.
 */
export function buildUpsertPipeline(request: UpsertPipelineRequest): UpsertOperation {
  const { doc, keyFields, teamId, now, rules, defaulted } = request;
  const filter: Document = teamId === null ? {} : { team_id: teamId };
  for (const field of keyFields) {
    const value = doc[field];
    if (!isKeyScalar(value)) {
      throw new ValidationError(`Key field "${field}" must be a string, number, boolean, date or ObjectId.`, [
        {
          path: issuePath(request.path, field),
          message: value === undefined || value === null ? "key field is required" : "must be a scalar",
        },
      ]);
    }
    filter[field] = value;
  }
  // One $set stage: every expression in it sees the stored document as it was.
  const tail = tailStages(now, rules, request.versioned);
  // No _id: the server gives an inserted document a new ObjectId (an existing one keeps its own).
  const write: Document = { created_at: tail.createdAt };
  if (rules === undefined) {
    const skip = notWritten(keyFields);
    const fields = Object.keys(doc);
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i] as string;
      const value = doc[field];
      if (value === undefined || skip.has(field)) continue;
      write[field] = literal(value);
    }
  } else {
    writeWithRules(request, rules, defaulted, write);
  }
  if (request.softDelete) write.deleted_at = "$$REMOVE";
  write[STORED_SNAPSHOT_FIELD] = "$$ROOT";
  return { filter, update: [{ $set: write }, tail.stage] };
}

/** `NOT_WRITTEN` plus the key fields, one set per key-field list (usually the definition's). */
const notWrittenByKey = new WeakMap<readonly string[], ReadonlySet<string>>();

function notWritten(keyFields: readonly string[]): ReadonlySet<string> {
  let skip = notWrittenByKey.get(keyFields);
  if (skip === undefined) {
    skip = new Set([...NOT_WRITTEN, ...keyFields]);
    notWrittenByKey.set(keyFields, skip);
  }
  return skip;
}

function issuePath(prefix: string | undefined, field: string): string {
  return prefix === undefined || prefix === "" ? field : `${prefix}.${field}`;
}

/** The data fields of `write` under upsert rules: insert-only, defaulted, relative and reset fields. */
function writeWithRules(
  request: UpsertPipelineRequest,
  rules: UpsertRules,
  defaulted: ReadonlySet<string> | undefined,
  write: Document,
): void {
  const { doc, keyFields } = request;
  const reset = rules.reset;
  const resetCondition: Document | undefined = reset === undefined ? undefined : { $in: [`$${reset.field}`, reset.in.map(literal)] };
  let relative: string[] | undefined;
  const skip = notWritten(keyFields);
  for (const field of Object.keys(doc)) {
    const raw = doc[field];
    if (raw === undefined || skip.has(field)) continue;
    const value = literal(raw);
    if (rules.relative.has(field)) {
      (relative ??= []).push(field);
    } else if (rules.insertOnly.has(field) || defaulted?.has(field) === true) {
      // Written only where the stored document has no value (so also on insert), or on a reset.
      const keep = { $ifNull: [`$${field}`, value] };
      write[field] = resetCondition !== undefined && reset?.fields.has(field) === true ? { $cond: [resetCondition, value, keep] } : keep;
    } else {
      write[field] = value;
    }
  }
  for (const field of relative ?? []) {
    const anchor = rules.relative.get(field) as string;
    const value = doc[field];
    const anchorValue = doc[anchor];
    if (!(value instanceof Date) || !(anchorValue instanceof Date)) {
      throw new ValidationError(`"${field}" is kept relative to "${anchor}": both must be dates in the same document.`, [
        {
          path: issuePath(request.path, anchorValue instanceof Date ? field : anchor),
          message: anchorValue === undefined ? "required with its relative field" : "must be a date",
        },
      ]);
    }
    write[field] = { $add: [write[anchor], value.getTime() - anchorValue.getTime()] };
  }
  if (resetCondition !== undefined) {
    for (const field of reset?.unset ?? []) {
      if (doc[field] !== undefined) continue; // the input's value wins
      write[field] = { $cond: [resetCondition, "$$REMOVE", `$${field}`] };
    }
  }
}

interface TailStages {
  readonly rules: UpsertRules | undefined;
  readonly versioned: boolean;
  readonly createdAt: Document;
  /** Moves `updated_at`/`version` only when the first stage changed something, and drops the snapshot. */
  readonly stage: Document;
}

/** The stages after the write, the same for every document of one call: built once per `now` and shared. */
const tails = new WeakMap<Date, TailStages>();

function tailStages(now: Date, rules: UpsertRules | undefined, versioned: boolean): TailStages {
  const cached = tails.get(now);
  if (cached !== undefined && cached.rules === rules && cached.versioned === versioned) return cached;
  const reset = rules?.reset;
  const stored = `$${STORED_SNAPSHOT_FIELD}`;
  const same: Document = { $eq: [stored, { $unsetField: { field: STORED_SNAPSHOT_FIELD, input: "$$ROOT" } }] };
  // A reset counts as a change even when it rewrites a document into itself (tested on the stored value).
  const unchanged = reset === undefined ? same : { $and: [{ $not: [{ $in: [`${stored}.${reset.field}`, reset.in.map(literal)] }] }, same] };
  const system: Document = { updated_at: { $cond: [unchanged, "$updated_at", now] } };
  if (versioned) system.version = { $cond: [unchanged, "$version", { $add: [{ $ifNull: ["$version", 0] }, 1] }] };
  // The same stage drops the snapshot: its expressions still see it (one stage less to encode per operation).
  system[STORED_SNAPSHOT_FIELD] = "$$REMOVE";
  const built: TailStages = {
    rules,
    versioned,
    createdAt: { $ifNull: ["$created_at", now] },
    stage: { $set: system },
  };
  tails.set(now, built);
  return built;
}
