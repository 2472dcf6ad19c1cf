import { z } from "zod";
import { RefIdSchema, tenantDocumentSchema } from "../common/documentSchema";
import { FreeFormObjectSchema } from "../common/freeFormObjectSchema";
import { CronExpressionSchema } from "./cronExpressionSchema";
import { REPORT_FORMATS, REPORT_TYPES } from "./reportSchema";

/** When a report is generated (`cspm_reporting.report_schedules`): cron, time zone, next run, where it is sent. */
export const ReportScheduleSchema = tenantDocumentSchema({
  name: z.string().trim().min(1).max(200),
  report_type: z.enum(REPORT_TYPES),
  format: z.enum(REPORT_FORMATS),
  params: FreeFormObjectSchema,
  cron: CronExpressionSchema,
  timezone: z.string().regex(/^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$|^UTC$/, "must be an IANA time zone such as Europe/Berlin"),
  enabled: z.boolean(),
  next_run_at: z.date(),
  last_run_at: z.date().optional(),
  channel_ids: z.array(RefIdSchema).max(50),
});

/** A stored report schedule. */
export type ReportSchedule = z.infer<typeof ReportScheduleSchema>;
