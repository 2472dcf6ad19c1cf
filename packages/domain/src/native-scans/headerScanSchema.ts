import { z } from "zod";
import { RefIdSchema, tenantDocumentSchema } from "../common/documentSchema";
import { SightingDeltaSchema } from "../common/scanSightings";
import { SeveritySchema } from "../common/severity";

/** An HTTP header name, stored lowercase (`strict-transport-security`). */
const HeaderNameSchema = z.string().regex(/^[a-z0-9!#$%&'*+.^_`|~-]{1,128}$/, "must be a lowercase HTTP header name");

/** One problem a header scanner reported (a missing, deprecated, unsafe or mis-valued header, a failed test). */
export const HeaderIssueSchema = z.strictObject({
  code: z.string().regex(/^[a-z][a-z0-9_-]{0,127}$/, "must be a lower-case issue code"),
  header: HeaderNameSchema.optional(),
  severity: SeveritySchema,
  message: z.string().min(1).max(2000),
});

/** The tools whose output `header_scans` is written from. */
export const HEADER_SCAN_TOOLS = ["humble", "drheader", "observatory"] as const;

/**
 * An HTTP security header check of one URL (`cspm_native_scans.header_scans`): which headers are missing, and
 * a 0–100 score. One document per URL per scan: imports key it by `target` and `scan_id`, and set `issues`,
 * `fingerprint` and `delta` against the URL's previous scan.
 */
export const HeaderScanSchema = tenantDocumentSchema({
  tool: z.enum(HEADER_SCAN_TOOLS).optional(),
  issues: z.array(HeaderIssueSchema).max(500).optional(),
  fingerprint: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
  delta: SightingDeltaSchema.optional(),
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
