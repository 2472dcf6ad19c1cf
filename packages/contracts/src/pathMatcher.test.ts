import { describe, expect, it } from "vitest";
import { DEFAULT_IGNORE, DEFAULT_MIGRATION_PATHS, DEFAULT_REGISTRY_PACKAGE_PATHS, DEFAULT_TEST_PATHS } from "./checkContracts";
import { createPathMatcher } from "./pathMatcher";

describe("createPathMatcher", () => {
  it("matches ** across folders and * within one", () => {
    const matches = createPathMatcher(["src/**/*.ts"]);
    expect(matches("src/a.ts")).toBe(true);
    expect(matches("src/x/y/a.ts")).toBe(true);
    expect(matches("src/a.tsx")).toBe(false);
    expect(matches("lib/a.ts")).toBe(false);
  });

  it("treats a pattern without a slash as a name anywhere", () => {
    const matches = createPathMatcher(["dist"]);
    expect(matches("dist")).toBe(true);
    expect(matches("packages/a/dist/index.js")).toBe(true);
    expect(matches("packages/distant/index.js")).toBe(false);
  });

  it("has defaults that ignore build output and fixtures, and recognise registry, migrations and tests", () => {
    const ignored = createPathMatcher(DEFAULT_IGNORE);
    for (const path of [
      "node_modules",
      "packages/a/node_modules/x/index.js",
      "packages/a/dist",
      ".git",
      "coverage/lcov.js",
      "packages/contracts/test/fixtures/x/a.ts",
    ]) {
      expect(ignored(path), path).toBe(true);
    }
    expect(ignored("packages/contracts/src/index.ts")).toBe(false);
    expect(ignored("../other/dist/a.js")).toBe(true);

    const registry = createPathMatcher(DEFAULT_REGISTRY_PACKAGE_PATHS);
    expect(registry("packages/registry/src/databases.ts")).toBe(true);
    expect(registry("node_modules/@cspm/registry/dist/index.js")).toBe(true);
    expect(registry("packages/registry-tools/src/a.ts")).toBe(false);
    expect(registry("src/registry/a.ts")).toBe(false);

    const migrations = createPathMatcher(DEFAULT_MIGRATION_PATHS);
    expect(migrations("packages/migrations/src/consolidate.ts")).toBe(true);
    expect(migrations("src/db/migrations/001.ts")).toBe(true);
    expect(migrations("src/migrationsHelper.ts")).toBe(false);

    const tests = createPathMatcher(DEFAULT_TEST_PATHS);
    for (const path of ["src/a.test.ts", "src/a.spec.mjs", "test/a.ts", "packages/x/__tests__/a.ts", "tests/e2e/a.ts"])
      expect(tests(path), path).toBe(true);
    for (const path of ["src/testing.ts", "packages/testkit/src/index.ts", "src/latest/a.ts"]) expect(tests(path), path).toBe(false);
  });
});
