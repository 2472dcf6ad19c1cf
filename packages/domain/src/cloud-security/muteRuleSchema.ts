import { z } from "zod";
import { tenantDocumentSchema } from "../common/documentSchema";
import { ResourceTagSchema } from "../common/resourceTagSchema";

/** Longest resource uid glob of a mute rule. */
const MAX_PATTERN = 2048;

/**
 * A resource uid pattern of a mute rule: a glob where `*` is any run of characters and `?` one character;
 * every other character (regex metacharacters included) matches itself.
 */
export const ResourceUidGlobSchema = z.string().min(1).max(MAX_PATTERN);

/**
 * A mute rule (`cspm_cloud_security.mute_rules`): findings matching every given criterion (any of the listed
 * check ids, accounts and regions; the resource uid glob; all the tags) are muted while the rule is enabled.
 * A reason is required; at least one criterion must be given.
 */
export const MuteRuleSchema = tenantDocumentSchema({
  name: z.string().trim().min(1).max(200),
  reason: z.string().trim().min(1).max(1000),
  check_ids: z
    .array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,199}$/, "must be a check id such as iam_root_mfa_enabled"))
    .max(100)
    .optional(),
  account_ids: z.array(z.string().min(1).max(253)).max(100).optional(),
  regions: z.array(z.string().min(1).max(64)).max(100).optional(),
  resource_uid_pattern: ResourceUidGlobSchema.optional(),
  tags: z.array(ResourceTagSchema).max(20).optional(),
  enabled: z.boolean(),
  created_by: z.string().max(256).optional(),
}).refine(
  (rule) =>
    (rule.check_ids?.length ?? 0) + (rule.account_ids?.length ?? 0) + (rule.regions?.length ?? 0) + (rule.tags?.length ?? 0) > 0 ||
    rule.resource_uid_pattern !== undefined,
  {
    message: "a mute rule needs at least one criterion (check_ids, account_ids, regions, resource_uid_pattern or tags)",
    path: ["check_ids"],
  },
);

/** A stored mute rule. */
export type MuteRule = z.infer<typeof MuteRuleSchema>;

const REGEX_META = /[\\^$.*+?()[\]{}|/]/g;

/**
 * The anchored regular expression source of a resource uid glob: every character is escaped, then `*` and
 * `?` become `.*` and `.`. Nothing of the input can act as regex syntax (no injection), and the literal
 * prefix before the first wildcard gives the index bounds.
 */
export function globToRegexSource(glob: string): string {
  let out = "^";
  for (const char of glob) {
    if (char === "*") out += ".*";
    else if (char === "?") out += ".";
    else out += char.replace(REGEX_META, "\\$&");
  }
  return `${out}$`;
}

/** The criteria of a rule, as stored. */
export type MuteRuleCriteria = Pick<MuteRule, "check_ids" | "account_ids" | "regions" | "resource_uid_pattern" | "tags">;

/**
 * The finding filter (without `team_id`, which the repository adds) of a rule's criteria: the one
 * translation used when a rule is applied to stored findings and when an import applies the team's rules.
 */
export function muteRuleFindingFilter(criteria: MuteRuleCriteria): Record<string, unknown> {
  const filter: Record<string, unknown> = {};
  if (criteria.check_ids !== undefined && criteria.check_ids.length > 0) filter["check_id"] = { $in: [...criteria.check_ids] };
  if (criteria.account_ids !== undefined && criteria.account_ids.length > 0) filter["account_id"] = { $in: [...criteria.account_ids] };
  if (criteria.regions !== undefined && criteria.regions.length > 0) filter["region"] = { $in: [...criteria.regions] };
  if (criteria.resource_uid_pattern !== undefined)
    filter["resource_uid"] = { $regex: globToRegexSource(criteria.resource_uid_pattern), $options: "s" };
  if (criteria.tags !== undefined && criteria.tags.length > 0) {
    filter["resource_tags"] = { $all: criteria.tags.map((tag) => ({ $elemMatch: { key: tag.key, value: tag.value } })) };
  }
  return filter;
}

/** What `muteRuleMatches` reads of a finding. */
export interface MuteRuleSubject {
  readonly check_id: string;
  readonly account_id: string;
  readonly region: string;
  readonly resource_uid: string;
  readonly resource_tags?: readonly { readonly key: string; readonly value: string }[] | undefined;
}

/**
 * Whether a finding (before it is written) matches a rule's criteria: the same rule as
 * `muteRuleFindingFilter` evaluated in the process, so an import can mute in the same write it stores with.
 */
export function muteRuleMatches(criteria: MuteRuleCriteria, finding: MuteRuleSubject): boolean {
  if (criteria.check_ids !== undefined && criteria.check_ids.length > 0 && !criteria.check_ids.includes(finding.check_id)) return false;
  if (criteria.account_ids !== undefined && criteria.account_ids.length > 0 && !criteria.account_ids.includes(finding.account_id))
    return false;
  if (criteria.regions !== undefined && criteria.regions.length > 0 && !criteria.regions.includes(finding.region)) return false;
  if (
    criteria.resource_uid_pattern !== undefined &&
    !new RegExp(globToRegexSource(criteria.resource_uid_pattern), "s").test(finding.resource_uid)
  )
    return false;
  if (criteria.tags !== undefined && criteria.tags.length > 0) {
    const tags = finding.resource_tags ?? [];
    if (!criteria.tags.every((want) => tags.some((tag) => tag.key === want.key && tag.value === want.value))) return false;
  }
  return true;
}
