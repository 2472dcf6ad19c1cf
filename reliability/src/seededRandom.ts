import { seededRandom, type SeededRandom } from "@cspm/testkit";

export { seededRandom, type SeededRandom };

/** The seed of this run: `CSPM_RELIABILITY_SEED` when set, else a fixed default so CI runs are reproducible. */
export function reliabilitySeed(fallback: number): number {
  const fromEnv = Number(process.env.CSPM_RELIABILITY_SEED);
  return Number.isInteger(fromEnv) && process.env.CSPM_RELIABILITY_SEED !== "" ? fromEnv : fallback;
}
