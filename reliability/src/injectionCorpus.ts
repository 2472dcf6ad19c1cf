/**
 * The injection corpus: hostile values an API client can send, each built fresh on demand so no test
 * can mutate a shared one. `__proto__` / `constructor` payloads are built with `JSON.parse`, which
 * creates real own keys (an object literal would set the prototype instead).
 */

/** What JavaScript type a payload is, so a slot can tell whether it could ever be a legitimate value. */
export type PayloadShape = "object" | "array" | "string" | "number" | "boolean" | "null";

/** Families of attack the corpus covers. */
export type PayloadCategory = "operator" | "code" | "key" | "pollution" | "bson" | "oversize" | "depth" | "type" | "unicode" | "nul";

/** One hostile value. */
export interface InjectionPayload {
  readonly id: string;
  readonly category: PayloadCategory;
  readonly shape: PayloadShape;
  /** A fresh copy of the value. */
  make(): unknown;
}

const MB = 1 << 20;

function nest(depth: number, leaf: unknown, wrap: (inner: unknown) => unknown): unknown {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = wrap(value);
  return value;
}

function manyKeys(count: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 0; i < count; i++) out[`k${i}`] = i;
  return out;
}

const json = (text: string) => (): unknown => JSON.parse(text) as unknown;
const value =
  <T>(v: T) =>
  (): T =>
    typeof v === "object" && v !== null ? (structuredClone(v) as T) : v;

