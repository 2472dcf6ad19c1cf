/** A deterministic pseudo-random source (mulberry32) with the helpers the property tests use. */
export interface SeededRandom {
  /** The seed it was created with (print it to replay a failure). */
  readonly seed: number;
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, max). */
  int(max: number): number;
  /** One element of a non-empty list. */
  pick<T>(list: readonly T[]): T;
  /** True with probability `p`. */
  chance(p: number): boolean;
  /** The list in a random order (a copy). */
  shuffle<T>(list: readonly T[]): T[];
}

/**
 * A seeded PRNG (mulberry32) for property tests, so a failing run can be replayed with the seed it prints.
 * Throws `Error` from `pick` on an empty list.
 */
export function seededRandom(seed: number): SeededRandom {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const int = (max: number): number => Math.floor(next() * max);
  return {
    seed,
    next,
    int,
    pick<T>(list: readonly T[]): T {
      if (list.length === 0) throw new Error("pick() from an empty list");
      return list[int(list.length)] as T;
    },
    chance: (p) => next() < p,
    shuffle<T>(list: readonly T[]): T[] {
      const copy = [...list];
      for (let i = copy.length - 1; i > 0; i--) {
        const j = int(i + 1);
        [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
      }
      return copy;
    },
  };
}
