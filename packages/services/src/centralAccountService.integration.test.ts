import { type CacheKey, type CacheLoader, type CacheSetOptions, NoCache } from "@cspm/cache";
import { parseTeamId } from "@cspm/repository";
import { isCspmError } from "@cspm/errors";
import { ObjectId, type Document } from "mongodb";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createServices } from "./createServices";
import { openServicesTestbed, type ServicesTestbed } from "./testing/servicesTestbed";

const NOW = new Date("2024-06-15T12:00:00.000Z");
const AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const AWS_KEYS = { access_key_id: "AKIAIOSFODNN7EXAMPLE", secret_access_key: AWS_SECRET };
const PEM = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----\n";
const GCP_KEY = {
  type: "service_account",
  project_id: "my-project-123",
  private_key_id: "0123456789abcdef0123456789abcdef01234567",
  private_key: PEM,
  client_email: "cspm@my-project-123.iam.gserviceaccount.com",
  client_id: "123456789012345678901",
};

let bed: ServicesTestbed;

async function failure(promise: Promise<unknown>): Promise<{ code: string; paths: string[]; text: string }> {
  try {
    await promise;
  } catch (error) {
    if (!isCspmError(error)) throw error;
    const issues = (error.details?.["issues"] ?? []) as Array<{ path: string }>;
    return { code: error.code, paths: issues.map((i) => i.path), text: `${error.message} ${JSON.stringify(error)}` };
  }
  throw new Error("expected a failure");
}

function rawAccount(id: string): Promise<Document | null> {
  return bed.manager.getCollection("CLOUD_SECURITY", "enhanced_cloud_accounts").findOne({ _id: new ObjectId(id) });
}

beforeAll(async () => {
  bed = await openServicesTestbed({ now: NOW, label: "acct" });
});

afterAll(async () => {
  await bed?.close();
});

beforeEach(() => {
  bed.monitor.reset();
});

