import { startTestMongo, type TestMongo } from "./startTestMongo";

/** The part of vitest's `TestProject` the global setup uses. */
export interface ProvideTarget {
  provide(key: string, value: unknown): void;
}

interface SharedMongo {
  readonly mongo: Promise<TestMongo>;
  users: number;
}

const SHARED = Symbol.for("@cspm/testkit/sharedTestMongo");

/**
 * Vitest global setup: starts the test MongoDB once per run (shared by every project that lists
 * this file), publishes its URI as `process.env.CSPM_TEST_MONGODB_URI` and `provide("cspmMongoUri")`,
 * and returns the teardown that stops it after the last project finishes.
 *
 * @example
 * // vitest.config.ts
 * export default defineConfig({ test: { globalSetup: ["@cspm/testkit/vitest-global-setup"] } });
 */
export async function setup(project?: ProvideTarget): Promise<() => Promise<void>> {
  const holder = globalThis as { [SHARED]?: SharedMongo };
  let shared = holder[SHARED];
  if (!shared) {
    shared = { mongo: startTestMongo(), users: 0 };
    holder[SHARED] = shared;
  }
  shared.users += 1;
  const current = shared;
  let mongo: TestMongo;
  try {
    mongo = await current.mongo;
  } catch (error) {
    current.users -= 1;
    if (holder[SHARED] === current) delete holder[SHARED];
    throw error;
  }
  process.env.CSPM_TEST_MONGODB_URI = mongo.uri;
  project?.provide("cspmMongoUri", mongo.uri);
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    current.users -= 1;
    if (current.users > 0) return;
    if (holder[SHARED] === current) delete holder[SHARED];
    await mongo.stop();
  };
}
