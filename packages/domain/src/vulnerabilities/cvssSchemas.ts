import { z } from "zod";

/** A CVE id such as `CVE-2021-44228`. */
export const CveIdSchema = z.string().regex(/^CVE-\d{4}-\d{4,}$/, "must be a CVE id such as CVE-2021-44228");

/** A CWE id such as `CWE-79`. */
export const CweIdSchema = z.string().regex(/^CWE-\d{1,5}$/, "must be a CWE id such as CWE-79");

/** A CVSS base score with its vector (`CVSS:3.1/AV:N/…`). */
export const CvssSchema = z.strictObject({
  score: z.number().min(0).max(10),
  vector: z
    .string()
    .regex(/^(CVSS:[234]\.[0-9]\/)?[A-Za-z]{1,3}:[A-Za-z0-9]{1,3}(\/[A-Za-z]{1,3}:[A-Za-z0-9]{1,3})*$/, "must be a CVSS vector")
    .optional(),
  version: z.enum(["2.0", "3.0", "3.1", "4.0"]).optional(),
});

/** An EPSS probability of exploitation and its percentile, both 0–1. */
export const EpssSchema = z.strictObject({
  score: z.number().min(0).max(1),
  percentile: z.number().min(0).max(1),
  as_of: z.date().optional(),
});

/** A CVSS score and vector. */
export type Cvss = z.infer<typeof CvssSchema>;
/** An EPSS score and percentile. */
export type Epss = z.infer<typeof EpssSchema>;