describe("CentralAccountService — registration and credentials", () => {
  it("encrypts credentials bound to team and account, stores no plaintext and never returns them", async () => {
    const view = await bed.accounts.registerAccount(parseTeamId("team_a"), {
      provider: "aws",
      accountId: " 123456789012 ",
      name: "Prod",
      credentials: AWS_KEYS,
      regions: ["us-east-1"],
      tags: [{ key: "env", value: "prod" }],
    });
    expect(view).toMatchObject({
      team_id: "team_a",
      provider: "aws",
      account_id: "123456789012",
      name: "Prod",
      status: "pending",
      has_credentials: true,
    });
    expect(view.credentials_updated_at?.toISOString()).toBe(NOW.toISOString());
    expect(Object.keys(view)).not.toContain("encrypted_credentials");
    expect(JSON.stringify(view)).not.toContain(AWS_SECRET);

    const raw = await rawAccount(view.id);
    expect(raw?.["encrypted_credentials"]).toMatchObject({ v: 1, kid: "test1" });
    expect(JSON.stringify(raw)).not.toContain(AWS_SECRET);
    expect(JSON.stringify(raw)).not.toContain("AKIAIOSFODNN7EXAMPLE");
    const aad = { team_id: "team_a", provider: "aws", account_id: "123456789012" };
    expect(bed.cipher.decryptJson(raw?.["encrypted_credentials"], { aad })).toEqual(AWS_KEYS);
    // Bound to the tenant: the same envelope does not open for another team.
    expect(() => bed.cipher.decryptJson(raw?.["encrypted_credentials"], { aad: { ...aad, team_id: "team_b" } })).toThrow(/authentication/);
  });

  it("accepts every documented credential shape", async () => {
    const cases: Array<[string, string, unknown]> = [
      ["aws", "210987654321", { ...AWS_KEYS, session_token: "FwoGZXIvYXdzEXAMPLE" }],
      ["aws", "310987654321", { role_arn: "arn:aws:iam::310987654321:role/cspm-audit", external_id: "cspm-team-a" }],
      [
        "azure",
        "AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE",
        {
          tenant_id: "11111111-2222-3333-4444-555555555555",
          client_id: "66666666-7777-8888-9999-000000000000",
          client_secret: "s3cr3t~value",
        },
      ],
      ["gcp", "my-project-123", GCP_KEY],
      ["gcp", "my-project-456", JSON.stringify({ ...GCP_KEY, project_id: "my-project-456" })],
      ["kubernetes", "prod-cluster", { kubeconfig: "apiVersion: v1\nclusters: []\nusers: []\ncontexts: []\n" }],
      ["kubernetes", "edge.cluster-1", { server: "https://k8s.example.com:6443", token: "eyJhbGciOiJSUzI1NiJ9.payload.sig" }],
    ];
    for (const [provider, accountId, credentials] of cases) {
      const view = await bed.accounts.registerAccount(parseTeamId("team_a"), {
        provider: provider as never,
        accountId,
        name: `${provider} ${accountId}`,
        credentials,
      });
      expect(view.has_credentials).toBe(true);
      if (provider === "azure") expect(view.account_id).toBe(accountId.toLowerCase());
    }
  });

  it.each([
    ["aws", "12345", undefined, ["accountId"]],
    ["azure", "not-a-guid", undefined, ["accountId"]],
    ["gcp", "Bad_Project", undefined, ["accountId"]],
    ["kubernetes", "Not A Cluster", undefined, ["accountId"]],
    ["aws", "123456789013", { access_key_id: "AKIAIOSFODNN7EXAMPLE" }, ["credentials.secret_access_key"]],
    ["aws", "123456789013", { role_arn: "arn:aws:iam::1:role/x", external_id: "x" }, ["credentials.role_arn", "credentials.external_id"]],
    ["aws", "123456789013", { ...AWS_KEYS, password: "extra" }, ["credentials"]],
    [
      "azure",
      "11111111-2222-3333-4444-555555555555",
      { tenant_id: "t", client_id: "c", client_secret: "" },
      ["credentials.tenant_id", "credentials.client_id", "credentials.client_secret"],
    ],
    ["gcp", "my-project-789", { ...GCP_KEY, private_key: "plain" }, ["credentials.private_key"]],
    ["gcp", "my-project-789", "{not json", ["credentials"]],
    ["kubernetes", "prod-cluster-2", { server: "http://k8s.example.com", token: "t" }, ["credentials.server"]],
    ["kubernetes", "prod-cluster-2", "a string", ["credentials"]],
  ])("rejects %s %s with VALIDATION_FAILED naming the fields", async (provider, accountId, credentials, paths) => {
    const input = { provider: provider as never, accountId, name: "x", ...(credentials === undefined ? {} : { credentials }) };
    const error = await failure(bed.accounts.registerAccount(parseTeamId("team_a"), input));
    expect(error.code).toBe("VALIDATION_FAILED");
    for (const path of paths) expect(error.paths.some((p) => p === path || p.startsWith(path))).toBe(true);
    expect(error.text).not.toContain(AWS_SECRET);
    expect(bed.monitor.count()).toBe(0);
  });

  it("refuses to register the same provider account twice in a team (CONFLICT) but allows it in another team", async () => {
    expect(
      (await failure(bed.accounts.registerAccount(parseTeamId("team_a"), { provider: "aws", accountId: "123456789012", name: "Again" })))
        .code,
    ).toBe("CONFLICT");
    const other = await bed.accounts.registerAccount(parseTeamId("team_b"), { provider: "aws", accountId: "123456789012", name: "B's" });
    expect(other.team_id).toBe("team_b");
  });

  it("rotates credentials against the account's own provider", async () => {
    const account = await bed.accounts.registerAccount(parseTeamId("team_a"), {
      provider: "azure",
      accountId: "99999999-2222-3333-4444-555555555555",
      name: "Azure",
    });
    expect(account.has_credentials).toBe(false);
    expect((await failure(bed.accounts.rotateCredentials(parseTeamId("team_a"), account.id, AWS_KEYS))).code).toBe("VALIDATION_FAILED");
    const creds = {
      tenant_id: "11111111-2222-3333-4444-555555555555",
      client_id: "66666666-7777-8888-9999-000000000000",
      client_secret: "rotated-secret",
    };
    const rotated = await bed.accounts.rotateCredentials(parseTeamId("team_a"), account.id, creds);
    expect(rotated.has_credentials).toBe(true);
    expect(JSON.stringify(rotated)).not.toContain("rotated-secret");
    const raw = await rawAccount(account.id);
    expect(JSON.stringify(raw)).not.toContain("rotated-secret");
    expect(
      bed.cipher.decryptJson(raw?.["encrypted_credentials"], {
        aad: { team_id: "team_a", provider: "azure", account_id: account.account_id },
      }),
    ).toEqual(creds);
    expect((await failure(bed.accounts.rotateCredentials(parseTeamId("team_a"), new ObjectId().toHexString(), creds))).code).toBe(
      "NOT_FOUND",
    );
  });
});

