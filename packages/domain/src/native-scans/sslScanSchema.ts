import { z } from "zod";
import { RefIdSchema, tenantDocumentSchema } from "../common/documentSchema";
import { SightingDeltaSchema } from "../common/scanSightings";
import { SeveritySchema } from "../common/severity";

/** TLS/SSL protocol versions a server can offer. */
export const TLS_PROTOCOLS = ["SSLv2", "SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"] as const;

/** The server certificate as seen by the scan. */
export const CertificateSchema = z.strictObject({
  subject: z.string().max(1024),
  issuer: z.string().max(1024),
  serial_number: z.string().max(128).optional(),
  subject_alt_names: z.array(z.string().max(253)).max(500),
  not_before: z.date(),
  /** Certificate expiry. */
  not_after: z.date(),
  self_signed: z.boolean(),
  signature_algorithm: z.string().max(64).optional(),
  key_bits: z.number().int().positive().optional(),
});

/** One problem found by an SSL scan (`expired_certificate`, `weak_protocol`, `hostname_mismatch` …). */
export const SslIssueSchema = z.strictObject({
  code: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, "must be a snake_case issue code"),
  severity: SeveritySchema,
  message: z.string().min(1).max(2000),
});

/** One cipher suite the server accepted, per protocol. */
export const SslCipherSchema = z.strictObject({
  protocol: z.enum(TLS_PROTOCOLS),
  name: z.string().min(1).max(128),
  key_bits: z.number().int().nonnegative().optional(),
});

/** The outcome of one vulnerability test (Heartbleed, ROBOT, CCS injection …). */
export const SslVulnerabilitySchema = z.strictObject({
  id: z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, "must be a snake_case test id"),
  vulnerable: z.boolean(),
  severity: SeveritySchema,
  cve_ids: z
    .array(z.string().regex(/^CVE-\d{4}-\d{4,}$/))
    .max(20)
    .optional(),
});

/** The tools whose output `ssl_scans` is written from. */
export const SSL_SCAN_TOOLS = ["sslyze", "testssl"] as const;

/**
 * A TLS check of one host and port (`cspm_native_scans.ssl_scans`); `target` is the host name. One document
 * per target per scan: imports key it by `target`, `port` and `scan_id`, and set `fingerprint` (the
 * result's content) and `delta` against the target's previous scan.
 */
export const SslScanSchema = tenantDocumentSchema({
  tool: z.enum(SSL_SCAN_TOOLS).optional(),
  ip: z.string().max(64).optional(),
  ciphers: z.array(SslCipherSchema).max(1000).optional(),
  vulnerabilities: z.array(SslVulnerabilitySchema).max(100).optional(),
  fingerprint: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
  delta: SightingDeltaSchema.optional(),
  scan_id: RefIdSchema.optional(),
  target: z.string().min(1).max(253),
  port: z.number().int().min(1).max(65_535),
  scanned_at: z.date(),
  protocols: z.array(z.enum(TLS_PROTOCOLS)).max(TLS_PROTOCOLS.length),
  certificate: CertificateSchema.optional(),
  issues: z.array(SslIssueSchema).max(200),
  grade: z.enum(["A+", "A", "B", "C", "D", "E", "F", "T"]).optional(),
  error: z.string().max(2000).optional(),
});

/** A stored SSL scan. */
export type SslScan = z.infer<typeof SslScanSchema>;
