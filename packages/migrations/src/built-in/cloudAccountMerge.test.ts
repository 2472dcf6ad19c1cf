import { describe, expect, it } from "vitest";
import { mergeCloudAccountSources } from "./cloudAccountMerge";
import type { NormalizedLegacyAccount } from "./legacyCloudAccount";

function source(id: string, updated: string, fields: Partial<NormalizedLegacyAccount> = {}): NormalizedLegacyAccount {
  const updatedAt = new Date(updated);
  return {
    sourceId: id,
    key: "team-1|aws|123456789012",
    team_id: "team-1",
    provider: "aws",
    account_id: "123456789012",
    regions: [],
    tags: [],
    updated_at: updatedAt,
    rank: `${updatedAt.toISOString()}|${id}`,
    ...fields,
  };
}

describe("mergeCloudAccountSources", () => {
  const older = source("a1", "2023-01-01T00:00:00Z", {
    name: "Old name",
    status: "inactive",
    regions: ["eu-west-1", "us-east-1"],
    tags: [
      { key: "env", value: "dev" },
      { key: "team", value: "red" },
    ],
    credentials: { plaintext: { role_arn: "old" } },
    created_at: new Date("2022-06-01T00:00:00Z"),
  });
  const newer = source("b2", "2024-01-01T00:00:00Z", {
    name: "New name",
    regions: ["us-west-2", "us-east-1"],
    tags: [{ key: "env", value: "prod" }],
    created_at: new Date("2023-12-01T00:00:00Z"),
  });

  it("takes each scalar from the newest source that has it, unites regions, merges tags by key", () => {
    const merged = mergeCloudAccountSources("123456789012", [older, newer]);
    expect(merged.fields).toEqual({
      name: "New name",
      status: "inactive", // the newest source has no status, the older one does
      regions: ["eu-west-1", "us-east-1", "us-west-2"],
      tags: [
        { key: "env", value: "prod" },
        { key: "team", value: "red" },
      ],
      created_at: new Date("2022-06-01T00:00:00Z"),
      updated_at: new Date("2024-01-01T00:00:00Z"),
    });
    expect(merged.credentials).toEqual({ from: "source", source: older });
  });

  it("does not depend on the order of the sources", () => {
    expect(mergeCloudAccountSources("123456789012", [newer, older])).toEqual(mergeCloudAccountSources("123456789012", [older, newer]));
  });

  it("breaks a tie on time by source id, deterministically", () => {
    const x = source("aaa", "2024-01-01T00:00:00Z", { name: "X" });
    const y = source("bbb", "2024-01-01T00:00:00Z", { name: "Y" });
    expect(mergeCloudAccountSources("1", [x, y]).fields.name).toBe("Y");
    expect(mergeCloudAccountSources("1", [y, x]).fields.name).toBe("Y");
  });

  it("lets an existing document win a tie, so merging its own result again changes nothing", () => {
    const first = mergeCloudAccountSources("123456789012", [older, newer]);
    const existing = { _id: "t", ...first.fields, encrypted_credentials: { v: 1 }, credentials_updated_at: older.updated_at };
    const second = mergeCloudAccountSources("123456789012", [older, newer], existing);
    expect(second.fields).toEqual(first.fields);
    expect(second.credentials).toEqual({ from: "existing" });
  });

  it("lets a newer legacy source override an older existing document, keeping the existing regions", () => {
    const existing = {
      _id: "t",
      name: "Current",
      status: "active",
      regions: ["ap-south-1"],
      tags: [],
      updated_at: new Date("2023-06-01T00:00:00Z"),
    };
    const merged = mergeCloudAccountSources("123456789012", [newer], existing);
    expect(merged.fields.name).toBe("New name");
    expect(merged.fields.status).toBe("active");
    expect(merged.fields.regions).toEqual(["ap-south-1", "us-east-1", "us-west-2"]);
  });

  it("falls back to the account id for a name and to active for a status", () => {
    const merged = mergeCloudAccountSources("123456789012", [source("c", "2024-01-01T00:00:00Z")]);
    expect(merged.fields.name).toBe("123456789012");
    expect(merged.fields.status).toBe("active");
    expect(merged.credentials).toEqual({ from: "none" });
  });
});
