/**
 * Property test of the finding rollups: random imports, resolve sweeps, mute rules (create, delete) and
 * deletes of two teams, and after every step the rollup answers of the dashboard, the posture overviews and
 * the trends must equal the answers computed from the findings themselves (the dashboard's `$facet` over
 * `prowler_findings`, and an in-test count of the stored findings for the overviews and trends), and the
 * explorer's facets under a random filter of cell fields (summed from the facet cells) must equal the facets
 * counted over the findings. The seed is printed on failure; `ROLLUP_PROPERTY_SEED=<n>` replays one run.
 */
import { FINDING_STATES, FindingRollupRepository, ProwlerFindingRepository, SIGHTING_DELTAS, type SightedFinding } from "@cspm/domain";
import { parseInput, parseTeamId, trustedFilter } from "@cspm/repository";
import { type SeededRandom, seededRandom } from "@cspm/testkit";
import type { Document } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDashboardSummaryPipeline, shapeDashboardSummary } from "./dashboardSummaryPipeline";
import { type FindingFilter, FindingFilterSchema, facetsFromCells, findingFacetsPipeline, shapeFindingFacets } from "./findingQueryService";
import { openServicesTestbed, type ServicesTestbed } from "./testing/servicesTestbed";

const NOW = new Date("2024-06-15T12:00:00.000Z");
const DAY = 86_400_000;
const TEAMS = ["team_r1", "team_r2"] as const;
const ACCOUNTS = [
  { provider: "aws", id: "111111111111" },
  { provider: "aws", id: "222222222222" },
  { provider: "azure", id: "0f0e0d0c-0b0a-4000-8000-000000000001" },
] as const;
// Prowler gives every finding of a check the same title and severity; so does this generator.
const CHECKS = [
  { id: "iam_root_mfa_enabled", service: "iam", severity: "critical" },
  { id: "s3_bucket_public_access", service: "s3", severity: "high" },
  { id: "ec2_securitygroup_allow_ingress_ssh", service: "ec2", severity: "high" },
  { id: "kms_cmk_rotation_enabled", service: "kms", severity: "medium" },
  { id: "cloudtrail_multi_region_enabled", service: "cloudtrail", severity: "low" },
  { id: "account_contact_details", service: "account", severity: "informational" },
] as const;
const REGIONS = ["us-east-1", "eu-west-1", "global"] as const;
const STATUSES = ["PASS", "FAIL", "MANUAL"] as const;
const FRAMEWORKS = ["CIS-2.0", "SOC2", "ISO27001-2022"] as const;
const STEPS = 40;

function randomFinding(random: SeededRandom, account: (typeof ACCOUNTS)[number]): SightedFinding {
  const check = random.pick(CHECKS);
  const region = random.pick(REGIONS);
  const resource = random.int(6);
  const frameworks = FRAMEWORKS.filter(() => random.next() < 0.4);
  return {
    source: "prowler",
    provider: account.provider,
    account_id: account.id,
    check_id: check.id,
    check_title: `Title of ${check.id}`,
    status: random.pick(STATUSES),
    status_extended: `result ${random.int(3)}`,
    severity: check.severity,
    service_name: check.service,
    region,
    resource_uid: `arn:${check.service}:${region}:${account.id}:resource/r-${resource}`,
    resource_type: "Other",
    resource_name: `r-${resource}`,
    resource_tags: [{ key: "env", value: random.next() < 0.5 ? "prod" : "dev" }],
    compliance: frameworks.map((framework) => ({ framework, controls: ["1.1"] })),
  };
}

let bed: ServicesTestbed;

beforeAll(async () => {
  bed = await openServicesTestbed({ now: NOW, label: "rollprop" });
});

afterAll(async () => {
  await bed?.close();
});

/** The dashboard computed from the findings (the `$facet` the rollups replace), for the default window or from `since`. */
async function dashboardFromFindings(
  team: string,
  accountIds: readonly string[] | null = null,
  since = new Date(Date.UTC(2024, 5, 15) - 29 * DAY),
): Promise<Document> {
  const scope = { teamId: team, accountIds, since };
  const [facet] = await bed.repositories.get(ProwlerFindingRepository).forTeam(team).aggregate(buildDashboardSummaryPipeline(scope));
  return shapeDashboardSummary(facet, scope, NOW) as unknown as Document;
}

