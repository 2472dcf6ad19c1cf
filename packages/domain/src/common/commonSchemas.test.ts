import { CredentialCipher, formatEnvelope, generateKey } from "@cspm/crypto";
import { describe, expect, it } from "vitest";
import { EncryptedEnvelopeSchema } from "./encryptedEnvelopeSchema";
import { FreeFormObjectSchema, FreeFormValueSchema } from "./freeFormObjectSchema";
import { NonSecretConfigSchema } from "./nonSecretConfigSchema";
import { ResourceTagsSchema, tagsFromMap } from "./resourceTagSchema";

const cipher = new CredentialCipher([{ id: "k1", key: generateKey() }]);

describe("EncryptedEnvelopeSchema", () => {
  it("accepts what @cspm/crypto writes, as object and compact string", () => {
    const envelope = cipher.encryptJson({ access_key_id: "AKIA…", secret_access_key: "s3cr3t" });
    expect(EncryptedEnvelopeSchema.safeParse(envelope).success).toBe(true);
    expect(EncryptedEnvelopeSchema.safeParse(formatEnvelope(envelope)).success).toBe(true);
  });

  it("rejects plaintext credentials, extra fields and malformed parts", () => {
    const envelope = cipher.encrypt("secret");
    expect(EncryptedEnvelopeSchema.safeParse({ access_key_id: "AKIA", secret_access_key: "s3cr3t" }).success).toBe(false);
    expect(EncryptedEnvelopeSchema.safeParse("my-plaintext-password").success).toBe(false);
    expect(EncryptedEnvelopeSchema.safeParse({ ...envelope, plaintext: "secret" }).success).toBe(false);
    expect(EncryptedEnvelopeSchema.safeParse({ ...envelope, v: 2 }).success).toBe(false);
    expect(EncryptedEnvelopeSchema.safeParse({ ...envelope, iv: Buffer.alloc(8).toString("base64url") }).success).toBe(false);
    expect(EncryptedEnvelopeSchema.safeParse({ ...envelope, tag: "not base64!" }).success).toBe(false);
    expect(EncryptedEnvelopeSchema.safeParse({ ...envelope, ct: "" }).success).toBe(false);
  });
});

describe("FreeFormObjectSchema", () => {
  it("accepts plain nested data with dates", () => {
    expect(FreeFormObjectSchema.safeParse({ a: 1, b: [{ c: "x", d: new Date() }], e: null }).success).toBe(true);
  });

  it.each([
    [{ $where: "1" }, "$where"],
    [{ nested: { "a.b": 1 } }, "nested.a.b"],
    [{ list: [{ $gt: 1 }] }, "list.0.$gt"],
    [JSON.parse('{"__proto__": {"polluted": true}}') as Record<string, unknown>, "__proto__"],
    [{ constructor: 1 }, "constructor"],
  ])("rejects unsafe key in %j at %s", (value, path) => {
    const result = FreeFormObjectSchema.safeParse(value);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join("."))).toContain(path);
  });

  it("rejects class instances and excessive depth; FreeFormValueSchema requires a value", () => {
    expect(FreeFormObjectSchema.safeParse({ m: new Map() }).success).toBe(false);
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 20; i += 1) deep = { d: deep };
    expect(FreeFormObjectSchema.safeParse(deep).success).toBe(false);
    expect(FreeFormValueSchema.safeParse(["us-east-1"]).success).toBe(true);
    expect(FreeFormValueSchema.safeParse(undefined).success).toBe(false);
    expect(FreeFormValueSchema.safeParse({ $set: 1 }).success).toBe(false);
  });
});

describe("NonSecretConfigSchema", () => {
  it("accepts plain settings", () => {
    expect(NonSecretConfigSchema.safeParse({ base_url: "https://jira.example.com", project_key: "SEC", auth_type: "basic" }).success).toBe(
      true,
    );
  });

  it.each([
    { api_token: "x" },
    { password: "x" },
    { nested: { client_secret: "x" } },
    { API_KEY: "x" },
    { webhook_url: "https://hooks.slack.com/x" },
  ])("rejects secret-looking key in %j", (config) => {
    expect(NonSecretConfigSchema.safeParse(config).success).toBe(false);
  });
});

describe("ResourceTagsSchema", () => {
  it("stores provider maps as sorted pairs, keys with dots allowed", () => {
    const tags = tagsFromMap({ "app.kubernetes.io/name": "api", env: "prod" });
    expect(tags).toEqual([
      { key: "app.kubernetes.io/name", value: "api" },
      { key: "env", value: "prod" },
    ]);
    expect(ResourceTagsSchema.safeParse(tags).success).toBe(true);
  });

  it("rejects duplicate keys and non-pair entries", () => {
    expect(
      ResourceTagsSchema.safeParse([
        { key: "env", value: "a" },
        { key: "env", value: "b" },
      ]).success,
    ).toBe(false);
    expect(ResourceTagsSchema.safeParse(["env:prod"]).success).toBe(false);
  });
});
