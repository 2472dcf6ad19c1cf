import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { expectCspmError } from "../testing/expectCspmError";
import { type DomainTestContext, openDomainTestContext } from "../testing/openDomainTestContext";
import { SAMPLE_ENVELOPE } from "../testing/sampleDocuments";
import { CloudAccountRepository } from "./cloudAccountRepository";

const A = "team-a";
const B = "team-b";
const AZURE_ID = "9b2c1f0e-3a4d-4e5f-8a6b-7c8d9e0f1a2b";

let ctx: DomainTestContext;
let accounts: CloudAccountRepository;

beforeAll(async () => {
  ctx = await openDomainTestContext(["CLOUD_SECURITY"]);
  accounts = ctx.factory.get(CloudAccountRepository);
});

afterAll(async () => {
  await ctx?.dispose();
});

beforeEach(async () => {
  await ctx.raw("CLOUD_SECURITY", "enhanced_cloud_accounts").deleteMany({});
});

describe("CloudAccountRepository", () => {
  it("registers with provider-checked, canonical ids and stores only encrypted credentials", async () => {
    const azure = await accounts.register(A, { provider: "azure", account_id: AZURE_ID.toUpperCase(), name: "Prod" });
    expect(azure).toMatchObject({ account_id: AZURE_ID, status: "pending", regions: [], tags: [], version: 1 });
    await expectCspmError(accounts.register(A, { provider: "aws", account_id: "1234", name: "Bad" }), "VALIDATION_FAILED");
    await expectCspmError(
      accounts.register(A, {
        provider: "gcp",
        account_id: "my-project-1",
        name: "P",
        encrypted_credentials: { private_key: "-----BEGIN" } as never,
      }),
      "VALIDATION_FAILED",
    );
    const updated = await accounts.updateCredentials(A, azure._id, SAMPLE_ENVELOPE, { expectedVersion: 1 });
    expect(updated.encrypted_credentials).toEqual(SAMPLE_ENVELOPE);
    expect(updated.credentials_updated_at).toBeInstanceOf(Date);
    const stale = await expectCspmError(accounts.updateCredentials(A, azure._id, SAMPLE_ENVELOPE, { expectedVersion: 1 }), "CONFLICT");
    expect(stale.details).toMatchObject({ reason: "VERSION_CONFLICT" });
  });

  it("one provider account per team, but the same account may belong to two teams", async () => {
    await accounts.register(A, { provider: "aws", account_id: "123456789012", name: "A prod" });
    await expectCspmError(accounts.register(A, { provider: "aws", account_id: "123456789012", name: "dup" }), "CONFLICT");
    await accounts.register(B, { provider: "aws", account_id: "123456789012", name: "B prod" });

    expect((await accounts.findByProviderAccount(A, "aws", "123456789012"))?.name).toBe("A prod");
    expect((await accounts.findByProviderAccount(B, "aws", "123456789012"))?.name).toBe("B prod");
    expect(await accounts.findByProviderAccount(A, "azure", AZURE_ID)).toBeNull();
  });

  it("soft-deletes, hides, and restores on re-registration", async () => {
    const account = await accounts.register(A, {
      provider: "aws",
      account_id: "123456789012",
      name: "Old",
      tags: [{ key: "env", value: "prod" }],
    });
    await accounts.setStatus(A, account._id, "active");
    expect(await accounts.remove(B, account._id)).toBe(false);
    expect(await accounts.remove(A, account._id)).toBe(true);
    expect(await accounts.findByProviderAccount(A, "aws", "123456789012")).toBeNull();
    expect(await accounts.listActive(A)).toEqual([]);

    const back = await accounts.register(A, { provider: "aws", account_id: "123456789012", name: "New" });
    expect(back._id).toEqual(account._id);
    expect(back.name).toBe("New");
    expect(back.deleted_at ?? null).toBeNull();
    expect(await ctx.raw("CLOUD_SECURITY", "enhanced_cloud_accounts").countDocuments({ team_id: A })).toBe(1);
  });

  it("finds by tag and records scans, within the team only", async () => {
    const a = await accounts.register(A, {
      provider: "aws",
      account_id: "123456789012",
      name: "A",
      status: "active",
      tags: [{ key: "env", value: "prod" }],
    });
    await accounts.register(B, {
      provider: "aws",
      account_id: "210987654321",
      name: "B",
      status: "active",
      tags: [{ key: "env", value: "prod" }],
    });
    expect((await accounts.findByTag(A, { key: "env", value: "prod" })).map((x) => x.name)).toEqual(["A"]);
    const scanned = await accounts.recordScan(A, a._id, { status: "completed", at: new Date("2025-01-01T00:00:00Z") });
    expect(scanned.last_scan_status).toBe("completed");
    await expectCspmError(accounts.recordScan(B, a._id, { status: "failed" }), "NOT_FOUND");
    await expectCspmError(accounts.findByTag(A, { key: { $ne: null } } as never), "VALIDATION_FAILED");
  });
});
