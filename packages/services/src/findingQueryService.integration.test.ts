import { ProwlerFindingRepository, SEVERITY_RANK, searchTokens } from "@cspm/domain";
import { isCspmError, ValidationError } from "@cspm/errors";
import { parseTeamId } from "@cspm/repository";
import type { Document } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FINDING_FACETS, FINDING_SORT_FIELDS, FINDING_SORT_KEYS, type FindingFilter, type FindingSortField } from "./findingQueryService";
import { SCAN_TIMES, seedTwoTeams, TEAM_A_ACCOUNTS, TEAM_B_ACCOUNT } from "./testing/findingSeed";
import { openServicesTestbed, type ServicesTestbed } from "./testing/servicesTestbed";

const A = parseTeamId("team_a");
const B = parseTeamId("team_b");
let bed: ServicesTestbed;
let teamA: Document[];
let teamBIds: Set<string>;

async function failure(promise: Promise<unknown>): Promise<{ code: string; paths: string[] }> {
  try {
    await promise;
  } catch (error) {
    if (!isCspmError(error)) throw error;
    return { code: error.code, paths: error instanceof ValidationError ? error.issues.map((i) => i.path) : [] };
  }
  throw new Error("expected a failure");
}

const hex = (doc: Document): string => doc._id.toHexString();

beforeAll(async () => {
  bed = await openServicesTestbed({ label: "findq" });
  await seedTwoTeams(bed.repositories);
  const findings = bed.repositories.get(ProwlerFindingRepository);
  await findings.setMuted("team_a", { checkId: "kms_cmk_rotation_enabled", accountId: "111111111111" }, true, "accepted");
  await findings.setMuted("team_b", { checkId: "kms_cmk_rotation_enabled" }, true, "accepted");
  const raw = bed.manager.getCollection("CLOUD_SECURITY", "prowler_findings");
  teamA = await raw.find({ team_id: "team_a" }).toArray();
  teamBIds = new Set((await raw.find({ team_id: "team_b" }).toArray()).map(hex));
}, 60_000);

afterAll(async () => {
  await bed?.close();
});

/** Every page of a listing, following the cursors. */
async function allPages(filter: FindingFilter, field: FindingSortField, direction: "asc" | "desc", limit: number) {
  const ids: string[] = [];
  const sizes: number[] = [];
  let cursor: string | null = null;
  for (let guard = 0; guard < 200; guard++) {
    const page = await bed.findings.listFindings(A, filter, { sort: { field, direction }, limit, cursor });
    for (const item of page.items) {
      expect(teamBIds.has(item.id)).toBe(false);
      expect(item.team_id).toBe("team_a");
    }
    ids.push(...page.items.map((i) => i.id));
    sizes.push(page.items.length);
    expect(page.hasMore).toBe(page.nextCursor !== null);
    if (page.nextCursor === null) return { ids, sizes };
    cursor = page.nextCursor;
  }
  throw new Error("too many pages");
}

function expectedOrder(docs: Document[], field: FindingSortField, direction: "asc" | "desc"): string[] {
  const key = FINDING_SORT_KEYS[field];
  const sign = direction === "asc" ? 1 : -1;
  return [...docs]
    .sort((x, y) => {
      const a = x[key] instanceof Date ? x[key].getTime() : x[key];
      const b = y[key] instanceof Date ? y[key].getTime() : y[key];
      if (a < b) return -sign;
      if (a > b) return sign;
      return hex(x) < hex(y) ? -sign : hex(x) > hex(y) ? sign : 0;
    })
    .map(hex);
}

const controlsOf = (doc: Document, framework: string): string[] =>
  (doc.compliance as { framework: string; controls: string[] }[]).filter((c) => c.framework === framework).flatMap((c) => c.controls);

