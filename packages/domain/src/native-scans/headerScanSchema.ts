import { z } from "zod";
import { RefIdSchema, tenantDocumentSchema } from "../common/documentSchema";

/** An HTTP header name, stored lowercase (`strict-transport-security`). */
const HeaderNameSchema = z.string().regex(/^[a-z0-9!#$%&'*+.^_`|~-]{1,128}$/, "must be a lowercase HTTP header name");

/** An HTTP security header check of one URL (`cspm_native_scans.header_scans`): which headers are missing, and a 0–100 score. */
export const HeaderScanSchema = tenantDocumentSchema({
  scan_id: RefIdSchema.optional(),
  target: z.url({ protocol: /^https?$/ }).max(2048),
  scanned_at: z.date(),
  status_code: z.number().int().min(100).max(599).optional(),
  present_headers: z.array(HeaderNameSchema).max(200),
  missing_headers: z.array(HeaderNameSchema).max(200),
  score: z.number().min(0).max(100),
  grade: z.enum(["A+", "A", "B", "C", "D", "E", "F"]).optional(),
  error: z.string().max(2000).optional(),
});

/** A stored header scan. */
export type HeaderScan = z.infer<typeof HeaderScanSchema>;
