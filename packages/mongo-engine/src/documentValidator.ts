import type { Document } from "bson";
import type { CollectionStore } from "./collectionStore";
import { compileJsonSchema } from "./jsonSchema";
import { compileFilter } from "./queryMatcher";

/** A compiled collection validator. */
export interface CompiledValidator {
  test(doc: Document): boolean;
  /** Why a document fails (a short, mongod-like details document). */
  explain(doc: Document): Document;
}

const cache = new WeakMap<object, CompiledValidator>();

/** Compiles (and caches) the validator of a collection; `undefined` when it has none or it is off. */
export function compileValidator(store: CollectionStore): CompiledValidator | undefined {
  const { validator, validationLevel } = store.options;
  if (!validator || Object.keys(validator).length === 0 || validationLevel === "off") return undefined;
  let compiled = cache.get(validator);
  if (!compiled) {
    const matcher = compileFilter(validator);
    const schema = validator.$jsonSchema;
    const schemaCheck = schema === undefined ? undefined : compileJsonSchema(schema);
    compiled = {
      test: matcher,
      explain: (doc) => ({
        operatorName: schemaCheck ? "$jsonSchema" : "$and",
        ...(schemaCheck ? { reasons: schemaCheck(doc, "") } : {}),
      }),
    };
    cache.set(validator, compiled);
  }
  return compiled;
}
