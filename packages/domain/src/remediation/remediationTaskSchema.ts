import { z } from "zod";
import { RefIdSchema, tenantDocumentSchema } from "../common/documentSchema";
import { SeveritySchema } from "../common/severity";

/** Statuses of a remediation task. */
export const REMEDIATION_STATUSES = ["open", "in_progress", "resolved", "wont_fix"] as const;

/** Statuses in which a task is still being worked on. */
export const OPEN_REMEDIATION_STATUSES = ["open", "in_progress"] as const;

/** A work item that fixes a finding (`cspm_remediation.remediation_tasks`): status, assignee, due date. */
export const RemediationTaskSchema = tenantDocumentSchema({
  finding_id: RefIdSchema,
  title: z.string().trim().min(1).max(500),
  description: z.string().max(8000).optional(),
  severity: SeveritySchema,
  status: z.enum(REMEDIATION_STATUSES),
  assignee: z.string().trim().min(1).max(254).optional(),
  due_at: z.date().optional(),
  resolved_at: z.date().optional(),
  check_id: z.string().max(200).optional(),
  resource_uid: z.string().max(2048).optional(),
  /** Id of the ticket in an external tracker (Jira key …). */
  external_ref: z.string().max(256).optional(),
});

/** A stored remediation task. */
export type RemediationTask = z.infer<typeof RemediationTaskSchema>;