describe("CentralAccountService — reads, writes and the cache", () => {
  let id: string;

  beforeAll(async () => {
    id = (
      await bed.accounts.registerAccount(parseTeamId("team_c"), {
        provider: "aws",
        accountId: "400000000001",
        name: "C1",
        tags: [{ key: "env", value: "prod" }],
        status: "active",
      })
    ).id;
    await bed.accounts.registerAccount(parseTeamId("team_c"), {
      provider: "aws",
      accountId: "400000000002",
      name: "C2",
      tags: [{ key: "env", value: "dev" }],
      status: "active",
    });
    await bed.accounts.registerAccount(parseTeamId("team_c"), {
      provider: "gcp",
      accountId: "c-project-3",
      name: "C3",
      tags: [{ key: "env", value: "prod" }],
    });
  });

  it("reads one account, from the cache the second time", async () => {
    const first = await bed.monitor.measure(() => bed.accounts.getAccount(parseTeamId("team_c"), id));
    expect(first.result.name).toBe("C1");
    expect(first.commands).toHaveLength(1);
    const second = await bed.monitor.measure(() => bed.accounts.getAccount(parseTeamId("team_c"), id));
    expect(second.commands).toHaveLength(0);
    expect(second.result).toEqual(first.result);
    expect((await failure(bed.accounts.getAccount(parseTeamId("team_c"), new ObjectId().toHexString()))).code).toBe("NOT_FOUND");
    expect((await failure(bed.accounts.getAccount(parseTeamId("team_c"), "nope"))).code).toBe("VALIDATION_FAILED");
  });

  it("lists with keyset pagination and filters by provider, status and tag", async () => {
    const page1 = await bed.accounts.listAccounts(parseTeamId("team_c"), { limit: 2 });
    expect(page1.items.map((a) => a.name)).toEqual(["C1", "C2"]);
    expect(page1.nextCursor).not.toBeNull();
    const page2 = await bed.accounts.listAccounts(parseTeamId("team_c"), { limit: 2, cursor: page1.nextCursor });
    expect(page2.items.map((a) => a.name)).toEqual(["C3"]);
    expect(page2.nextCursor).toBeNull();
    expect((await bed.accounts.listAccounts(parseTeamId("team_c"), { provider: "gcp" })).items.map((a) => a.name)).toEqual(["C3"]);
    expect((await bed.accounts.listAccounts(parseTeamId("team_c"), { status: "active" })).items.map((a) => a.name)).toEqual(["C1", "C2"]);
    expect(
      (await bed.accounts.listAccounts(parseTeamId("team_c"), { tag: { key: "env", value: "prod" } })).items.map((a) => a.name),
    ).toEqual(["C1", "C3"]);
    expect(
      (await bed.accounts.listAccounts(parseTeamId("team_c"), { tag: { key: "env", value: "prod" }, provider: "aws" })).items.map(
        (a) => a.name,
      ),
    ).toEqual(["C1"]);
    expect((await failure(bed.accounts.listAccounts(parseTeamId("team_c"), { cursor: "tampered" }))).code).toBe("VALIDATION_FAILED");
    expect((await failure(bed.accounts.listAccounts(parseTeamId("team_c"), { provider: "oracle" as never }))).code).toBe(
      "VALIDATION_FAILED",
    );
    expect(page1.items.every((a) => !("encrypted_credentials" in a))).toBe(true);
  });

  it("serves a repeated list from the cache and drops it on every write", async () => {
    await bed.accounts.listAccounts(parseTeamId("team_c"), { provider: "aws" });
    bed.monitor.reset();
    await bed.accounts.listAccounts(parseTeamId("team_c"), { provider: "aws" });
    expect(bed.monitor.count()).toBe(0);
    await bed.accounts.recordLastScan(parseTeamId("team_c"), id, { status: "completed" });
    bed.monitor.reset();
    const fresh = await bed.accounts.listAccounts(parseTeamId("team_c"), { provider: "aws" });
    expect(bed.monitor.count()).toBeGreaterThan(0);
    const c1 = fresh.items.find((a) => a.id === id);
    expect(c1?.last_scan_status).toBe("completed");
    expect(c1?.last_scan_at?.toISOString()).toBe(NOW.toISOString());
  });

  it("updates allowed fields, refuses identity changes and stale versions", async () => {
    const before = await bed.accounts.getAccount(parseTeamId("team_c"), id);
    const updated = await bed.accounts.updateAccount(
      parseTeamId("team_c"),
      id,
      { name: "C1 renamed", regions: ["eu-west-1"], statusMessage: "ok" },
      { expectedVersion: before.version as number },
    );
    expect(updated).toMatchObject({ name: "C1 renamed", regions: ["eu-west-1"], status_message: "ok" });
    expect((await bed.accounts.getAccount(parseTeamId("team_c"), id)).name).toBe("C1 renamed");
    expect(
      (
        await failure(
          bed.accounts.updateAccount(parseTeamId("team_c"), id, { name: "again" }, { expectedVersion: before.version as number }),
        )
      ).code,
    ).toBe("CONFLICT");
    expect((await failure(bed.accounts.updateAccount(parseTeamId("team_c"), id, { provider: "gcp" } as never))).code).toBe(
      "VALIDATION_FAILED",
    );
    expect((await failure(bed.accounts.updateAccount(parseTeamId("team_c"), id, { accountId: "400000000009" } as never))).code).toBe(
      "VALIDATION_FAILED",
    );
    expect((await failure(bed.accounts.updateAccount(parseTeamId("team_c"), id, {}))).code).toBe("VALIDATION_FAILED");
    expect((await failure(bed.accounts.updateAccount(parseTeamId("team_c"), new ObjectId().toHexString(), { name: "x" }))).code).toBe(
      "NOT_FOUND",
    );
  });

  it("deactivates with a reason", async () => {
    const view = await bed.accounts.deactivateAccount(parseTeamId("team_c"), id, "Decommissioned");
    expect(view).toMatchObject({ status: "inactive", status_message: "Decommissioned" });
    expect((await bed.accounts.listAccounts(parseTeamId("team_c"), { status: "inactive" })).items.map((a) => a.id)).toEqual([id]);
  });

  it("soft-deletes: hidden from reads, kept in storage, restorable by registering again", async () => {
    const doomed = await bed.accounts.registerAccount(parseTeamId("team_c"), {
      provider: "aws",
      accountId: "400000000099",
      name: "Doomed",
    });
    await bed.accounts.getAccount(parseTeamId("team_c"), doomed.id);
    await bed.accounts.deleteAccount(parseTeamId("team_c"), doomed.id);
    expect((await failure(bed.accounts.getAccount(parseTeamId("team_c"), doomed.id))).code).toBe("NOT_FOUND");
    expect((await bed.accounts.listAccounts(parseTeamId("team_c"))).items.map((a) => a.id)).not.toContain(doomed.id);
    expect((await rawAccount(doomed.id))?.["deleted_at"]).toBeInstanceOf(Date);
    expect((await failure(bed.accounts.deleteAccount(parseTeamId("team_c"), doomed.id))).code).toBe("NOT_FOUND");
    const resolved = await bed.accounts.resolveAccounts(parseTeamId("team_c"), ["400000000099"]);
    expect(resolved.get("400000000099")).toMatchObject({ name: "Doomed", deleted: true });
    const back = await bed.accounts.registerAccount(parseTeamId("team_c"), { provider: "aws", accountId: "400000000099", name: "Back" });
    expect(back.id).toBe(doomed.id);
    expect((await bed.accounts.getAccount(parseTeamId("team_c"), doomed.id)).name).toBe("Back");
  });
});

