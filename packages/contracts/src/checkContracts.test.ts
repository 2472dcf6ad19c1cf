import { readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { DatabaseRegistry } from "@cspm/registry";
import { isCspmError } from "@cspm/errors";
import { describe, expect, it } from "vitest";
import { checkContracts } from "./checkContracts";
import { RULE_IDS, type RuleId, type Violation } from "./violation";

const PACKAGE_DIR = fileURLToPath(new URL("..", import.meta.url));
const FIXTURES = join(PACKAGE_DIR, "test", "fixtures");

/** `{ rule, file, line }` of every `// expect: rule[, rule]` marker under `fixtures/<rule>/<dir>`, relative to `fixtures/<rule>`. */
function expectedFromMarkers(rule: RuleId, dir: string): { rule: string; file: string; line: number }[] {
  const root = join(FIXTURES, rule);
  const expected: { rule: string; file: string; line: number }[] = [];
  const visit = (folder: string): void => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) visit(path);
      else {
        readFileSync(path, "utf8")
          .split("\n")
          .forEach((text, index) => {
            const marker = /\/\/ expect: ([a-z, -]+)$/.exec(text);
            for (const id of marker?.[1]?.split(/,\s*/) ?? []) {
              expected.push({ rule: id, file: relative(root, path).split(sep).join("/"), line: index + 1 });
            }
          });
      }
    }
  };
  visit(join(root, dir));
  return sortPlaces(expected);
}

function sortPlaces<T extends { file: string; line: number; rule: string }>(places: T[]): T[] {
  return places.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.rule.localeCompare(b.rule));
}

function places(violations: readonly Violation[]): { rule: string; file: string; line: number }[] {
  return sortPlaces(violations.map(({ rule, file, line }) => ({ rule, file, line })));
}

function check(rule: RuleId, dir: string, extra: Partial<Parameters<typeof checkContracts>[0]> = {}) {
  return checkContracts({ paths: [dir], cwd: join(FIXTURES, rule), rules: [rule], ...extra });
}

describe("checkContracts on the fixtures", () => {
  for (const rule of RULE_IDS) {
    it(`${rule}: reports exactly the marked lines of bad/ and nothing in good/`, async () => {
      const expected = expectedFromMarkers(rule, "bad");
      expect(expected.length).toBeGreaterThan(3);
      const bad = await check(rule, "bad");
      expect(places(bad.violations)).toEqual(expected);
      expect(bad.violations.every((v) => v.rule === rule)).toBe(true);

      const good = await check(rule, "good");
      expect(good.violations).toEqual([]);
      expect(good.filesChecked).toBeGreaterThan(0);
    });
  }
});

describe("no-legacy-collection", () => {
  it("reports file, line, column and the registry's replacement", async () => {
    const { violations, filesChecked } = await check("no-legacy-collection", "bad");
    const legacy = DatabaseRegistry.legacyCollections()[0];
    expect(violations[0]).toEqual({
      rule: "no-legacy-collection",
      file: "bad/src/accountsRepository.ts",
      line: 4,
      column: 24,
      message: `names the legacy collection "${legacy?.name}"; use "${legacy?.replacement}" (only the registry and migrations may name it)`,
    });
    // accountsRepository, legacy.mjs, suppressed.ts, and the exempt registry and migrations files; tests are not parsed.
    expect(filesChecked).toBe(5);
  });

  it("checks test files when asked, still exempting the registry and migrations", async () => {
    const { violations } = await check("no-legacy-collection", "bad", { includeTests: true });
    const files = new Set(violations.map((v) => v.file));
    expect(files).toEqual(
      new Set([
        "bad/src/accountsRepository.ts",
        "bad/src/legacy.mjs",
        "bad/src/suppressed.ts",
        "bad/src/accounts.test.js",
        "bad/src/__tests__/legacyRefusal.ts",
        "bad/test/helpers.ts",
      ]),
    );
  });

  it("takes the registry and migration exemptions from options", async () => {
    const { violations } = await check("no-legacy-collection", "bad", {
      registryPackagePaths: [],
      migrationPaths: [],
      rules: ["no-legacy-collection", "registry-database-names"],
    });
    const files = new Set(violations.map((v) => v.file));
    expect(files.has("bad/packages/registry/src/databases.ts")).toBe(true);
    expect(files.has("bad/packages/migrations/src/consolidateCloudAccounts.ts")).toBe(true);
    // With no registry exemption, the registry fixture's database name is reported by rule 2 as well.
    expect(violations.some((v) => v.rule === "registry-database-names" && v.file === "bad/packages/registry/src/databases.ts")).toBe(true);
  });

  it("honours a disable comment only for the rule it names", async () => {
    const { violations } = await check("no-legacy-collection", "bad/src/suppressed.ts");
    expect(places(violations)).toEqual([{ rule: "no-legacy-collection", file: "bad/src/suppressed.ts", line: 5 }]);
  });
});

