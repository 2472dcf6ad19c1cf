import { BSON, ObjectId, type Document } from "bson";
import { bsonTypeTag, isPlainDocument } from "./bsonOrder";
import { CommandError } from "./commandError";
import type { CollectionStore } from "./collectionStore";
import { idFirst } from "./updateApplier";
import { compileValidator } from "./documentValidator";

/** mongod's document size limit. */
export const MAX_BSON_OBJECT_SIZE = 16 * 1024 * 1024;

/** Throws when a stored document would exceed 16 MiB. */
export function checkDocumentSize(doc: Document, context: "insert" | "update"): void {
  const size = BSON.calculateObjectSize(doc, { ignoreUndefined: true });
  if (size <= MAX_BSON_OBJECT_SIZE) return;
  if (context === "update") {
    throw new CommandError(17419, `Resulting document after update is larger than ${MAX_BSON_OBJECT_SIZE}`);
  }
  throw new CommandError(
    10334,
    `BSONObj size: ${size} (0x${size.toString(16).toUpperCase()}) is invalid. Size must be between 0 and 16793600(16MB) First element: _id: ${String(doc._id)}`,
  );
}

/** Validates an `_id` value as mongod does. */
export function checkIdValue(id: unknown): void {
  if (Array.isArray(id)) throw new CommandError(53, "can't use an array for _id", { codeName: "InvalidIdField" });
  if (id instanceof RegExp || bsonTypeTag(id) === "BSONRegExp") {
    throw new CommandError(53, "can't use a regex for _id", { codeName: "InvalidIdField" });
  }
  if (id === undefined) throw new CommandError(53, "can't use a undefined for _id", { codeName: "InvalidIdField" });
  if (isPlainDocument(id)) {
    for (const key of Object.keys(id)) {
      if (key.startsWith("$"))
        throw new CommandError(53, `_id fields may not contain '$'-prefixed fields: ${key} is not valid for storage.`, {
          codeName: "InvalidIdField",
        });
    }
  }
}

/** Prepares a document for insertion: `_id` generated when missing and moved first, fields checked. */
export function prepareInsertDocument(raw: unknown): Document {
  if (!isPlainDocument(raw)) throw new CommandError(2, "document to insert must be an object");
  let doc: Document = raw;
  if (!Object.hasOwn(doc, "_id")) doc = { _id: new ObjectId(), ...doc };
  else doc = idFirst(doc);
  checkIdValue(doc._id);
  return doc;
}

/** Applies the collection's validator (unless bypassed); throws 121 DocumentValidationFailure. */
export function validateForWrite(store: CollectionStore, doc: Document, bypass: boolean, previous?: Document): void {
  if (bypass) return;
  const validator = compileValidator(store);
  if (!validator) return;
  if (store.options.validationLevel === "moderate" && previous && !validator.test(previous)) return;
  if (validator.test(doc)) return;
  if (store.options.validationAction === "warn") return;
  throw new CommandError(121, "Document failed validation", {
    extra: { errInfo: { failingDocumentId: doc._id, details: validator.explain(doc) } },
  });
}
