import { isCspmError, ValidationError } from "@cspm/errors";
import { describe, expect, it } from "vitest";
import { escapeCacheKeyPart, globalCacheKey, tenantCacheKey, tenantCacheTag } from "./index";

function validationIssues(fn: () => unknown): readonly { path: string; message: string }[] {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    expect(isCspmError(error) && error.code).toBe("VALIDATION_FAILED");
    return (error as ValidationError).issues;
  }
  throw new Error("expected a ValidationError");
}

describe("tenantCacheKey", () => {
  it("builds cspm:t:<teamId>:<parts>", () => {
    expect(tenantCacheKey("team-1", "accounts", 42)).toBe("cspm:t:team-1:accounts:42");
  });

  it("escapes separators so a part cannot pose as another tenant's key", () => {
    // Without escaping, team "a" with parts ["b:c"] and team "a:b" with ["c"] would both be cspm:t:a:b:c.
    const one = tenantCacheKey("a", "b:c");
    const two = tenantCacheKey("a:b", "c");
    const three = tenantCacheKey("a", "b", "c");
    expect(new Set([one, two, three]).size).toBe(3);
    expect(one).toBe("cspm:t:a:b%3Ac");
    expect(two).toBe("cspm:t:a%3Ab:c");
    // An already-escaped-looking part stays distinct from the escaped form of ":".
    expect(tenantCacheKey("a", "b%3Ac")).not.toBe(one);
  });

  it("escapes braces so Redis Cluster hashes the whole key", () => {
    expect(tenantCacheKey("t", "{slot}")).toBe("cspm:t:t:%7Bslot%7D");
    expect(escapeCacheKeyPart("50%:{x}")).toBe("50%25%3A%7Bx%7D");
  });

  it("rejects an empty or blank teamId, no parts, and non-finite parts, listing every issue", () => {
    expect(validationIssues(() => tenantCacheKey("", "x")).map((i) => i.path)).toEqual(["teamId"]);
    expect(validationIssues(() => tenantCacheKey("   ", "x")).map((i) => i.path)).toEqual(["teamId"]);
    expect(validationIssues(() => tenantCacheKey("t")).map((i) => i.path)).toEqual(["parts"]);
    const issues = validationIssues(() => tenantCacheKey(undefined as unknown as string, Number.NaN, {} as unknown as string));
    expect(issues.map((i) => i.path)).toEqual(["teamId", "parts.0", "parts.1"]);
  });
});

describe("tenantCacheTag and globalCacheKey", () => {
  it("a tenant tag without parts covers the tenant; with parts it narrows", () => {
    expect(tenantCacheTag("team-1")).toBe("cspm:t:team-1");
    expect(tenantCacheTag("team-1", "accounts")).toBe("cspm:t:team-1:accounts");
    expect(validationIssues(() => tenantCacheTag("")).map((i) => i.path)).toEqual(["teamId"]);
  });

  it("global keys live outside every tenant's namespace", () => {
    expect(globalCacheKey("rules", "v1")).toBe("cspm:g:rules:v1");
    expect(globalCacheKey("t", "x")).not.toBe(tenantCacheKey("x", "y"));
    expect(validationIssues(() => globalCacheKey()).map((i) => i.path)).toEqual(["parts"]);
  });
});
