import { z } from "zod";
import { tenantDocumentSchema } from "../common/documentSchema";

/** `resource_uid` of an exception that covers every resource for its check. */
export const ANY_RESOURCE = "*";

/**
 * An accepted risk (`cspm_remediation.exceptions`): mutes `check_id` on `resource_uid` (or on every
 * resource when it is `"*"`) until `expires_at`, with the reason and approver.
 */
export const RemediationExceptionSchema = tenantDocumentSchema({
  check_id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$/, "must be a check id"),
  resource_uid: z.string().min(1).max(2048),
  account_id: z.string().min(1).max(253).optional(),
  reason: z.string().trim().min(1).max(4000),
  approved_by: z.string().trim().min(1).max(254),
  expires_at: z.date(),
  revoked_at: z.date().optional(),
});

/** A stored exception. */
export type RemediationException = z.infer<typeof RemediationExceptionSchema>;
