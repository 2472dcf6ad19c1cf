import type { Severity, TLS_PROTOCOLS } from "@cspm/domain";
import { derivedSslIssues, distinctIssues, sslGrade } from "../normalize/sslFindings";
import { arrayAt, clip, integer, isObject, type Json, text, textAt, timestamp } from "../normalize/values";
import type {
  FormatDefinition,
  MapOutput,
  MapperOptions,
  RawRecord,
  RecordMapper,
  RecordRejection,
  SslScanInput,
} from "./formatDefinition";

type Protocol = (typeof TLS_PROTOCOLS)[number];

/** One testssl.sh finding row: `id`, `fqdn/ip` (or `ip`), `port`, `severity`, `finding`, `cve`. */
interface TestsslRow {
  readonly id: string;
  readonly host: string;
  readonly ip: string | undefined;
  readonly port: number;
  readonly severity: string;
  readonly finding: string;
  readonly cve: string[];
}

const PROTOCOL_IDS: Readonly<Record<string, Protocol>> = {
  SSLv2: "SSLv2",
  SSLv3: "SSLv3",
  TLS1: "TLSv1.0",
  TLS1_1: "TLSv1.1",
  TLS1_2: "TLSv1.2",
  TLS1_3: "TLSv1.3",
};
const SEVERITY: Readonly<Record<string, Severity>> = { LOW: "low", MEDIUM: "medium", HIGH: "high", CRITICAL: "critical" };
/** testssl.sh's vulnerability checks (the ids of its "Testing vulnerabilities" section). */
const VULNERABILITY_IDS = new Set([
  "heartbleed",
  "CCS",
  "ticketbleed",
  "ROBOT",
  "secure_renego",
  "secure_client_renego",
  "CRIME_TLS",
  "BREACH",
  "POODLE_SSL",
  "fallback_SCSV",
  "SWEET32",
  "FREAK",
  "DROWN",
  "DROWN_hint",
  "LOGJAM",
  "LOGJAM-common_primes",
  "BEAST",
  "BEAST_CBC_TLS1",
  "LUCKY13",
  "winshock",
  "RC4",
  "opossum",
  "GREASE",
]);

function snake(id: string): string {
  const s = id
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");
  return /^[a-z]/.test(s) ? s.slice(0, 64) : `t_${s}`.slice(0, 64);
}

/** Reads one row (CSV columns or a JSON finding object); `undefined` with a reason when it is not one. */
function rowOf(value: unknown): TestsslRow | string {
  if (!isObject(value)) return "is not a testssl.sh finding";
  const id = text(value["id"]);
  const where = text(value["fqdn/ip"]) ?? text(value["ip"]);
  const port = integer(value["port"], 1, 65_535);
  if (id === undefined) return "id is missing";
  if (where === undefined) return "fqdn/ip is missing";
  if (port === undefined) return "port is not a port number";
  const [host, ip] = where.includes("/") ? (where.split("/", 2) as [string, string]) : [where, undefined];
  return {
    id,
    host: host === "" ? (ip ?? where) : host,
    ip: ip === "" ? undefined : ip,
    port,
    severity: (text(value["severity"]) ?? "INFO").toUpperCase(),
    finding: text(value["finding"]) ?? "",
    cve: (text(value["cve"]) ?? "").split(/\s+/).filter((c) => /^CVE-\d{4}-\d{4,}$/.test(c)),
  };
}

/** `TLSv1.2   xc02c   ECDHE-ECDSA-AES256-GCM-SHA384  ECDH 256  AESGCM  256  TLS_ECDHE_…` -> protocol, IANA name, bits. */
function cipherOf(finding: string): NonNullable<SslScanInput["ciphers"]>[number] | undefined {
  const parts = finding.split(/\s+/);
  const protocol = (
    { SSLv2: "SSLv2", SSLv3: "SSLv3", TLSv1: "TLSv1.0", "TLSv1.1": "TLSv1.1", "TLSv1.2": "TLSv1.2", "TLSv1.3": "TLSv1.3" } as const
  )[parts[0] as "TLSv1.2"];
  const name = parts[parts.length - 1];
  const bits = Number(parts[parts.length - 2]);
  if (protocol === undefined || name === undefined) return undefined;
  return { protocol, name: clip(name, 128), ...(Number.isInteger(bits) && bits >= 0 ? { key_bits: bits } : {}) };
}