describe("CentralAccountService.resolveAccounts", () => {
  it("resolves many ids — document ids and provider ids — in one query", async () => {
    const a = await bed.accounts.registerAccount(parseTeamId("team_d"), { provider: "aws", accountId: "500000000001", name: "D1" });
    await bed.accounts.registerAccount(parseTeamId("team_d"), { provider: "aws", accountId: "500000000002", name: "D2" });
    await bed.accounts.registerAccount(parseTeamId("team_d"), { provider: "kubernetes", accountId: "d-cluster", name: "D3" });
    bed.monitor.reset();
    const ids = [a.id, "500000000002", "d-cluster", "999999999999", new ObjectId().toHexString()];
    const measured = await bed.monitor.measure(() => bed.accounts.resolveAccounts(parseTeamId("team_d"), ids));
    expect(measured.commands.map((c) => [c.name, c.collection])).toEqual([["find", "enhanced_cloud_accounts"]]);
    const map = measured.result;
    expect([...map.keys()].sort()).toEqual([a.id, "500000000002", "d-cluster"].sort());
    expect(map.get(a.id)).toMatchObject({ name: "D1", provider: "aws", account_id: "500000000001", deleted: false });
    expect(map.get("d-cluster")).toMatchObject({ name: "D3", provider: "kubernetes" });
    const again = await bed.monitor.measure(() => bed.accounts.resolveAccounts(parseTeamId("team_d"), [...ids].reverse()));
    expect(again.commands).toHaveLength(0);
    expect(JSON.stringify([...again.result.values()])).not.toContain("encrypted");
  });

  it("sends nothing for no ids and validates the list", async () => {
    expect((await bed.accounts.resolveAccounts(parseTeamId("team_d"), [])).size).toBe(0);
    expect(bed.monitor.count()).toBe(0);
    expect(
      (
        await failure(
          bed.accounts.resolveAccounts(
            parseTeamId("team_d"),
            Array.from({ length: 1001 }, (_, i) => `id-${i}`),
          ),
        )
      ).code,
    ).toBe("VALIDATION_FAILED");
    expect((await failure(bed.accounts.resolveAccounts(parseTeamId("team_d"), [{ $ne: null }] as never))).code).toBe("VALIDATION_FAILED");
    expect(bed.monitor.count()).toBe(0);
  });
});

