/**
 * `CSPM_DEMO_SEED` (README "Environment"): the embedded database is seeded unless `0`; a `MONGODB_URI`
 * database only with `1`, and only when it is empty — one with data is refused politely and the server starts
 * anyway. The rule itself (`applyDemoSeed`) against the testkit's MongoDB, then the real `main.ts` in a child
 * process on a fresh `MONGODB_URI` database: seeded, signed in with a seeded key, and refused on the second start.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createServiceContainer, type ServiceContainer } from "@cspm/container";
import { dropDatabasesWithPrefix, testDatabasePrefix, testMongoUri } from "@cspm/testkit";
import { MongoClient } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyDemoSeed } from "./demoSeed";
import { isDemoDatabaseEmpty } from "./seedDemoData";

const KEYS = `k1:${Buffer.alloc(32, 11).toString("base64")}`;
const MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));
const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const prefixes: string[] = [];
let client: MongoClient;
let dir: string;

beforeAll(async () => {
  client = await MongoClient.connect(testMongoUri());
  dir = await mkdtemp(join(tmpdir(), "cspm-demo-seed-"));
});

afterAll(async () => {
  for (const prefix of prefixes) await dropDatabasesWithPrefix(client, prefix);
  await client?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("applyDemoSeed", () => {
  let services: ServiceContainer;
  beforeAll(async () => {
    const prefix = testDatabasePrefix("apiseedrule");
    prefixes.push(prefix);
    services = createServiceContainer({ mongodb: { uri: testMongoUri(), prefix }, encryptionKeys: KEYS });
    await services.initialize({ ensureIndexes: true });
  });
  afterAll(async () => {
    await services?.dispose();
  });

  it("seeds an empty MONGODB_URI database only with 1, refuses a database with data, and keeps the embedded default", async () => {
    const notices: string[] = [];
    const log = (line: string) => notices.push(line);
    const small = { teams: 1, accountsPerTeam: 1, findingsPerAccount: 5, output: null } as const;
    expect(await applyDemoSeed(services, { setting: undefined, embedded: false, seed: small, log })).toEqual({
      seeded: false,
      reason: "off",
    });
    expect(await applyDemoSeed(services, { setting: "0", embedded: true, seed: small, log })).toEqual({ seeded: false, reason: "off" });
    expect(await isDemoDatabaseEmpty(services)).toBe(true);
    await expect(applyDemoSeed(services, { setting: "yes", embedded: false, log })).rejects.toMatchObject({
      code: "VALIDATION_FAILED",
      issues: [{ path: "CSPM_DEMO_SEED", message: 'must be "0" or "1"' }],
    });

    const seeded = await applyDemoSeed(services, { setting: "1", embedded: false, seed: small, log });
    expect(seeded.seeded).toBe(true);
    expect(seeded.seeded && seeded.result.teams).toHaveLength(1);
    expect(notices.at(-1)).toMatch(/seeding demo data into the empty database at MONGODB_URI/);
    expect(await isDemoDatabaseEmpty(services)).toBe(false);

    const again = await applyDemoSeed(services, { setting: "1", embedded: false, seed: small, log });
    expect(again).toEqual({ seeded: false, reason: "not_empty" });
    expect(notices.at(-1)).toMatch(/already holds teams or accounts, so the demo is NOT seeded/);
    // The embedded default on a database with data: not seeded either.
    expect(await applyDemoSeed(services, { setting: undefined, embedded: true, seed: small, log })).toEqual({
      seeded: false,
      reason: "not_empty",
    });
  }, 120_000);
});

/** Starts `main.ts` and resolves once it listens (with its URL), or rejects with its output when it exits first. */
function startApi(env: Record<string, string>): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, ["--import", "tsx", MAIN], {
    cwd: REPO_ROOT,
    env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "/tmp", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let text = "";
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      text += String(chunk);
      const url = /listening on (http:\/\/\S+)/.exec(text)?.[1];
      if (url) resolve({ child, url, output: () => text });
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) => reject(new Error(`main.ts exited ${code} before listening:\n${text.slice(-3000)}`)));
  });
}

async function stop(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  child.kill("SIGTERM");
  return exited;
}

describe("main.ts with CSPM_DEMO_SEED=1 on a MONGODB_URI", () => {
  it("seeds the empty database (its keys sign in), and on a second start refuses politely and serves the data as it is", async () => {
    const prefix = testDatabasePrefix("apiseedmain");
    prefixes.push(prefix);
    const credentials = join(dir, "credentials.json");
    const env = {
      MONGODB_URI: testMongoUri(),
      CSPM_DB_PREFIX: prefix,
      CSPM_ENCRYPTION_KEYS: KEYS,
      CSPM_DEMO_SEED: "1",
      CSPM_DEMO_FINDINGS_PER_ACCOUNT: "5",
      CSPM_DEMO_CREDENTIALS_FILE: credentials,
      OTEL_SDK_DISABLED: "true",
      PORT: "0",
      LOG_LEVEL: "warn",
    };
    const first = await startApi(env);
    try {
      expect(first.output()).toMatch(/seeding demo data into the empty database at MONGODB_URI/);
      expect(first.output()).toMatch(/seeded 3 teams, 12 accounts/);
      const written = JSON.parse(await readFile(credentials, "utf8")) as { teams: { team_id: string; tokens: { owner: string } }[] };
      const owner = written.teams[0]?.tokens.owner as string;
      const me = await fetch(`${first.url}/me`, { headers: { authorization: `Bearer ${owner}` } });
      expect(me.status).toBe(200);
      expect(((await me.json()) as { data: { team_id: string } }).data.team_id).toBe(written.teams[0]?.team_id);
    } finally {
      expect(await stop(first.child)).toBe(0);
    }

    const second = await startApi(env);
    try {
      expect(second.output()).toMatch(/already holds teams or accounts, so the demo is NOT seeded/);
      expect(second.output()).not.toMatch(/seeded 3 teams/);
      const owner = (JSON.parse(await readFile(credentials, "utf8")) as { teams: { tokens: { owner: string } }[] }).teams[0]?.tokens
        .owner as string;
      const accounts = await fetch(`${second.url}/accounts`, { headers: { authorization: `Bearer ${owner}` } });
      expect(accounts.status).toBe(200);
      expect(((await accounts.json()) as { data: { items: unknown[] } }).data.items).toHaveLength(4);
    } finally {
      expect(await stop(second.child)).toBe(0);
    }
  }, 180_000);
});
