import { readFileSync } from "node:fs";
import { FindingRollupRepository } from "@cspm/domain";
import { DatabaseRegistry } from "@cspm/registry";
import type { Document } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  FINDING_SORT_KEYS,
  FindingFilterSchema,
  type FindingFilter,
  type FindingSortField,
  findingMongoFilter,
} from "./findingQueryService";
import { seedTwoTeams } from "./testing/findingSeed";
import { openServicesTestbed, type ServicesTestbed } from "./testing/servicesTestbed";

/**
 * The query-shape table of the README (`<!-- finding-query-shapes -->`) held to the registry catalog and to
 * the plans: each shape's query (as `FindingQueryService` sends it) is explained, and its winning plan must
 * scan the named index, with or without an in-memory sort as the table says.
 */

interface Shape {
  readonly filter: FindingFilter;
  /** A list sort; absent for the facet aggregation. */
  readonly sort?: readonly [FindingSortField, "asc" | "desc"];
  /** The collection the shape reads: the findings, or the facet cells (facets under a filter of cell fields). */
  readonly collection?: "finding_facet_cells";
}

/** Every shape the README names, by its name there. */
const SHAPES: Readonly<Record<string, Shape>> = {
  "all, by severity": { filter: {}, sort: ["severity", "desc"] },
  "all, by last seen": { filter: {}, sort: ["last_seen_at", "desc"] },
  "all, by first seen": { filter: {}, sort: ["first_seen_at", "asc"] },
  "all, by check": { filter: {}, sort: ["check_id", "asc"] },
  "status, by severity": { filter: { status: ["FAIL"] }, sort: ["severity", "desc"] },
  "statuses, by severity": { filter: { status: ["FAIL", "MANUAL"] }, sort: ["severity", "desc"] },
  "muted + status, by severity": { filter: { muted: false, status: ["FAIL"] }, sort: ["severity", "desc"] },
  "account, by last seen": { filter: { accountId: ["111111111111"] }, sort: ["last_seen_at", "desc"] },
  "state, by last seen": { filter: { state: ["resolved"] }, sort: ["last_seen_at", "desc"] },
  "framework, by severity": { filter: { framework: "CIS-2.0" }, sort: ["severity", "desc"] },
  "check, by check": { filter: { checkId: ["iam_root_mfa_enabled"] }, sort: ["check_id", "asc"] },
  "severity, by severity": { filter: { severity: ["critical", "high"] }, sort: ["severity", "desc"] },
  "resource uid, by last seen": {
    filter: { resourceUid: "arn:a:s3:us-east-1:333333333333:resource/prod-001" },
    sort: ["last_seen_at", "desc"],
  },
  "resource uid prefix, by last seen": { filter: { resourceUidPrefix: "arn:a:iam:" }, sort: ["last_seen_at", "desc"] },
  "search, by last seen": { filter: { search: "payments" }, sort: ["last_seen_at", "desc"] },
  "last seen range, by last seen": { filter: { lastSeen: { from: "2024-06-08T00:00:00Z" } }, sort: ["last_seen_at", "desc"] },
  "facets from cells, all": { filter: {}, collection: "finding_facet_cells" },
  "facets from cells, status": { filter: { muted: false, status: ["FAIL"] }, collection: "finding_facet_cells" },
  "facets from cells, account": { filter: { accountId: ["111111111111"], severity: ["high"] }, collection: "finding_facet_cells" },
  "facets from cells, account + status + severity": {
    filter: { accountId: ["111111111111"], status: ["FAIL"], severity: ["high", "critical"], service: ["s3"], region: ["us-east-1"] },
    collection: "finding_facet_cells",
  },
  "facets from cells, check": { filter: { checkId: ["iam_root_mfa_enabled"] }, collection: "finding_facet_cells" },
  "facets, framework": { filter: { framework: "CIS-2.0" } },
  "facets, search": { filter: { search: "payments" } },
  "facets, last seen range": { filter: { lastSeen: { from: "2024-06-08T00:00:00Z" } } },
};

interface Row {
  readonly shape: string;
  readonly index: string;
  readonly inMemorySort: boolean;
}

