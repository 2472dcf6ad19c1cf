import { z } from "zod";
import { RefIdSchema, tenantDocumentSchema } from "../common/documentSchema";
import { FreeFormObjectSchema } from "../common/freeFormObjectSchema";
import { sightingLifecycleShape } from "../common/scanSightings";
import { SeveritySchema } from "../common/severity";

/** Nuclei protocol types of a template. */
export const NUCLEI_TEMPLATE_TYPES = [
  "http",
  "dns",
  "tcp",
  "ssl",
  "file",
  "headless",
  "network",
  "websocket",
  "whois",
  "code",
  "javascript",
] as const;

/** The fields that identify one match (with `team_id`): the unique index `match_identity_unique`. */
export const NUCLEI_MATCH_IDENTITY_FIELDS = ["target", "match_key"] as const;

/** The fields a match's `delta` compares with the previous scan. */
export const NUCLEI_MATCH_STATE_FIELDS = ["severity", "name"] as const;

/**
 * One Nuclei template match (`cspm_native_scans.nuclei_scans`), as in Nuclei's JSONL output: `template_id`,
 * `name` (info.name), `severity` (Nuclei's `info` stored as `informational`), `matched_at`, on `target`,
 * found by the scan at `scanned_at`. Matches written through `recordSightings` carry `match_key` (template,
 * matcher, matched-at and extracted results) and the finding lifecycle: one document per match across scans,
 * `scan_id`/`scanned_at` of the latest scan that saw it.
 */
export const NucleiScanSchema = tenantDocumentSchema({
  scan_id: RefIdSchema,
  match_key: z
    .string()
    .regex(/^[0-9a-f]{40}$/, "must be the match's 40-hex identity")
    .optional(),
  first_seen_at: z.date().optional(),
  last_seen_at: z.date().optional(),
  ...sightingLifecycleShape({ severity: SeveritySchema.optional(), name: z.string().max(1000).optional() }),
  target: z.string().min(1).max(2048),
  scanned_at: z.date(),
  template_id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$/, "must be a Nuclei template id such as CVE-2021-44228"),
  name: z.string().min(1).max(1000),
  severity: SeveritySchema,
  type: z.enum(NUCLEI_TEMPLATE_TYPES),
  matched_at: z.string().min(1).max(4096),
  matcher_name: z.string().max(256).optional(),
  tags: z.array(z.string().min(1).max(128)).max(100),
  extracted_results: z.array(z.string().max(4096)).max(100).optional(),
  classification: z
    .strictObject({
      cve_ids: z
        .array(z.string().regex(/^CVE-\d{4}-\d{4,}$/))
        .max(50)
        .optional(),
      cwe_ids: z
        .array(z.string().regex(/^CWE-\d{1,5}$/))
        .max(50)
        .optional(),
      cvss_score: z.number().min(0).max(10).optional(),
    })
    .optional(),
  metadata: FreeFormObjectSchema.optional(),
});

/** A stored Nuclei match. */
export type NucleiScan = z.infer<typeof NucleiScanSchema>;

/** Maps a Nuclei severity (`info`, `low` … `critical`, `unknown`) to the platform's scale. */
export function severityFromNuclei(severity: string): z.infer<typeof SeveritySchema> {
  const s = severity.toLowerCase();
  return s === "critical" || s === "high" || s === "medium" || s === "low" ? s : "informational";
}
