import { z } from "zod";

/** The platform's severity scale, most severe first (Prowler's scale; Nuclei's `info` maps to `informational`). */
export const SEVERITIES = ["critical", "high", "medium", "low", "informational"] as const;

/** One of `SEVERITIES`. */
export const SeveritySchema = z.enum(SEVERITIES);

/** A severity: `critical` … `informational`. */
export type Severity = z.infer<typeof SeveritySchema>;

/** A count per severity, every severity present (zero when none). */
export type SeverityCounts = Record<Severity, number>;

/** A `SeverityCounts` with every severity at zero. */
export function emptySeverityCounts(): SeverityCounts {
  return { critical: 0, high: 0, medium: 0, low: 0, informational: 0 };
}
