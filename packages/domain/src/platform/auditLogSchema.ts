import { z } from "zod";
import { RefIdSchema, tenantDocumentSchema } from "../common/documentSchema";
import { FreeFormObjectSchema } from "../common/freeFormObjectSchema";

/** Kinds of actor that appear in the audit log. */
export const AUDIT_ACTOR_TYPES = ["user", "service", "system"] as const;
/** Outcomes of an audited action. */
export const AUDIT_OUTCOMES = ["success", "failure"] as const;

/** Who did it: a user, a service (API key, worker) or the system. */
export const AuditActorSchema = z.strictObject({
  type: z.enum(AUDIT_ACTOR_TYPES),
  id: RefIdSchema,
  email: z.email().optional(),
});

/** What it was done to. */
export const AuditTargetSchema = z.strictObject({
  type: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, "must be a snake_case type name"),
  id: RefIdSchema,
});

/** One audit entry (`cspm_platform.audit_logs`): actor, dotted action name (`cloud_account.create`), target, when. Append-only. */
export const AuditLogSchema = tenantDocumentSchema({
  actor: AuditActorSchema,
  action: z.string().regex(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/, "must be a dotted action name such as cloud_account.create"),
  target: AuditTargetSchema,
  outcome: z.enum(AUDIT_OUTCOMES),
  metadata: FreeFormObjectSchema.optional(),
  ip: z.union([z.ipv4(), z.ipv6()]).optional(),
});

/** A stored audit entry. */
export type AuditLog = z.infer<typeof AuditLogSchema>;
