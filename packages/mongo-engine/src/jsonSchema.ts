import type { Document } from "bson";
import { BSON_TYPE_CODES, bsonEquals, bsonTypeName, canonicalKey, isPlainDocument, toNumber, typeRank, TYPE_RANK } from "./bsonOrder";
import { CommandError } from "./commandError";

/** A compiled `$jsonSchema`: returns the list of violations (empty when valid). */
export type SchemaCheck = (value: unknown, path: string) => string[];

const JSON_TYPES: Readonly<Record<string, (v: unknown) => boolean>> = {
  object: (v) => isPlainDocument(v),
  array: (v) => Array.isArray(v),
  number: (v) => typeRank(v) === TYPE_RANK.number,
  boolean: (v) => typeof v === "boolean",
  string: (v) => typeof v === "string",
  null: (v) => v === null,
};

const IGNORED = new Set(["title", "description", "$comment"]);

function matchesBsonType(value: unknown, alias: unknown): boolean {
  if (alias === "number") return typeRank(value) === TYPE_RANK.number;
  if (typeof alias !== "string" || !(alias in BSON_TYPE_CODES)) {
    throw new CommandError(2, `Unknown type name alias: ${String(alias)}`);
  }
  const name = bsonTypeName(value);
  if (alias === "double" && name === "int") return false;
  return name === alias;
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [value];
}

