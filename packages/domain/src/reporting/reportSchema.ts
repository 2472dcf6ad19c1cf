import { z } from "zod";
import { tenantDocumentSchema } from "../common/documentSchema";
import { FreeFormObjectSchema } from "../common/freeFormObjectSchema";

/** Kinds of report. */
export const REPORT_TYPES = ["executive_summary", "compliance", "findings", "vulnerabilities", "assessment", "inventory"] as const;
/** Output formats. */
export const REPORT_FORMATS = ["pdf", "csv", "json", "html"] as const;
/** Statuses of a report. */
export const REPORT_STATUSES = ["queued", "generating", "completed", "failed"] as const;

/** A report requested or generated (`cspm_reporting.reports`): type, params, status, where the output is. */
export const ReportSchema = tenantDocumentSchema({
  type: z.enum(REPORT_TYPES),
  format: z.enum(REPORT_FORMATS),
  status: z.enum(REPORT_STATUSES),
  params: FreeFormObjectSchema,
  requested_by: z.string().min(1).max(254).optional(),
  schedule_id: z.string().min(1).max(128).optional(),
  generated_at: z.date().optional(),
  /** Where the output is stored (object storage key), never a signed URL. */
  storage_key: z.string().min(1).max(1024).optional(),
  size_bytes: z.number().int().nonnegative().optional(),
  error: z.string().max(4000).optional(),
});

/** A stored report. */
export type Report = z.infer<typeof ReportSchema>;
