import { z } from "zod";
import { CLOUD_PROVIDERS, type CloudProvider, checkProviderAccountId } from "../common/cloudProvider";
import { RefIdSchema, tenantDocumentSchema } from "../common/documentSchema";
import { ResourceTagsSchema } from "../common/resourceTagSchema";
import { sightingLifecycleShape } from "../common/scanSightings";
import { SeveritySchema } from "../common/severity";

/**
 * Every provider a finding can come from: the cloud providers accounts are registered for, plus the other
 * platforms Prowler scans (Microsoft 365, GitHub, …), whose account ids are only checked for shape.
 */
export const FINDING_PROVIDERS = [
  ...CLOUD_PROVIDERS,
  "m365",
  "github",
  "googleworkspace",
  "mongodbatlas",
  "oraclecloud",
  "alibabacloud",
  "nhn",
  "iac",
  "llm",
] as const;

/** One of `FINDING_PROVIDERS`. */
export const FindingProviderSchema = z.enum(FINDING_PROVIDERS);

/** The provider of a finding: a cloud provider or another platform Prowler scans. */
export type FindingProvider = z.infer<typeof FindingProviderSchema>;

/**
 * Which tool or product reported a finding: `prowler`, or the Security Hub product of an ASFF finding
 * (`aws-inspector`, `aws-guardduty`, `aws-config` …). Lower-case letters, digits and `-`.
 */
export const FindingSourceSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,63}$/, "must be a lower-case source id such as prowler or aws-inspector");

/** Prowler's check statuses. */
export const FINDING_STATUSES = ["PASS", "FAIL", "MANUAL"] as const;

/**
 * The fields that identify one finding (with `team_id`): the unique index `finding_identity_unique`. Findings
 * of other ASFF products carry their source in `check_id` (`aws-inspector.CVE-2017-9735`), so they never share
 * an identity with a Prowler check.
 */
export const FINDING_IDENTITY_FIELDS = ["account_id", "check_id", "resource_uid", "region"] as const;

/**
 * The controls of one framework a check maps to. Stored as an array of `{ framework, controls }` rather
 * than Prowler's `{ "CIS-2.0": ["1.1"] }` map, because framework names contain `.` (illegal in a MongoDB
 * field path) and so that `compliance.framework` can be queried and indexed.
 */
export const FindingComplianceSchema = z.strictObject({
  framework: z.string().min(1).max(128),
  controls: z.array(z.string().min(1).max(128)).max(500),
});

/** One framework's controls for a finding. */
export type FindingCompliance = z.infer<typeof FindingComplianceSchema>;

/**
 * Where a finding is in its lifecycle: `open` (seen by its latest scan), `resolved` (a complete, full scan no
 * longer saw it), `reopened` (resolved once, then seen again). Stored by the write path so it can be filtered
 * and counted on an index.
 */
export const FINDING_STATES = ["open", "resolved", "reopened"] as const;

/** One of `FINDING_STATES`. */
export type FindingState = (typeof FINDING_STATES)[number];

/** Numeric rank of each severity (stored as `severity_rank`, so "most severe first" is an index order). */
export const SEVERITY_RANK: Readonly<Record<z.infer<typeof SeveritySchema>, number>> = {
  critical: 5,
  high: 4,
  medium: 3,
  low: 2,
  informational: 1,
};

/** How many entries a finding's `history` keeps (the most recent). */
export const FINDING_HISTORY_LIMIT = 50;

/** Longest search term stored, and most terms per finding. */
const MAX_SEARCH_TERM = 64;
const MAX_SEARCH_TERMS = 100;

/**
 * The lower-cased words of `text` (letters and digits; everything else separates), each clipped to 64
 * characters: what `search_terms` stores and what a search is split into, so both sides tokenize alike.
 */
export function searchTokens(text: string | undefined): string[] {
  if (text === undefined) return [];
  return text
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word !== "")
    .map((word) => word.slice(0, MAX_SEARCH_TERM));
}

/** The stored `search_terms` of a finding: the distinct words of its check title and resource name (at most 100). */
export function findingSearchTerms(checkTitle: string | undefined, resourceName: string | undefined): string[] {
  return [...new Set([...searchTokens(checkTitle), ...searchTokens(resourceName)])].slice(0, MAX_SEARCH_TERMS);
}

/** One entry of a finding's `history`: a scan that saw it new or changed, with the state it saw. */
export const FindingHistoryEntrySchema = z.strictObject({
  scan_id: RefIdSchema,
  at: z.date(),
  status: z.enum(["PASS", "FAIL", "MANUAL"]),
  severity: SeveritySchema,
});

/** One entry of `history`. */
export type FindingHistoryEntry = z.infer<typeof FindingHistoryEntrySchema>;

