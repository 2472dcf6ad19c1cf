import type { TLS_PROTOCOLS } from "@cspm/domain";
import { derivedSslIssues, distinctIssues, sslGrade } from "../normalize/sslFindings";
import { arrayAt, at, clip, integer, isObject, type Json, objectAt, text, textAt, timestamp } from "../normalize/values";
import type { FormatDefinition, RecordMapper, SslScanInput } from "./formatDefinition";

type Protocol = (typeof TLS_PROTOCOLS)[number];
const SUITES: readonly [string, Protocol][] = [
  ["ssl_2_0_cipher_suites", "SSLv2"],
  ["ssl_3_0_cipher_suites", "SSLv3"],
  ["tls_1_0_cipher_suites", "TLSv1.0"],
  ["tls_1_1_cipher_suites", "TLSv1.1"],
  ["tls_1_2_cipher_suites", "TLSv1.2"],
  ["tls_1_3_cipher_suites", "TLSv1.3"],
];

/** A scan command's result: SSLyze 5+ nests it as `scan_result.<cmd>.result`, older versions as `scan_commands_results.<cmd>`. */
function command(server: Json, name: string): Json | undefined {
  const modern = objectAt(server, "scan_result", name);
  if (modern !== undefined) return objectAt(modern, "result");
  return objectAt(server, "scan_commands_results", name);
}

function certificateOf(server: Json): { certificate?: SslScanInput["certificate"]; hostnameMatches?: boolean; trusted?: boolean } {
  const deployment = objectAt(command(server, "certificate_info"), "certificate_deployments", 0);
  const leaf = objectAt(deployment, "received_certificate_chain", 0);
  if (deployment === undefined || leaf === undefined) return {};
  const notBefore = timestamp(leaf["not_valid_before"] ?? leaf["notBefore"]);
  const notAfter = timestamp(leaf["not_valid_after"] ?? leaf["notAfter"]);
  const subject = textAt(leaf, "subject", "rfc4514_string") ?? text(leaf["subject"]) ?? "";
  const issuer = textAt(leaf, "issuer", "rfc4514_string") ?? text(leaf["issuer"]) ?? "";
  const sans = [...arrayAt(leaf, "subject_alternative_name", "dns"), ...arrayAt(leaf, "subjectAlternativeName", "DNS")]
    .map((n) => text(n))
    .filter((n): n is string => n !== undefined && n.length <= 253)
    .slice(0, 500);
  const serial = leaf["serial_number"] ?? leaf["serialNumber"];
  const algorithm = textAt(leaf, "signature_hash_algorithm", "name") ?? text(leaf["signatureAlgorithm"]);
  const bits = integer(at(leaf, "public_key", "key_size") ?? at(leaf, "publicKey", "size"), 1, 65_536);
  const trusted = arrayAt(deployment, "path_validation_results").some((r) => isObject(r) && Array.isArray(r["verified_certificate_chain"]));
  const hostnameMatches = deployment["leaf_certificate_subject_matches_hostname"];
  if (notBefore === undefined || notAfter === undefined) return {};
  return {
    certificate: {
      subject: clip(subject, 1024),
      issuer: clip(issuer, 1024),
      ...(serial === undefined || serial === null ? {} : { serial_number: clip(String(serial), 128) }),
      subject_alt_names: sans,
      not_before: notBefore,
      not_after: notAfter,
      self_signed: subject !== "" && subject === issuer,
      ...(algorithm === undefined ? {} : { signature_algorithm: clip(algorithm, 64) }),
      ...(bits === undefined ? {} : { key_bits: bits }),
    },
    ...(typeof hostnameMatches === "boolean" ? { hostnameMatches } : {}),
    trusted,
  };
}