/** The open, unmuted findings' counts per provider and `field` value, counted here from the stored findings. */
async function overviewFromFindings(
  team: string,
  field: "account_id" | "service_name" | "region",
  accountIds?: readonly string[],
): Promise<Document[]> {
  const stored = await bed.manager
    .getCollection("CLOUD_SECURITY", "prowler_findings")
    .find({ team_id: team, muted: false, resolved_at: null, ...(accountIds === undefined ? {} : { account_id: { $in: [...accountIds] } }) })
    .toArray();
  const rows = new Map<string, Document>();
  for (const finding of stored) {
    const id = `${finding["provider"]}\u0000${finding[field]}`;
    const row = rows.get(id) ?? { provider: finding["provider"], key: finding[field], total: 0, pass: 0, fail: 0, manual: 0 };
    row["total"] += 1;
    if (finding["status"] === "PASS") row["pass"] += 1;
    if (finding["status"] === "FAIL") row["fail"] += 1;
    if (finding["status"] === "MANUAL") row["manual"] += 1;
    rows.set(id, row);
  }
  return [...rows.values()].sort((a, b) => `${a["provider"]}${a["key"]}`.localeCompare(`${b["provider"]}${b["key"]}`));
}

const dayOf = (date: unknown): string | null => (date instanceof Date ? date.toISOString().slice(0, 10) : null);

/** The 30-day severity and findings trends, counted here from the stored findings as the trends define them. */
async function trendsFromFindings(team: string): Promise<{ severity: Document[]; findings: Document[] }> {
  const stored = await bed.manager.getCollection("CLOUD_SECURITY", "prowler_findings").find({ team_id: team, muted: false }).toArray();
  const labels = Array.from({ length: 30 }, (_, i) => new Date(Date.UTC(2024, 5, 15) - (29 - i) * DAY).toISOString().slice(0, 10));
  const first = labels[0] as string;
  const last = labels.at(-1) as string;
  // Whole UTC days: anything dated today counts today, even later than NOW.
  const inWindow = (date: unknown): boolean => date instanceof Date && (dayOf(date) as string) >= first && (dayOf(date) as string) <= last;
  const severity = labels.map((date) => {
    const point: Document = { date, critical: 0, high: 0, medium: 0, low: 0, informational: 0, total: 0 };
    for (const finding of stored) {
      if (finding["status"] !== "FAIL" || !((dayOf(finding["first_seen_at"]) ?? "") <= last)) continue;
      const until = dayOf(finding["resolved_at"]);
      if ((dayOf(finding["first_seen_at"]) as string) <= date && (until === null || until > date)) {
        point[finding["severity"]] += 1;
        point["total"] += 1;
      }
    }
    return point;
  });
  const findings = labels.map((date) => {
    const sighted = stored.filter((finding) => inWindow(finding["first_seen_at"]) && dayOf(finding["first_seen_at"]) === date);
    return {
      date,
      new: sighted.length,
      new_failing: sighted.filter((finding) => finding["status"] === "FAIL").length,
      // A resolution dated before the first sighting (a scan imported out of order) counts on the day of the first sighting.
      resolved: stored.filter((finding) => {
        const resolved = dayOf(finding["resolved_at"]);
        const sighted = dayOf(finding["first_seen_at"]) ?? "";
        return resolved !== null && (resolved > sighted ? resolved : sighted) === date;
      }).length,
    };
  });
  return { severity, findings };
}

