import { isCspmError, ValidationError } from "@cspm/errors";
import { Code, ObjectId } from "mongodb";
import { describe, expect, it } from "vitest";
import { assertSafeExpression, MAX_FILTER_STRING_LENGTH, sanitizeFilter, storedDataIssues } from "./sanitizeFilter";
import { isTrustedFilter, trustedFilter } from "./trustedFilter";

function validationPath(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    expect(isCspmError(error) && error.code).toBe("VALIDATION_FAILED");
    return (error as ValidationError).issues[0]?.path ?? "<none>";
  }
  throw new Error("expected VALIDATION_FAILED");
}

describe("sanitizeFilter", () => {
  it("keeps plain equality on primitives, dates and ObjectIds", () => {
    const id = new ObjectId();
    const at = new Date("2024-01-01T00:00:00Z");
    expect(sanitizeFilter({ status: "FAIL", muted: false, count: 3, region: null, last_seen_at: at, scan_id: id })).toEqual({
      status: "FAIL",
      muted: false,
      count: 3,
      region: null,
      last_seen_at: at,
      scan_id: id,
    });
  });

  it("turns arrays into $in and drops undefined values", () => {
    expect(sanitizeFilter({ severity: ["high", "critical"], region: undefined })).toEqual({ severity: { $in: ["high", "critical"] } });
  });

  it("returns an empty filter for null and undefined", () => {
    expect(sanitizeFilter(undefined)).toEqual({});
    expect(sanitizeFilter(null)).toEqual({});
  });

  it.each([
    ["operator value {$ne: null}", { status: { $ne: null } }, "status"],
    ["operator value from JSON", JSON.parse('{"email": {"$gt": ""}}'), "email"],
    ["$where key", { $where: "sleep(1000)" }, "$where"],
    ["$or key", { $or: [{ a: 1 }] }, "$or"],
    ["$nor smuggling", JSON.parse('{"$nor": [{"team_id": "x"}]}'), "$nor"],
    ["$expr smuggling", JSON.parse('{"$expr": {"$eq": [1, 1]}}'), "$expr"],
    ["dotted key", { "credentials.secret": "x" }, "credentials.secret"],
    ["__proto__ key from JSON", JSON.parse('{"__proto__": {"admin": true}}'), "__proto__"],
    ["constructor key", JSON.parse('{"constructor": {"prototype": {"x": 1}}}'), "constructor"],
    ["prototype key", { prototype: 1 }, "prototype"],
    ["nested object", { tags: { env: "prod" } }, "tags"],
    ["operator inside array", { status: [{ $ne: null }] }, "status.0"],
    ["regex value", { name: /.*/ }, "name"],
    ["NaN", { score: Number.NaN }, "score"],
    ["function value", { name: () => 1 }, "name"],
    ["invalid field name", { "bad name": 1 }, "bad name"],
  ])("rejects %s", (_label, input, path) => {
    expect(validationPath(() => sanitizeFilter(input))).toBe(path);
  });

  it("rejects non-objects and class instances at the root", () => {
    expect(validationPath(() => sanitizeFilter("status=FAIL"))).toBe("");
    expect(validationPath(() => sanitizeFilter([{ a: 1 }]))).toBe("");
    expect(validationPath(() => sanitizeFilter(new Date()))).toBe("");
  });

  it("rejects huge strings and long lists", () => {
    expect(validationPath(() => sanitizeFilter({ name: "x".repeat(MAX_FILTER_STRING_LENGTH + 1) }))).toBe("name");
    expect(sanitizeFilter({ name: "x".repeat(MAX_FILTER_STRING_LENGTH) }).name).toHaveLength(MAX_FILTER_STRING_LENGTH);
    expect(validationPath(() => sanitizeFilter({ ids: Array.from({ length: 1001 }, (_, i) => i) }))).toBe("ids");
  });

  it("restricts fields to allowedFields", () => {
    expect(sanitizeFilter({ status: "FAIL" }, { allowedFields: ["status"] })).toEqual({ status: "FAIL" });
    expect(validationPath(() => sanitizeFilter({ password_hash: "x" }, { allowedFields: ["status"] }))).toBe("password_hash");
  });

  it("never returns the caller's object (later mutation cannot widen the filter)", () => {
    const input = { status: "FAIL" };
    const clean = sanitizeFilter(input);
    expect(clean).not.toBe(input);
  });
});

describe("trustedFilter and assertSafeExpression", () => {
  it("allows operators written in code and brands them", () => {
    const filter = trustedFilter({ last_seen_at: { $gte: new Date() }, $or: [{ status: "FAIL" }, { muted: true }] });
    expect(isTrustedFilter(filter)).toBe(true);
    expect(isTrustedFilter({ filter: {} })).toBe(false);
    expect(isTrustedFilter(JSON.parse('{"filter": {}}'))).toBe(false);
  });

  it.each([
    ["$where at the top", { $where: "this.a == 1" }, "$where"],
    ["$where deep in $or", { $or: [{ a: 1 }, { $and: [{ $where: "1" }] }] }, "$or.1.$and.0.$where"],
    ["$function in $expr", { $expr: { $function: { body: "function(){}", args: [], lang: "js" } } }, "$expr.$function"],
    ["$accumulator", { $expr: { $accumulator: {} } }, "$expr.$accumulator"],
    ["__proto__ key", JSON.parse('{"a": {"__proto__": {"x": 1}}}'), "a.__proto__"],
    ["Code value", { a: new Code("function() { return 1 }") }, "a"],
  ])("refuses %s", (_label, filter, path) => {
    expect(validationPath(() => trustedFilter(filter))).toBe(path);
  });

  it("bounds nesting depth", () => {
    let deep: Record<string, unknown> = { a: 1 };
    for (let i = 0; i < 40; i++) deep = { $and: [deep] };
    expect(() => assertSafeExpression(deep)).toThrow(ValidationError);
    let ok: Record<string, unknown> = { a: 1 };
    for (let i = 0; i < 5; i++) ok = { $and: [ok] };
    expect(() => assertSafeExpression(ok)).not.toThrow();
  });
});

describe("storedDataIssues", () => {
  it("finds unsafe keys at any depth and accepts safe data", () => {
    expect(storedDataIssues({ a: { b: [{ c: 1 }] }, d: new Date(), e: new ObjectId() })).toEqual([]);
    expect(storedDataIssues({ a: { $set: 1 } })).toEqual([{ path: "a.$set", message: "keys must not start with '$'" }]);
    expect(storedDataIssues({ a: [{ "x.y": 1 }] })).toEqual([{ path: "a.0.x.y", message: "keys must not contain '.'" }]);
    expect(storedDataIssues(JSON.parse('{"a": {"__proto__": 1}}'))[0]?.path).toBe("a.__proto__");
  });
});

describe("sanitizeFilter and look-alike BSON values", () => {
  it("refuses a plain object that only claims to be an ObjectId", () => {
    const fake = JSON.parse('{"_id": {"_bsontype": "ObjectId", "id": "x"}}') as Record<string, unknown>;
    expect(() => sanitizeFilter(fake)).toThrow(expect.objectContaining({ code: "VALIDATION_FAILED" }));
  });
});