/** Compiles mongod's `$jsonSchema` dialect (draft 4 subset plus `bsonType`). */
export function compileJsonSchema(schema: unknown): SchemaCheck {
  if (!isPlainDocument(schema)) throw new CommandError(2, "$jsonSchema must be an object");
  const checks: SchemaCheck[] = [];
  for (const [keyword, arg] of Object.entries(schema)) {
    if (IGNORED.has(keyword)) continue;
    switch (keyword) {
      case "bsonType": {
        const aliases = list(arg);
        aliases.forEach((a) => matchesBsonType(null, a));
        checks.push((v, p) => (aliases.some((a) => matchesBsonType(v, a)) ? [] : [`${p}: bsonType ${JSON.stringify(arg)}`]));
        break;
      }
      case "type": {
        const types = list(arg).map(String);
        for (const t of types) {
          if (!JSON_TYPES[t]) throw new CommandError(2, `Unknown type name alias: ${t}`);
        }
        checks.push((v, p) =>
          types.some((t) => (JSON_TYPES[t] as (v: unknown) => boolean)(v)) ? [] : [`${p}: type ${JSON.stringify(arg)}`],
        );
        break;
      }
      case "required": {
        const fields = list(arg).map(String);
        checks.push((v, p) => {
          if (!isPlainDocument(v)) return [];
          return fields.filter((f) => !Object.hasOwn(v, f)).map((f) => `${p}: required field '${f}' is missing`);
        });
        break;
      }
      case "properties": {
        if (!isPlainDocument(arg)) throw new CommandError(2, "$jsonSchema keyword 'properties' must be an object");
        const props = Object.entries(arg).map(([name, sub]) => [name, compileJsonSchema(sub)] as const);
        checks.push((v, p) => {
          if (!isPlainDocument(v)) return [];
          const out: string[] = [];
          for (const [name, check] of props) if (Object.hasOwn(v, name)) out.push(...check(v[name], p ? `${p}.${name}` : name));
          return out;
        });
        break;
      }
      case "patternProperties": {
        if (!isPlainDocument(arg)) throw new CommandError(2, "$jsonSchema keyword 'patternProperties' must be an object");
        const pats = Object.entries(arg).map(([re, sub]) => [new RegExp(re), compileJsonSchema(sub)] as const);
        checks.push((v, p) => {
          if (!isPlainDocument(v)) return [];
          const out: string[] = [];
          for (const [name, value] of Object.entries(v)) {
            for (const [re, check] of pats) if (re.test(name)) out.push(...check(value, p ? `${p}.${name}` : name));
          }
          return out;
        });
        break;
      }
      case "additionalProperties": {
        const known = isPlainDocument(schema.properties) ? Object.keys(schema.properties) : [];
        const patterns = isPlainDocument(schema.patternProperties) ? Object.keys(schema.patternProperties).map((r) => new RegExp(r)) : [];
        const sub = typeof arg === "boolean" ? undefined : compileJsonSchema(arg);
        checks.push((v, p) => {
          if (!isPlainDocument(v)) return [];
          const extra = Object.keys(v).filter((k) => !known.includes(k) && !patterns.some((re) => re.test(k)));
          if (arg === false) return extra.map((k) => `${p}: additional property '${k}' is not allowed`);
          if (!sub) return [];
          return extra.flatMap((k) => sub(v[k], p ? `${p}.${k}` : k));
        });
        break;
      }
      case "minProperties":
      case "maxProperties": {
        const n = toNumber(arg);
        checks.push((v, p) => {
          if (!isPlainDocument(v)) return [];
          const count = Object.keys(v).length;
          const ok = keyword === "minProperties" ? count >= n : count <= n;
          return ok ? [] : [`${p}: ${keyword} ${n}`];
        });
        break;
      }
      case "enum": {
        if (!Array.isArray(arg) || arg.length === 0) throw new CommandError(2, "$jsonSchema keyword 'enum' must be a non-empty array");
        checks.push((v, p) => (arg.some((e) => bsonEquals(v, e)) ? [] : [`${p}: value is not one of the enum values`]));
        break;
      }
      case "minimum":
      case "maximum": {
        const bound = toNumber(arg);
        const exclusive = schema[keyword === "minimum" ? "exclusiveMinimum" : "exclusiveMaximum"] === true;
        checks.push((v, p) => {
          if (typeRank(v) !== TYPE_RANK.number) return [];
          const n = toNumber(v);
          const ok = keyword === "minimum" ? (exclusive ? n > bound : n >= bound) : exclusive ? n < bound : n <= bound;
          return ok ? [] : [`${p}: ${keyword} ${bound}`];
        });
        break;
      }
      case "exclusiveMinimum":
      case "exclusiveMaximum":
        break;
      case "multipleOf": {
        const m = toNumber(arg);
        checks.push((v, p) => (typeRank(v) !== TYPE_RANK.number || toNumber(v) % m === 0 ? [] : [`${p}: multipleOf ${m}`]));
        break;
      }
      case "minLength":
      case "maxLength": {
        const n = toNumber(arg);
        checks.push((v, p) => {
          if (typeof v !== "string") return [];
          const len = [...v].length;
          return (keyword === "minLength" ? len >= n : len <= n) ? [] : [`${p}: ${keyword} ${n}`];
        });
        break;
      }
      case "pattern": {
        const re = new RegExp(String(arg), "u");
        checks.push((v, p) => (typeof v !== "string" || re.test(v) ? [] : [`${p}: pattern ${String(arg)}`]));
        break;
      }
      case "items": {
        if (Array.isArray(arg)) {
          const subs = arg.map(compileJsonSchema);
          const additional = schema.additionalItems;
          const extra = additional === undefined || typeof additional === "boolean" ? undefined : compileJsonSchema(additional);
          checks.push((v, p) => {
            if (!Array.isArray(v)) return [];
            const out: string[] = [];
            v.forEach((el, i) => {
              const sub = subs[i];
              if (sub) out.push(...sub(el, `${p}.${i}`));
              else if (additional === false) out.push(`${p}: additionalItems not allowed`);
              else if (extra) out.push(...extra(el, `${p}.${i}`));
            });
            return out;
          });
        } else {
          const sub = compileJsonSchema(arg);
          checks.push((v, p) => (Array.isArray(v) ? v.flatMap((el, i) => sub(el, `${p}.${i}`)) : []));
        }
        break;
      }
      case "additionalItems":
        break;
      case "minItems":
      case "maxItems": {
        const n = toNumber(arg);
        checks.push((v, p) => {
          if (!Array.isArray(v)) return [];
          return (keyword === "minItems" ? v.length >= n : v.length <= n) ? [] : [`${p}: ${keyword} ${n}`];
        });
        break;
      }
      case "uniqueItems":
        checks.push((v, p) => {
          if (arg !== true || !Array.isArray(v)) return [];
          return new Set(v.map((x) => canonicalKey(x))).size === v.length ? [] : [`${p}: uniqueItems`];
        });
        break;
      case "allOf":
      case "anyOf":
      case "oneOf": {
        if (!Array.isArray(arg) || arg.length === 0)
          throw new CommandError(2, `$jsonSchema keyword '${keyword}' must be a non-empty array`);
        const subs = arg.map(compileJsonSchema);
        checks.push((v, p) => {
          const passing = subs.filter((s) => s(v, p).length === 0).length;
          const ok = keyword === "allOf" ? passing === subs.length : keyword === "anyOf" ? passing > 0 : passing === 1;
          return ok ? [] : [`${p}: ${keyword}`];
        });
        break;
      }
      case "not": {
        const sub = compileJsonSchema(arg);
        checks.push((v, p) => (sub(v, p).length === 0 ? [`${p}: not`] : []));
        break;
      }
      case "dependencies": {
        if (!isPlainDocument(arg)) throw new CommandError(2, "$jsonSchema keyword 'dependencies' must be an object");
        const deps = Object.entries(arg).map(
          ([name, dep]) => [name, Array.isArray(dep) ? dep.map(String) : compileJsonSchema(dep)] as const,
        );
        checks.push((v, p) => {
          if (!isPlainDocument(v)) return [];
          const out: string[] = [];
          for (const [name, dep] of deps) {
            if (!Object.hasOwn(v, name)) continue;
            if (Array.isArray(dep)) out.push(...dep.filter((f) => !Object.hasOwn(v, f)).map((f) => `${p}: '${name}' requires '${f}'`));
            else out.push(...(dep as SchemaCheck)(v, p));
          }
          return out;
        });
        break;
      }
      default:
        throw new CommandError(2, `Unknown $jsonSchema keyword: ${keyword}`);
    }
  }
  return (value, path) => checks.flatMap((c) => c(value, path));
}

/** `$jsonSchema` as the boolean predicate mingo's query operator expects. */
export function jsonSchemaPredicate(schema: unknown): (doc: Document) => boolean {
  const check = compileJsonSchema(schema);
  return (doc) => check(doc, "").length === 0;
}
