import { isCspmError } from "@cspm/errors";
import type { Document } from "mongodb";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ProwlerFindingRepository } from "@cspm/domain";
import { parseTeamId } from "@cspm/repository";
import { findingDoc, securityScoreDoc } from "@cspm/test-fixtures";
import { openServicesTestbed, type ServicesTestbed } from "./testing/servicesTestbed";

let bed: ServicesTestbed;

beforeAll(async () => {
  bed = await openServicesTestbed({ label: "guard" });
  await bed.seed("CLOUD_SECURITY", "prowler_findings", [findingDoc("team_a"), findingDoc("team_a", { account_id: "222222222222" })]);
  await bed.seed("CLOUD_SECURITY", "security_scores", [securityScoreDoc("team_a", { score: 90 })]);
  await bed.seed("ORCHESTRATION", "scan_runs", [
    { team_id: "team_a", account_id: "111111111111", scanner: "prowler", status: "completed" },
  ]);
});

afterAll(async () => {
  await bed?.close();
});

beforeEach(() => {
  bed.monitor.reset();
});

const foreign = (as: string): Document => ({ $lookup: { from: "scan_runs", localField: "scan_id", foreignField: "_id", as } });

const forbidden: Array<[string, Document[], string]> = [
  ["$lookup naming another database's collection", [foreign("runs")], "pipeline.0.$lookup.from"],
  [
    "$lookup { db, coll } form",
    [{ $lookup: { from: { db: "cspm_orchestration", coll: "scan_runs" }, localField: "a", foreignField: "b", as: "x" } }],
    "pipeline.0.$lookup.from",
  ],
  [
    "$lookup { db, coll } naming this database without the prefix in use",
    [{ $lookup: { from: { db: "cspm_cloud_security", coll: "security_scores" }, localField: "a", foreignField: "b", as: "x" } }],
    "pipeline.0.$lookup.from",
  ],
  [
    "$graphLookup",
    [{ $graphLookup: { from: "resource_relationships", startWith: "$a", connectFromField: "a", connectToField: "b", as: "g" } }],
    "pipeline.0.$graphLookup.from",
  ],
  ["$unionWith string", [{ $unionWith: "scan_runs" }], "pipeline.0.$unionWith"],
  ["$unionWith object", [{ $unionWith: { coll: "jobs", pipeline: [] } }], "pipeline.0.$unionWith.coll"],
  ["$unionWith { db, coll }", [{ $unionWith: { db: "cspm_orchestration", coll: "jobs", pipeline: [] } }], "pipeline.0.$unionWith.db"],
  [
    "$lookup inside $facet",
    [{ $match: {} }, { $facet: { a: [{ $count: "n" }], b: [foreign("r")] } }],
    "pipeline.1.$facet.b.0.$lookup.from",
  ],
  [
    "$lookup inside $lookup.pipeline",
    [{ $lookup: { from: "security_scores", pipeline: [foreign("r")], as: "s" } }],
    "pipeline.0.$lookup.pipeline.0.$lookup.from",
  ],
  [
    "$unionWith inside $unionWith.pipeline",
    [{ $unionWith: { coll: "security_scores", pipeline: [{ $unionWith: "nuclei_scans" }] } }],
    "pipeline.0.$unionWith.pipeline.0.$unionWith",
  ],
  [
    "the legacy cloud account collection",
    [{ $lookup: { from: "cloud_accounts", localField: "a", foreignField: "b", as: "x" } }],
    "pipeline.0.$lookup.from",
  ],
];

/** How every service reads tenant data: the team-scoped repository of the collection. */
const findingsOf = (team: string) => bed.repositories.get(ProwlerFindingRepository).forTeam(parseTeamId(team));

describe("forTeam(teamId).aggregate — the tenant scope and the cross-database guard in front of the server", () => {
  it.each(forbidden)("refuses %s with CONTRACT_VIOLATION and sends nothing", async (_name, pipeline, path) => {
    let caught: unknown;
    try {
      await findingsOf("team_a").aggregate(pipeline);
    } catch (error) {
      caught = error;
    }
    expect(isCspmError(caught) && caught.code).toBe("CONTRACT_VIOLATION");
    expect(isCspmError(caught) && caught.details?.["path"]).toBe(path);
    expect(bed.monitor.count()).toBe(0);
  });

  it.each([
    ["$out", [{ $out: { db: "cspm_reporting", coll: "reports" } }], "pipeline.0.$out"],
    ["$merge", [{ $merge: { into: { db: "cspm_reporting", coll: "reports" } } }], "pipeline.0.$merge"],
    ["$out inside $facet", [{ $facet: { a: [{ $out: "x" }] } }], "pipeline.0.$facet.a.0.$out"],
  ] as Array<[string, Document[], string]>)(
    "refuses the writing stage %s with VALIDATION_FAILED and sends nothing",
    async (_name, pipeline, path) => {
      await expect(findingsOf("team_a").aggregate(pipeline)).rejects.toMatchObject({
        code: "VALIDATION_FAILED",
        details: { issues: [{ path }] },
      });
      expect(bed.monitor.count()).toBe(0);
    },
  );

  it("sees only the scope's team: another team's findings are invisible, even when the pipeline names that team", async () => {
    await bed.seed("CLOUD_SECURITY", "prowler_findings", [findingDoc("team_other")]);
    expect(await findingsOf("team_a").aggregate([{ $count: "n" }])).toEqual([{ n: 2 }]);
    expect(await findingsOf("team_a").aggregate([{ $match: { team_id: "team_other" } }])).toEqual([]);
    const joined = await findingsOf("team_a").aggregate([
      { $limit: 1 },
      { $lookup: { from: "prowler_findings", pipeline: [{ $match: { team_id: "team_other" } }], as: "stolen" } },
      { $project: { _id: 0, stolen: 1 } },
    ]);
    expect(joined).toEqual([{ stolen: [] }]);
  });

  it("runs an allowed same-database $lookup in one command and returns its result", async () => {
    const measured = await bed.monitor.measure(() =>
      findingsOf("team_a").aggregate([
        { $match: { account_id: "111111111111" } },
        {
          $lookup: {
            from: "security_scores",
            let: { account_id: "$account_id" },
            pipeline: [{ $match: { $expr: { $eq: ["$account_id", "$$account_id"] } } }, { $project: { _id: 0, score: 1 } }],
            as: "scores",
          },
        },
        { $project: { _id: 0, account_id: 1, scores: 1 } },
      ]),
    );
    expect(measured.result).toEqual([{ account_id: "111111111111", scores: [{ score: 90 }] }]);
    expect(measured.commands.map((c) => c.name)).toEqual(["aggregate"]);
  });

  it("runs an allowed same-database $unionWith", async () => {
    const rows = await findingsOf("team_a").aggregate([
      { $project: { _id: 0, kind: { $literal: "finding" } } },
      { $unionWith: { coll: "security_scores", pipeline: [{ $project: { _id: 0, kind: { $literal: "score" } } }] } },
    ]);
    expect(rows.map((r) => r["kind"]).sort()).toEqual(["finding", "finding", "score"]);
  });

  it("maps a server-side failure to the taxonomy instead of leaking the driver error", async () => {
    let caught: unknown;
    try {
      await findingsOf("team_a").aggregate([{ $notAStage: {} }]);
    } catch (error) {
      caught = error;
    }
    expect(isCspmError(caught)).toBe(true);
    expect(bed.monitor.count({ name: "aggregate", outcome: "failed" })).toBe(1);
  });
});