/** A random explorer filter of cell fields only: each field present with probability 0.3, 1–2 values. */
function randomCellFilter(random: SeededRandom): FindingFilter {
  const some = <T>(values: readonly T[]): T[] => [...new Set([random.pick(values), random.pick(values)])];
  const filter: Record<string, unknown> = {};
  const maybe = (field: string, value: () => unknown) => {
    if (random.next() < 0.3) filter[field] = value();
  };
  maybe("severity", () => some(CHECKS.map((c) => c.severity)));
  maybe("status", () => some(STATUSES));
  maybe("provider", () => some(["aws", "azure"]));
  maybe("accountId", () => some(ACCOUNTS.map((a) => a.id)));
  maybe("service", () => some(CHECKS.map((c) => c.service)));
  maybe("region", () => some(REGIONS));
  maybe("checkId", () => some(CHECKS.map((c) => c.id)));
  maybe("muted", () => random.next() < 0.5);
  maybe("delta", () => some(SIGHTING_DELTAS));
  maybe("state", () => some(FINDING_STATES));
  return filter as FindingFilter;
}

/** The explorer's facets counted over the findings themselves (the aggregation the facet cells replace). */
async function facetsFromFindings(team: string, filter: FindingFilter): Promise<Document> {
  const pipeline = findingFacetsPipeline(parseInput(FindingFilterSchema, filter, "filter"), "findings");
  const [row] = await bed.repositories.get(ProwlerFindingRepository).forTeam(team).aggregate<Document>(pipeline);
  return shapeFindingFacets(row as never) as unknown as Document;
}

const comparable = (rows: readonly Document[]): Document[] =>
  rows
    .map((r) => ({ provider: r["provider"], key: r["key"], total: r["total"], pass: r["pass"], fail: r["fail"], manual: r["manual"] }))
    .sort((a, b) => `${a.provider}${a.key}`.localeCompare(`${b.provider}${b.key}`));

/**
 * `windowDays`: a second dashboard window (UTC midnight that many days before today), so windows starting on
 * every day of the week meet the rollups' check weeks.
 */
async function expectRollupsExact(team: string, context: string, windowDays: number, facetFilter: FindingFilter = {}): Promise<void> {
  const id = parseTeamId(team);
  expect(facetsFromCells(parseInput(FindingFilterSchema, facetFilter, "filter")), context).toBe(true);
  for (const filter of [{}, facetFilter]) {
    const facets = (await bed.findings.getFindingFacets(id, filter)) as unknown as Document;
    expect(facets, `${context} (facets under ${JSON.stringify(filter)})`).toEqual(await facetsFromFindings(team, filter));
  }
  await bed.aggregation.invalidate(id);
  const fromRollups = (await bed.aggregation.getDashboardSummary(id)) as unknown as Document;
  const expected = await dashboardFromFindings(team);
  expect({ ...fromRollups, generated_at: null }, context).toEqual({ ...expected, generated_at: null });
  const since = new Date(Date.UTC(2024, 5, 15) - windowDays * DAY);
  for (const accountIds of [null, [ACCOUNTS[1].id, ACCOUNTS[2].id].sort()]) {
    const windowed = await bed.aggregation.getDashboardSummary(id, { since, ...(accountIds === null ? {} : { accountIds }) });
    expect({ ...windowed, generated_at: null }, `${context} (since ${since.toISOString().slice(0, 10)}, ${accountIds ?? "all"})`).toEqual({
      ...(await dashboardFromFindings(team, accountIds, since)),
      generated_at: null,
    });
  }

  const providers = await bed.overview.getProviderOverview(id);
  const accounts = providers.providers.flatMap((p) => p.accounts.map((a) => ({ ...a, provider: p.provider, key: a.account_id })));
  expect(comparable(accounts), context).toEqual(comparable(await overviewFromFindings(team, "account_id")));
  const services = await bed.overview.getServiceOverview(id);
  expect(comparable(services.rows), context).toEqual(comparable(await overviewFromFindings(team, "service_name")));
  const regions = await bed.overview.getRegionOverview(id);
  expect(comparable(regions.rows), context).toEqual(comparable(await overviewFromFindings(team, "region")));

  const trends = await trendsFromFindings(team);
  expect((await bed.overview.getSeverityTrend(id)).points, `${context} (severity trend)`).toEqual(trends.severity);
  expect((await bed.overview.getFindingsTrend(id)).points, `${context} (findings trend)`).toEqual(trends.findings);

  // Some accounts: the account rows instead of the team-wide ones.
  const some = [ACCOUNTS[0].id, ACCOUNTS[2].id];
  const someFromRollups = (await bed.aggregation.getDashboardSummary(id, { accountIds: some })) as unknown as Document;
  expect({ ...someFromRollups, generated_at: null }, `${context} (accounts)`).toEqual({
    ...(await dashboardFromFindings(team, [...some].sort())),
    generated_at: null,
  });
  const someServices = await bed.overview.getServiceOverview(id, { accountIds: some });
  expect(comparable(someServices.rows), `${context} (accounts)`).toEqual(
    comparable(await overviewFromFindings(team, "service_name", some)),
  );
}

