import { isCspmError, ValidationError } from "@cspm/errors";
import { describe, expect, it } from "vitest";
import { isValidProviderAccountId, validateProviderAccountId } from "./cloudProvider";

function failure(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error("expected VALIDATION_FAILED");
}

describe("validateProviderAccountId", () => {
  it.each([
    ["aws", "123456789012"],
    ["aws", "000000000001"],
    ["azure", "9b2c1f0e-3a4d-4e5f-8a6b-7c8d9e0f1a2b"],
    ["gcp", "my-project-123"],
    ["gcp", "abcdef"],
    ["gcp", "a23456789012345678901234567890"],
    ["kubernetes", "prod-cluster"],
    ["kubernetes", "prod.eu-west-1.example.com"],
    ["kubernetes", "a"],
  ] as const)("accepts %s %s", (provider, id) => {
    expect(validateProviderAccountId(provider, id)).toBe(id);
    expect(isValidProviderAccountId(provider, id)).toBe(true);
  });

  it.each([
    ["aws", "12345678901"],
    ["aws", "1234567890123"],
    ["aws", "12345678901a"],
    ["aws", "arn:aws:iam::123456789012:root"],
    ["azure", "9b2c1f0e3a4d4e5f8a6b7c8d9e0f1a2b"],
    ["azure", "9b2c1f0e-3a4d-4e5f-8a6b-7c8d9e0f1a2"],
    ["azure", "zzzzzzzz-3a4d-4e5f-8a6b-7c8d9e0f1a2b"],
    ["gcp", "1project"],
    ["gcp", "abcde"],
    ["gcp", "my-project-"],
    ["gcp", "My-Project"],
    ["gcp", "a234567890123456789012345678901"],
    ["kubernetes", "Prod"],
    ["kubernetes", "-prod"],
    ["kubernetes", "prod-"],
    ["kubernetes", "prod_cluster"],
    ["kubernetes", `${"a".repeat(64)}.example.com`],
    ["kubernetes", `${`${"a".repeat(63)}.`.repeat(4)}a`],
    ["kubernetes", ""],
  ] as const)("rejects %s %j with VALIDATION_FAILED on account_id", (provider, id) => {
    const error = failure(() => validateProviderAccountId(provider, id));
    expect(isCspmError(error) && error.code).toBe("VALIDATION_FAILED");
    expect(error.issues[0]?.path).toBe("account_id");
    expect(isValidProviderAccountId(provider, id)).toBe(false);
  });

  it("canonicalises Azure GUIDs to lowercase and trims whitespace", () => {
    expect(validateProviderAccountId("azure", " 9B2C1F0E-3A4D-4E5F-8A6B-7C8D9E0F1A2B ")).toBe("9b2c1f0e-3a4d-4e5f-8a6b-7c8d9e0f1a2b");
    expect(isValidProviderAccountId("azure", "9B2C1F0E-3A4D-4E5F-8A6B-7C8D9E0F1A2B")).toBe(false);
  });

  it("rejects an unknown provider on path provider and non-string ids", () => {
    expect(failure(() => validateProviderAccountId("oracle", "123456789012")).issues[0]?.path).toBe("provider");
    expect(failure(() => validateProviderAccountId("aws", 123456789012)).issues[0]?.path).toBe("account_id");
    expect(failure(() => validateProviderAccountId("aws", { $ne: null })).issues[0]?.path).toBe("account_id");
    expect(isValidProviderAccountId("oracle", "123456789012")).toBe(false);
  });
});
