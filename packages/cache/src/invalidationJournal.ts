import { EPOCH_GENERATION } from "./generationStamps";

/** Generations to bump, as taken from the journal: confirm them with `confirm(snapshot, bumped)`. */
export interface JournalSnapshot {
  readonly generations: readonly string[];
  /** The journal's record counter when the snapshot was taken. */
  readonly at: number;
}

/**
 * Invalidations that Redis did not confirm (it was unreachable, the command timed out, or the reply was lost),
 * kept in process memory until a bump of the same generations succeeds. While the journal is not empty,
 * `RedisCache` reads nothing from Redis. Bounded: past `maxGenerations` distinct generations it collapses to the
 * epoch, whose bump invalidates the whole key prefix.
 */
export class InvalidationJournal {
  /** Generation -> the record counter of its latest failure. */
  private readonly pending = new Map<string, number>();
  private recorded = 0;

  constructor(private readonly maxGenerations = 10_000) {}

  /** Generations waiting for a confirmed bump. */
  get size(): number {
    return this.pending.size;
  }

  /** Records generations whose bump was not confirmed. */
  record(generations: Iterable<string>): void {
    this.recorded += 1;
    for (const name of generations) this.pending.set(name, this.recorded);
    if (this.pending.size > this.maxGenerations) {
      // None of them is bumped yet; one epoch bump, sent after all of them failed, covers them all.
      this.pending.clear();
      this.pending.set(EPOCH_GENERATION, this.recorded);
    }
  }

  /** The generations to bump now. */
  snapshot(): JournalSnapshot {
    return { generations: [...this.pending.keys()], at: this.recorded };
  }

  /**
   * Drops the generations of `snapshot` that Redis confirmed bumping — unless one failed again after the snapshot
   * was taken: that bump may have run before the write whose invalidation failed, so it stays.
   */
  confirm(snapshot: JournalSnapshot, bumped: Iterable<string>): void {
    for (const name of bumped) {
      const at = this.pending.get(name);
      if (at !== undefined && at <= snapshot.at) this.pending.delete(name);
    }
  }
}