/** The corpus. Every entry must be refused with `VALIDATION_FAILED` by every input slot it is sent to. */
export const INJECTION_PAYLOADS: readonly InjectionPayload[] = [
  // Operator injection: a value that would become a query operator if it reached a filter unchecked.
  { id: "op-ne-null", category: "operator", shape: "object", make: json('{"$ne": null}') },
  { id: "op-gt-empty", category: "operator", shape: "object", make: json('{"$gt": ""}') },
  { id: "op-regex-any", category: "operator", shape: "object", make: json('{"$regex": ".*", "$options": "s"}') },
  { id: "op-in", category: "operator", shape: "object", make: json('{"$in": ["team_a", "team_b"]}') },
  { id: "op-nin-empty", category: "operator", shape: "object", make: json('{"$nin": []}') },
  { id: "op-exists", category: "operator", shape: "object", make: json('{"$exists": true}') },
  { id: "op-or-widen", category: "operator", shape: "object", make: json('{"$or": [{}, {"team_id": {"$ne": null}}]}') },
  { id: "op-elem-match", category: "operator", shape: "object", make: json('{"$elemMatch": {"$ne": null}}') },
  { id: "op-type", category: "operator", shape: "object", make: json('{"$type": "string"}') },
  { id: "field-with-operator", category: "operator", shape: "object", make: json('{"name": {"$ne": null}, "team_id": {"$gt": ""}}') },
  // Server-side code execution and expressions.
  { id: "code-where-sleep", category: "code", shape: "object", make: json('{"$where": "sleep(5000) || true"}') },
  {
    id: "code-where-function",
    category: "code",
    shape: "object",
    make: json('{"$where": "function () { return this.team_id != null; }"}'),
  },
  {
    id: "code-expr-function",
    category: "code",
    shape: "object",
    make: json('{"$expr": {"$function": {"body": "function () { return true; }", "args": [], "lang": "js"}}}'),
  },
  {
    id: "code-function",
    category: "code",
    shape: "object",
    make: json('{"$function": {"body": "function () { return 1; }", "args": [], "lang": "js"}}'),
  },
  {
    id: "code-accumulator",
    category: "code",
    shape: "object",
    make: json(
      '{"$accumulator": {"init": "function () { return 0; }", "accumulate": "function (s) { return s; }", "accumulateArgs": [], "merge": "function (a) { return a; }", "lang": "js"}}',
    ),
  },
  { id: "code-expr-true", category: "code", shape: "object", make: json('{"$expr": {"$eq": [1, 1]}}') },
  { id: "code-expr-field", category: "code", shape: "object", make: json('{"$expr": {"$gt": ["$team_id", null]}}') },
  { id: "code-json-schema", category: "code", shape: "object", make: json('{"$jsonSchema": {}}') },
  // Keys that address other fields, other tenants or update operators.
  { id: "key-dotted", category: "key", shape: "object", make: json('{"team_id.x": "a", "credentials.secret": "b"}') },
  { id: "key-dollar-set", category: "key", shape: "object", make: json('{"$set": {"team_id": "team_other"}}') },
  { id: "key-dollar-unset", category: "key", shape: "object", make: json('{"$unset": {"team_id": ""}}') },
  { id: "key-dollar-plain", category: "key", shape: "object", make: json('{"$name": "x"}') },
  { id: "key-team-override", category: "key", shape: "object", make: json('{"team_id": "team_other"}') },
  { id: "key-nul", category: "key", shape: "object", make: json('{"na\\u0000me": "x"}') },
  { id: "key-fullwidth-dollar", category: "unicode", shape: "object", make: json('{"\\uff04where": "1"}') },
  // Prototype pollution with real own keys.
  { id: "proto-own-key", category: "pollution", shape: "object", make: json('{"__proto__": {"polluted": "yes"}}') },
  {
    id: "constructor-prototype",
    category: "pollution",
    shape: "object",
    make: json('{"constructor": {"prototype": {"polluted": "yes"}}}'),
  },
  { id: "prototype-key", category: "pollution", shape: "object", make: json('{"prototype": {"polluted": "yes"}}') },
  { id: "proto-nested", category: "pollution", shape: "object", make: json('{"name": {"__proto__": {"polluted": "yes"}}}') },
  { id: "proto-in-array", category: "pollution", shape: "array", make: json('[{"__proto__": {"polluted": "yes"}}]') },
  // BSON type confusion: JSON that imitates driver types.
  { id: "bson-fake-objectid", category: "bson", shape: "object", make: json('{"_bsontype": "ObjectId", "id": "aaaaaaaaaaaa"}') },
  { id: "bson-fake-code", category: "bson", shape: "object", make: json('{"_bsontype": "Code", "code": "function () { return true; }"}') },
  { id: "bson-extended-json", category: "bson", shape: "object", make: json('{"$oid": "5f2b6c1e9d3a4b0012345678"}') },
  // Oversize.
  { id: "huge-string-1mb", category: "oversize", shape: "string", make: () => "A".repeat(MB) },
  { id: "huge-dollar-string-1mb", category: "oversize", shape: "string", make: () => `$${"where".repeat(MB / 5)}` },
  { id: "huge-array-100k", category: "oversize", shape: "array", make: () => Array.from({ length: 100_000 }, () => "x") },
  { id: "huge-object-10k-keys", category: "oversize", shape: "object", make: () => manyKeys(10_000) },
  // Depth.
  { id: "deep-object-200", category: "depth", shape: "object", make: () => nest(200, "x", (inner) => ({ a: inner })) },
  { id: "deep-array-200", category: "depth", shape: "array", make: () => nest(200, "x", (inner) => [inner]) },
  { id: "deep-and-200", category: "depth", shape: "object", make: () => nest(200, { team_id: "x" }, (inner) => ({ $and: [inner] })) },
  // Wrong types where strings are expected (and strings where objects are).
  { id: "type-string-array", category: "type", shape: "array", make: value(["team_a", "team_b"]) },
  { id: "type-empty-array", category: "type", shape: "array", make: value([]) },
  { id: "type-number", category: "type", shape: "number", make: value(42) },
  { id: "type-negative-float", category: "type", shape: "number", make: value(-1.5) },
  { id: "type-nan", category: "type", shape: "number", make: value(Number.NaN) },
  { id: "type-infinity", category: "type", shape: "number", make: value(Number.POSITIVE_INFINITY) },
  { id: "type-boolean", category: "type", shape: "boolean", make: value(true) },
  { id: "type-null", category: "type", shape: "null", make: value(null) },
  { id: "type-json-text", category: "type", shape: "string", make: value('{"$ne": null}') },
  { id: "type-js-text", category: "type", shape: "string", make: value("'; return true; var x='") },
  { id: "type-path-traversal", category: "type", shape: "string", make: value("../../../etc/passwd") },
  // Unicode tricks.
  { id: "unicode-fullwidth-dollar", category: "unicode", shape: "string", make: value("\uff04ne") },
  { id: "unicode-rtl-override", category: "unicode", shape: "string", make: value("team\u202eadmin") },
  { id: "unicode-homoglyph", category: "unicode", shape: "string", make: value("t\u0435am_a") },
  { id: "unicode-zero-width", category: "unicode", shape: "string", make: value("team\u200b_a") },
  { id: "unicode-lone-surrogate", category: "unicode", shape: "string", make: value("\ud800abc") },
  {
    id: "unicode-fullwidth-digits",
    category: "unicode",
    shape: "string",
    make: value("\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19\uff10\uff11\uff12"),
  },
  // NUL bytes.
  { id: "nul-in-string", category: "nul", shape: "string", make: value("team_a\u0000") },
  { id: "nul-in-hex-id", category: "nul", shape: "string", make: value("5f2b6c1e9d3a4b00123456\u00007") },
];

/** True for a plain object (not an array, not null). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * A copy of `base` with every own key of `extra` added as an own data property (so `__proto__` stays a
 * key instead of replacing the prototype).
 */
export function withOwnKeys(base: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const key of Object.keys(extra)) {
    Object.defineProperty(out, key, { value: extra[key], enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** A snapshot of `Object.prototype`'s own keys, to prove nothing was added to it. */
export function prototypeSnapshot(): string {
  return [Object.prototype, Array.prototype, Function.prototype]
    .map((proto) => Reflect.ownKeys(proto).map(String).sort().join(","))
    .join("|");
}

/** True when a fresh object shows a property it should not have (`polluted`). */
export function prototypePolluted(): boolean {
  const probe: Record<string, unknown> = {};
  return "polluted" in probe || (Array.prototype as unknown as Record<string, unknown>)["polluted"] !== undefined;
}