describe("finding rollups", () => {
  it("equal the answers from the findings after every random import, resolve, mute, unmute and delete", async () => {
    const seed = Number(process.env["ROLLUP_PROPERTY_SEED"] ?? Date.now() % 1_000_000);
    const random = seededRandom(seed);
    const findings = bed.repositories.get(ProwlerFindingRepository);
    const rules = new Map<string, string[]>(TEAMS.map((team) => [team, []]));
    let scans = 0;
    for (let step = 0; step < STEPS; step++) {
      const team = random.pick(TEAMS);
      const action = step < 3 ? "import" : random.pick(["import", "import", "import", "resolve", "mute", "unmute", "delete", "delete-any"]);
      const account = random.pick(ACCOUNTS);
      const context = `seed ${seed}, step ${step}: ${action} in ${team}`;
      if (action === "import") {
        // Some sightings before the trends' 30-day window, most within it.
        const seenAt = new Date(NOW.getTime() - random.int(random.next() < 0.2 ? 45 : 10) * DAY - random.int(3_600_000));
        const batch = Array.from({ length: 1 + random.int(25) }, () => randomFinding(random, account));
        const result = await findings.recordSightings(team, `scan-${++scans}`, batch, { seenAt });
        expect(result.errors, context).toEqual([]);
        if (random.next() < 0.3) {
          // A full scan of this account: what it did not see is resolved.
          const at = new Date(seenAt.getTime() + random.int(3_600_000));
          await findings.resolveUnseen(team, { scanId: `scan-${scans}`, seenAt, accountIds: [account.id], sources: ["prowler"] }, at);
        }
      } else if (action === "resolve") {
        const seenAt = new Date(NOW.getTime() - random.int(5) * DAY);
        const at = new Date(Math.min(NOW.getTime(), seenAt.getTime() + random.int(2 * DAY)));
        await findings.resolveUnseen(team, { scanId: `scan-${++scans}`, seenAt, accountIds: [account.id], sources: ["prowler"] }, at);
      } else if (action === "mute") {
        const rule = await bed.muteRules.createRule(parseTeamId(team), {
          name: `rule ${step}`,
          reason: "accepted risk",
          checkIds: [random.pick(CHECKS).id],
          ...(random.next() < 0.5 ? { accountIds: [account.id] } : {}),
        });
        rules.get(team)?.push(rule.rule.id);
      } else if (action === "unmute") {
        const list = rules.get(team) ?? [];
        const ruleId = list.splice(random.int(list.length), 1)[0];
        if (ruleId !== undefined) await bed.muteRules.deleteRule(parseTeamId(team), ruleId);
      } else if (action === "delete") {
        await findings.forTeam(team).deleteMany({ account_id: account.id, check_id: random.pick(CHECKS).id });
      } else {
        // A delete whose accounts the filter does not tell: every account of the team is rebuilt.
        await findings.forTeam(team).deleteMany(trustedFilter({ region: random.pick(REGIONS), status: random.pick(STATUSES) }));
      }
      await expectRollupsExact(team, context, random.int(45), randomCellFilter(random));
    }
    for (const team of TEAMS) await expectRollupsExact(team, `seed ${seed}, end`, 0);
    const verified = await bed.repositories.get(FindingRollupRepository).verify(TEAMS[0]);
    expect(verified.mismatched).toEqual([]);
  }, 120_000);
});
