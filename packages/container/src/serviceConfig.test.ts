import { isCspmError, type ValidationError } from "@cspm/errors";
import { describe, expect, it } from "vitest";
import { cacheNoticeOf, loadConfigFromEnv, parseServiceConfig } from "./serviceConfig";

const KEY = Buffer.alloc(32, 7).toString("base64");

function validationIssues(fn: () => unknown): ValidationError["issues"] {
  try {
    fn();
  } catch (error) {
    if (isCspmError(error) && error.code === "VALIDATION_FAILED") return (error as ValidationError).issues;
    throw error;
  }
  throw new Error("expected VALIDATION_FAILED");
}

describe("loadConfigFromEnv", () => {
  it("builds a config with defaults from the documented variables", () => {
    const config = loadConfigFromEnv({
      MONGODB_URI: "mongodb://127.0.0.1:27017",
      CSPM_ENCRYPTION_KEYS: `k1:${KEY}`,
      CSPM_DB_PREFIX: "staging",
    });
    expect(config.mongodb).toEqual({
      uri: "mongodb://127.0.0.1:27017",
      prefix: "staging",
      serverSelectionTimeoutMS: 5000,
      appName: "cspm-data-layer",
      commandSpans: false,
    });
    expect(config.redis).toBeUndefined();
    expect(config.cache.defaultTtlSeconds).toBe(60);
    // A MONGODB_URI without REDIS_URL may be shared with other processes: no per-process cache by default.
    expect(config.cache.enabled).toBe(false);
  });

  it("turns the cache off with MONGODB_URI but no REDIS_URL, unless CSPM_CACHE decides; says why", () => {
    const base = { MONGODB_URI: "mongodb://127.0.0.1:27017", CSPM_ENCRYPTION_KEYS: `k1:${KEY}` };
    expect(loadConfigFromEnv(base).cache.enabled).toBe(false);
    expect(cacheNoticeOf(base)).toMatch(/cache off: MONGODB_URI is set without REDIS_URL/);
    expect(loadConfigFromEnv({ ...base, CSPM_CACHE: "on" }).cache.enabled).toBe(true);
    expect(cacheNoticeOf({ ...base, CSPM_CACHE: "on" })).toBeUndefined();
    const shared = { ...base, REDIS_URL: "redis://127.0.0.1:6379" };
    expect(loadConfigFromEnv(shared).cache.enabled).toBe(true);
    expect(cacheNoticeOf(shared)).toBeUndefined();
    expect(loadConfigFromEnv({ ...shared, CSPM_CACHE: "off" }).cache.enabled).toBe(false);
  });

  it("switches the cache off with CSPM_CACHE=off (on/off, true/false, 1/0) and refuses anything else", () => {
    const base = { MONGODB_URI: "mongodb://127.0.0.1:27017", CSPM_ENCRYPTION_KEYS: `k1:${KEY}` };
    for (const [text, enabled] of [
      ["off", false],
      ["0", false],
      ["false", false],
      ["on", true],
      ["1", true],
      ["true", true],
    ] as const) {
      expect(loadConfigFromEnv({ ...base, CSPM_CACHE: text }).cache.enabled, text).toBe(enabled);
    }
    const issues = validationIssues(() => loadConfigFromEnv({ ...base, CSPM_CACHE: "disabled" }));
    expect(issues).toEqual([{ path: "CSPM_CACHE", message: expect.stringContaining('"on" or "off"') }]);
    expect(parseServiceConfig({ mongodb: { uri: "mongodb://h" }, encryptionKeys: `k1:${KEY}`, cache: { enabled: false } }).cache).toEqual({
      enabled: false,
      defaultTtlSeconds: 60,
      maxEntries: 10_000,
    });
  });

  it("reads Redis and numeric settings from strings", () => {
    const config = loadConfigFromEnv({
      MONGODB_URI: "mongodb+srv://cluster.example.net",
      CSPM_ENCRYPTION_KEYS: `k1:${KEY}`,
      REDIS_URL: "redis://127.0.0.1:6379",
      CSPM_REDIS_TIMEOUT_MS: "300",
      CSPM_MONGO_TIMEOUT_MS: "2500",
    });
    expect(config.redis).toEqual({ url: "redis://127.0.0.1:6379", keyPrefix: "cspm:", commandTimeoutMs: 300 });
    expect(config.mongodb.serverSelectionTimeoutMS).toBe(2500);
  });

  it("lists every problem at once, named by environment variable, without echoing values", () => {
    const issues = validationIssues(() =>
      loadConfigFromEnv({
        REDIS_URL: "http://nope",
        CSPM_DB_PREFIX: "bad prefix!",
        CSPM_MONGO_TIMEOUT_MS: "-1",
        CSPM_CURSOR_SECRET: "short",
      }),
    );
    expect(issues.map((i) => i.path).sort()).toEqual(
      ["CSPM_CURSOR_SECRET", "CSPM_DB_PREFIX", "CSPM_ENCRYPTION_KEYS", "CSPM_MONGO_TIMEOUT_MS", "MONGODB_URI", "REDIS_URL"].sort(),
    );
    expect(JSON.stringify(issues)).not.toContain("short");
  });

  it("treats empty strings as unset", () => {
    const issues = validationIssues(() => loadConfigFromEnv({ MONGODB_URI: "", CSPM_ENCRYPTION_KEYS: " " }));
    expect(issues.map((i) => i.path).sort()).toEqual(["CSPM_ENCRYPTION_KEYS", "MONGODB_URI"]);
  });
});

describe("parseServiceConfig", () => {
  it("rejects unknown keys so typos do not pass silently", () => {
    const issues = validationIssues(() => parseServiceConfig({ mongodb: { uri: "mongodb://h", prefx: "x" }, encryptionKeys: `k1:${KEY}` }));
    expect(issues).toHaveLength(1);
    expect(issues[0]?.message).toMatch(/prefx/);
  });
});

describe("configuration messages", () => {
  it("a missing key ring or URI says which variable and what it needs", () => {
    let issues: { path: string; message: string }[] = [];
    try {
      loadConfigFromEnv({});
    } catch (error) {
      issues = (error as { issues: { path: string; message: string }[] }).issues;
    }
    expect(issues).toContainEqual({ path: "CSPM_ENCRYPTION_KEYS", message: expect.stringContaining("k1:<base64 of 32 bytes>") });
    expect(issues).toContainEqual({ path: "MONGODB_URI", message: "is required (MONGODB_URI)" });
    expect(JSON.stringify(issues)).not.toContain("received undefined");
  });
});
