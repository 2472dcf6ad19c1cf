import { SEVERITIES } from "@cspm/domain";
/**
 * Seeding documents come from the services' own test fixtures (one source, valid against the `@cspm/domain`
 * schemas); this file adds only the scanner-shaped findings the import tests need.
 */
import type { ScannedFinding } from "@cspm/domain";

export { complianceCatalog, findingDoc, scanRunDoc } from "@cspm/test-fixtures";

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
