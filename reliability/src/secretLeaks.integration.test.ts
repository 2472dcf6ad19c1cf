import { parseTeamId } from "@cspm/repository";
/**
 * Secrets: plaintext credentials of every provider go in through the services and through the HTTP API
 * (valid, invalid, duplicated, rotated, aimed at the wrong team). Afterwards they must appear nowhere —
 * not in any stored document (other than as ciphertext that decrypts back to them), not in the commands
 * sent to MongoDB, not in Redis, not in any response body or error, not in any log line.
 */
import { RedisCache } from "@cspm/cache";
import { isEncryptedEnvelope } from "@cspm/crypto";
import { isCspmError } from "@cspm/errors";
import { startTestRedis, type TestRedis } from "@cspm/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiTestbed, openApiTestbed } from "./apiTestbed";
import { captureLogs, type LogCapture } from "./logCapture";
import { openReliabilityTestbed, type ReliabilityTestbed } from "./reliabilityTestbed";
import { errorText, findSecretLeaks, type PlantedSecret, type ScanTarget, scanText, storedDocumentTargets } from "./secretScanner";

const TEAM = "team_secrets";
const OTHER = "team_thief";
const PEM_BODY = "MIIEcanaryGcpPrivateKeyBody0123456789abcdefABCDEF";
const SECRETS = {
  awsSecret: "Zq3vN8x/Lm2Pw7Rt5Yb1Kc9Hd4Fg6Js0Ae+Ui8Ox",
  awsRotated: "Rt5Yb1Kc9Hd4Fg6Js0Ae+Ui8OxZq3vN8x/Lm2Pw7",
  awsHttp: "Hd4Fg6Js0Ae+Ui8OxZq3vN8x/Lm2Pw7Rt5Yb1Kc9",
  sessionToken: "FwoGZXIvYXdzEBYaDCanarySessionTokenQ1w2e3r4t5y6u7i8o9p0",
  externalId: "ext-canary-9f8e7d6c5b4a3210",
  azureSecret: "azS~ecret.Canary_7Qf9-Lk2Mn4Pb6Vc8Xz0",
  gcpKey: `-----BEGIN PRIVATE KEY-----\n${PEM_BODY}\n-----END PRIVATE KEY-----\n`,
  gcpKeyBody: PEM_BODY,
  kubeToken: "eyJhbGciOiJSUzI1NiJ9.canaryKubeTokenPayload.signatureXYZ123456",
  invalidEcho: "NotAValidAwsSecretButStillASecret-0123456789",
} as const;
const PLANTED: PlantedSecret[] = Object.entries(SECRETS).map(([label, value]) => ({ label, value }));

const aws = (secret: string) => ({ access_key_id: "AKIAIOSFODNN7EXAMPLE", secret_access_key: secret, session_token: SECRETS.sessionToken });
const azure = {
  tenant_id: "7f3c2b1a-0d9e-4c8b-a7f6-5e4d3c2b1a09",
  client_id: "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
  client_secret: SECRETS.azureSecret,
};
const gcp = {
  type: "service_account",
  project_id: "canary-project-1",
  private_key_id: "0123456789abcdef",
  private_key: SECRETS.gcpKey,
  client_email: "scanner@canary-project-1.iam.gserviceaccount.com",
};
const kube = { server: "https://k8s.canary.example.com:6443", token: SECRETS.kubeToken };

let logs: LogCapture;
let redis: TestRedis;
let bed: ReliabilityTestbed;
let api: ApiTestbed;
const seen: ScanTarget[] = [];

function observe(where: string, value: unknown): void {
  seen.push({ where, text: scanText(value) });
}

async function attempt(where: string, fn: () => Promise<unknown>): Promise<unknown> {
  try {
    const value = await fn();
    observe(where, value);
    return value;
  } catch (error) {
    seen.push({ where: `${where} (error)`, text: errorText(error) });
    return error;
  }
}

