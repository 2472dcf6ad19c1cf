/**
 * A worker and the API on the same MONGODB_URI, as deployed: the API's data layer from the environment
 * (`startRuntime`, as `examples/api/src/main.ts` builds it) serves `GET /dashboard/summary` over and over while
 * the worker CLI — a real child process (`node --import tsx examples/worker/src/main.ts import …`) — imports a
 * file. Once the import is acknowledged (the child exited 0 and printed its summary), no API read may return
 * the older figures. With `REDIS_URL` (real Redis at 127.0.0.1:6379) the worker's invalidation reaches the
 * API's cache; without it `loadConfigFromEnv` turns the cache off (and says so); and the per-process memory
 * cache forced on (`CSPM_CACHE=on`) is shown to be exactly the hazard: it stays stale.
 */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildApp } from "@cspm-example/api";
import { type Runtime, startRuntime, writeSampleFile } from "@cspm-example/worker";
import { generateKey } from "@cspm/crypto";
import { systemActor } from "@cspm/identity";
import { DatabaseRegistry } from "@cspm/registry";
import { parseTeamId } from "@cspm/repository";
import { dropDatabasesWithPrefix, testDatabasePrefix, testMongoUri } from "@cspm/testkit";
import type { FastifyInstance } from "fastify";
import { MongoClient } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const WORKER_MAIN = join(REPO_ROOT, "examples/worker/src/main.ts");
const REDIS_URL = "redis://127.0.0.1:6379";
const KEYS = `k1:${generateKey()}`;
const FINDINGS = 300;

let client: MongoClient;
let dir: string;
const prefixes: string[] = [];

beforeAll(async () => {
  client = await MongoClient.connect(testMongoUri());
  dir = await mkdtemp(join(tmpdir(), "cspm-xproc-"));
});

afterAll(async () => {
  for (const prefix of prefixes) await dropDatabasesWithPrefix(client, prefix);
  await client?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Runs the worker CLI in a child process; resolves when it exits. */
function workerImport(
  file: string,
  team: string,
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", WORKER_MAIN, "import", file, "--team", team, "--batch", "50", "--json"], {
      cwd: REPO_ROOT,
      env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "/tmp", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += String(chunk);
    });
    child.stderr.on("data", (chunk) => {
      stderr += String(chunk);
    });
    child.once("error", reject);
    child.once("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

interface Read {
  readonly startedAt: number;
  readonly findings: number;
}

/**
 * One deployment: the API's runtime from `env` (what `main.ts` does), a team with an owner key, then the
 * worker importing FINDINGS new findings while the API reads the dashboard. Returns the figures.
 */
async function scenario(label: string, env: Record<string, string>) {
  const prefix = testDatabasePrefix(label);
  prefixes.push(prefix);
  const shared = { MONGODB_URI: testMongoUri(), CSPM_DB_PREFIX: prefix, CSPM_ENCRYPTION_KEYS: KEYS, ...env };
  const notices: string[] = [];
  let runtime: Runtime | undefined;
  let app: FastifyInstance | undefined;
  try {
    runtime = await startRuntime({ env: shared, allowEmbedded: false, log: (line) => notices.push(line) });
    app = buildApp({ services: runtime.services, rateLimit: false });
    await app.ready();
    const team = parseTeamId(`team${randomUUID().replaceAll("-", "").slice(0, 12)}`);
    const { token } = await runtime.services.services.identity.apiKeys.createKey(
      team,
      { name: "reader", role: "viewer" },
      systemActor(team, "test"),
    );
    const api = app;
    const read = async (): Promise<Read> => {
      const startedAt = Date.now();
      const response = await api.inject({ method: "GET", url: "/dashboard/summary", headers: { authorization: `Bearer ${token}` } });
      expect(response.statusCode, response.body).toBe(200);
      return { startedAt, findings: response.json().data.totals.findings as number };
    };
    const before = await read(); // warms the API's cache, when it has one
    expect(before.findings).toBe(0);
    const file = join(dir, `${label}.json`);
    await writeSampleFile(file, { format: "ocsf", count: FINDINGS, accountId: "210987654321", seed: label });

    const reads: Read[] = [];
    let running = true;
    const importing = workerImport(file, team, shared).finally(() => {
      running = false;
    });
    while (running) {
      reads.push(await read());
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const result = await importing;
    const acknowledgedAt = Date.now();
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout) as { status: string; written: number; inserted: number };
    expect(summary).toMatchObject({ status: "completed", written: FINDINGS, inserted: FINDINGS });
    const after: Read[] = [];
    for (let i = 0; i < 5; i++) after.push(await read());
    // What MongoDB holds: the dashboard counts the team's findings that are not muted (the sample mutes a few).
    const stored = await client
      .db(DatabaseRegistry.databaseName("CLOUD_SECURITY", prefix))
      .collection("prowler_findings")
      .countDocuments({ team_id: team, muted: { $ne: true } });
    expect(stored).toBeGreaterThan(FINDINGS * 0.9);
    return {
      before,
      during: reads,
      after: after.filter((r) => r.startedAt >= acknowledgedAt),
      stored,
      notices,
      health: await runtime.services.health(),
    };
  } finally {
    await app?.close();
    await runtime?.close();
  }
}

describe("an import by the worker process, read through the API process on the same MONGODB_URI", () => {
  it("with REDIS_URL: once the import is acknowledged, no API read returns the older figures", async () => {
    const prefix = `rel-xproc-${randomUUID().slice(0, 8)}:`;
    const run = await scenario("xprocredis", { REDIS_URL, CSPM_REDIS_KEY_PREFIX: prefix });
    expect(run.health.cache.kind).toBe("redis");
    expect(run.notices.filter((n) => n.startsWith("cache off"))).toEqual([]);
    expect(run.after).toHaveLength(5);
    expect(run.after.map((r) => r.findings)).toEqual(Array(5).fill(run.stored));
    // Reads during the import never went backwards.
    const seen = run.during.map((r) => r.findings);
    expect(seen.every((n, i) => i === 0 || n >= (seen[i - 1] as number))).toBe(true);
  }, 120_000);

  it("without REDIS_URL: the cache is off (with a notice), so reads are as fresh as MongoDB", async () => {
    const run = await scenario("xprocnone", {});
    expect(run.health.cache.kind).toBe("none");
    expect(run.notices.some((n) => /^cache off: MONGODB_URI is set without REDIS_URL/.test(n))).toBe(true);
    expect(run.after).toHaveLength(5);
    expect(run.after.map((r) => r.findings)).toEqual(Array(5).fill(run.stored));
  }, 120_000);

  it("the hazard it avoids: a per-process memory cache forced on (CSPM_CACHE=on) keeps serving the older figures", async () => {
    const run = await scenario("xprocmemory", { CSPM_CACHE: "on" });
    expect(run.health.cache.kind).toBe("memory");
    expect(run.after).toHaveLength(5);
    expect(run.after.map((r) => r.findings)).toEqual([0, 0, 0, 0, 0]);
    expect(run.stored).toBeGreaterThan(0);
  }, 120_000);
});
