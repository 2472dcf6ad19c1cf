import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";
import { testProjects } from "./vitest.workspace.ts";

// Tests import sibling packages from source, so no build is needed before `pnpm test`.
const packagesDir = fileURLToPath(new URL("./packages/", import.meta.url));
const alias = readdirSync(packagesDir).map((name) => ({
  find: new RegExp(`^@cspm/${name}$`),
  replacement: `${packagesDir}${name}/src/index.ts`,
}));

export default defineConfig({
  resolve: { alias },
  test: {
    projects: testProjects,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    passWithNoTests: false,
    // CI also writes a JSON report so .ci/run can print one plain "N passed, N failed" line.
    ...(process.env.CSPM_TEST_REPORT ? { reporters: ["default", ["json", { outputFile: process.env.CSPM_TEST_REPORT }]] } : {}),
  },
});