/** The fields a finding's `delta` compares with the previous scan. */
export const FINDING_STATE_FIELDS = ["status", "severity", "status_extended"] as const;

/** The fields of a finding without the cross-field check; use `ProwlerFindingSchema` to validate. */
export const ProwlerFindingObjectSchema = tenantDocumentSchema({
  provider: FindingProviderSchema,
  /** The reporting tool or product; `prowler` when not given. */
  source: FindingSourceSchema.default("prowler"),
  account_id: z.string().min(1).max(253),
  scan_id: RefIdSchema,
  check_id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$/, "must be a Prowler check id such as iam_root_mfa_enabled"),
  check_title: z.string().min(1).max(1000),
  status: z.enum(FINDING_STATUSES),
  status_extended: z.string().max(4000),
  severity: SeveritySchema,
  service_name: z.string().min(1).max(128),
  region: z.string().min(1).max(64),
  resource_uid: z.string().min(1).max(2048),
  resource_type: z.string().min(1).max(256),
  resource_name: z.string().max(1024).optional(),
  resource_tags: ResourceTagsSchema.optional(),
  description: z.string().max(4000).optional(),
  risk: z.string().max(4000).optional(),
  remediation: z.strictObject({ recommendation: z.string().max(4000).optional(), url: z.url().optional() }).optional(),
  compliance: z.array(FindingComplianceSchema).max(200),
  muted: z.boolean(),
  muted_reason: z.string().max(1000).optional(),
  /** The ids of the mute rules that mute this finding (set and unset by `MuteRuleService`, and by each import). */
  muted_by_rule: z
    .array(z.string().regex(/^[0-9a-f]{24}$/))
    .max(100)
    .optional(),
  /** `SEVERITY_RANK[severity]`, derived by the write path: the index order of "most severe first". */
  severity_rank: z.number().int().min(1).max(5).optional(),
  /** `findingSearchTerms(check_title, resource_name)`, derived by the write path: the prefix-search index. */
  search_terms: z.array(z.string().min(1).max(MAX_SEARCH_TERM)).max(MAX_SEARCH_TERMS).optional(),
  /** Lifecycle state (see `FINDING_STATES`), maintained by the write path and the resolve sweep. */
  state: z.enum(FINDING_STATES).optional(),
  /** The scans that saw the finding new or changed (status, severity), oldest first, at most the last 50. */
  history: z.array(FindingHistoryEntrySchema).max(FINDING_HISTORY_LIMIT).optional(),
  first_seen_at: z.date(),
  last_seen_at: z.date(),
  /** When the tool itself says it evaluated the check (the file's timestamp), when it says so. */
  observed_at: z.date().optional(),
  ...sightingLifecycleShape({
    status: z.enum(FINDING_STATUSES).optional(),
    severity: SeveritySchema.optional(),
    status_extended: z.string().max(4000).optional(),
  }),
});

/**
 * One Prowler check result (`cspm_cloud_security.prowler_findings`), unique per
 * team/account/check/resource/region. `account_id` must match the provider's format.
 */
export const ProwlerFindingSchema = ProwlerFindingObjectSchema.superRefine((finding, ctx) => {
  if ((CLOUD_PROVIDERS as readonly string[]).includes(finding.provider)) {
    checkProviderAccountId(finding.provider as CloudProvider, finding.account_id, ctx);
  } else if (!/^[^\s<>$][^\s<>]*$/.test(finding.account_id)) {
    ctx.addIssue({ code: "custom", path: ["account_id"], message: "must be an account, tenant or organization id without spaces" });
  }
  if (finding.last_seen_at < finding.first_seen_at) {
    ctx.addIssue({ code: "custom", path: ["last_seen_at"], message: "must not be before first_seen_at" });
  }
});

/** A stored Prowler finding. */
export type ProwlerFinding = z.infer<typeof ProwlerFindingSchema>;

/**
 * Converts Prowler's compliance map (`{ "CIS-2.0": ["1.1", "1.2"] }`) into the stored form
 * (`[{ framework: "CIS-2.0", controls: ["1.1", "1.2"] }]`), frameworks sorted, controls de-duplicated.
 */
export function complianceFromMap(map: Readonly<Record<string, readonly string[]>>): FindingCompliance[] {
  return Object.keys(map)
    .sort()
    .map((framework) => ({ framework, controls: [...new Set(map[framework] ?? [])] }));
}

/** Converts the stored compliance array back to Prowler's `{ framework: controls }` map. */
export function complianceToMap(compliance: readonly FindingCompliance[]): Record<string, string[]> {
  const map: Record<string, string[]> = {};
  for (const entry of compliance) map[entry.framework] = [...(map[entry.framework] ?? []), ...entry.controls];
  return map;
}