/** The SSL scan result of one host and port from all of its rows. */
function scanOf(rows: readonly TestsslRow[], scannedAt: Date): SslScanInput {
  const first = rows[0] as TestsslRow;
  const protocols: Protocol[] = [];
  const ciphers: NonNullable<SslScanInput["ciphers"]> = [];
  const vulnerabilities: NonNullable<SslScanInput["vulnerabilities"]> = [];
  const reported: SslScanInput["issues"] = [];
  const cert: Record<string, string> = {};
  let error: string | undefined;
  for (const row of rows) {
    const protocol = PROTOCOL_IDS[row.id];
    if (protocol !== undefined && /^offered/.test(row.finding)) protocols.push(protocol);
    if (row.id.startsWith("cipher-")) {
      const cipher = cipherOf(row.finding);
      if (cipher !== undefined && ciphers.length < 1000) ciphers.push(cipher);
    }
    if (row.id.startsWith("cert_")) cert[row.id.replace(/ <.*>$/, "")] ??= row.finding;
    const severity = SEVERITY[row.severity];
    if (VULNERABILITY_IDS.has(row.id) && (severity !== undefined || row.severity === "OK")) {
      vulnerabilities.push({
        id: snake(row.id),
        vulnerable: severity !== undefined,
        severity: severity ?? "informational",
        ...(row.cve.length ? { cve_ids: row.cve.slice(0, 20) } : {}),
      });
    }
    if (severity !== undefined) reported.push({ code: snake(row.id), severity, message: clip(`${row.id}: ${row.finding}`, 2000) });
    if (row.severity === "FATAL") error = clip(`${row.id}: ${row.finding}`, 2000);
  }
  const notBefore = timestamp(cert["cert_notBefore"]);
  const notAfter = timestamp(cert["cert_notAfter"]);
  const subject = cert["cert_commonName"] ?? cert["cert"] ?? "";
  const issuer = cert["cert_caIssuers"] ?? "";
  const certificate: SslScanInput["certificate"] | undefined =
    notBefore === undefined || notAfter === undefined
      ? undefined
      : {
          subject: clip(subject, 1024),
          issuer: clip(issuer, 1024),
          subject_alt_names: (cert["cert_subjectAltName"] ?? "")
            .split(/\s+/)
            .filter((n) => n !== "" && n.length <= 253)
            .slice(0, 500),
          not_before: notBefore,
          not_after: notAfter,
          self_signed: /self[- ]signed/i.test(cert["cert_chain_of_trust"] ?? ""),
          ...(cert["cert_serialNumber"] ? { serial_number: clip(cert["cert_serialNumber"], 128) } : {}),
          ...(cert["cert_signatureAlgorithm"] ? { signature_algorithm: clip(cert["cert_signatureAlgorithm"], 64) } : {}),
          ...(integer(/(\d+) bits/.exec(cert["cert_keySize"] ?? "")?.[1], 1, 65_536) === undefined
            ? {}
            : { key_bits: integer(/(\d+) bits/.exec(cert["cert_keySize"] ?? "")?.[1], 1, 65_536) as number }),
        };
  const base = {
    tool: "testssl" as const,
    target: clip(first.host, 253),
    port: first.port,
    scanned_at: scannedAt,
    ...(first.ip === undefined ? {} : { ip: clip(first.ip, 64) }),
    protocols,
    ciphers,
    vulnerabilities,
    ...(certificate === undefined ? {} : { certificate }),
  };
  const issues = distinctIssues([...reported, ...derivedSslIssues(base)]);
  return { ...base, issues, grade: sslGrade(issues), ...(error === undefined ? {} : { error }) };
}