/** The rows of the README's query-shape table. */
function readmeRows(): Row[] {
  const text = readFileSync(new URL("../README.md", import.meta.url), "utf8");
  const start = text.indexOf("<!-- finding-query-shapes -->");
  const end = text.indexOf("<!-- /finding-query-shapes -->");
  expect(start).toBeGreaterThan(0);
  expect(end).toBeGreaterThan(start);
  return text
    .slice(start, end)
    .split("\n")
    .filter((line) => line.startsWith("| ") && !line.startsWith("| shape") && !line.startsWith("|---"))
    .map((line) => {
      const cells = line
        .split("|")
        .slice(1, -1)
        .map((c) => c.trim());
      return { shape: cells[0] as string, index: (cells[3] as string).replaceAll("`", ""), inMemorySort: cells[4] === "yes" };
    });
}

/** The winning plans of an explain answer (of a find, or of an aggregation's query layer), never the rejected ones. */
function winningPlans(node: unknown, out: Document[] = []): Document[] {
  if (Array.isArray(node)) for (const item of node) winningPlans(item, out);
  else if (typeof node === "object" && node !== null) {
    for (const [key, value] of Object.entries(node as Document)) {
      if (key === "winningPlan") out.push(value as Document);
      else if (key !== "rejectedPlans") winningPlans(value, out);
    }
  }
  return out;
}

/** Every plan stage under a plan. */
function stages(node: unknown, out: Document[] = []): Document[] {
  if (Array.isArray(node)) for (const item of node) stages(item, out);
  else if (typeof node === "object" && node !== null) {
    const doc = node as Document;
    if (typeof doc.stage === "string") out.push(doc);
    for (const value of Object.values(doc)) stages(value, out);
  }
  return out;
}

let bed: ServicesTestbed;

beforeAll(async () => {
  bed = await openServicesTestbed({ label: "fshape" });
  await seedTwoTeams(bed.repositories);
  await bed.repositories.get(FindingRollupRepository).refresh("team_a");
}, 60_000);

afterAll(async () => {
  await bed?.close();
});

async function plan(shape: Shape): Promise<{ index: string | undefined; inMemorySort: boolean; collectionScan: boolean }> {
  const raw = bed.manager.getCollection("CLOUD_SECURITY", shape.collection ?? "prowler_findings");
  const query = { team_id: "team_a", ...findingMongoFilter(FindingFilterSchema.parse(shape.filter)) };
  let explained: Document;
  if (shape.sort === undefined) {
    const pipeline = [{ $match: query }, { $facet: { n: [{ $count: "n" }] } }];
    explained = await raw.db.command({ explain: { aggregate: raw.collectionName, pipeline, cursor: {} }, verbosity: "queryPlanner" });
  } else {
    const order = shape.sort[1] === "asc" ? 1 : -1;
    explained = await raw
      .find(query)
      .sort({ [FINDING_SORT_KEYS[shape.sort[0]]]: order, _id: order })
      .limit(51)
      .explain("queryPlanner");
  }
  const all = stages(winningPlans(explained));
  expect(all.length).toBeGreaterThan(0);
  return {
    index: all.find((s) => s.stage === "IXSCAN")?.indexName as string | undefined,
    inMemorySort: all.some((s) => s.stage === "SORT"),
    collectionScan: all.some((s) => s.stage === "COLLSCAN"),
  };
}

describe("the README's finding query-shape table", () => {
  it("names every shape once, each with an index of the catalog that leads with team_id", () => {
    const rows = readmeRows();
    expect(rows.map((r) => r.shape).sort()).toEqual(Object.keys(SHAPES).sort());
    for (const row of rows) {
      const catalog = DatabaseRegistry.getCollection("CLOUD_SECURITY", SHAPES[row.shape]?.collection ?? "prowler_findings").indexes;
      const index = catalog.find((i) => i.name === row.index);
      expect(index, `${row.shape}: ${row.index} is not in the catalog`).toBeDefined();
      expect(Object.keys(index?.key ?? {})[0]).toBe("team_id");
    }
  });

  it.each(Object.keys(SHAPES))("%s: the winning plan scans the table's index", async (name) => {
    const row = readmeRows().find((r) => r.shape === name) as Row;
    const got = await plan(SHAPES[name] as Shape);
    expect(got.collectionScan).toBe(false);
    expect({ shape: name, index: got.index, inMemorySort: got.inMemorySort }).toEqual({
      shape: name,
      index: row.index,
      inMemorySort: row.inMemorySort,
    });
  });
});