/** Every filter with the predicate it must equal on team A's stored findings. */
const FILTER_CASES: [string, FindingFilter, (doc: Document) => boolean][] = [
  ["severity", { severity: ["critical", "low"] }, (d) => ["critical", "low"].includes(d.severity)],
  ["status", { status: ["FAIL"] }, (d) => d.status === "FAIL"],
  ["provider", { provider: ["azure"] }, (d) => d.provider === "azure"],
  ["accountId", { accountId: ["111111111111", "333333333333"] }, (d) => ["111111111111", "333333333333"].includes(d.account_id)],
  ["service", { service: ["s3", "kms"] }, (d) => ["s3", "kms"].includes(d.service_name)],
  ["region", { region: ["eu-west-1"] }, (d) => d.region === "eu-west-1"],
  ["checkId", { checkId: ["iam_root_mfa_enabled"] }, (d) => d.check_id === "iam_root_mfa_enabled"],
  [
    "resourceUid",
    { resourceUid: "arn:a:s3:us-east-1:333333333333:resource/prod-001" },
    (d) => d.resource_uid === "arn:a:s3:us-east-1:333333333333:resource/prod-001",
  ],
  ["resourceUidPrefix", { resourceUidPrefix: "arn:a:iam:" }, (d) => String(d.resource_uid).startsWith("arn:a:iam:")],
  ["resourceUidPrefix with regex characters", { resourceUidPrefix: "arn:a:.*" }, () => false],
  ["framework", { framework: "CIS-2.0" }, (d) => controlsOf(d, "CIS-2.0").length > 0],
  ["framework + requirement", { framework: "CIS-2.0", requirement: "2.3" }, (d) => controlsOf(d, "CIS-2.0").includes("2.3")],
  ["muted true", { muted: true }, (d) => d.muted === true],
  ["muted false", { muted: false }, (d) => d.muted === false],
  ["delta", { delta: ["changed", "new"] }, (d) => ["changed", "new"].includes(d.delta)],
  ["state resolved", { state: ["resolved"] }, (d) => d.state === "resolved"],
  ["state open+reopened", { state: ["open", "reopened"] }, (d) => ["open", "reopened"].includes(d.state)],
  [
    "firstSeen range",
    { firstSeen: { from: SCAN_TIMES.second, to: SCAN_TIMES.third } },
    (d) => d.first_seen_at >= SCAN_TIMES.second && d.first_seen_at <= SCAN_TIMES.third,
  ],
  ["lastSeen from (ISO text)", { lastSeen: { from: "2024-06-08T00:00:00Z" } }, (d) => d.last_seen_at >= new Date("2024-06-08T00:00:00Z")],
  ["lastSeen to", { lastSeen: { to: SCAN_TIMES.first } }, (d) => d.last_seen_at <= SCAN_TIMES.first],
  ["search one word prefix (case-insensitive)", { search: "SECUR" }, (d) => searchTokens(d.check_title).some((w) => w.startsWith("secur"))],
  [
    "search two words across title and resource name",
    { search: "root payments-bu" },
    (d) =>
      ["root", "payments", "bu"].every((q) =>
        [...searchTokens(d.check_title), ...searchTokens(d.resource_name)].some((w) => w.startsWith(q)),
      ),
  ],
  [
    "combined",
    { status: ["FAIL", "MANUAL"], region: ["us-east-1", "global"], muted: false, state: ["open"] },
    (d) => ["FAIL", "MANUAL"].includes(d.status) && ["us-east-1", "global"].includes(d.region) && !d.muted && d.state === "open",
  ],
];

