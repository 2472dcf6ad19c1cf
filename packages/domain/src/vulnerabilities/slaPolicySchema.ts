import { z } from "zod";
import { tenantDocumentSchema } from "../common/documentSchema";
import type { Severity } from "../common/severity";

const days = z.number().int().min(1).max(3650);

/** Days to remediate per severity. */
export const SlaDaysSchema = z.strictObject({
  critical: days,
  high: days,
  medium: days,
  low: days,
  informational: days,
});

/** An SLA policy (`cspm_vulnerabilities.sla_policies`): days to remediate per severity, unique by name per team. */
export const SlaPolicySchema = tenantDocumentSchema({
  name: z.string().trim().min(1).max(200),
  description: z.string().max(2000).optional(),
  days: SlaDaysSchema,
  is_default: z.boolean(),
});

/** A stored SLA policy. */
export type SlaPolicy = z.infer<typeof SlaPolicySchema>;

const DAY_MS = 86_400_000;

/** When the SLA of a `severity` vulnerability whose clock started at `startedAt` expires under `policy`. */
export function slaExpiry(policy: Pick<SlaPolicy, "days">, severity: Severity, startedAt: Date): Date {
  return new Date(startedAt.getTime() + policy.days[severity] * DAY_MS);
}
