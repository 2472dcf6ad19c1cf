import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runCli } from "./runCli";

const FIXTURES = fileURLToPath(new URL("../test/fixtures/", import.meta.url));

async function run(args: string[], cwd = FIXTURES) {
  let stdout = "";
  let stderr = "";
  const code = await runCli(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), cwd });
  return { code, stdout, stderr };
}

describe("cspm-contracts", () => {
  it("prints file:line:column  rule  message lines and a summary, exiting 1 on violations", async () => {
    const { code, stdout, stderr } = await run(["check", "bad"], join(FIXTURES, "registry-database-names"));
    expect(code).toBe(1);
    expect(stderr).toBe("");
    const lines = stdout.trimEnd().split("\n");
    expect(lines[0]).toBe(
      'bad/src/config.cjs:2:13  registry-database-names  database name literal "cspm_assessments" outside the registry package; use DatabaseRegistry.databaseName("ASSESSMENTS", prefix) or DatabaseRegistry.ASSESSMENTS',
    );
    expect(lines.at(-1)).toBe("cspm-contracts: 10 violations in 2 files (3 files checked)");
  });

  it("exits 0 with a one-line summary on clean code", async () => {
    const { code, stdout } = await run(["check", "good", "--cwd", join(FIXTURES, "migrations-registered")]);
    expect(code).toBe(0);
    expect(stdout).toBe("cspm-contracts: no contract violations (7 files checked)\n");
  });

  it("prints JSON with --json", async () => {
    const { code, stdout } = await run(["check", "bad/src/migrations/orphan.ts", "--json"], join(FIXTURES, "migrations-registered"));
    expect(code).toBe(1);
    const report = JSON.parse(stdout) as { ok: boolean; filesChecked: number; violations: { rule: string; file: string; line: number }[] };
    expect(report.ok).toBe(false);
    expect(report.filesChecked).toBe(1);
    expect(report.violations).toMatchObject([{ rule: "migrations-registered", file: "bad/src/migrations/orphan.ts", line: 4, column: 23 }]);
  });

  it("applies --rule, --ignore and --include-tests", async () => {
    const cwd = join(FIXTURES, "no-legacy-collection");
    expect((await run(["check", "bad", "--rule", "registry-database-names"], cwd)).code).toBe(0);
    expect((await run(["check", "bad", "--ignore", "bad/src/**"], cwd)).code).toBe(0);
    const withTests = await run(["check", "bad/test", "--include-tests"], cwd);
    expect(withTests.code).toBe(1);
    expect(withTests.stdout).toContain("bad/test/helpers.ts:2:34  no-legacy-collection");
  });

  it("defaults to the current folder", async () => {
    const { code, stdout } = await run(["check"], join(FIXTURES, "no-cross-database-lookup", "good"));
    expect(code).toBe(0);
    expect(stdout).toContain("(1 file checked)");
  });

  it("prints help and exits 0", async () => {
    const { code, stdout } = await run(["--help"]);
    expect(code).toBe(0);
    expect(stdout).toContain("Usage: cspm-contracts check [paths...]");
    expect(stdout).toContain("no-cross-database-lookup");
  });

  it("exits 2 on usage errors", async () => {
    for (const args of [[], ["lint"], ["check", "--bogus"], ["check", "--rule", "nope"], ["check", "missing-folder"]]) {
      const { code, stderr } = await run(args);
      expect(code, args.join(" ")).toBe(2);
      expect(stderr).toMatch(/^cspm-contracts: /);
    }
  });
});
