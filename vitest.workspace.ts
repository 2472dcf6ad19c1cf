/**
 * The one list of test projects. Vitest 4 no longer reads this file on its own, so the root
 * `vitest.config.ts` imports `testProjects` from here: add a package to the list and its tests run.
 */
import { fileURLToPath } from "node:url";

const MONGO_GLOBAL_SETUP = fileURLToPath(new URL("./packages/testkit/src/vitestGlobalSetup.ts", import.meta.url));

interface PackageTests {
  /** Folder under `packages/` or `examples/`. */
  readonly dir: string;
  /** Whether the suite needs the test MongoDB (the testkit's global setup starts one per run). */
  readonly mongo: boolean;
}

const PACKAGES: readonly PackageTests[] = [
  { dir: "packages/errors", mongo: false },
  { dir: "packages/registry", mongo: false },
  { dir: "packages/telemetry", mongo: false },
  { dir: "packages/mongo-engine", mongo: true },
  { dir: "packages/testkit", mongo: true },
  { dir: "packages/mongo", mongo: true },
  { dir: "packages/crypto", mongo: false },
  { dir: "packages/identity", mongo: true },
  { dir: "packages/response", mongo: false },
  { dir: "packages/cache", mongo: false },
  { dir: "packages/repository", mongo: true },
  { dir: "packages/domain", mongo: true },
  { dir: "packages/ingest", mongo: true },
  { dir: "packages/services", mongo: true },
  { dir: "packages/container", mongo: true },
  { dir: "packages/migrations", mongo: true },
  { dir: "packages/contracts", mongo: false },
  { dir: "examples/worker", mongo: true },
  { dir: "examples/api", mongo: true },
  { dir: "reliability", mongo: true },
];

export const testProjects = PACKAGES.map(({ dir, mongo }) => ({
  extends: true as const,
  test: {
    name: dir.split("/").pop() as string,
    root: dir,
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    ...(mongo ? { globalSetup: [MONGO_GLOBAL_SETUP] } : {}),
  },
}));
