import { ObjectId } from "mongodb";
import { describe, expect, it } from "vitest";
import { legacyCredentialKeys, normalizeLegacyCloudAccount } from "./legacyCloudAccount";

describe("normalizeLegacyCloudAccount", () => {
  it("maps the oldest shape: cloud_provider, numeric account_number, account_name, is_active, plaintext credentials", () => {
    const _id = new ObjectId("650000000000000000000001");
    const result = normalizeLegacyCloudAccount({
      _id,
      team_id: "team-1",
      cloud_provider: "AWS",
      account_number: 12345678901, // 11 digits: a leading zero was lost
      account_name: "  Production  ",
      is_active: false,
      region: "US-EAST-1",
      tags: { env: "prod", owner: "sec" },
      credentials: { access_key_id: "AKIAEXAMPLE", secret_access_key: "shh" },
      created_at: new Date("2022-01-01T00:00:00Z"),
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.account).toMatchObject({
      key: "team-1|aws|012345678901",
      team_id: "team-1",
      provider: "aws",
      account_id: "012345678901",
      name: "Production",
      status: "inactive",
      regions: ["us-east-1"],
      tags: [
        { key: "env", value: "prod" },
        { key: "owner", value: "sec" },
      ],
      credentials: { plaintext: { access_key_id: "AKIAEXAMPLE", secret_access_key: "shh" } },
      created_at: new Date("2022-01-01T00:00:00Z"),
      updated_at: new Date("2022-01-01T00:00:00Z"),
      rank: "2022-01-01T00:00:00.000Z|650000000000000000000001",
    });
  });

  it("maps the later shape: provider, subscription_id (upper-case GUID), name, regions list, JSON credentials", () => {
    const result = normalizeLegacyCloudAccount({
      _id: "legacy-7",
      team_id: new ObjectId("650000000000000000000abc"),
      provider: "azure",
      subscription_id: "0F8FAD5B-D9CB-469F-A165-70867728950E",
      name: "Sub",
      regions: ["westeurope", "westeurope", "northeurope"],
      tags: ["cost-center=42", "critical"],
      credentials: '{"client_id":"c","client_secret":"s","tenant_id":"t"}',
      updated_at: "2024-02-03T04:05:06Z",
    });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.account.team_id).toBe("650000000000000000000abc");
    expect(result.account.account_id).toBe("0f8fad5b-d9cb-469f-a165-70867728950e");
    expect(result.account.regions).toEqual(["northeurope", "westeurope"]);
    expect(result.account.tags).toEqual([
      { key: "cost-center", value: "42" },
      { key: "critical", value: "" },
    ]);
    expect(result.account.credentials).toEqual({ plaintext: { client_id: "c", client_secret: "s", tenant_id: "t" } });
    expect(result.account.rank).toBe("2024-02-03T04:05:06.000Z|legacy-7");
  });

  it("wraps an opaque credential string and keeps GCP project ids", () => {
    const result = normalizeLegacyCloudAccount({
      _id: 1,
      team_id: "t",
      provider: "gcp",
      project_id: "my-project-123",
      credentials: "opaque-token",
    });
    expect(result.ok && result.account.credentials).toEqual({ plaintext: { secret: "opaque-token" } });
    expect(result.ok && result.account.account_id).toBe("my-project-123");
  });

  it("reports problems by path without echoing values", () => {
    const result = normalizeLegacyCloudAccount({ _id: 2, provider: "oracle", account_id: "x", credentials: { password: "hunter2" } });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues.map((i) => i.path).sort()).toEqual(["provider", "team_id"]);
    expect(JSON.stringify(result.issues)).not.toContain("hunter2");
  });

  it("rejects an account id that does not fit the provider", () => {
    const result = normalizeLegacyCloudAccount({ _id: 3, team_id: "t", provider: "aws", account_id: "not-a-number" });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues).toEqual([{ path: "account_id", message: "is missing or not a valid aws account id" }]);
  });
});

describe("legacyCredentialKeys", () => {
  it("renames old spellings to the platform's and keeps everything else", () => {
    expect(legacyCredentialKeys({ aws_access_key_id: "A", secretAccessKey: "S", roleArn: "R", region_hint: "x" })).toEqual({
      access_key_id: "A",
      secret_access_key: "S",
      role_arn: "R",
      region_hint: "x",
    });
    expect(legacyCredentialKeys({ clientId: "c", ClientSecret: "s", tenant_id: "t" })).toEqual({
      client_id: "c",
      client_secret: "s",
      tenant_id: "t",
    });
  });

  it("lets a key already in the platform's spelling win over an alias", () => {
    expect(legacyCredentialKeys({ access_key_id: "new", aws_access_key_id: "old" })).toEqual({ access_key_id: "new" });
  });
});