describe("CentralAccountService — secret-looking credential input is never echoed", () => {
  /** 20 keys and values that look like secrets (access keys, tokens, private keys, passwords). */
  const SECRETS = Array.from({ length: 20 }, (_, i) => [
    `AKIA${String(i).padStart(2, "0")}SECRETKEYNAME${"Q".repeat(4)}`,
    `wJalr${i}XUtnFEMI/K7MDENG/bPxRfiCY${"S".repeat(8)}${i}`,
  ]);
  const needles = SECRETS.flat();

  it("an unknown credential field is reported by position, never by its name or value, and nothing is read", async () => {
    const team = parseTeamId("team_echo");
    const account = await bed.accounts.registerAccount(team, { provider: "aws", accountId: "444444444444", name: "Echo" });
    for (const [key, value] of SECRETS) {
      const credentials = { ...AWS_KEYS, [key as string]: value };
      bed.monitor.reset();
      const registered = await failure(
        bed.accounts.registerAccount(team, { provider: "aws", accountId: "555555555555", name: "X", credentials }),
      );
      const rotated = await failure(bed.accounts.rotateCredentials(team, account.id, credentials));
      for (const result of [registered, rotated]) {
        expect(result.code).toBe("VALIDATION_FAILED");
        expect(result.text).toContain("unexpected field");
        for (const needle of needles) expect(result.text).not.toContain(needle);
      }
      expect(bed.monitor.count()).toBe(0);
    }
  });

  it("rotateCredentials refuses an operator object before any read", async () => {
    const team = parseTeamId("team_echo");
    bed.monitor.reset();
    const result = await failure(
      bed.accounts.rotateCredentials(team, new ObjectId().toHexString(), { access_key_id: { $ne: 1 }, secret_access_key: { $ne: 1 } }),
    );
    expect(result.code).toBe("VALIDATION_FAILED");
    expect(bed.monitor.count()).toBe(0);
  });
});