/** Every value this file's Redis prefix holds. */
async function redisTargets(): Promise<ScanTarget[]> {
  const client = redis.client;
  if (!client) return [];
  const out: ScanTarget[] = [];
  let cursor = "0";
  do {
    const [next, keys] = await client.scan(cursor, "MATCH", `${redis.prefix}*`, "COUNT", 500);
    cursor = next;
    for (const key of keys) {
      const type = await client.type(key);
      const value = type === "string" ? await client.get(key) : type === "set" ? (await client.smembers(key)).join("\n") : "";
      out.push({ where: `redis ${key}`, text: `${key}\n${value ?? ""}` });
    }
  } while (cursor !== "0");
  return out;
}

beforeAll(async () => {
  logs = captureLogs();
  redis = await startTestRedis({ label: "secrets" });
  const cache = new RedisCache({
    redis: redis.url,
    keyPrefix: `${redis.prefix}svc:`,
    commandTimeoutMs: 500,
    onError: (event) => logs.line(`cache error ${scanText(event)}`),
  });
  bed = await openReliabilityTestbed({ label: "secrets", cache });
  await bed.manager.ensureIndexes({ databases: ["CLOUD_SECURITY"] });
  api = await openApiTestbed({
    label: "secretsapi",
    redis: { url: redis.url, keyPrefix: `${redis.prefix}api:` },
    logSink: (line) => logs.line(`api ${line}`),
  });
}, 90_000);

afterAll(async () => {
  logs?.stop();
  await api?.close();
  await bed?.close();
  await redis?.stop();
});

