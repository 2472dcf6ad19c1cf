import { assertLoader } from "./cacheArguments";
import type { CacheHealth, CacheKey, CacheLoader, CacheService, CacheSetOptions, CacheStats } from "./cacheService";

/**
 * The cache switched off (`CSPM_CACHE=off`, debugging, measuring): every read misses, nothing is stored, `wrap`
 * calls the loader every time (no single-flight), `invalidateTags` has nothing to do and succeeds. It does no
 * work per call beyond that: a key given as a function is never called, so callers pay for no key hashing.
 * Only `wrap`'s loader is checked (`ValidationError`, `VALIDATION_FAILED`, when it is not a function).
 */
export class NoCache implements CacheService {
  private loads = 0;
  private loadErrors = 0;
  private misses = 0;
  private closed = false;

  async get<T>(_key: CacheKey): Promise<T | undefined> {
    this.misses += 1;
    return undefined;
  }

  async set(_key: CacheKey, _value: unknown, _options: CacheSetOptions): Promise<boolean> {
    return false;
  }

  async del(_keys: CacheKey | readonly string[]): Promise<boolean> {
    return !this.closed;
  }

  async wrap<T>(_key: CacheKey, _ttl: number | CacheSetOptions, loader: CacheLoader<T>): Promise<T> {
    assertLoader(loader);
    this.misses += 1;
    this.loads += 1;
    try {
      return await loader();
    } catch (error) {
      this.loadErrors += 1;
      throw error;
    }
  }

  async invalidateTags(_tags: string | readonly string[]): Promise<boolean> {
    return !this.closed;
  }

  async health(): Promise<CacheHealth> {
    return { backend: "none", ok: !this.closed, breaker: "closed" };
  }

  stats(): CacheStats {
    return {
      backend: "none",
      hits: 0,
      misses: this.misses,
      loads: this.loads,
      loadErrors: this.loadErrors,
      errors: 0,
      lockWaits: 0,
      lockTimeouts: 0,
      evictions: 0,
      inFlight: 0,
      pendingInvalidations: 0,
      breaker: "closed",
    };
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