/**
 * testssl.sh rows are findings of one host:port each; they are grouped into one SSL scan result per host and
 * port (the file lists a host's rows together), emitted when the next host starts and at the end.
 */
function groupingMapper(options: MapperOptions): RecordMapper {
  let scannedAt = options.scannedAt;
  let group: TestsslRow[] = [];
  let groupKey: string | undefined;
  const flush = (): MapOutput => {
    if (group.length === 0) return { documents: [], rejections: [] };
    const document = scanOf(group, scannedAt);
    group = [];
    groupKey = undefined;
    return { documents: [{ collection: "ssl_scans", document }], rejections: [] };
  };
  const push = (record: RawRecord, value: unknown): MapOutput => {
    const row = rowOf(value);
    if (typeof row === "string") {
      const rejection: RecordRejection = {
        record: record.index,
        ...(record.line === undefined ? {} : { line: record.line }),
        path: "",
        message: row,
      };
      return { documents: [], rejections: [rejection] };
    }
    const key = `${row.host}:${row.port}`;
    const out = groupKey !== undefined && key !== groupKey ? flush() : { documents: [], rejections: [] };
    groupKey = key;
    group.push(row);
    return out;
  };
  return {
    context(key, value) {
      const date = timestamp(typeof value === "string" && /^\d+$/.test(value) ? Number(value) : value);
      if (key === "startTime" && date !== undefined) scannedAt = date;
    },
    map(record) {
      // `--json-pretty`: one object per host with its findings in sections (protocols, ciphers, vulnerabilities …).
      if (isObject(record.value) && (record.value as Json)["targetHost"] !== undefined) {
        const target = record.value as Json;
        const documents: MapOutput["documents"][number][] = [];
        const rejections: RecordRejection[] = [];
        const where = `${textAt(target, "targetHost") ?? ""}/${textAt(target, "ip") ?? ""}`;
        for (const [section, entries] of Object.entries(target)) {
          if (!Array.isArray(entries)) continue;
          for (const entry of arrayAt(target, section)) {
            const out = push(record, isObject(entry) ? { ...entry, "fqdn/ip": where, port: target["port"] } : entry);
            documents.push(...out.documents);
            rejections.push(...out.rejections);
          }
        }
        const last = flush();
        return { documents: [...documents, ...last.documents], rejections };
      }
      return push(record, record.value);
    },
    end: flush,
  };
}

/** testssl.sh `--csvfile` output. */
export const TESTSSL_CSV: FormatDefinition = {
  id: "testssl-csv",
  tool: "testssl",
  collection: "ssl_scans",
  title: "testssl.sh CSV (--csvfile: id, fqdn/ip, port, severity, finding, cve, cwe)",
  layout: { kind: "csv", delimiter: ",", requiredColumns: ["id", "fqdn/ip", "port", "severity", "finding"] },
  sniff: ({ text: head }) => /^"?id"?,"?fqdn\/ip"?,"?port"?,"?severity"?,"?finding"?/.test(head.split(/\r?\n/, 1)[0] ?? ""),
  createMapper: groupingMapper,
};

/** testssl.sh `--jsonfile` (flat array of findings) and `--jsonfile-pretty` (`scanResult` per host). */
export const TESTSSL_JSON: FormatDefinition = {
  id: "testssl-json",
  tool: "testssl",
  collection: "ssl_scans",
  title: "testssl.sh JSON (--jsonfile flat findings, --jsonfile-pretty scanResult)",
  layout: { kind: "json", lines: false, objectPaths: ["$.scanResult.*"], contextKeys: ["startTime"] },
  sniff: ({ text: head, first }) =>
    (first === "[" && /"id"\s*:/.test(head) && /"finding"\s*:/.test(head) && /"(ip|fqdn\/ip)"\s*:/.test(head)) ||
    (first === "{" && /"(Invocation|scanResult)"\s*:/.test(head)),
  createMapper: groupingMapper,
};
