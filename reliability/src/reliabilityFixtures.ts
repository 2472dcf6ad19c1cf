/**
 * Documents in stored shape (snake_case, system fields filled) for seeding, valid against the
 * `@cspm/domain` schemas, and scanner-shaped findings for imports.
 */
import type { ScannedFinding } from "@cspm/domain";
import { type Document, ObjectId } from "mongodb";

const DAY_MS = 86_400_000;
const SEVERITIES = ["critical", "high", "medium", "low", "informational"] as const;

/** A stored Prowler finding of `teamId`; `overrides` win. */
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

/** A stored scan run of `teamId`. */
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

/** A shared framework with its controls and check mappings. */
export function complianceCatalog(
  frameworkId: string,
  controls: readonly { controlId: string; checks: readonly string[] }[],
): { framework: Document; controls: Document[]; mappings: Document[] } {
  const at = new Date();
  return {
    framework: { _id: new ObjectId(), framework_id: frameworkId, name: `Framework ${frameworkId}`, version: "1.0", created_at: at, updated_at: at },
    controls: controls.map((c) => ({ _id: new ObjectId(), framework_id: frameworkId, control_id: c.controlId, title: `Control ${c.controlId}`, created_at: at, updated_at: at })),
    mappings: controls.flatMap((c) =>
      c.checks.map((check) => ({ _id: new ObjectId(), framework_id: frameworkId, control_id: c.controlId, check_id: check, created_at: at, updated_at: at })),
    ),
  };
}

/** `count` scanner-shaped findings of one AWS account (for `ProwlerFindingRepository.upsertFromScan`), deterministic by index. */
export function scannedFindings(count: number, options: { accountId?: string; scanId?: string; offset?: number } = {}): ScannedFinding[] {
  const accountId = options.accountId ?? "111111111111";
  const offset = options.offset ?? 0;
  return Array.from({ length: count }, (_, n) => {
    const i = n + offset;
    return {
      provider: "aws",
      account_id: accountId,
      scan_id: options.scanId ?? "scan-import",
      check_id: `check_${i % 97}`,
      check_title: `Check ${i % 97}`,
      status: i % 3 === 0 ? "PASS" : "FAIL",
      status_extended: `Resource ${i} evaluated.`,
      severity: SEVERITIES[i % SEVERITIES.length] as (typeof SEVERITIES)[number],
      service_name: "s3",
      region: `eu-west-${(i % 3) + 1}`,
      resource_uid: `arn:aws:s3:::bucket-${i}`,
      resource_type: "AwsS3Bucket",
      compliance: [{ framework: "CIS-2.0", controls: [`2.1.${i % 5}`] }],
    };
  });
}
