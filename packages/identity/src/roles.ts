import { PERMISSIONS, type Permission } from "@cspm/domain";

/** The built-in roles, most privileged first. */
export const BUILT_IN_ROLE_NAMES = ["owner", "admin", "analyst", "viewer"] as const;
/** A built-in role name. */
export type BuiltInRole = (typeof BUILT_IN_ROLE_NAMES)[number];

/**
 * The permission set of each built-in role. `owner` and `admin` hold every permission; only an owner may
 * grant, change or remove the owner role (see `MemberService`). `analyst` works with scans, assessments and
 * mute rules; `viewer` only reads.
 */
export const BUILT_IN_ROLES: Readonly<Record<BuiltInRole, readonly Permission[]>> = Object.freeze({
  owner: PERMISSIONS,
  admin: PERMISSIONS,
  analyst: ["read", "manage_scans", "manage_assessments", "manage_mute_rules"],
  viewer: ["read"],
});

/** True for `owner`, `admin`, `analyst`, `viewer`. */
export function isBuiltInRole(name: string): name is BuiltInRole {
  return (BUILT_IN_ROLE_NAMES as readonly string[]).includes(name);
}
