import { z } from "zod";
import { tenantDocumentSchema } from "../common/documentSchema";
import { FreeFormObjectSchema } from "../common/freeFormObjectSchema";
import { SeveritySchema } from "../common/severity";

/** Statuses of an alert. */
export const ALERT_STATUSES = ["open", "acknowledged", "resolved"] as const;

/** A raised alert (`cspm_notifications.alerts`): what, how severe, from where, and where it stands. */
export const AlertSchema = tenantDocumentSchema({
  title: z.string().trim().min(1).max(500),
  severity: SeveritySchema,
  source: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, "must be a snake_case source such as prowler"),
  status: z.enum(ALERT_STATUSES),
  /** Same fingerprint = same underlying problem; used to de-duplicate. */
  fingerprint: z.string().min(1).max(256).optional(),
  details: FreeFormObjectSchema.optional(),
  acknowledged_at: z.date().optional(),
  acknowledged_by: z.string().min(1).max(254).optional(),
  resolved_at: z.date().optional(),
});

/** A stored alert. */
export type Alert = z.infer<typeof AlertSchema>;
