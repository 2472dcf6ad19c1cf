import { isCspmError } from "@cspm/errors";
import { describe, expect, it } from "vitest";
import { DATABASES, DatabaseRegistry, LEGACY_COLLECTIONS } from "./index";

const EXPECTED = {
  PLATFORM: ["cspm_platform", "core"],
  CLOUD_SECURITY: ["cspm_cloud_security", "cloud_security"],
  SECURITY_SCANS: ["cspm_native_scans", "native_scans"],
  ORCHESTRATION: ["cspm_orchestration", "orchestration"],
  VULNERABILITIES: ["cspm_vulnerabilities", "vulnerabilities"],
  AI_GOVERNANCE: ["cspm_ai_governance", "ai_governance"],
  ASSESSMENTS: ["cspm_assessments", "assessments"],
  RISK_MANAGEMENT: ["cspm_risk_management", "risk_management"],
  COMPLIANCE: ["cspm_compliance", "compliance"],
  INVENTORY: ["cspm_inventory", "inventory"],
  REMEDIATION: ["cspm_remediation", "remediation"],
  REPORTING: ["cspm_reporting", "reporting"],
  NOTIFICATIONS: ["cspm_notifications", "notifications"],
  INTEGRATIONS: ["cspm_integrations", "integrations"],
} as const;

function thrown(fn: () => unknown): { code: string; message: string; details: unknown } {
  try {
    fn();
  } catch (error) {
    if (!isCspmError(error)) throw error;
    return { code: error.code, message: error.message, details: error.details };
  }
  throw new Error("expected a throw");
}

describe("DatabaseRegistry", () => {
  it("declares exactly the 14 databases with their constants, names and aliases", () => {
    expect(DatabaseRegistry.keys()).toEqual(Object.keys(EXPECTED));
    for (const [key, [name, alias]] of Object.entries(EXPECTED)) {
      expect(DatabaseRegistry[key as keyof typeof EXPECTED]).toBe(name);
      expect(DatabaseRegistry.resolve(alias).key).toBe(key);
      expect(DatabaseRegistry.resolve(name).key).toBe(key);
      expect(DatabaseRegistry.resolve(key).purpose.length).toBeGreaterThan(10);
    }
  });

  it("keeps every name, alias and collection unique", () => {
    const refs = DATABASES.flatMap((d) => [d.key, d.alias, d.name]);
    expect(new Set(refs).size).toBe(refs.length);
    const collections = DATABASES.flatMap((d) => d.collections.map((c) => c.name));
    expect(new Set(collections).size).toBe(collections.length);
    for (const database of DATABASES) {
      for (const collection of database.collections) {
        expect(DatabaseRegistry.ownerOf(collection.name).key).toBe(database.key);
        const indexNames = collection.indexes.map((i) => i.name);
        expect(new Set(indexNames).size).toBe(indexNames.length);
      }
    }
  });

  it("leads every index of a tenant-owned collection with team_id (except TTL and global-key ones)", () => {
    for (const database of DATABASES) {
      for (const collection of database.collections.filter((c) => c.tenantOwned)) {
        for (const index of collection.indexes) {
          const first = Object.keys(index.key)[0];
          const exempt = index.expireAfterSeconds !== undefined || index.name === "token_hash_unique" || index.name === "key_hash_unique";
          if (!exempt) expect(first, `${database.key}.${collection.name}.${index.name}`).toBe("team_id");
        }
      }
    }
  });

  it("places the platform's named collections where the architecture says", () => {
    expect(DatabaseRegistry.ownerOf("enhanced_cloud_accounts").key).toBe("CLOUD_SECURITY");
    expect(DatabaseRegistry.ownerOf("prowler_findings").key).toBe("CLOUD_SECURITY");
    expect(DatabaseRegistry.ownerOf("scan_runs").key).toBe("ORCHESTRATION");
    expect(DatabaseRegistry.ownerOf("global_assessments").key).toBe("ASSESSMENTS");
    expect(DatabaseRegistry.getCollection("core", "audit_logs").tenantOwned).toBe(true);
    expect(DatabaseRegistry.getCollection("COMPLIANCE", "frameworks").tenantOwned).toBe(false);
  });

  it("resolves prefixed names for environments and test isolation", () => {
    expect(DatabaseRegistry.databaseName("PLATFORM")).toBe("cspm_platform");
    expect(DatabaseRegistry.databaseName("core", "test_42")).toBe("test_42_cspm_platform");
    expect(DatabaseRegistry.databaseName("cloud_security", "test_42_")).toBe("test_42_cspm_cloud_security");
    expect(thrown(() => DatabaseRegistry.databaseName("core", "a.b")).code).toBe("VALIDATION_FAILED");
    expect(thrown(() => DatabaseRegistry.databaseName("core", "x".repeat(60))).message).toMatch(/63 bytes/);
  });

  it("refuses unknown databases with the list of valid ones", () => {
    const error = thrown(() => DatabaseRegistry.resolve("cspm_nope"));
    expect(error.code).toBe("VALIDATION_FAILED");
    expect(error.message).toContain("PLATFORM (core, cspm_platform)");
    expect(DatabaseRegistry.has("nope")).toBe(false);
    expect(DatabaseRegistry.has("native_scans")).toBe(true);
  });

  it("refuses legacy cloud_accounts and points to enhanced_cloud_accounts", () => {
    expect(LEGACY_COLLECTIONS.map((l) => l.name)).toContain("cloud_accounts");
    for (const fn of [
      () => DatabaseRegistry.ownerOf("cloud_accounts"),
      () => DatabaseRegistry.getCollection("CLOUD_SECURITY", "cloud_accounts"),
    ]) {
      const error = thrown(fn);
      expect(error.code).toBe("CONTRACT_VIOLATION");
      expect(error.message).toContain("enhanced_cloud_accounts");
    }
  });

  it("refuses a collection in a database that does not own it, naming the owner", () => {
    const error = thrown(() => DatabaseRegistry.getCollection("ORCHESTRATION", "prowler_findings"));
    expect(error.code).toBe("VALIDATION_FAILED");
    expect(error.message).toContain("CLOUD_SECURITY");
    expect(thrown(() => DatabaseRegistry.getCollection("ORCHESTRATION", "nope")).message).toContain("scan_runs");
    expect(DatabaseRegistry.owns("ORCHESTRATION", "jobs")).toBe(true);
    expect(DatabaseRegistry.owns("ORCHESTRATION", "prowler_findings")).toBe(false);
  });

  it("is frozen", () => {
    expect(Object.isFrozen(DatabaseRegistry)).toBe(true);
  });
});
