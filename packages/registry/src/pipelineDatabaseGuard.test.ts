import { isCspmError } from "@cspm/errors";
import { describe, expect, it } from "vitest";
import { assertPipelineWithinDatabase } from "./pipelineDatabaseGuard";

function violationOf(fn: () => void): { code: string; details: Record<string, unknown>; message: string } {
  try {
    fn();
  } catch (error) {
    if (!isCspmError(error)) throw error;
    return { code: error.code, details: { ...error.details }, message: error.message };
  }
  throw new Error("expected the guard to throw");
}

const lookupScanRuns = { $lookup: { from: "scan_runs", localField: "scan_id", foreignField: "_id", as: "runs" } };

describe("assertPipelineWithinDatabase — forbidden forms", () => {
  const cases: Array<[string, unknown[], string, string]> = [
    ["$lookup from another database", [{ $match: {} }, lookupScanRuns], "$lookup", "pipeline.1.$lookup.from"],
    [
      "$lookup { db, coll } naming another database",
      [{ $lookup: { from: { db: "cspm_orchestration", coll: "scan_runs" }, localField: "a", foreignField: "b", as: "x" } }],
      "$lookup",
      "pipeline.0.$lookup.from",
    ],
    [
      "$lookup { db, coll } naming an owned collection in another database",
      [{ $lookup: { from: { db: "cspm_orchestration", coll: "prowler_findings" }, localField: "a", foreignField: "b", as: "x" } }],
      "$lookup",
      "pipeline.0.$lookup.from",
    ],
    [
      "$graphLookup from another database",
      [{ $graphLookup: { from: "resource_relationships", startWith: "$x", connectFromField: "a", connectToField: "b", as: "g" } }],
      "$graphLookup",
      "pipeline.0.$graphLookup.from",
    ],
    [
      "$graphLookup { db, coll }",
      [
        {
          $graphLookup: {
            from: { db: "cspm_inventory", coll: "resource_relationships" },
            startWith: "$x",
            connectFromField: "a",
            connectToField: "b",
            as: "g",
          },
        },
      ],
      "$graphLookup",
      "pipeline.0.$graphLookup.from",
    ],
    ["$unionWith string form", [{ $unionWith: "scan_runs" }], "$unionWith", "pipeline.0.$unionWith"],
    ["$unionWith object form", [{ $unionWith: { coll: "jobs", pipeline: [] } }], "$unionWith", "pipeline.0.$unionWith.coll"],
    [
      "$unionWith { db, coll, pipeline }",
      [{ $unionWith: { db: "cspm_orchestration", coll: "jobs", pipeline: [] } }],
      "$unionWith",
      "pipeline.0.$unionWith.db",
    ],
    [
      "$unionWith { coll: { db, coll } }",
      [{ $unionWith: { coll: { db: "cspm_orchestration", coll: "jobs" } } }],
      "$unionWith",
      "pipeline.0.$unionWith.coll",
    ],
    [
      "$lookup nested in $facet",
      [{ $facet: { ok: [{ $count: "n" }], bad: [{ $match: {} }, lookupScanRuns] } }],
      "$lookup",
      "pipeline.0.$facet.bad.1.$lookup.from",
    ],
    [
      "$lookup inside an allowed $lookup.pipeline",
      [{ $lookup: { from: "enhanced_cloud_accounts", pipeline: [lookupScanRuns], as: "a" } }],
      "$lookup",
      "pipeline.0.$lookup.pipeline.0.$lookup.from",
    ],
    [
      "$unionWith inside an allowed $unionWith.pipeline",
      [{ $unionWith: { coll: "security_scores", pipeline: [{ $unionWith: "nuclei_scans" }] } }],
      "$unionWith",
      "pipeline.0.$unionWith.pipeline.0.$unionWith",
    ],
    [
      "$graphLookup inside $facet inside $lookup.pipeline",
      [
        {
          $lookup: {
            from: "security_scores",
            pipeline: [
              {
                $facet: { g: [{ $graphLookup: { from: "risks", startWith: "$a", connectFromField: "a", connectToField: "b", as: "r" } }] },
              },
            ],
            as: "s",
          },
        },
      ],
      "$graphLookup",
      "pipeline.0.$lookup.pipeline.0.$facet.g.0.$graphLookup.from",
    ],
    [
      "the legacy cloud account collection",
      [{ $lookup: { from: "cloud_accounts", localField: "a", foreignField: "b", as: "x" } }],
      "$lookup",
      "pipeline.0.$lookup.from",
    ],
    [
      "a collection no database owns",
      [{ $lookup: { from: "no_such_collection", localField: "a", foreignField: "b", as: "x" } }],
      "$lookup",
      "pipeline.0.$lookup.from",
    ],
    ["$out into another database", [{ $out: { db: "cspm_reporting", coll: "reports" } }], "$out", "pipeline.0.$out"],
    ["$merge into another database", [{ $merge: { into: { db: "cspm_reporting", coll: "reports" } } }], "$merge", "pipeline.0.$merge.into"],
    ["$merge into a foreign collection name", [{ $merge: "reports" }], "$merge", "pipeline.0.$merge"],
  ];

  it.each(cases)("rejects %s", (_name, pipeline, stage, path) => {
    const error = violationOf(() => assertPipelineWithinDatabase("CLOUD_SECURITY", pipeline));
    expect(error.code).toBe("CONTRACT_VIOLATION");
    expect(error.details.stage).toBe(stage);
    expect(error.details.path).toBe(path);
    expect(error.details.contract).toBe("no-cross-database-lookup");
    expect(error.message).toContain(stage);
    expect(error.message).toContain(path);
  });

  it("names the collection and the foreign database", () => {
    const error = violationOf(() =>
      assertPipelineWithinDatabase("cloud_security", [
        { $lookup: { from: { db: "cspm_orchestration", coll: "scan_runs" }, as: "x", localField: "a", foreignField: "b" } },
      ]),
    );
    expect(error.details).toMatchObject({ collection: "scan_runs", target_database: "cspm_orchestration", database: "CLOUD_SECURITY" });
    const legacy = violationOf(() => assertPipelineWithinDatabase("CLOUD_SECURITY", [{ $unionWith: "cloud_accounts" }]));
    expect(legacy.details).toMatchObject({ collection: "cloud_accounts", replacement: "enhanced_cloud_accounts" });
  });

  it("rejects { db, coll } naming the same database without the environment prefix in use", () => {
    const pipeline = [
      { $lookup: { from: { db: "cspm_cloud_security", coll: "security_scores" }, localField: "a", foreignField: "b", as: "x" } },
    ];
    const error = violationOf(() => assertPipelineWithinDatabase("CLOUD_SECURITY", pipeline, { databaseName: "t_1_cspm_cloud_security" }));
    expect(error.code).toBe("CONTRACT_VIOLATION");
    expect(error.details.target_database).toBe("cspm_cloud_security");
  });

  it("stops at the first violation even after allowed stages", () => {
    const error = violationOf(() =>
      assertPipelineWithinDatabase("ORCHESTRATION", [
        { $lookup: { from: "jobs", localField: "_id", foreignField: "scan_run_id", as: "jobs" } },
        { $lookup: { from: "enhanced_cloud_accounts", localField: "account_id", foreignField: "account_id", as: "account" } },
      ]),
    );
    expect(error.details).toMatchObject({
      stage: "$lookup",
      path: "pipeline.1.$lookup.from",
      collection: "enhanced_cloud_accounts",
      database: "ORCHESTRATION",
    });
  });
});

