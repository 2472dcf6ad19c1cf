import { TeamIdSchema } from "@cspm/repository";
import { z } from "zod";
import { RefIdSchema, sharedDocumentSchema, tenantDocumentSchema } from "../common/documentSchema";
import { FreeFormObjectSchema } from "../common/freeFormObjectSchema";
import { RoleNameSchema, Sha256HexSchema } from "./permissionSchema";

/** Kinds of actor that appear in the audit log: a person, an API key, or the platform itself (seed, CLI without a key). */
export const AUDIT_ACTOR_TYPES = ["user", "api_key", "system"] as const;
/** How the actor authenticated. */
export const AUDIT_ACTOR_VIAS = ["session", "jwt", "api_key", "cli", "development", "system"] as const;
/**
 * Outcomes of an audited mutation: `success`, `failure` (it ran and threw), `denied` (permission check
 * failed, nothing ran) and `interrupted` (the process stopped between the change and its audit entry; the
 * outbox relay recorded it, the change may or may not have been applied).
 */
export const AUDIT_OUTCOMES = ["success", "failure", "denied", "interrupted"] as const;

/** Who did it: type, id, how they authenticated, the role they acted in, and a non-secret label (email, key prefix). */
export const AuditActorSchema = z.strictObject({
  type: z.enum(AUDIT_ACTOR_TYPES),
  id: RefIdSchema,
  via: z.enum(AUDIT_ACTOR_VIAS),
  role: RoleNameSchema,
  label: z.string().max(200).optional(),
});

/** What it was done to. */
export const AuditTargetSchema = z.strictObject({
  type: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, "must be a snake_case type name"),
  id: RefIdSchema,
});

/** A digest of what changed: the field names and a SHA-256 of their values with secret values replaced, never the values. */
export const AuditChangesSchema = z.strictObject({
  fields: z.array(z.string().min(1).max(200)).max(200),
  sha256: Sha256HexSchema,
});

/** The fields of an audit entry other than its outcome: what the outbox holds before the outcome is known. */
const ENTRY_SHAPE = {
  actor: AuditActorSchema,
  action: z.string().regex(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/, "must be a dotted action name such as cloud_account.create"),
  target: AuditTargetSchema,
  request_id: z.string().min(1).max(128).optional(),
  changes: AuditChangesSchema.optional(),
  /** Non-secret facts about the result (counts of an import …). */
  metadata: FreeFormObjectSchema.optional(),
  /** When the mutation started. */
  occurred_at: z.date(),
  ip: z.union([z.ipv4(), z.ipv6()]).optional(),
} as const;

/**
 * One audit entry (`cspm_platform.audit_logs`): actor, dotted action name (`cloud_account.create`), target,
 * outcome (and the error code of a failure), request id, time and a digest of the change. Append-only.
 */
export const AuditLogSchema = tenantDocumentSchema({
  ...ENTRY_SHAPE,
  outcome: z.enum(AUDIT_OUTCOMES),
  error_code: z
    .string()
    .regex(/^[A-Z][A-Z_]*$/)
    .max(64)
    .optional(),
});

/** A stored audit entry. */
export type AuditLog = z.infer<typeof AuditLogSchema>;

/**
 * An audit entry waiting in the outbox (`cspm_platform.audit_outbox`, shared: the relay reads it across
 * teams): written before a non-transactional change, moved to `audit_logs` (same `_id`) once its outcome is
 * known, or by the relay as `interrupted` after a crash.
 */
export const AuditOutboxSchema = sharedDocumentSchema({
  entry: z.strictObject({ team_id: TeamIdSchema, ...ENTRY_SHAPE }),
});

/** A stored outbox entry. */
export type AuditOutboxEntry = z.infer<typeof AuditOutboxSchema>;
