import { z } from "zod";
import { checkProviderAccountId, CloudProviderSchema } from "../common/cloudProvider";
import { RefIdSchema, tenantDocumentSchema } from "../common/documentSchema";
import { ResourceTagsSchema } from "../common/resourceTagSchema";
import { SeveritySchema } from "../common/severity";

/** Prowler's check statuses. */
export const FINDING_STATUSES = ["PASS", "FAIL", "MANUAL"] as const;

/** The fields that identify one finding (with `team_id`): the unique index `finding_identity_unique`. */
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

/** The fields of a finding without the cross-field check; use `ProwlerFindingSchema` to validate. */
export const ProwlerFindingObjectSchema = tenantDocumentSchema({
  provider: CloudProviderSchema,
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
  first_seen_at: z.date(),
  last_seen_at: z.date(),
});

/**
 * One Prowler check result (`cspm_cloud_security.prowler_findings`), unique per
 * team/account/check/resource/region. `account_id` must match the provider's format.
 */
export const ProwlerFindingSchema = ProwlerFindingObjectSchema.superRefine((finding, ctx) => {
  checkProviderAccountId(finding.provider, finding.account_id, ctx);
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
