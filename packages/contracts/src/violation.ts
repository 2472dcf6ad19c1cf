/** The stable ids of the rules: the four contracts of the brief, in its order, then tenancy by construction. */
export const RULE_IDS = [
  "no-legacy-collection",
  "registry-database-names",
  "no-cross-database-lookup",
  "migrations-registered",
  "no-hand-written-tenant-filter",
] as const;

/** One of `RULE_IDS`, e.g. `"no-cross-database-lookup"`. */
export type RuleId = (typeof RULE_IDS)[number];

/** One broken contract at one place: `file` is relative to the check's `cwd`, `line`/`column` are 1-based. */
export interface Violation {
  readonly rule: RuleId;
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

/** One-line description of every rule, for `--help` and the README. */
export const RULE_DESCRIPTIONS: Readonly<Record<RuleId, string>> = {
  "no-legacy-collection": "production code names a legacy collection (cloud_accounts); use its registry replacement",
  "registry-database-names": "a database-name literal outside the registry package; derive names from DatabaseRegistry",
  "no-cross-database-lookup": "a $lookup/$graphLookup/$unionWith names a collection another database owns",
  "migrations-registered": "a defineMigration() without a literal, unique id, or never registered with the runner",
  "no-hand-written-tenant-filter": "a team_id condition written by hand in a filter or pipeline; use repository.forTeam(teamId)",
};

/** True when `value` is one of the stable rule ids. */
export function isRuleId(value: string): value is RuleId {
  return (RULE_IDS as readonly string[]).includes(value);
}
