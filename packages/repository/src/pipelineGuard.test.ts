import { ContractViolationError, ForbiddenError, ValidationError } from "@cspm/errors";
import { describe, expect, it } from "vitest";
import { scopePipeline } from "./pipelineGuard";

const TEAM = { database: "CLOUD_SECURITY", teamId: "team-a" } as const;

describe("scopePipeline", () => {
  it("prepends the team match (and extra conditions) to every pipeline", () => {
    expect(scopePipeline([{ $group: { _id: "$status", n: { $sum: 1 } } }], TEAM, { deleted_at: null })).toEqual([
      { $match: { team_id: "team-a", deleted_at: null } },
      { $group: { _id: "$status", n: { $sum: 1 } } },
    ]);
    expect(scopePipeline([], TEAM)).toEqual([{ $match: { team_id: "team-a" } }]);
    expect(scopePipeline([{ $limit: 1 }], { database: "COMPLIANCE", teamId: null })).toEqual([{ $limit: 1 }]);
  });

  it.each(["$out", "$merge", "$currentOp", "$collStats", "$indexStats", "$documents"])("refuses %s", (stage) => {
    expect(() => scopePipeline([{ [stage]: "x" }], TEAM)).toThrow(ValidationError);
  });

  it("refuses forbidden operators at any depth and malformed stages", () => {
    expect(() => scopePipeline([{ $match: { $where: "1" } }], TEAM)).toThrow(ValidationError);
    expect(() => scopePipeline([{ $group: { _id: null, x: { $accumulator: {} } } }], TEAM)).toThrow(ValidationError);
    expect(() => scopePipeline([{ $facet: { a: [{ $project: { x: { $function: {} } } }] } }], TEAM)).toThrow(ValidationError);
    expect(() => scopePipeline([{ $match: {}, $limit: 1 }], TEAM)).toThrow(ValidationError);
    expect(() => scopePipeline([{ match: {} }], TEAM)).toThrow(ValidationError);
    expect(() => scopePipeline({} as unknown as [], TEAM)).toThrow(ValidationError);
  });

  it("scopes a $lookup into a tenant-owned collection of the same database to the team", () => {
    const [, lookup] = scopePipeline(
      [{ $lookup: { from: "enhanced_cloud_accounts", localField: "account_id", foreignField: "account_id", as: "account" } }],
      TEAM,
    );
    expect(lookup).toEqual({
      $lookup: {
        from: "enhanced_cloud_accounts",
        localField: "account_id",
        foreignField: "account_id",
        as: "account",
        pipeline: [{ $match: { team_id: "team-a" } }],
      },
    });
  });

  it("scopes pipeline-form joins, nested joins, $unionWith and $graphLookup", () => {
    const out = scopePipeline(
      [
        { $lookup: { from: "security_scores", let: { a: "$account_id" }, pipeline: [{ $match: { x: 1 } }], as: "s" } },
        { $unionWith: "security_scores" },
        {
          $graphLookup: {
            from: "prowler_findings",
            startWith: "$a",
            connectFromField: "a",
            connectToField: "b",
            as: "g",
            restrictSearchWithMatch: { muted: false },
          },
        },
        { $facet: { f: [{ $lookup: { from: "prowler_findings", pipeline: [], as: "p" } }] } },
      ],
      TEAM,
    );
    expect(out[1]).toEqual({
      $lookup: {
        from: "security_scores",
        let: { a: "$account_id" },
        pipeline: [{ $match: { team_id: "team-a" } }, { $match: { x: 1 } }],
        as: "s",
      },
    });
    expect(out[2]).toEqual({ $unionWith: { coll: "security_scores", pipeline: [{ $match: { team_id: "team-a" } }] } });
    expect((out[3] as { $graphLookup: { restrictSearchWithMatch: unknown } }).$graphLookup.restrictSearchWithMatch).toEqual({
      $and: [{ team_id: "team-a" }, { muted: false }],
    });
    expect(out[4]).toEqual({
      $facet: { f: [{ $lookup: { from: "prowler_findings", pipeline: [{ $match: { team_id: "team-a" } }], as: "p" } }] },
    });
  });

  it("refuses joins into another database, legacy collections and the object form of from", () => {
    expect(() => scopePipeline([{ $lookup: { from: "users", localField: "a", foreignField: "b", as: "u" } }], TEAM)).toThrow(
      ContractViolationError,
    );
    expect(() => scopePipeline([{ $unionWith: { coll: "scan_runs" } }], TEAM)).toThrow(ContractViolationError);
    expect(() => scopePipeline([{ $lookup: { from: "cloud_accounts", localField: "a", foreignField: "b", as: "u" } }], TEAM)).toThrow(
      ContractViolationError,
    );
    expect(() => scopePipeline([{ $lookup: { from: { db: "other", coll: "x" }, pipeline: [], as: "u" } }], TEAM)).toThrow(
      ContractViolationError,
    );
  });

  it("refuses a shared scope joining a tenant-owned collection", () => {
    expect(() => scopePipeline([{ $lookup: { from: "users", pipeline: [], as: "u" } }], { database: "PLATFORM", teamId: null })).toThrow(
      ForbiddenError,
    );
    expect(() =>
      scopePipeline([{ $lookup: { from: "migration_ledger", pipeline: [], as: "u" } }], { database: "PLATFORM", teamId: null }),
    ).not.toThrow();
  });
});
