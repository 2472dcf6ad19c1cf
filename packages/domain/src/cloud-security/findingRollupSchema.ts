import { z } from "zod";
import { tenantDocumentSchema } from "../common/documentSchema";
import { SEVERITIES } from "../common/severity";

/**
 * What a rollup row counts by: `all` (the account, provider and day as a whole), and one value of severity,
 * service (`service_name`), region, check (`check_id`) or compliance framework — all by the day of the last
 * sighting; `check_week` counts by check and the UTC week (Monday) of the last sighting, so a window reads one
 * row per check and whole week instead of seven; `first_seen` and `resolved` count by the day of the first
 * sighting and of the resolution (the trends), with no value.
 */
export const FINDING_ROLLUP_DIMENSIONS = [
  "all",
  "severity",
  "service",
  "region",
  "check",
  "check_week",
  "framework",
  "first_seen",
  "resolved",
] as const;

/** One of `FINDING_ROLLUP_DIMENSIONS`. */
export type FindingRollupDimension = (typeof FINDING_ROLLUP_DIMENSIONS)[number];

const count = z.number().int().min(0);
const failingBySeverity = Object.fromEntries(SEVERITIES.map((severity) => [`failed_${severity}`, count])) as Record<
  `failed_${(typeof SEVERITIES)[number]}`,
  typeof count
>;

/** The `account_id` of the team-wide rows: the account rows of each dimension but `all`, summed over accounts. */
export const TEAM_ROLLUP_ACCOUNT = "#team";

/**
 * One rollup row (`cspm_cloud_security.finding_rollups`): the counts of a team's unmuted findings of one
 * account and provider, last seen on one UTC `day` (first seen or resolved that day for the `first_seen` and
 * `resolved` dimensions; last seen in the week starting that Monday for `check_week`), open (`resolved_at` unset) or resolved, with one value
 * (`key`, null when the findings have none) of one `dimension`. Framework rows count PASS/FAIL findings once
 * per framework entry of their `compliance`. `row_key` names the row within its account (the upsert identity).
 * Team-wide rows (`account_id` `#team`) sum the account rows of every dimension but `all` and list, for checks,
 * the accounts where the check fails (`failing_accounts`). `team_view` marks the rows a dashboard of all
 * accounts reads in one index range: the team-wide rows but the `check` ones (it reads those only for the days
 * before the window's first Monday) and the accounts' `all` rows.
 */
export const FindingRollupSchema = tenantDocumentSchema({
  account_id: z.string().min(1).max(253),
  row_key: z.string().min(1).max(4096),
  provider: z.string().max(64).nullable(),
  day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "must be YYYY-MM-DD"),
  open: z.boolean(),
  dimension: z.enum(FINDING_ROLLUP_DIMENSIONS),
  key: z.string().max(2048).nullable(),
  total: count,
  passed: count,
  failed: count,
  manual: count,
  ...failingBySeverity,
  team_view: z.boolean(),
  /** Team-wide check and check_week rows: the accounts where the check fails that day (week). */
  failing_accounts: z.array(z.string().min(1).max(253)).max(100_000).optional(),
  /** Check and check_week rows: the title and severity of the check's findings. */
  title: z.string().max(4096).nullable().optional(),
  severity: z.string().max(32).nullable().optional(),
});

/** An account whose rollups are stale (`cspm_cloud_security.finding_rollup_marks`); `*` stands for every account. */
export const FindingRollupMarkSchema = tenantDocumentSchema({
  account_id: z.string().min(1).max(253),
  /** Bumped by every write that touches the account; a rebuild clears the mark only if it is unchanged. */
  generation: z.number().int().min(1),
  /** When the account was first marked since its last rebuild (the rollup lag). */
  marked_at: z.date(),
});

const cellValue = (max: number) => z.string().max(max).nullable();

/**
 * One facet cell (`cspm_cloud_security.finding_facet_cells`): how many of a team's findings of one account —
 * muted or not, open or resolved — share every value the finding explorer facets and filters by
 * (`FACET_CELL_FIELDS`, stored under the findings' own field names, null when a finding has none), and how
 * many compliance entries of each framework they hold (`frameworks`, in framework order). Facets under a
 * filter on those fields are sums over the matching cells instead of a count of every matching finding.
 * `row_key` names the cell within its account (the upsert identity).
 */
export const FindingFacetCellSchema = tenantDocumentSchema({
  account_id: z.string().min(1).max(253),
  row_key: z.string().min(1).max(65_536),
  provider: cellValue(4096),
  service_name: cellValue(4096),
  region: cellValue(4096),
  check_id: cellValue(4096),
  severity: cellValue(4096),
  status: cellValue(4096),
  delta: cellValue(4096),
  state: cellValue(4096),
  muted: z.boolean().nullable(),
  count: z.number().int().min(1),
  frameworks: z.array(z.strictObject({ framework: z.string().max(128).nullable(), count: z.number().int().min(1) })).max(10_000),
});

/** The finding fields a facet cell is keyed by (besides `account_id`): the explorer's facets but `framework`. */
export const FACET_CELL_FIELDS = [
  "provider",
  "service_name",
  "region",
  "check_id",
  "severity",
  "status",
  "delta",
  "state",
  "muted",
] as const;
