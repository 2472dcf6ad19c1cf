import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type IngestTestContext, openIngestTestContext } from "../testing/ingestTestContext";
import { FIXTURE_ACCOUNTS, realScan } from "../testing/realScans";
import { type CliIo, runCli } from "./runCli";

const BIN = fileURLToPath(new URL("../bin.ts", import.meta.url));
const REPO_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));

/** Runs the CLI in-process and captures its output. */
async function cli(
  args: readonly string[],
  env: Record<string, string | undefined> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const io: CliIo = { env, stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), interactive: false };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}

/** Runs the real bin from source in its own process (as the committed launcher runs the built one). */
function bin(args: readonly string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", BIN, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => (stdout += String(c)));
    child.stderr.on("data", (c) => (stderr += String(c)));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** The records of a fixture counted independently of the package (JSON.parse / line and row counts). */
function recordsIn(path: string): number {
  const text = readFileSync(path, "utf8");
  if (path.endsWith(".csv")) return text.split(/\r?\n/).filter((l) => l.trim() !== "").length - 1;
  const trimmed = text.trim();
  if (trimmed.startsWith("[")) return (JSON.parse(trimmed) as unknown[]).length;
  if (/\n\s*\{/.test(trimmed) && !trimmed.startsWith("{\n")) return trimmed.split("\n").filter((l) => l.trim() !== "").length;
  const value = JSON.parse(trimmed) as Record<string, unknown>;
  return Array.isArray(value["server_scan_results"]) ? value["server_scan_results"].length : 1;
}

function accountFor(file: string): string | undefined {
  if (!file.includes("prowler-5-")) return undefined;
  const provider = (["aws", "azure", "gcp", "kubernetes"] as const).find((p) => file.includes(`-${p}.`));
  return provider === undefined ? undefined : FIXTURE_ACCOUNTS[provider];
}

const root = dirname(dirname(realScan("prowler/prowler-3-aws-one.json")));
const FILES = ["prowler", "nuclei", "ssl", "headers"].flatMap((dir) => readdirSync(`${root}/${dir}`).map((f) => `${dir}/${f}`));

describe("cspm-ingest inspect --json", () => {
  it.each(FILES)("%s: one JSON object with counts equal to the file's records", async (file) => {
    const path = realScan(file);
    const account = accountFor(file);
    const target = file.includes("drheader") ? ["--target", "https://www.example.com/"] : [];
    const { code, stdout } = await cli(["inspect", path, ...(account ? ["--account", account] : []), ...target, "--json"]);
    expect(stdout.trim().split("\n")).toHaveLength(1);
    const report = JSON.parse(stdout) as {
      records: number;
      accepted: number;
      rejected: number;
      collections: Record<string, number>;
      errors: unknown[];
      format: string;
      tool: string;
    };
    expect(Object.keys(report)).toEqual(["format", "tool", "records", "accepted", "rejected", "collections", "errors"]);
    expect(report.records).toBe(recordsIn(path));
    expect(report).toMatchObject({ accepted: report.records, rejected: 0, errors: [] });
    expect(Object.values(report.collections).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(code).toBe(0);
  });

  it("anonymised Prowler 5 output without --account: every record rejected with the reason, exit 1", async () => {
    const { code, stdout } = await cli(["inspect", realScan("prowler/prowler-5-aws.ocsf.json"), "--json"]);
    const report = JSON.parse(stdout) as {
      records: number;
      accepted: number;
      rejected: number;
      errors: { record: number; path: string; message: string }[];
    };
    expect(report).toMatchObject({ records: 5, accepted: 0, rejected: 5 });
    expect(report.errors[0]).toEqual({
      record: 0,
      path: "account_id",
      message:
        '"<account_uid>" is an anonymisation placeholder, not an account id: import this file with an explicit account (--account <id>)',
    });
    expect(code).toBe(1);
  });

  it("usage errors exit 2; an unsupported file exits 1 with the supported formats", async () => {
    expect((await cli(["inspect"])).code).toBe(2);
    expect((await cli(["inspect", "a", "b"])).code).toBe(2);
    expect((await cli(["inspect", realScan("prowler/prowler-5-aws.csv"), "--bogus"])).code).toBe(2);
    expect((await cli(["frobnicate"])).code).toBe(2);
    expect((await cli(["import", realScan("prowler/prowler-5-aws.csv")])).code).toBe(2);
    expect((await cli(["import", realScan("prowler/prowler-5-aws.csv"), "--team", "t1"], {})).stderr).toMatch(/MONGODB_URI is not set/);
    expect((await cli(["inspect", "/nonexistent/file.json"])).code).toBe(2);
    const other = await cli(["inspect", realScan("compliance/soc2_aws.json"), "--json"]);
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/UNKNOWN_FORMAT|not a supported scanner output/);
    expect(other.stderr).toMatch(/prowler-ocsf/);
    expect(other.stderr).toMatch(/"Framework"/);
  });
});

describe("cspm-ingest import (the bin, against the test MongoDB)", () => {
  let ctx: IngestTestContext;
  beforeAll(async () => {
    ctx = await openIngestTestContext();
  });
  afterAll(async () => {
    await ctx?.dispose();
  });

  it("imports, prints the summary, re-imports as unchanged; nothing importable exits 1", async () => {
    const env = { MONGODB_URI: ctx.uri, CSPM_DB_PREFIX: ctx.prefix };
    const args = [
      "import",
      realScan("prowler/prowler-5-aws.ocsf.json"),
      "--team",
      "team-cli",
      "--account",
      FIXTURE_ACCOUNTS.aws,
      "--full",
      "--json",
    ];
    const first = await bin(args, env);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ status: "completed", records: 5, accepted: 5, inserted: 5, unchanged: 0 });
    expect(first.stderr).toMatch(/^scan run [0-9a-f]{24}$/m);
    const second = await bin(args, env);
    expect(JSON.parse(second.stdout)).toMatchObject({ status: "completed", inserted: 0, unchanged: 5 });
    expect(await ctx.raw("CLOUD_SECURITY", "prowler_findings").countDocuments({ team_id: "team-cli" })).toBe(5);

    const nothing = await bin(["import", realScan("prowler/prowler-5-aws.ocsf.json"), "--team", "team-cli2"], env);
    expect(nothing.code).toBe(1);
    expect(nothing.stdout).toMatch(/FAILED to import/);
    expect(nothing.stdout).toMatch(/no importable record/);
    expect(await ctx.raw("ORCHESTRATION", "scan_runs").findOne({ team_id: "team-cli2" })).toMatchObject({ status: "failed" });
  });
});