describe("assertPipelineWithinDatabase — allowed same-database forms", () => {
  const allowed: Array<[string, unknown[]]> = [
    ["a pipeline without joins", [{ $match: { team_id: "t" } }, { $group: { _id: "$severity", n: { $sum: 1 } } }]],
    [
      "$lookup localField/foreignField",
      [{ $lookup: { from: "enhanced_cloud_accounts", localField: "account_id", foreignField: "account_id", as: "a" } }],
    ],
    [
      "$lookup with let/pipeline",
      [
        {
          $lookup: {
            from: "enhanced_cloud_accounts",
            let: { id: "$account_id" },
            pipeline: [{ $match: { $expr: { $eq: ["$account_id", "$$id"] } } }],
            as: "a",
          },
        },
      ],
    ],
    ["$lookup without from over $documents", [{ $lookup: { pipeline: [{ $documents: [{ a: 1 }] }], as: "d" } }]],
    [
      "$lookup { db, coll } in the same database",
      [{ $lookup: { from: { db: "cspm_cloud_security", coll: "security_scores" }, localField: "a", foreignField: "b", as: "x" } }],
    ],
    [
      "$graphLookup in the same database",
      [{ $graphLookup: { from: "prowler_findings", startWith: "$a", connectFromField: "a", connectToField: "b", as: "g" } }],
    ],
    ["$unionWith string form", [{ $unionWith: "security_scores" }]],
    ["$unionWith with a pipeline", [{ $unionWith: { coll: "security_scores", pipeline: [{ $match: { team_id: "t" } }] } }]],
    [
      "$facet with same-database lookups",
      [
        {
          $facet: {
            a: [{ $lookup: { from: "enhanced_cloud_accounts", localField: "x", foreignField: "y", as: "z" } }],
            b: [{ $count: "n" }],
          },
        },
      ],
    ],
    ["$out/$merge into the same database", [{ $merge: { into: "security_scores" } }]],
  ];

  it.each(allowed)("allows %s", (_name, pipeline) => {
    expect(() => assertPipelineWithinDatabase("CLOUD_SECURITY", pipeline)).not.toThrow();
  });

  it("accepts the prefixed physical name for { db, coll } when told it", () => {
    const pipeline = [{ $unionWith: { db: "t_1_cspm_cloud_security", coll: "security_scores", pipeline: [] } }];
    expect(() => assertPipelineWithinDatabase("CLOUD_SECURITY", pipeline, { databaseName: "t_1_cspm_cloud_security" })).not.toThrow();
    expect(violationOf(() => assertPipelineWithinDatabase("CLOUD_SECURITY", pipeline)).code).toBe("CONTRACT_VIOLATION");
  });

  it("accepts the database by constant, alias or name", () => {
    const pipeline = [{ $unionWith: "ssl_scans" }];
    for (const ref of ["SECURITY_SCANS", "native_scans", "cspm_native_scans"] as const) {
      expect(() => assertPipelineWithinDatabase(ref, pipeline)).not.toThrow();
    }
  });
});