describe("no plaintext credential anywhere", () => {
  it("the scanner itself finds planted plaintext in every encoding it claims to (control)", () => {
    const leaks = findSecretLeaks(
      [
        { where: "plain", text: `x${SECRETS.awsSecret}x` },
        { where: "json", text: JSON.stringify({ k: SECRETS.gcpKey }) },
        { where: "base64", text: Buffer.from(SECRETS.azureSecret).toString("base64") },
        { where: "fragment", text: SECRETS.kubeToken.slice(10, 40) },
      ],
      PLANTED,
    );
    expect(new Set(leaks.map((l) => l.where))).toEqual(new Set(["plain", "json", "base64", "fragment"]));
  });

  it("through the services: register, read, rotate, and refused inputs that carry secrets", async () => {
    const scenario = await bed.capture(async () => {
      const ids: string[] = [];
      for (const [provider, accountId, credentials] of [
        ["aws", "111111111111", aws(SECRETS.awsSecret)],
        ["aws", "222222222222", { role_arn: "arn:aws:iam::222222222222:role/cspm-audit", external_id: SECRETS.externalId }],
        ["azure", "7f3c2b1a-0d9e-4c8b-a7f6-5e4d3c2b1a10", azure],
        ["gcp", "canary-project-1", gcp],
        ["kubernetes", "canary-cluster", kube],
      ] as const) {
        const view = (await attempt(`registerAccount ${provider}`, () =>
          bed.accounts.registerAccount(parseTeamId(TEAM), { provider, accountId, name: `${provider} account`, credentials }),
        )) as { id?: string };
        if (typeof view.id === "string") ids.push(view.id);
      }
      expect(ids).toHaveLength(5);
      await attempt("listAccounts", () => bed.accounts.listAccounts(parseTeamId(TEAM)));
      for (const id of ids) await attempt("getAccount", () => bed.accounts.getAccount(parseTeamId(TEAM), id));
      await attempt("resolveAccounts", () => bed.accounts.resolveAccounts(parseTeamId(TEAM), ids));
      await attempt("dashboard", () => bed.aggregation.getDashboardSummary(parseTeamId(TEAM)));
      await attempt("rotateCredentials", () =>
        bed.accounts.rotateCredentials(parseTeamId(TEAM), ids[0] as string, aws(SECRETS.awsRotated)),
      );
      // Refusals that carry secrets: unknown keys, misplaced secrets, invalid shapes, duplicates, another team.
      const refused = [
        await attempt("unknown credential key", () =>
          bed.accounts.registerAccount(parseTeamId(TEAM), {
            provider: "aws",
            accountId: "333333333333",
            name: "x",
            credentials: { ...aws(SECRETS.awsSecret), password: SECRETS.invalidEcho },
          }),
        ),
        await attempt("invalid secret shape", () =>
          bed.accounts.registerAccount(parseTeamId(TEAM), {
            provider: "aws",
            accountId: "333333333333",
            name: "x",
            credentials: { access_key_id: "AKIAIOSFODNN7EXAMPLE", secret_access_key: SECRETS.invalidEcho },
          }),
        ),
        await attempt("bad account id with credentials", () =>
          bed.accounts.registerAccount(parseTeamId(TEAM), {
            provider: "aws",
            accountId: "not-an-account",
            name: "x",
            credentials: aws(SECRETS.awsSecret),
          }),
        ),
        await attempt("azure secret as aws", () =>
          bed.accounts.registerAccount(parseTeamId(TEAM), { provider: "aws", accountId: "444444444444", name: "x", credentials: azure }),
        ),
        await attempt("duplicate", () =>
          bed.accounts.registerAccount(parseTeamId(TEAM), {
            provider: "aws",
            accountId: "111111111111",
            name: "dup",
            credentials: aws(SECRETS.awsSecret),
          }),
        ),
        await attempt("other team rotates", () =>
          bed.accounts.rotateCredentials(parseTeamId(OTHER), ids[0] as string, aws(SECRETS.awsSecret)),
        ),
        await attempt("kube token as gcp text", () =>
          bed.accounts.registerAccount(parseTeamId(TEAM), {
            provider: "gcp",
            accountId: "canary-project-2",
            name: "x",
            credentials: `{"token": "${SECRETS.kubeToken}"`,
          }),
        ),
      ];
      expect(refused.map((e) => (isCspmError(e) ? e.code : "accepted"))).toEqual([
        "VALIDATION_FAILED",
        "VALIDATION_FAILED",
        "VALIDATION_FAILED",
        "VALIDATION_FAILED",
        "CONFLICT",
        "NOT_FOUND",
        "VALIDATION_FAILED",
      ]);
      return ids;
    });
    if (!scenario.ok) throw scenario.error;
    for (const [i, command] of scenario.commands.entries())
      seen.push({ where: `mongodb command #${i} ${command.name}`, text: command.text });

    // The ciphertext is really there: every account decrypts back to the credentials it was given.
    const stored = await bed.dumpAll();
    const accounts = stored.filter((d) => d.collection === "enhanced_cloud_accounts").map((d) => d.doc);
    expect(accounts).toHaveLength(5);
    for (const account of accounts) {
      expect(isEncryptedEnvelope(account.encrypted_credentials)).toBe(true);
      const plain = bed.cipher.decrypt(account.encrypted_credentials, {
        aad: { team_id: TEAM, provider: String(account.provider), account_id: String(account.account_id) },
      });
      expect(PLANTED.some((s) => plain.includes(JSON.stringify(s.value).slice(1, -1)))).toBe(true);
    }
    const leaks = findSecretLeaks([...storedDocumentTargets(stored), ...seen, ...(await redisTargets())], PLANTED);
    expect(leaks).toEqual([]);
    expect(seen.length).toBeGreaterThan(20);
  }, 60_000);

  it("through the HTTP API: request and response bodies, error envelopes, the app's logs", async () => {
    const headers = await api.auth(TEAM);
    const otherTeam = await api.auth(OTHER);
    const tokens: PlantedSecret[] = [
      { label: "owner api key", value: await api.token(TEAM) },
      { label: "other team api key", value: await api.token(OTHER) },
    ];
    const responses: ScanTarget[] = [];
    const send = async (where: string, call: Parameters<ApiTestbed["http"]["send"]>[0]) => {
      const result = await api.http.send(call);
      responses.push({ where: `${where} -> ${result.status}`, text: `${JSON.stringify(result.headers)}\n${result.text}` });
      return result;
    };
    const created = await send("POST /accounts aws", {
      method: "POST",
      path: "/accounts",
      headers,
      json: { provider: "aws", accountId: "555555555555", name: "HTTP aws", credentials: aws(SECRETS.awsHttp) },
    });
    expect(created.status).toBe(201);
    const id = (created.body as { data: { id: string } }).data.id;
    expect(
      (
        await send("POST /accounts gcp", {
          method: "POST",
          path: "/accounts",
          headers,
          json: { provider: "gcp", accountId: "canary-project-1", name: "HTTP gcp", credentials: gcp },
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await send("POST /accounts azure", {
          method: "POST",
          path: "/accounts",
          headers,
          json: { provider: "azure", accountId: azure.tenant_id, name: "HTTP azure", credentials: azure },
        })
      ).status,
    ).toBe(201);
    expect((await send("GET /accounts", { method: "GET", path: "/accounts", headers })).status).toBe(200);
    expect((await send("GET /accounts/:id", { method: "GET", path: `/accounts/${id}`, headers })).status).toBe(200);
    expect(
      (await send("PATCH /accounts/:id", { method: "PATCH", path: `/accounts/${id}`, headers, json: { name: "renamed" } })).status,
    ).toBe(200);
    expect((await send("GET /dashboard/summary", { method: "GET", path: "/dashboard/summary", headers })).status).toBe(200);
    // Refusals carrying secrets.
    const refusals = [
      await send("POST duplicate", {
        method: "POST",
        path: "/accounts",
        headers,
        json: { provider: "aws", accountId: "555555555555", name: "dup", credentials: aws(SECRETS.awsHttp) },
      }),
      await send("POST bad shape", {
        method: "POST",
        path: "/accounts",
        headers,
        json: {
          provider: "aws",
          accountId: "666666666666",
          name: "x",
          credentials: { access_key_id: "AKIAIOSFODNN7EXAMPLE", secret_access_key: SECRETS.invalidEcho },
        },
      }),
      await send("POST unknown key", {
        method: "POST",
        path: "/accounts",
        headers,
        json: {
          provider: "aws",
          accountId: "666666666666",
          name: "x",
          credentials: { ...aws(SECRETS.awsHttp), password: SECRETS.invalidEcho },
        },
      }),
      await send("POST malformed JSON", {
        method: "POST",
        path: "/accounts",
        headers,
        raw: `{"provider":"aws","credentials":{"secret_access_key":"${SECRETS.awsHttp}"`,
      }),
      await send("PATCH with credentials", {
        method: "PATCH",
        path: `/accounts/${id}`,
        headers,
        json: { credentials: aws(SECRETS.awsHttp) },
      }),
      await send("GET secret as cursor", { method: "GET", path: `/accounts?cursor=${encodeURIComponent(SECRETS.awsHttp)}`, headers }),
      await send("GET as another team", { method: "GET", path: `/accounts/${id}`, headers: otherTeam }),
      await send("GET secret as bearer token", {
        method: "GET",
        path: "/accounts",
        headers: { authorization: `Bearer ${SECRETS.externalId}!` },
      }),
      await send("GET secret as a key of this team", {
        method: "GET",
        path: "/accounts",
        headers: { authorization: `Bearer cspm-ak.${TEAM}.${Buffer.from(SECRETS.awsHttp).toString("base64url").slice(0, 43)}` },
      }),
    ];
    expect(refusals.map((r) => r.status)).toEqual([409, 400, 400, 400, 400, 400, 404, 401, 401]);

    const stored = await api.dumpAll();
    const accounts = stored.filter((d) => d.collection === "enhanced_cloud_accounts").map((d) => d.doc);
    expect(accounts).toHaveLength(3);
    for (const account of accounts) expect(isEncryptedEnvelope(account.encrypted_credentials)).toBe(true);
    const logTargets = logs.lines.map((line, i) => ({ where: `log #${i}`, text: line }));
    expect(logs.lines.some((line) => line.startsWith("api "))).toBe(true);
    // Credentials and API key tokens: in no stored document (the audit trail included), response, log line or cache entry.
    const leaks = findSecretLeaks(
      [...storedDocumentTargets(stored), ...responses, ...logTargets, ...(await redisTargets())],
      [...PLANTED, ...tokens],
    );
    expect(leaks).toEqual([]);
    expect(stored.filter((d) => d.collection === "audit_logs").length).toBeGreaterThan(5);
  }, 60_000);
});
