/**
 * Test-only: two teams' findings written through THE finding write path (`recordSightings`, the resolve
 * sweep), over three scans, so every lifecycle value (new/changed/unchanged, open/resolved/reopened) and the
 * history exist. Shared by the finding query and mute rule tests.
 */
import { ProwlerFindingRepository, type SightedFinding } from "@cspm/domain";
import type { RepositoryFactory } from "@cspm/repository";

/** The sighting times of the three scans of team A. */
export const SCAN_TIMES = {
  first: new Date("2024-06-01T10:00:00.000Z"),
  second: new Date("2024-06-08T10:00:00.000Z"),
  third: new Date("2024-06-15T10:00:00.000Z"),
} as const;

const CHECKS = [
  { id: "iam_root_mfa_enabled", title: "Ensure MFA is enabled for the root account", service: "iam" },
  { id: "s3_bucket_public_access", title: "Check S3 Bucket Public Access", service: "s3" },
  { id: "ec2_securitygroup_allow_ingress_ssh", title: "Security group allows SSH from the internet", service: "ec2" },
  { id: "kms_cmk_rotation_enabled", title: "KMS key rotation enabled", service: "kms" },
] as const;
const SEVERITIES = ["critical", "high", "medium", "low", "informational"] as const;
const STATUSES = ["FAIL", "PASS", "MANUAL"] as const;
const REGIONS = ["us-east-1", "eu-west-1", "global"] as const;

/** Team A's accounts: two AWS accounts and one Azure subscription. */
export const TEAM_A_ACCOUNTS = [
  { provider: "aws", id: "111111111111" },
  { provider: "aws", id: "333333333333" },
  { provider: "azure", id: "0f0e0d0c-0b0a-4000-8000-000000000001" },
] as const;

/** Team B's only account. */
export const TEAM_B_ACCOUNT = "444444444444";

/** Finding number `i` of a team (deterministic). */
export function sampleFinding(team: "a" | "b", i: number, overrides: Partial<SightedFinding> = {}): SightedFinding {
  const check = CHECKS[i % CHECKS.length] as (typeof CHECKS)[number];
  const account =
    team === "a" ? (TEAM_A_ACCOUNTS[i % 3] as (typeof TEAM_A_ACCOUNTS)[number]) : ({ provider: "aws", id: TEAM_B_ACCOUNT } as const);
  const region = REGIONS[Math.floor(i / 4) % 3] as string;
  return {
    source: "prowler",
    provider: account.provider,
    account_id: account.id,
    check_id: check.id,
    check_title: check.title,
    status: STATUSES[i % 3] as (typeof STATUSES)[number],
    status_extended: `result ${i}`,
    severity: SEVERITIES[i % 5] as (typeof SEVERITIES)[number],
    service_name: check.service,
    region,
    resource_uid: `arn:${team}:${check.service}:${region}:${account.id}:resource/${team === "a" ? "prod" : "other"}-${String(i).padStart(3, "0")}`,
    resource_type: "Other",
    resource_name: `${team === "a" ? "payments" : "teamb"}-bucket-${i}`,
    resource_tags: [{ key: "env", value: i % 2 === 0 ? "prod" : "dev" }],
    compliance:
      i % 2 === 0 ? [{ framework: "CIS-2.0", controls: [i % 4 === 0 ? "1.1" : "2.3"] }] : [{ framework: "SOC2", controls: ["cc6.1"] }],
    ...overrides,
  };
}

/** How many findings team A's first scan sees. */
export const TEAM_A_FIRST_SCAN = 48;

/**
 * Seeds both teams: team A scan 1 (findings 0–47), scan 2 (0–35, every sixth one with its status flipped;
 * full, so 36–47 are resolved), scan 3 (36–39 again: reopened; 48–51 new); team B one scan of 20 findings.
 */
export async function seedTwoTeams(repositories: RepositoryFactory): Promise<void> {
  const findings = repositories.get(ProwlerFindingRepository);
  const range = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => from + k);
  const flipped = (i: number): Partial<SightedFinding> => (i % 6 === 0 ? { status: i % 3 === 0 ? "PASS" : "FAIL" } : {});
  const write = async (team: string, scanId: string, docs: SightedFinding[], seenAt: Date) => {
    const result = await findings.recordSightings(team, scanId, docs, { seenAt });
    if (result.errors.length > 0) throw new Error(`seed failed: ${JSON.stringify(result.errors.slice(0, 3))}`);
  };
  await write(
    "team_a",
    "scan-a-1",
    range(0, TEAM_A_FIRST_SCAN).map((i) => sampleFinding("a", i)),
    SCAN_TIMES.first,
  );
  await write(
    "team_a",
    "scan-a-2",
    range(0, 36).map((i) => sampleFinding("a", i, flipped(i))),
    SCAN_TIMES.second,
  );
  await findings.resolveUnseen(
    "team_a",
    { scanId: "scan-a-2", seenAt: SCAN_TIMES.second, accountIds: TEAM_A_ACCOUNTS.map((a) => a.id), sources: ["prowler"] },
    SCAN_TIMES.second,
  );
  await write(
    "team_a",
    "scan-a-3",
    [...range(36, 40), ...range(48, 52)].map((i) => sampleFinding("a", i)),
    SCAN_TIMES.third,
  );
  await write(
    "team_b",
    "scan-b-1",
    range(0, 20).map((i) => sampleFinding("b", i)),
    SCAN_TIMES.third,
  );
}
