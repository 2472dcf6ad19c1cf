import type { ServiceContainer } from "@cspm/container";
import { ValidationError } from "@cspm/errors";
import { type DemoSeedOptions, type DemoSeedResult, isDemoDatabaseEmpty, seedDemoData } from "./seedDemoData";

/** What `applyDemoSeed` did: seeded, or why not. */
export type DemoSeedOutcome =
  | { readonly seeded: true; readonly result: DemoSeedResult }
  | { readonly seeded: false; readonly reason: "off" | "not_empty" };

/** Options of `applyDemoSeed`. */
export interface ApplyDemoSeedOptions {
  /** `CSPM_DEMO_SEED` as set (`"0"`, `"1"` or unset). */
  readonly setting: string | undefined;
  /** True on the embedded database (seeded unless `"0"`); false on a `MONGODB_URI` (seeded only with `"1"`). */
  readonly embedded: boolean;
  readonly seed?: DemoSeedOptions;
  /** Where notices go (default stderr). */
  readonly log?: (line: string) => void;
}

/**
 * The `CSPM_DEMO_SEED` rule of the example API: on the embedded database the demo is seeded unless `"0"`; on a
 * `MONGODB_URI` only with `"1"`, and only into an empty database (no team, no cloud account) — a database
 * with data is left alone, with a notice saying so (the server starts anyway). Throws `VALIDATION_FAILED` for
 * any other value than `0` / `1`, and whatever seeding throws.
 */
export async function applyDemoSeed(services: ServiceContainer, options: ApplyDemoSeedOptions): Promise<DemoSeedOutcome> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const setting = options.setting?.trim() ?? "";
  if (setting !== "" && setting !== "0" && setting !== "1") {
    throw new ValidationError(`CSPM_DEMO_SEED must be 0 or 1 (got "${setting.slice(0, 20)}").`, [
      { path: "CSPM_DEMO_SEED", message: 'must be "0" or "1"' },
    ]);
  }
  const wanted = options.embedded ? setting !== "0" : setting === "1";
  if (!wanted) return { seeded: false, reason: "off" };
  if (!(await isDemoDatabaseEmpty(services))) {
    log(
      options.embedded
        ? "the embedded database is not empty: not seeding"
        : "CSPM_DEMO_SEED=1: the database at MONGODB_URI already holds teams or accounts, so the demo is NOT seeded into it " +
            "(it only seeds an empty database; use a fresh database or CSPM_DB_PREFIX). Starting without seeding.",
    );
    return { seeded: false, reason: "not_empty" };
  }
  log(
    `seeding demo data into the ${options.embedded ? "embedded database" : "empty database at MONGODB_URI"} ` +
      "(CSPM_DEMO_SEED=0 skips it, CSPM_DEMO_FINDINGS_PER_ACCOUNT resizes it)…",
  );
  const result = await seedDemoData(services, options.seed ?? {});
  return { seeded: true, result };
}
