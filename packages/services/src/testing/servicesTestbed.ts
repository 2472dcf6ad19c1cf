/**
 * Test-only (not exported, not in the build): one test file's private databases (`openTestDatabases`)
 * and every service built from them by `createServices`, as a host app builds them.
 */
import { openTestDatabases, type TestDatabases } from "@cspm/test-fixtures";
import { createServices, type Services } from "../createServices";

/** Everything a services integration test needs. */
export interface ServicesTestbed extends TestDatabases, Services {
  /** The fixed "now" every service of the testbed sees. */
  readonly now: Date;
}

/**
 * Opens a testbed; call `close()` in `afterAll`. Its databases have the catalog's indexes and refuse
 * collection scans (`notablescan` for this file's prefix on the offline engine), so a service query no
 * declared index serves fails its test; a test that must scan on purpose passes `notablescan: false`.
 */
export async function openServicesTestbed(options: { now?: Date; label?: string; notablescan?: boolean } = {}): Promise<ServicesTestbed> {
  const now = options.now ?? new Date();
  const notablescan = options.notablescan !== false;
  const databases = await openTestDatabases({ label: `s${options.label ?? ""}`, now, notablescan });
  // The catalog's indexes, as a deployment has them (`ensureIndexes` at start-up): the queries are judged against them.
  if (notablescan) await databases.manager.ensureIndexes();
  return { ...databases, ...createServices(databases), now };
}
