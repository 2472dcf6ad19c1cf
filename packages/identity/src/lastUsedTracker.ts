import { ApiKeyRepository } from "@cspm/domain";
import type { RepositoryFactory } from "@cspm/repository";

/**
 * Records when API keys were last used without a write per request: `touch` notes the key in memory, and
 * one `updateMany` per team (`$max`, so time never goes back) writes them all `flushAfterMs` after the first
 * touch of a batch (default 30 s) or on `flush()`/`close()`. `last_used_at` is therefore accurate to the flush
 * interval; a crash loses at most one interval of last-use times, never a key.
 */
export class LastUsedTracker {
  readonly #keys: ApiKeyRepository;
  readonly #now: () => Date;
  readonly #flushAfterMs: number;
  readonly #onError: (error: unknown) => void;
  #pending = new Map<string, Set<string>>();
  #timer: NodeJS.Timeout | undefined;

  constructor(deps: {
    readonly repositories: RepositoryFactory;
    readonly clock: () => Date;
    readonly flushAfterMs?: number;
    readonly onError?: (error: unknown) => void;
  }) {
    this.#keys = deps.repositories.get(ApiKeyRepository);
    this.#now = deps.clock;
    this.#flushAfterMs = deps.flushAfterMs ?? 30_000;
    this.#onError = deps.onError ?? (() => undefined);
  }

  /** Notes that a key was used now. Never throws, never waits. */
  touch(teamId: string, keyId: string): void {
    let keys = this.#pending.get(teamId);
    if (keys === undefined) {
      keys = new Set();
      this.#pending.set(teamId, keys);
    }
    keys.add(keyId);
    if (this.#timer === undefined) {
      this.#timer = setTimeout(() => {
        void this.flush().catch(this.#onError);
      }, this.#flushAfterMs);
      this.#timer.unref();
    }
  }

  /** How many keys wait for the next flush. */
  get pending(): number {
    let n = 0;
    for (const keys of this.#pending.values()) n += keys.size;
    return n;
  }

  /** Writes every noted key now (one command per team); returns how many keys were written. Throws `UNAVAILABLE`. */
  async flush(): Promise<number> {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#pending;
    this.#pending = new Map();
    const at = this.#now();
    let written = 0;
    for (const [teamId, keys] of batch) {
      await this.#keys.touchLastUsed(teamId, [...keys], at);
      written += keys.size;
    }
    return written;
  }

  /** Flushes and stops the timer. Never throws (a failed last flush is reported to `onError`). */
  async close(): Promise<void> {
    await this.flush().catch(this.#onError);
  }
}
