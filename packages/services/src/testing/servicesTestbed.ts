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

/** Opens a testbed; call `close()` in `afterAll`. */
export async function openServicesTestbed(options: { now?: Date; label?: string } = {}): Promise<ServicesTestbed> {
  const now = options.now ?? new Date();
  const databases = await openTestDatabases({ label: `s${options.label ?? ""}`, now });
  return { ...databases, ...createServices(databases), now };
}