describe("assertPipelineWithinDatabase — malformed input", () => {
  it.each([
    ["not an array", { $match: {} }, "pipeline"],
    ["a stage that is not an object", [[]], "pipeline.0"],
    ["a stage with two operators", [{ $match: {}, $limit: 1 }], "pipeline.0"],
    ["a $lookup without any target", [{ $lookup: { localField: "a", foreignField: "b", as: "x" } }], "pipeline.0.$lookup.from"],
    ["a $facet branch that is not a pipeline", [{ $facet: { a: { $count: "n" } } }], "pipeline.0.$facet.a"],
    ["a { db, coll } without coll", [{ $lookup: { from: { db: "cspm_cloud_security" }, as: "x" } }], "pipeline.0.$lookup.from"],
  ])("rejects %s with VALIDATION_FAILED", (_name, pipeline, path) => {
    const error = violationOf(() => assertPipelineWithinDatabase("CLOUD_SECURITY", pipeline as unknown[]));
    expect(error.code).toBe("VALIDATION_FAILED");
    expect((error.details.issues as Array<{ path: string }>)[0]?.path).toBe(path);
  });

  it("rejects an unknown database", () => {
    expect(violationOf(() => assertPipelineWithinDatabase("nope" as never, [])).code).toBe("VALIDATION_FAILED");
  });
});
