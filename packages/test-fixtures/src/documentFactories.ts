/**
 * Test-only document factories in stored shape (snake_case, system fields filled), valid against the
 * `@cspm/domain` schemas.
 */
import { ObjectId, type Document } from "mongodb";

const DAY_MS = 86_400_000;

/** A Prowler finding of `teamId`; `overrides` win. */
export function findingDoc(teamId: string, overrides: Document = {}): Document {
  const seen = (overrides["last_seen_at"] as Date | undefined) ?? new Date();
  return {
    _id: new ObjectId(),
    team_id: teamId,
    provider: "aws",
    account_id: "111111111111",
    scan_id: "scan-1",
    check_id: "iam_root_mfa_enabled",
    check_title: "Ensure MFA is enabled for the root account",
    status: "FAIL",
    status_extended: "Root account has no MFA.",
    severity: "critical",
    service_name: "iam",
    region: "us-east-1",
    resource_uid: `arn:aws:iam::111111111111:root-${new ObjectId().toHexString()}`,
    resource_type: "AwsIamUser",
    compliance: [{ framework: "CIS-2.0", controls: ["1.5"] }],
    muted: false,
    first_seen_at: new Date(seen.getTime() - DAY_MS),
    last_seen_at: seen,
    created_at: seen,
    updated_at: seen,
    ...overrides,
  };
}

/** A scan run of `teamId`. */
export function scanRunDoc(teamId: string, overrides: Document = {}): Document {
  const created = (overrides["created_at"] as Date | undefined) ?? new Date();
  return {
    _id: new ObjectId(),
    team_id: teamId,
    account_id: "111111111111",
    provider: "aws",
    scanner: "prowler",
    status: "completed",
    started_at: created,
    finished_at: new Date(created.getTime() + 60_000),
    stats: { findings: 10, passed: 6, failed: 4 },
    created_at: created,
    updated_at: created,
    ...overrides,
  };
}

/** A security score of one account. */
export function securityScoreDoc(teamId: string, overrides: Document = {}): Document {
  const at = (overrides["computed_at"] as Date | undefined) ?? new Date();
  return {
    _id: new ObjectId(),
    team_id: teamId,
    account_id: "111111111111",
    provider: "aws",
    score: 72.5,
    passed: 29,
    failed: 11,
    muted: 0,
    failed_by_severity: { critical: 1, high: 3, medium: 4, low: 3, informational: 0 },
    computed_at: at,
    created_at: at,
    updated_at: at,
    ...overrides,
  };
}

/** A Nuclei match. */
export function nucleiDoc(teamId: string, overrides: Document = {}): Document {
  const at = (overrides["scanned_at"] as Date | undefined) ?? new Date();
  return {
    _id: new ObjectId(),
    team_id: teamId,
    scan_id: "nuclei-1",
    target: "https://app.example.com",
    scanned_at: at,
    template_id: "CVE-2021-44228",
    name: "Apache Log4j RCE",
    severity: "critical",
    type: "http",
    matched_at: "https://app.example.com/login",
    tags: ["cve", "rce"],
    created_at: at,
    updated_at: at,
    ...overrides,
  };
}

/** An SSL scan of one host. */
export function sslDoc(teamId: string, overrides: Document = {}): Document {
  const at = (overrides["scanned_at"] as Date | undefined) ?? new Date();
  return {
    _id: new ObjectId(),
    team_id: teamId,
    target: "app.example.com",
    port: 443,
    scanned_at: at,
    protocols: ["TLSv1.2", "TLSv1.3"],
    certificate: {
      subject: "CN=app.example.com",
      issuer: "CN=Example CA",
      subject_alt_names: ["app.example.com"],
      not_before: new Date(at.getTime() - 300 * DAY_MS),
      not_after: new Date(at.getTime() + 10 * DAY_MS),
      self_signed: false,
    },
    issues: [{ code: "certificate_expiring", severity: "medium", message: "Certificate expires in 10 days." }],
    grade: "B",
    created_at: at,
    updated_at: at,
    ...overrides,
  };
}

/** A header scan of one URL. */
export function headerDoc(teamId: string, overrides: Document = {}): Document {
  const at = (overrides["scanned_at"] as Date | undefined) ?? new Date();
  return {
    _id: new ObjectId(),
    team_id: teamId,
    target: "https://app.example.com",
    scanned_at: at,
    status_code: 200,
    present_headers: ["strict-transport-security"],
    missing_headers: ["content-security-policy", "x-frame-options"],
    score: 40,
    grade: "D",
    created_at: at,
    updated_at: at,
    ...overrides,
  };
}

/** An open vulnerability occurrence. */
export function occurrenceDoc(teamId: string, overrides: Document = {}): Document {
  const at = (overrides["first_seen_at"] as Date | undefined) ?? new Date(Date.now() - 40 * DAY_MS);
  return {
    _id: new ObjectId(),
    team_id: teamId,
    cve_id: "CVE-2023-1234",
    cwe_ids: ["CWE-79"],
    known_exploited: false,
    asset_id: "i-0abc",
    component_name: "openssl",
    component_version: "1.1.1",
    severity: "high",
    status: "open",
    source: "trivy",
    first_seen_at: at,
    last_seen_at: at,
    sla_started_at: at,
    sla_expires_at: new Date(at.getTime() + 30 * DAY_MS),
    created_at: at,
    updated_at: at,
    ...overrides,
  };
}

/** An AI model and one risk assessment of it. */
export function aiModelAndAssessment(
  teamId: string,
  overrides: { model?: Document; assessment?: Document } = {},
): { model: Document; assessment: Document } {
  const at = new Date();
  const model = {
    _id: new ObjectId(),
    team_id: teamId,
    name: "support-bot",
    model_version: "1.0",
    provider: "internal",
    intended_purpose: "Answers support tickets.",
    risk_tier: "limited",
    status: "deployed",
    owner: "ml@example.com",
    created_at: at,
    updated_at: at,
    ...overrides.model,
  };
  const assessment = {
    _id: new ObjectId(),
    team_id: teamId,
    model_id: (model._id as ObjectId).toHexString(),
    risk_tier: "limited",
    score: 64,
    findings: [
      { category: "bias", title: "Skewed answers by locale", severity: "high" },
      { category: "robustness", title: "Prompt injection", severity: "medium" },
    ],
    assessed_at: at,
    assessor: "risk@example.com",
    created_at: at,
    updated_at: at,
    ...overrides.assessment,
  };
  return { model, assessment };
}

/** A framework with its controls and check mappings (shared catalogue documents). */
export function complianceCatalog(
  frameworkId: string,
  controls: readonly { controlId: string; checks: readonly string[] }[],
): {
  framework: Document;
  controls: Document[];
  mappings: Document[];
} {
  const at = new Date();
  return {
    framework: {
      _id: new ObjectId(),
      framework_id: frameworkId,
      name: `Framework ${frameworkId}`,
      version: "1.0",
      created_at: at,
      updated_at: at,
    },
    controls: controls.map((c) => ({
      _id: new ObjectId(),
      framework_id: frameworkId,
      control_id: c.controlId,
      title: `Control ${c.controlId}`,
      created_at: at,
      updated_at: at,
    })),
    mappings: controls.flatMap((c) =>
      c.checks.map((check) => ({
        _id: new ObjectId(),
        framework_id: frameworkId,
        control_id: c.controlId,
        check_id: check,
        created_at: at,
        updated_at: at,
      })),
    ),
  };
}
