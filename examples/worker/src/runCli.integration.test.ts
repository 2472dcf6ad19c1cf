import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServiceContainer, loadConfigFromEnv } from "@cspm/container";
import { systemActor } from "@cspm/identity";
import { DatabaseRegistry } from "@cspm/registry";
import { parseTeamId } from "@cspm/repository";
import { dropDatabasesWithPrefix, realScanFixture, testDatabasePrefix, testMongoUri } from "@cspm/testkit";
import { MongoClient } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./runCli";

const prefix = testDatabasePrefix("wcli");

const KEYS = `k1:${Buffer.alloc(32, 3).toString("base64")}`;
let client: MongoClient;
let dir: string;

beforeAll(async () => {
  client = await MongoClient.connect(testMongoUri());
  dir = await mkdtemp(join(tmpdir(), "cspm-cli-"));
});

afterAll(async () => {
  await dropDatabasesWithPrefix(client, prefix);
  await client?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function cli(
  args: string[],
  env: Record<string, string | undefined> = { MONGODB_URI: testMongoUri(), CSPM_DB_PREFIX: prefix, CSPM_ENCRYPTION_KEYS: KEYS },
) {
  let stdout = "";
  let stderr = "";
  const code = await runCli(args, { env, stdout: (t) => (stdout += t), stderr: { write: (t: string) => (stderr += t), isTTY: false } });
  return { code, stdout, stderr };
}

describe("worker CLI", () => {
  let file: string;

  it("generate writes a sample file", async () => {
    file = join(dir, "sample.json");
    const result = await cli(["generate", "--format", "ocsf", "--count", "250", "--provider", "azure", "--out", file]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Wrote 250 ocsf findings/);
    expect(JSON.parse(await readFile(file, "utf8"))).toHaveLength(250);
  });

  it("import refuses an unregistered account with a hint (exit 2)", async () => {
    const result = await cli(["import", file, "--team", "team-cli", "--account", "8f4e2c1a-6b3d-4e5f-9a7b-2c1d0e9f8a7b"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/error NOT_FOUND: .*hint: Register the account first/s);
  });

  it("import --create-account registers the account from the file and imports; a re-run inserts nothing", async () => {
    const first = await cli([
      "import",
      file,
      "--team",
      "team-cli",
      "--account",
      "8f4e2c1a-6b3d-4e5f-9a7b-2c1d0e9f8a7b",
      "--create-account",
      "--batch",
      "100",
      "--json",
    ]);
    expect(first.stderr).toMatch(/registered azure account 8f4e2c1a-6b3d-4e5f-9a7b-2c1d0e9f8a7b/);
    expect(first.stderr).toMatch(/scan run [0-9a-f]{24}/);
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({
      status: "completed",
      format: "prowler-ocsf",
      records: 250,
      written: 250,
      inserted: 250,
      rejected: 0,
    });
    const second = await cli(["import", file, "--team", "team-cli", "--account", "8f4e2c1a-6b3d-4e5f-9a7b-2c1d0e9f8a7b"]);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/records 250 \| accepted 250 \| rejected 0 \| written 250/);
    expect(second.stdout).toMatch(/inserted 0 \| changed 0 \| unchanged 250 \| resolved 0 \| reopened 0/);
  });

  it("imports real scanner files: Prowler 5 OCSF and CSV of one account (with --full), and Nuclei without an account", async () => {
    const ocsf = await cli([
      "import",
      realScanFixture("prowler/prowler-5-aws.ocsf.json"),
      "--team",
      "team-cli",
      "--account",
      "123456789012",
      "--create-account",
      "--full",
      "--json",
    ]);
    expect(ocsf.code, ocsf.stderr).toBe(0);
    expect(ocsf.stderr).toMatch(/registered aws account 123456789012/);
    expect(JSON.parse(ocsf.stdout)).toMatchObject({ status: "completed", format: "prowler-ocsf", records: 5, written: 5, rejected: 0 });
    const csv = await cli(["import", realScanFixture("prowler/prowler-5-aws.csv"), "--team", "team-cli", "--account", "123456789012"]);
    expect(csv.code, csv.stderr).toBe(0);
    expect(csv.stdout).toMatch(/Imported prowler-5-aws\.csv \(prowler-csv\) into prowler_findings - scan run [0-9a-f]{24}: completed/);
    const nuclei = await cli(["import", realScanFixture("nuclei/nuclei-v3-multiple.jsonl"), "--team", "team-cli", "--json"]);
    expect(nuclei.code, nuclei.stderr).toBe(0);
    expect(JSON.parse(nuclei.stdout)).toMatchObject({ status: "completed", format: "nuclei", collection: "nuclei_scans" });
    const unknown = join(dir, "unknown.json");
    await writeFile(unknown, '{"hello": "world"}');
    const refused = await cli(["import", unknown, "--team", "team-cli"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/error VALIDATION_FAILED: .*not a supported scanner output/);
  });

  it("rollups verify finds the imports' rollups exact, names an account whose rollups were tampered with, and rebuild repairs it", async () => {
    const fresh = await cli(["rollups", "verify", "--team", "team-cli", "--json"]);
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(JSON.parse(fresh.stdout)).toMatchObject({ team_id: "team-cli", mismatched: [] });
    expect(JSON.parse(fresh.stdout).accounts).toBeGreaterThanOrEqual(2);
    expect(fresh.stderr).toMatch(/verify: \d+\/\d+ accounts, [\d,]+ rows/);

    const rollups = client.db(DatabaseRegistry.databaseName("CLOUD_SECURITY", prefix)).collection("finding_rollups");
    const tampered = await rollups.updateOne(
      { team_id: "team-cli", account_id: "123456789012", dimension: "all" },
      { $inc: { failed: 7 } },
    );
    expect(tampered.modifiedCount).toBe(1);
    const stale = await cli(["rollups", "verify", "--team", "team-cli"]);
    expect(stale.code).toBe(1);
    expect(stale.stdout).toMatch(/1 of \d+ accounts differ from their findings: 123456789012/);

    const rebuilt = await cli(["rollups", "rebuild", "--team", "team-cli"]);
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    expect(rebuilt.stdout).toMatch(/rebuilt the rollups of \d+ accounts \([\d,]+ rows\) of team team-cli/);
    expect((await cli(["rollups", "verify", "--team", "team-cli"])).code).toBe(0);
    expect((await cli(["rollups", "check", "--team", "team-cli"])).code).toBe(2);
    expect((await cli(["rollups", "verify"])).code).toBe(2);
  });

  it("writes its changes to the audit log as the CLI user, or as the API key in CSPM_API_KEY", async () => {
    const audit = client.db(DatabaseRegistry.databaseName("PLATFORM", prefix)).collection("audit_logs");
    const entries = await audit.find({ team_id: "team-cli", action: { $in: ["findings.import", "cloud_account.create"] } }).toArray();
    expect(entries.length).toBeGreaterThanOrEqual(3);
    expect(entries.every((e) => e.actor.type === "system" && /^cli:/.test(e.actor.id) && e.actor.role === "owner")).toBe(true);
    // Two accounts were registered (the sample's Azure subscription, the fixtures' AWS account), each once.
    expect(entries.filter((e) => e.action === "cloud_account.create").map((e) => e.outcome)).toEqual(["success", "success"]);

    // With a viewer's key the CLI is refused (and the refusal recorded under that key).
    const env = { MONGODB_URI: testMongoUri(), CSPM_DB_PREFIX: prefix, CSPM_ENCRYPTION_KEYS: KEYS };
    const services = createServiceContainer(loadConfigFromEnv(env));
    await services.initialize();
    const team = parseTeamId("team-cli");
    const viewer = await services.services.identity.apiKeys.createKey(
      team,
      { name: "cli viewer", role: "viewer" },
      systemActor(team, "test"),
    );
    const analyst = await services.services.identity.apiKeys.createKey(
      team,
      { name: "cli analyst", role: "analyst" },
      systemActor(team, "test"),
    );
    await services.dispose();
    const refused = await cli(["import", file, "--account", "8f4e2c1a-6b3d-4e5f-9a7b-2c1d0e9f8a7b"], {
      ...env,
      CSPM_API_KEY: viewer.token,
    });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/error FORBIDDEN/);
    const allowed = await cli(["import", file, "--account", "8f4e2c1a-6b3d-4e5f-9a7b-2c1d0e9f8a7b"], {
      ...env,
      CSPM_API_KEY: analyst.token,
    });
    expect(allowed.code, allowed.stderr).toBe(0);
    const byKey = await audit.find({ "actor.type": "api_key", action: "findings.import" }).toArray();
    expect(byKey.map((e) => [e.actor.id, e.outcome])).toEqual([
      [viewer.key.id, "denied"],
      [analyst.key.id, "success"],
    ]);
    expect(JSON.stringify(await audit.find({}).toArray())).not.toContain(analyst.token.split(".")[2]);
    const wrongTeam = await cli(["import", file, "--team", "team-other", "--account", "x"], { ...env, CSPM_API_KEY: analyst.token });
    expect(wrongTeam.code).toBe(2);
    expect((await cli(["import", file, "--account", "x"], { ...env, CSPM_API_KEY: "cspm-ak.team-cli.forged" })).stderr).toMatch(
      /UNAUTHENTICATED/,
    );
  });

  it("exits 1 when the import fails (a truncated file), printing why and what was kept", async () => {
    const bad = join(dir, "bad.json");
    const text = await readFile(file, "utf8");
    await writeFile(bad, text.slice(0, Math.floor(text.length * 0.6)));
    const result = await cli(["import", bad, "--team", "team-cli", "--account", "8f4e2c1a-6b3d-4e5f-9a7b-2c1d0e9f8a7b", "--batch", "50"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/FAILED to import bad.json \(prowler-ocsf\)/);
    expect(result.stdout).toMatch(
      /error: bad\.json is not valid JSON after \d+ record\(s\).* document\(s\) were written before it, in whole batches/,
    );
  });

  it("exits 2 on bad usage or missing configuration, and prints usage without arguments", async () => {
    expect((await cli(["import", file, "--account", "x"])).stderr).toMatch(/--team is required/);
    expect((await cli(["import", file, "--team", "t", "--account", "x", "--bogus"])).code).toBe(2);
    expect((await cli(["import", join(dir, "missing.json"), "--team", "t", "--account", "x"])).stderr).toMatch(/NOT_FOUND: No such file/);
    expect((await cli(["generate", "--format", "xml", "--out", file])).code).toBe(2);
    const noUri = await cli(["import", file, "--team", "t", "--account", "x"], {});
    expect(noUri.code).toBe(2);
    expect(noUri.stderr).toMatch(/MONGODB_URI/);
    const usage = await cli([]);
    expect(usage.code).toBe(0);
    expect(usage.stdout).toMatch(/^Usage:/);
    expect((await cli(["frobnicate"])).code).toBe(2);
  });
});