describe("CentralAccountService — one NOT_FOUND message for every operation on an unknown account", () => {
  it("reads and writes of an id that is no account of the team say so the same way, naming no collection", async () => {
    const team = parseTeamId("team_missing");
    const id = new ObjectId().toHexString();
    const outcomes = [
      await failure(bed.accounts.getAccount(team, id)),
      await failure(bed.accounts.updateAccount(team, id, { name: "x" })),
      await failure(bed.accounts.deactivateAccount(team, id)),
      await failure(bed.accounts.deleteAccount(team, id)),
      await failure(bed.accounts.rotateCredentials(team, id, AWS_KEYS)),
      await failure(bed.accounts.recordLastScan(team, id, { status: "completed" })),
    ];
    for (const outcome of outcomes) {
      expect(outcome.code).toBe("NOT_FOUND");
      expect(outcome.text).toContain(`No cloud account ${id} in this team.`);
      expect(outcome.text).not.toContain("enhanced_cloud_accounts");
    }
  });
});

describe("services on a disabled cache (NoCache)", () => {
  /** NoCache, noting how each key arrived: a function it never calls costs the caller no key building. */
  class KeyWatchingNoCache extends NoCache {
    readonly keys: string[] = [];
    override wrap<T>(key: CacheKey, ttl: number | CacheSetOptions, loader: CacheLoader<T>): Promise<T> {
      this.keys.push(typeof key);
      return super.wrap(key, ttl, loader);
    }
  }

  it("builds no cache key (no digest) and reads MongoDB on every call", async () => {
    const cache = new KeyWatchingNoCache();
    const services = createServices({ manager: bed.manager, cipher: bed.cipher, clock: () => bed.now, cache });
    const team = parseTeamId("team_nocache");
    const account = await services.accounts.registerAccount(team, { provider: "aws", accountId: "700000000001", name: "N" });
    bed.monitor.reset();
    for (let i = 0; i < 2; i++) {
      expect((await services.accounts.listAccounts(team, { provider: "aws" })).items.map((a) => a.id)).toEqual([account.id]);
      expect((await services.accounts.getAccount(team, account.id)).name).toBe("N");
      expect((await services.accounts.resolveAccounts(team, [account.account_id])).get(account.account_id)?.name).toBe("N");
      await services.aggregation.getDashboardSummary(team);
      await services.aggregation.getScanActivity(team);
    }
    expect(cache.keys).toHaveLength(10);
    expect(new Set(cache.keys)).toEqual(new Set(["function"]));
    // Per round: listAccounts, getAccount, resolveAccounts, the dashboard's rollup marks: 4 finds.
    expect(bed.monitor.count({ name: "find" })).toBe(8);
    expect(cache.stats()).toMatchObject({ hits: 0, loads: 10 });
  });
});