describe("FindingQueryService.listFindings", () => {
  it("runs with notablescan on (the testbed's): a query no index serves is refused by the engine", async () => {
    const raw = bed.manager.getCollection("CLOUD_SECURITY", "prowler_findings");
    await expect(raw.find({ resource_type: "Other" }).toArray()).rejects.toMatchObject({ code: 291 });
  });

  it("seeded both teams through the write path", () => {
    expect(teamA).toHaveLength(52);
    expect(teamBIds.size).toBe(20);
    expect(teamA.every((d) => d.severity_rank === SEVERITY_RANK[d.severity as keyof typeof SEVERITY_RANK])).toBe(true);
  });

  it.each(FILTER_CASES)("filter %s returns exactly the matching findings of the team", async (_name, filter, predicate) => {
    const expected = expectedOrder(teamA.filter(predicate), "last_seen_at", "desc");
    const { ids } = await allPages(filter, "last_seen_at", "desc", 500);
    expect(ids).toEqual(expected);
    if (_name !== "resourceUidPrefix with regex characters") expect(expected.length).toBeGreaterThan(0);
  });

  for (const field of FINDING_SORT_FIELDS) {
    for (const direction of ["asc", "desc"] as const) {
      it(`sorts by ${field} ${direction}, pages of 7 concatenate to the whole order`, async () => {
        const { ids, sizes } = await allPages({}, field, direction, 7);
        expect(ids).toEqual(expectedOrder(teamA, field, direction));
        expect(sizes.slice(0, -1).every((n) => n === 7)).toBe(true);
      });
    }
  }

  it("an exact multiple of the limit ends with hasMore false on the last full page (no empty page)", async () => {
    const { sizes } = await allPages({}, "check_id", "asc", 13);
    expect(sizes).toEqual([13, 13, 13, 13]);
    const single = await bed.findings.listFindings(A, {}, { limit: 500 });
    expect(single.items).toHaveLength(52);
    expect(single).toMatchObject({ hasMore: false, nextCursor: null });
  });

  it("the last page is short, and an empty result is one empty page", async () => {
    const { sizes } = await allPages({}, "severity", "desc", 10);
    expect(sizes).toEqual([10, 10, 10, 10, 10, 2]);
    const empty = await bed.findings.listFindings(A, { checkId: ["no_such_check"] });
    expect(empty).toEqual({ items: [], nextCursor: null, hasMore: false });
  });

  it("items carry id and no index fields; limit defaults to 50", async () => {
    const page = await bed.findings.listFindings(A);
    expect(page.items).toHaveLength(50);
    const item = page.items[0] as Record<string, unknown>;
    expect(item["id"]).toMatch(/^[0-9a-f]{24}$/);
    for (const hidden of ["_id", "search_terms", "previous", "history", "severity_rank"]) expect(item).not.toHaveProperty(hidden);
  });

  it("team B never sees team A's findings", async () => {
    const page = await bed.findings.listFindings(B, {}, { limit: 500 });
    expect(page.items).toHaveLength(20);
    expect(page.items.every((i) => teamBIds.has(i.id) && i.account_id === TEAM_B_ACCOUNT)).toBe(true);
    expect((await bed.findings.listFindings(B, { accountId: [TEAM_A_ACCOUNTS[0].id] })).items).toEqual([]);
  });

  it("refuses tampered cursors and cursors of another sort, direction, filter or team", async () => {
    const first = await bed.findings.listFindings(A, { status: ["FAIL"] }, { sort: { field: "severity", direction: "desc" }, limit: 3 });
    const cursor = first.nextCursor as string;
    expect(cursor).toBeTypeOf("string");
    const ok = await bed.findings.listFindings(
      A,
      { status: ["FAIL"] },
      { sort: { field: "severity", direction: "desc" }, limit: 3, cursor },
    );
    expect(ok.items[0]?.id).not.toBe(first.items[0]?.id);
    const attempts = [
      bed.findings.listFindings(A, { status: ["FAIL"] }, { sort: { field: "severity", direction: "asc" }, limit: 3, cursor }),
      bed.findings.listFindings(A, { status: ["FAIL"] }, { sort: { field: "last_seen_at", direction: "desc" }, limit: 3, cursor }),
      bed.findings.listFindings(A, { status: ["PASS"] }, { sort: { field: "severity", direction: "desc" }, limit: 3, cursor }),
      bed.findings.listFindings(B, { status: ["FAIL"] }, { sort: { field: "severity", direction: "desc" }, limit: 3, cursor }),
      bed.findings.listFindings(A, { status: ["FAIL"] }, { sort: { field: "severity", direction: "desc" }, cursor: `x${cursor.slice(1)}` }),
      bed.findings.listFindings(A, { status: ["FAIL"] }, { sort: { field: "severity", direction: "desc" }, cursor: "garbage" }),
    ];
    for (const attempt of attempts) expect(await failure(attempt)).toEqual({ code: "VALIDATION_FAILED", paths: ["cursor"] });
  });

  it("refuses bad filter and page values with field paths", async () => {
    const cases: [unknown, unknown, string[]][] = [
      [{ severity: ["urgent"] }, {}, ["filter.severity.0"]],
      [{ status: [] }, {}, ["filter.status"]],
      [{ delta: ["gone"], state: ["closed"] }, {}, ["filter.delta.0", "filter.state.0"]],
      [{ muted: "yes" }, {}, ["filter.muted"]],
      [{ firstSeen: { from: "yesterday" } }, {}, ["filter.firstSeen.from"]],
      [{ lastSeen: { from: SCAN_TIMES.third, to: SCAN_TIMES.first } }, {}, ["filter.lastSeen.from"]],
      [{ resourceUid: "a", resourceUidPrefix: "a" }, {}, ["filter.resourceUidPrefix"]],
      [{ requirement: "1.1" }, {}, ["filter.requirement"]],
      [{ search: "%%%" }, {}, ["filter.search"]],
      [{ checkId: [{ $ne: null }] }, {}, ["filter.checkId.0"]],
      [{ team_id: "team_b" }, {}, ["filter"]],
      [{}, { limit: 501 }, ["page.limit"]],
      [{}, { limit: 0 }, ["page.limit"]],
      [{}, { sort: { field: "title", direction: "asc" } }, ["page.sort.field"]],
    ];
    for (const [filter, page, paths] of cases) {
      const result = await failure(bed.findings.listFindings(A, filter as FindingFilter, page as never));
      expect(result.code).toBe("VALIDATION_FAILED");
      expect(result.paths).toEqual(paths);
    }
  });
});

