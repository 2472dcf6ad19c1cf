import { PERMISSIONS } from "@cspm/domain";
import { isCspmError } from "@cspm/errors";
import { parseTeamId } from "@cspm/repository";
import { describe, expect, it } from "vitest";
import { authorize, hasPermission, requirePermission, systemActor } from "./actor";
import { auditDigest } from "./auditDigest";
import { assertCanGrant } from "./roleCatalog";
import { BUILT_IN_ROLES } from "./roles";

const TEAM = parseTeamId("team-a");

function thrown(fn: () => void): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe("roles and permissions", () => {
  it("built-in roles are nested permission sets: viewer ⊂ analyst ⊂ admin = owner = all", () => {
    expect(new Set(BUILT_IN_ROLES.owner)).toEqual(new Set(PERMISSIONS));
    expect(new Set(BUILT_IN_ROLES.admin)).toEqual(new Set(PERMISSIONS));
    expect(BUILT_IN_ROLES.viewer).toEqual(["read"]);
    for (const p of BUILT_IN_ROLES.viewer) expect(BUILT_IN_ROLES.analyst).toContain(p);
    expect(BUILT_IN_ROLES.analyst).not.toContain("manage_accounts");
    expect(BUILT_IN_ROLES.analyst).not.toContain("read_metrics");
  });

  it("requirePermission throws FORBIDDEN PERMISSION_DENIED naming the permission, authorize also checks the team", () => {
    const viewer = systemActor(TEAM, "t", "viewer");
    expect(hasPermission(viewer, "read")).toBe(true);
    expect(() => requirePermission(viewer, "read")).not.toThrow();
    const denied = thrown(() => requirePermission(viewer, "manage_accounts"));
    expect(isCspmError(denied) && denied.code).toBe("FORBIDDEN");
    expect(isCspmError(denied) && denied.details).toEqual({ permission: "manage_accounts", role: "viewer", reason: "PERMISSION_DENIED" });
    const other = thrown(() => authorize(systemActor(TEAM, "t"), "team-b", "read"));
    expect(isCspmError(other) && other.reason).toBe("TEAM_MISMATCH");
  });

  it("nobody grants what they lack; only owners grant owner", () => {
    const admin = { ...systemActor(TEAM, "t", "admin") };
    const analyst = systemActor(TEAM, "t", "analyst");
    expect(() => assertCanGrant(admin, "admin", BUILT_IN_ROLES.admin)).not.toThrow();
    expect((thrown(() => assertCanGrant(admin, "owner", BUILT_IN_ROLES.owner)) as { reason?: string }).reason).toBe("ROLE_ESCALATION");
    expect((thrown(() => assertCanGrant(analyst, "admin", BUILT_IN_ROLES.admin)) as { reason?: string }).reason).toBe("ROLE_ESCALATION");
    expect(() => assertCanGrant(analyst, "viewer", ["read"])).not.toThrow();
  });
});

describe("auditDigest", () => {
  it("names the fields and hashes their values with secrets replaced, deterministically", () => {
    const a = auditDigest({ name: "Prod", credentials: { secret_access_key: "S3CR3T-one" }, regions: ["eu-west-1"] });
    const b = auditDigest({ regions: ["eu-west-1"], credentials: { secret_access_key: "another-secret" }, name: "Prod" });
    expect(a?.fields).toEqual(["credentials", "name", "regions"]);
    // The secret does not influence the digest at all: no hash of it is stored.
    expect(a?.sha256).toBe(b?.sha256);
    expect(auditDigest({ name: "Other", credentials: {}, regions: ["eu-west-1"] })?.sha256).not.toBe(a?.sha256);
    expect(JSON.stringify(a)).not.toContain("S3CR3T");
    expect(auditDigest(undefined)).toBeUndefined();
  });
});
