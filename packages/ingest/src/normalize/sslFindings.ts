import type { Severity } from "@cspm/domain";
import type { SslScanInput } from "../formats/formatDefinition";

type Protocol = NonNullable<SslScanInput["protocols"]>[number];
type Issue = SslScanInput["issues"][number];

const PROTOCOL_SEVERITY: Partial<Record<Protocol, Severity>> = { SSLv2: "high", SSLv3: "high", "TLSv1.0": "medium", "TLSv1.1": "medium" };
const DAY_MS = 86_400_000;
const RANK: Record<Severity, number> = { critical: 0, high: 1, medium: 2, low: 3, informational: 4 };

/**
 * The issues an SSL scan result implies beyond what the tool flagged itself: legacy protocols offered,
 * an expired or soon-expiring certificate, a vulnerable test, weak ciphers. Derived severities: SSLv2/3 high,
 * TLS 1.0/1.1 medium, expired high, expiring within 30 days medium, ciphers under 128 bits medium.
 */
export function derivedSslIssues(
  scan: Pick<SslScanInput, "protocols" | "certificate" | "vulnerabilities" | "ciphers" | "scanned_at">,
): Issue[] {
  const issues: Issue[] = [];
  for (const protocol of scan.protocols) {
    const severity = PROTOCOL_SEVERITY[protocol];
    if (severity !== undefined) issues.push({ code: "weak_protocol", severity, message: `${protocol} is offered.` });
  }
  const cert = scan.certificate;
  if (cert !== undefined) {
    const left = cert.not_after.getTime() - scan.scanned_at.getTime();
    if (left < 0)
      issues.push({
        code: "expired_certificate",
        severity: "high",
        message: `The certificate expired on ${cert.not_after.toISOString().slice(0, 10)}.`,
      });
    else if (left < 30 * DAY_MS)
      issues.push({
        code: "certificate_expiring",
        severity: "medium",
        message: `The certificate expires on ${cert.not_after.toISOString().slice(0, 10)}.`,
      });
    if (cert.self_signed) issues.push({ code: "self_signed_certificate", severity: "high", message: "The certificate is self-signed." });
  }
  for (const v of scan.vulnerabilities ?? []) {
    if (v.vulnerable)
      issues.push({
        code: v.id,
        severity: v.severity,
        message: `Vulnerable: ${v.id}${v.cve_ids?.length ? ` (${v.cve_ids.join(", ")})` : ""}.`,
      });
  }
  const weak = (scan.ciphers ?? []).filter((c) => c.key_bits !== undefined && c.key_bits > 0 && c.key_bits < 128);
  if (weak.length > 0)
    issues.push({
      code: "weak_cipher",
      severity: "medium",
      message: `${weak.length} cipher suite(s) under 128 bits: ${weak
        .slice(0, 5)
        .map((c) => c.name)
        .join(", ")}.`,
    });
  return issues;
}

/** A letter grade from the worst issue: none A, low B, medium C, high D, critical F (informational ones do not count). */
export function sslGrade(issues: readonly Issue[]): "A" | "B" | "C" | "D" | "F" {
  const worst = issues.filter((i) => i.severity !== "informational").reduce((min, i) => Math.min(min, RANK[i.severity]), 4);
  return worst === 0 ? "F" : worst === 1 ? "D" : worst === 2 ? "C" : worst === 3 ? "B" : "A";
}

/** Issues without repeats (same code and message), at most 200, most severe first. */
export function distinctIssues<T extends { code: string; message: string; severity: Severity }>(issues: readonly T[]): T[] {
  const seen = new Set<string>();
  const out: T[] = [];
  for (const issue of [...issues].sort((a, b) => RANK[a.severity] - RANK[b.severity])) {
    const key = `${issue.code}|${issue.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(issue);
  }
  return out.slice(0, 200);
}
