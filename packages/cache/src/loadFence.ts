/**
 * Stops a slow loader from caching what it read before an invalidation (the classic cache-aside race), in
 * process: `begin()` before the loader reads the source, `invalidated(names)` for every tag or key invalidated
 * meanwhile, and `unchangedSince(ticket, names)` decides whether the loader's value may still be stored.
 * Memory stays bounded: invalidations are only remembered while a load is in progress.
 */
export class LoadFence {
  private sequence = 0;
  private active = 0;
  private readonly invalidatedAt = new Map<string, number>();

  /** Starts a load; returns its ticket. Pair every call with `end()`. */
  begin(): number {
    this.active += 1;
    return this.sequence;
  }

  /** Ends a load started with `begin()`; forgets every invalidation once no load is in progress. */
  end(): void {
    this.active -= 1;
    if (this.active === 0) this.invalidatedAt.clear();
  }

  /** Records that `names` were invalidated now. */
  invalidated(names: Iterable<string>): void {
    if (this.active === 0) return;
    this.sequence += 1;
    for (const name of names) this.invalidatedAt.set(name, this.sequence);
  }

  /** Whether none of `names` was invalidated since `ticket` was issued. */
  unchangedSince(ticket: number, names: Iterable<string>): boolean {
    for (const name of names) {
      if ((this.invalidatedAt.get(name) ?? -1) > ticket) return false;
    }
    return true;
  }
}
