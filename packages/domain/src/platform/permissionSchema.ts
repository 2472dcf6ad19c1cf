import { z } from "zod";

/**
 * Every permission a role can grant. `read` covers every read of tenant data; `read_metrics` the
 * operational metrics; `read_audit_log` the audit trail; `manage_*` the mutations of one area
 * (`manage_accounts` includes credential rotation, `manage_scans` imports and scan runs).
 */
export const PERMISSIONS = [
  "read",
  "read_metrics",
  "read_audit_log",
  "manage_members",
  "manage_api_keys",
  "manage_accounts",
  "manage_scans",
  "manage_assessments",
  "manage_mute_rules",
] as const;

/** One permission of `PERMISSIONS`. */
export type Permission = (typeof PERMISSIONS)[number];

/** A permission name as stored. */
export const PermissionSchema = z.enum(PERMISSIONS);

/** A role name: built-in (`owner`, `admin`, `analyst`, `viewer`) or custom; lowercase, 1–64 characters. */
export const RoleNameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,63}$/, "must be a lowercase role name (1-64 letters, digits, '_' or '-')");

/** A lowercase hex SHA-256, as stored for API key and session token hashes. */
export const Sha256HexSchema = z.string().regex(/^[0-9a-f]{64}$/, "must be a lowercase hex SHA-256");