describe("registry-database-names", () => {
  it("suggests the registry key for a known database name", async () => {
    const { violations } = await check("registry-database-names", "bad/src/connection.ts");
    expect(violations[0]).toMatchObject({ file: "bad/src/connection.ts", line: 3, column: 28 });
    expect(violations[0]?.message).toContain('DatabaseRegistry.databaseName("PLATFORM", prefix)');
    expect(violations.find((v) => v.line === 4)?.message).toContain('"cspm_billing"');
  });

  it("reports test files only with includeTests", async () => {
    const without = await check("registry-database-names", "bad");
    expect(without.violations.some((v) => v.file.endsWith(".test.js"))).toBe(false);
    const withTests = await check("registry-database-names", "bad", { includeTests: true });
    expect(places(withTests.violations.filter((v) => v.file.endsWith(".test.js")))).toEqual([
      { rule: "registry-database-names", file: "bad/src/connection.test.js", line: 2 },
    ]);
  });
});

describe("no-cross-database-lookup", () => {
  it("names both databases and where the pipeline's database came from", async () => {
    const { violations } = await check("no-cross-database-lookup", "bad/src/crossLookups.ts");
    expect(violations[0]).toMatchObject({ file: "bad/src/crossLookups.ts", line: 14, column: 24 });
    expect(violations[0]?.message).toContain('$lookup reads "scan_runs" of ORCHESTRATION (cspm_orchestration)');
    expect(violations[0]?.message).toContain('pipeline on CLOUD_SECURITY (cspm_cloud_security) (from database "CLOUD_SECURITY")');
    expect(violations.find((v) => v.line === 23)?.message).toContain("(from getCloudSecurityDb())");
  });
});

describe("migrations-registered", () => {
  it("points a duplicate id at the first definition", async () => {
    const { violations } = await check("migrations-registered", "bad");
    const duplicate = violations.find((v) => v.file === "bad/src/migrations/laterDuplicate.ts");
    expect(duplicate).toMatchObject({ line: 3, column: 48 });
    expect(duplicate?.message).toBe(
      'duplicate migration id "001-consolidate" (first defined at bad/src/migrations/consolidate.ts:3); ids must be unique',
    );
  });

  it("sees a registration only in the files it checks", async () => {
    // Without index.ts nothing registers consolidate.ts's migration.
    const { violations } = await check("migrations-registered", "bad/src/migrations/consolidate.ts");
    expect(violations.map((v) => v.message)).toEqual([
      'migration "001-consolidate" is defined but never registered with the runner; reference consolidateAccounts from an array passed as migrations:, to new MigrationRunner(…)/registerMigrations(…), or in an exported *MIGRATIONS* array',
    ]);
  });
});

describe("options and errors", () => {
  it("runs only the selected rules", async () => {
    const { violations } = await check("no-legacy-collection", "bad", { rules: ["registry-database-names"], registryPackagePaths: [] });
    expect(violations.map((v) => v.rule)).toEqual(["registry-database-names"]);
  });

  it("ignores test/fixtures by default and checks them when the defaults are dropped", async () => {
    const byDefault = await checkContracts({ paths: ["test"], cwd: PACKAGE_DIR, includeTests: true });
    expect(byDefault).toEqual({ violations: [], filesChecked: 0 });
    const all = await checkContracts({ paths: ["test"], cwd: PACKAGE_DIR, includeTests: true, useDefaultIgnore: false });
    expect(new Set(all.violations.map((v) => v.rule))).toEqual(new Set(RULE_IDS));
    const ignored = await checkContracts({
      paths: ["test"],
      cwd: PACKAGE_DIR,
      includeTests: true,
      useDefaultIgnore: false,
      ignore: ["**/bad/**"],
    });
    expect(ignored.violations).toEqual([]);
  });

  it("passes on its own source", async () => {
    const { violations, filesChecked } = await checkContracts({ paths: ["src"], cwd: PACKAGE_DIR });
    expect(violations).toEqual([]);
    expect(filesChecked).toBeGreaterThan(8);
  });

  it("throws VALIDATION_FAILED for a missing path, no paths or an unknown rule", async () => {
    for (const options of [
      { paths: ["does-not-exist"], cwd: PACKAGE_DIR },
      { paths: [], cwd: PACKAGE_DIR },
      { paths: ["src"], cwd: PACKAGE_DIR, rules: ["no-such-rule" as RuleId] },
    ]) {
      const error: unknown = await checkContracts(options).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isCspmError(error) && error.code).toBe("VALIDATION_FAILED");
    }
  });
});