/** Maps one entry of `server_scan_results` (SSLyze 5+ or the older 2–4 schema) to an SSL scan result. */
export function mapSslyzeServer(
  server: unknown,
  scannedAt: Date,
): { scan: SslScanInput } | { issues: { path: string; message: string }[] } {
  if (!isObject(server)) return { issues: [{ path: "", message: "is not a JSON object" }] };
  const location = objectAt(server, "server_location") ?? objectAt(server, "server_info", "server_location");
  const host = textAt(location, "hostname");
  const port = integer(at(location, "port"), 1, 65_535);
  if (host === undefined || port === undefined) return { issues: [{ path: "server_location", message: "has no hostname and port" }] };
  const ip = textAt(location, "ip_address");
  const base = {
    tool: "sslyze" as const,
    target: clip(host, 253),
    port,
    scanned_at: scannedAt,
    ...(ip === undefined ? {} : { ip: clip(ip, 64) }),
  };
  const connectivity = text(server["connectivity_status"]);
  if (connectivity !== undefined && connectivity !== "COMPLETED") {
    return {
      scan: {
        ...base,
        protocols: [],
        issues: [],
        error: clip(text(server["connectivity_error_trace"]) ?? `connectivity ${connectivity}`, 2000),
      },
    };
  }
  const protocols: Protocol[] = [];
  const ciphers: NonNullable<SslScanInput["ciphers"]> = [];
  for (const [name, protocol] of SUITES) {
    const accepted = arrayAt(command(server, name), "accepted_cipher_suites");
    if (accepted.length > 0) protocols.push(protocol);
    for (const suite of accepted) {
      const cipherName = textAt(suite, "cipher_suite", "name");
      const bits = integer(at(suite, "cipher_suite", "key_size"), 0, 65_536);
      if (cipherName !== undefined && ciphers.length < 1000)
        ciphers.push({ protocol, name: clip(cipherName, 128), ...(bits === undefined ? {} : { key_bits: bits }) });
    }
  }
  const bool = (cmd: string, field: string) => {
    const value = command(server, cmd)?.[field];
    return typeof value === "boolean" ? value : undefined;
  };
  const vulnerabilities: NonNullable<SslScanInput["vulnerabilities"]> = [];
  const add = (id: string, vulnerable: boolean | undefined, severity: "critical" | "high" | "medium" | "low", cve?: string) => {
    if (vulnerable !== undefined) vulnerabilities.push({ id, vulnerable, severity, ...(cve === undefined ? {} : { cve_ids: [cve] }) });
  };
  add("heartbleed", bool("heartbleed", "is_vulnerable_to_heartbleed"), "critical", "CVE-2014-0160");
  add("openssl_ccs_injection", bool("openssl_ccs_injection", "is_vulnerable_to_ccs_injection"), "high", "CVE-2014-0224");
  const robot = textAt(command(server, "robot"), "robot_result");
  add("robot", robot === undefined ? undefined : robot.startsWith("VULNERABLE"), "high", "CVE-2017-13099");
  const renegotiation =
    bool("session_renegotiation", "is_vulnerable_to_client_renegotiation_dos") ??
    bool("session_renegotiation", "accepts_client_renegotiation");
  add("client_renegotiation", renegotiation, "medium");
  const secure = bool("session_renegotiation", "supports_secure_renegotiation");
  add("insecure_renegotiation", secure === undefined ? undefined : !secure, "medium", "CVE-2009-3555");
  add("tls_compression", bool("tls_compression", "supports_compression"), "medium", "CVE-2012-4929");
  const fallback = bool("tls_fallback_scsv", "supports_fallback_scsv");
  add("no_fallback_scsv", fallback === undefined ? undefined : !fallback, "low");
  const { certificate, hostnameMatches, trusted } = certificateOf(server);
  const scan = { ...base, protocols, ciphers, vulnerabilities, ...(certificate === undefined ? {} : { certificate }) };
  const issues = derivedSslIssues(scan);
  if (hostnameMatches === false)
    issues.push({ code: "hostname_mismatch", severity: "high", message: "The certificate does not match the host name." });
  if (certificate !== undefined && trusted === false)
    issues.push({ code: "untrusted_certificate", severity: "high", message: "No trust store validates the certificate chain." });
  const distinct = distinctIssues(issues);
  return { scan: { ...scan, issues: distinct, grade: sslGrade(distinct) } };
}

/** SSLyze JSON output (`--json_out`), SSLyze 5+ (`scan_result`) and the older schema (`scan_commands_results`). */
export const SSLYZE: FormatDefinition = {
  id: "sslyze",
  tool: "sslyze",
  collection: "ssl_scans",
  title: "SSLyze JSON (5.x+ scan_result schema and the older scan_commands_results schema)",
  layout: {
    kind: "json",
    lines: false,
    objectPaths: ["$.server_scan_results.*"],
    contextKeys: ["date_scans_completed", "date_scans_started"],
  },
  sniff: ({ text: head, first }) =>
    first === "{" && /"(server_scan_results|server_connectivity_errors|sslyze_version|date_scans_started)"\s*:/.test(head),
  createMapper(options): RecordMapper {
    let scannedAt = options.scannedAt;
    return {
      context(key, value) {
        const date = timestamp(value);
        if (date !== undefined && (key === "date_scans_completed" || scannedAt === options.scannedAt)) scannedAt = date;
      },
      map(record) {
        const outcome = mapSslyzeServer(record.value, scannedAt);
        if ("scan" in outcome) return { documents: [{ collection: "ssl_scans", document: outcome.scan }], rejections: [] };
        return { documents: [], rejections: outcome.issues.map((i) => ({ record: record.index, ...i })) };
      },
    };
  },
};