describe("FindingQueryService.getFindingFacets", () => {
  function expectedFacets(docs: Document[]): Record<string, Map<unknown, number>> {
    const fields: Record<string, (d: Document) => unknown[]> = {
      severity: (d) => [d.severity],
      status: (d) => [d.status],
      provider: (d) => [d.provider],
      account_id: (d) => [d.account_id],
      service: (d) => [d.service_name],
      region: (d) => [d.region],
      check_id: (d) => [d.check_id],
      delta: (d) => [d.delta],
      state: (d) => [d.state],
      muted: (d) => [d.muted],
      framework: (d) => (d.compliance as { framework: string }[]).map((c) => c.framework),
    };
    const out: Record<string, Map<unknown, number>> = {};
    for (const [name, values] of Object.entries(fields)) {
      const counts = new Map<unknown, number>();
      for (const doc of docs) for (const v of values(doc)) counts.set(v, (counts.get(v) ?? 0) + 1);
      out[name] = counts;
    }
    return out;
  }

  it.each([
    ["no filter", {}, () => true],
    ["status FAIL", { status: ["FAIL"] }, (d: Document) => d.status === "FAIL"],
    ["muted false + region", { muted: false, region: ["global"] }, (d: Document) => !d.muted && d.region === "global"],
    ["framework (not a cell field)", { framework: "CIS-2.0" }, (d: Document) => controlsOf(d, "CIS-2.0").length > 0],
    [
      "search + status (search is not a cell field)",
      { search: "SECUR", status: ["FAIL"] },
      (d: Document) => d.status === "FAIL" && searchTokens(d.check_title).some((w) => w.startsWith("secur")),
    ],
  ] as [string, FindingFilter, (d: Document) => boolean][])(
    "counts every facet under the filter (%s), team A only",
    async (_n, filter, predicate) => {
      const facets = await bed.findings.getFindingFacets(A, filter);
      expect(Object.keys(facets).sort()).toEqual([...FINDING_FACETS].sort());
      const expected = expectedFacets(teamA.filter(predicate));
      for (const name of FINDING_FACETS) {
        const got = new Map(facets[name].map((f) => [f.value, f.count]));
        expect(got, name).toEqual(expected[name]);
        const counts = facets[name].map((f) => f.count);
        expect(counts).toEqual([...counts].sort((x, y) => y - x));
      }
      expect(facets.account_id.some((f) => f.value === TEAM_B_ACCOUNT)).toBe(false);
    },
  );

  it("under a filter of cell fields: one mark check and ONE aggregation of the facet cells", async () => {
    await bed.findings.getFindingFacets(A); // the first read after the seed builds the cells
    const { commands } = await bed.monitor.measure(() => bed.findings.getFindingFacets(A, { status: ["FAIL"] }));
    expect(commands.map((c) => [c.name, c.collection])).toEqual([
      ["find", "finding_rollup_marks"],
      ["aggregate", "finding_facet_cells"],
    ]);
  });

  it("under any other filter: ONE aggregation of the findings", async () => {
    const { commands } = await bed.monitor.measure(() => bed.findings.getFindingFacets(A, { framework: "CIS-2.0" }));
    expect(commands.map((c) => [c.name, c.collection])).toEqual([["aggregate", "prowler_findings"]]);
  });

  it("refuses a bad filter with its path", async () => {
    expect(await failure(bed.findings.getFindingFacets(A, { severity: ["nope" as never] }))).toEqual({
      code: "VALIDATION_FAILED",
      paths: ["filter.severity.0"],
    });
  });
});

describe("FindingQueryService.getFinding", () => {
  it("returns one finding with its history across scans", async () => {
    const changed = teamA.find((d) => d.delta === "changed") as Document;
    const detail = await bed.findings.getFinding(A, hex(changed));
    expect(detail.id).toBe(hex(changed));
    expect(detail.history.map((h) => h.scan_id)).toEqual(["scan-a-1", "scan-a-2"]);
    expect(detail.history[0]?.status).not.toBe(detail.history[1]?.status);
    expect(detail.history[1]).toMatchObject({ at: SCAN_TIMES.second, status: changed.status, severity: changed.severity });
    const unchanged = teamA.find((d) => d.delta === "unchanged" && d.state === "open") as Document;
    expect((await bed.findings.getFinding(A, hex(unchanged))).history.map((h) => h.scan_id)).toEqual(["scan-a-1"]);
  });

  it("NOT_FOUND for unknown ids and other teams' ids, VALIDATION_FAILED for malformed ids", async () => {
    expect((await failure(bed.findings.getFinding(B, hex(teamA[0] as Document)))).code).toBe("NOT_FOUND");
    expect((await failure(bed.findings.getFinding(A, "0123456789abcdef01234567"))).code).toBe("NOT_FOUND");
    expect(await failure(bed.findings.getFinding(A, "not-an-id"))).toEqual({ code: "VALIDATION_FAILED", paths: ["id"] });
  });
});
