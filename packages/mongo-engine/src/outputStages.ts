import { ObjectId, type Document } from "bson";
import { canonicalKey, isPlainDocument } from "./bsonOrder";
import { CommandError, notImplemented } from "./commandError";
import { CollectionStore, ID_INDEX_SPEC } from "./collectionStore";
import type { CommandContext } from "./commandContext";
import { checkDocumentSize, validateForWrite } from "./documentRules";
import { duplicateKeyError, type IndexSpec, type IndexStore } from "./indexStore";
import { compileFilter } from "./queryMatcher";
import { collectPathValues } from "./pathValues";
import { idFirst } from "./updateApplier";

function target(spec: unknown, ctx: CommandContext, stage: string): [string, string] {
  if (typeof spec === "string") return [ctx.db, spec];
  if (isPlainDocument(spec) && typeof spec.coll === "string") {
    return [typeof spec.db === "string" ? spec.db : ctx.db, spec.coll];
  }
  throw new CommandError(16990, `${stage} only supports a string or object argument`);
}

function withId(doc: Document): Document {
  return Object.hasOwn(doc, "_id") ? idFirst(doc) : { _id: new ObjectId(), ...doc };
}

/** `$out`: atomically replaces the target collection's documents, keeping its indexes and options. */
function applyOut(ctx: CommandContext, spec: unknown, results: Document[], bypass: boolean): void {
  const [db, name] = target(spec, ctx, "$out");
  const existing = ctx.catalog.get(db, name);
  const fresh = new CollectionStore(db, name, {
    ...(existing ? { options: existing.options } : {}),
  });
  if (existing) {
    fresh.indexes = existing.indexes.map((index) => {
      const copy = index.clone();
      copy.clear();
      return copy;
    });
  }
  const seq = ctx.catalog.nextSeq();
  for (const raw of results) {
    const doc = withId(raw);
    checkDocumentSize(doc, "insert");
    validateForWrite(fresh, doc, bypass);
    fresh.insert(doc, seq);
  }
  ctx.catalog.install(fresh, { operationType: "unsupported", db, coll: name, reason: "the change events of $out" });
}

function mergeKeyOf(doc: Document, fields: readonly string[]): string | undefined {
  const parts: string[] = [];
  for (const f of fields) {
    const found = collectPathValues(doc, f, false);
    if (found.values.length !== 1 || Array.isArray(found.values[0])) return undefined;
    parts.push(canonicalKey(found.values[0]));
  }
  return parts.join("|");
}

/** `$merge` with the common modes (replace / keepExisting / merge / fail; insert / discard / fail). */
function applyMerge(ctx: CommandContext, spec: unknown, results: Document[], bypass: boolean): void {
  const options: Document = typeof spec === "string" ? { into: spec } : isPlainDocument(spec) ? spec : {};
  for (const key of Object.keys(options)) {
    if (!["into", "on", "whenMatched", "whenNotMatched", "let"].includes(key)) {
      throw new CommandError(40415, `BSON field '$merge.${key}' is an unknown field.`);
    }
  }
  const [db, name] = target(options.into, ctx, "$merge");
  const on = options.on === undefined ? ["_id"] : Array.isArray(options.on) ? options.on.map(String) : [String(options.on)];
  const whenMatched = options.whenMatched ?? "merge";
  const whenNotMatched = options.whenNotMatched ?? "insert";
  if (Array.isArray(whenMatched)) throw notImplemented("$merge with a whenMatched pipeline");
  if (!["replace", "keepExisting", "merge", "fail"].includes(String(whenMatched))) {
    throw new CommandError(9, `Enumeration value '${String(whenMatched)}' for field 'whenMatched' is not a valid value.`);
  }
  if (!["insert", "discard", "fail"].includes(String(whenNotMatched))) {
    throw new CommandError(9, `Enumeration value '${String(whenNotMatched)}' for field 'whenNotMatched' is not a valid value.`);
  }
  const view = ctx.view;
  const store = view.writable(db, name);
  const isId = on.length === 1 && on[0] === "_id";
  let onIndex: IndexSpec = ID_INDEX_SPEC;
  if (!isId) {
    const found = store.indexes.find(
      (i: IndexStore) => i.unique && i.fields.length === on.length && on.every((f) => i.fields.includes(f)) && i.usableForLookup,
    );
    if (!found) throw new CommandError(51183, "Cannot find index to verify that join fields will be unique");
    onIndex = found.spec;
  }
  for (const raw of results) {
    const doc = isId ? withId(raw) : raw;
    const key = mergeKeyOf(doc, on);
    if (key === undefined) throw new CommandError(51132, "$merge write error: 'on' field cannot be missing, null, undefined or an array");
    const filter: Document = {};
    for (const f of on) filter[f] = collectPathValues(doc, f, false).values[0];
    const matcher = compileFilter(filter);
    let existing: Document | undefined;
    for (const candidate of store.candidates(filter)) {
      if (matcher(candidate)) {
        existing = candidate;
        break;
      }
    }
    if (existing) {
      if (whenMatched === "keepExisting") continue;
      if (whenMatched === "fail") {
        const values = Object.keys(onIndex.key).map((f) => collectPathValues(doc, f, false).values[0]);
        const duplicate = duplicateKeyError(store.ns, onIndex, values);
        throw new CommandError(11000, `$merge failed due to a DuplicateKey error :: caused by :: ${duplicate.message}`, {
          extra: duplicate.extra,
        });
      }
      const next = whenMatched === "replace" ? { ...doc, _id: existing._id } : { ...existing, ...doc, _id: existing._id };
      const finalDoc = idFirst(next);
      checkDocumentSize(finalDoc, "update");
      validateForWrite(store, finalDoc, bypass, existing);
      view.replace(store, canonicalKey(existing._id), finalDoc, whenMatched === "replace" ? "replace" : "update");
      continue;
    }
    if (whenNotMatched === "discard") continue;
    if (whenNotMatched === "fail") {
      throw new CommandError(
        13113,
        "$merge could not find a matching document in the target collection for at least one document in the source collection",
      );
    }
    const inserted = withId(doc);
    checkDocumentSize(inserted, "insert");
    validateForWrite(store, inserted, bypass);
    view.insert(store, inserted);
  }
}

/** Executes a trailing `$out` or `$merge` stage. */
export async function applyOutputStage(ctx: CommandContext, stage: Document, results: Document[], bypass: boolean): Promise<void> {
  if (Object.hasOwn(stage, "$out")) applyOut(ctx, stage.$out, results, bypass);
  else applyMerge(ctx, stage.$merge, results, bypass);
}
