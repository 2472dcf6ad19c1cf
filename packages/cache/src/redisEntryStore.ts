import type { Redis } from "ioredis";
import type { CacheOperation } from "./cacheService";
import { decodeEntry, EPOCH_GENERATION, encodeEntry, type GenerationTokens, stampsOf } from "./generationStamps";
import {
  BUMP_SCRIPT,
  evalScript,
  FENCE_SCRIPT,
  OBSERVE_SCRIPT,
  READ_SCRIPT,
  RELEASE_LOCK_SCRIPT,
  SET_SCRIPT,
  STORE_AND_UNLOCK_SCRIPT,
} from "./redisCacheScripts";
import type { Attempt, RedisCommands } from "./redisCommands";

/** What a read found: a fresh entry's EJSON body, a miss (with the tokens observed, if asked), or Redis down. */
export type EntryRead =
  | { readonly state: "hit"; readonly body: string }
  | { readonly state: "miss"; readonly tokens: readonly string[] | undefined; readonly corrupt: boolean }
  | { readonly state: "down"; readonly rejected: boolean };

/** Result of the restart/failover fence. */
export type FenceOutcome = "done" | "failed" | "unsupported";

/** Keys per DEL and generations per bump script on a single node (a Cluster gets one per key). */
const BATCH = 256;

function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

/** Escapes `%`, `{` and `}` so a key can sit inside a hash tag: the whole key decides the slot, and injectively. */
function hashTagSafe(key: string): string {
  return /[%{}]/.test(key) ? key.replace(/[%{}]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`) : key;
}

/**
 * The Redis side of `RedisCache`: key layout and the commands for reads, writes, invalidation and the fence, on
 * one node (one script per operation: one round trip) or on a Cluster (only single-slot commands: an entry and
 * its lock share a hash tag; generations are read or bumped one key per command, in parallel).
 *
 * Layout under `keyPrefix`: `v:{<key>}` entries, `lock:{<key>}` recompute locks, `g:<tag>` tag generations,
 * `epoch` the generation of the whole prefix, `server` the run id of the Redis that last fenced.
 */
export class RedisEntryStore {
  constructor(
    private readonly commands: RedisCommands,
    private readonly keyPrefix: string,
    private readonly tokens: GenerationTokens,
  ) {}

  private get cluster(): boolean {
    return this.commands.client.isCluster;
  }

  entryKey(key: string): string {
    return `${this.keyPrefix}v:{${hashTagSafe(key)}}`;
  }

  lockKey(key: string): string {
    return `${this.keyPrefix}lock:{${hashTagSafe(key)}}`;
  }

  generationKey(name: string): string {
    return `${this.keyPrefix}${name}`;
  }

  /**
   * Reads an entry and checks its stamps against the current generations (one script on a single node; on a
   * Cluster the entry, then its generations in parallel). When `observe` names generations (a `wrap` miss), a
   * miss also returns their current tokens, creating missing ones that live `observeTtlMs`.
   */
  async read(key: string, observe: readonly string[], observeTtlMs: number): Promise<EntryRead> {
    if (!this.cluster) {
      const keys = [this.entryKey(key), ...observe.map((name) => this.generationKey(name))];
      const args = [this.keyPrefix, this.tokens.next(), observeTtlMs];
      const reply = await this.commands.run("get", key, (c) => evalScript(c, READ_SCRIPT, keys, args));
      if (!reply.ok) return { state: "down", rejected: reply.rejected };
      const [state, ...rest] = reply.value as string[];
      if (state === "hit") return { state: "hit", body: rest[0] ?? "" };
      return { state: "miss", tokens: observe.length > 0 ? rest : undefined, corrupt: state === "corrupt" };
    }
    const got = await this.commands.run("get", key, (c) => c.get(this.entryKey(key)));
    if (!got.ok) return { state: "down", rejected: got.rejected };
    let corrupt = false;
    if (got.value !== null) {
      const entry = decodeEntry(got.value);
      if (entry === undefined) corrupt = true;
      else {
        const names = entry.stamps.filter((_, i) => i % 2 === 0);
        const current = await this.clusterGet(key, names);
        if (current === undefined) return { state: "down", rejected: false };
        if (names.every((_, i) => current[i] === entry.stamps[2 * i + 1])) return { state: "hit", body: entry.body };
      }
    }
    if (observe.length === 0) return { state: "miss", tokens: undefined, corrupt };
    const tokens = await this.clusterObserve(key, observe, observeTtlMs);
    return tokens === undefined ? { state: "down", rejected: false } : { state: "miss", tokens, corrupt };
  }

  /** `set`: stamps the entry with the generations current now (creating missing ones) and writes it. */
  async write(key: string, body: string, generations: readonly string[], ttlMs: number, generationTtlMs: number): Promise<boolean> {
    if (!this.cluster) {
      const keys = [this.entryKey(key), ...generations.map((name) => this.generationKey(name))];
      const args = [this.tokens.next(), generationTtlMs, ttlMs, body, ...generations];
      return (await this.commands.run("set", key, (c) => evalScript(c, SET_SCRIPT, keys, args))).ok;
    }
    const tokens = await this.clusterObserve(key, generations, generationTtlMs);
    if (tokens === undefined) return false;
    const payload = encodeEntry(stampsOf(generations, tokens), body);
    return (await this.commands.run("set", key, (c) => c.set(this.entryKey(key), payload, "PX", ttlMs))).ok;
  }

  /**
   * A `wrap` store: the entry stamped with the tokens observed before loading. With `lockToken`, only while the
   * lock is still ours, releasing it in the same script; resolves whether the command ran (stored or not).
   */
  async store(key: string, payload: string, ttlMs: number, lockToken: string | undefined): Promise<boolean> {
    const entry = this.entryKey(key);
    if (lockToken === undefined) return (await this.commands.run("set", key, (c) => c.set(entry, payload, "PX", ttlMs))).ok;
    const keys = [entry, this.lockKey(key)];
    return (await this.commands.run("set", key, (c) => evalScript(c, STORE_AND_UNLOCK_SCRIPT, keys, [lockToken, ttlMs, payload]))).ok;
  }

  /** Takes the recompute lock (`SET NX PX`); the reply is `"OK"` when we got it. */
  lock(key: string, token: string, ttlMs: number): Promise<Attempt<string | null>> {
    return this.commands.run("lock", key, (c) => c.set(this.lockKey(key), token, "PX", ttlMs, "NX"));
  }

  /** Releases the recompute lock if it is still ours. */
  async unlock(key: string, token: string): Promise<void> {
    await this.commands.run("unlock", key, (c) => evalScript(c, RELEASE_LOCK_SCRIPT, [this.lockKey(key)], [token]));
  }

  /**
   * Bumps generations to a new token; returns the names Redis confirmed. `urgent` sends it even while the breaker
   * is open: a stalled (frozen) Redis then still executes it as soon as it resumes.
   */
  async bump(operation: CacheOperation, names: readonly string[], urgent = false): Promise<string[]> {
    const token = this.tokens.next();
    const batches = this.cluster ? names.map((name) => [name]) : chunk(names, BATCH);
    const results = await Promise.all(
      batches.map(async (batch) => {
        const keys = batch.map((name) => this.generationKey(name));
        const done = await this.commands.run(operation, undefined, (c) => evalScript(c, BUMP_SCRIPT, keys, [token]), urgent);
        return done.ok ? batch : [];
      }),
    );
    return results.flat();
  }

  /** Deletes entries and their locks (so a loader running for them stores nothing). */
  async del(keys: readonly string[], key: string | undefined): Promise<boolean> {
    if (keys.length === 0) return !this.commands.closed;
    const pairs = keys.map((k) => [this.entryKey(k), this.lockKey(k)]);
    const batches = this.cluster ? pairs : chunk(pairs.flat(), 2 * BATCH);
    const results = await Promise.all(batches.map((batch) => this.commands.run("del", key, (c) => c.del(...batch))));
    return results.every((attempt) => attempt.ok);
  }

  /**
   * The restart/failover fence (single node): when the server's run id differs from the one recorded under
   * `server`, bumps the epoch. `unsupported` when the server refuses `INFO` (ACLs) or does not report a run id.
   */
  async fence(): Promise<FenceOutcome> {
    const info = await this.commands.run("connection", undefined, (c) => (c as Redis).info("server"));
    if (!info.ok) return info.rejected ? "unsupported" : "failed";
    const runId = /^run_id:([0-9a-zA-Z]+)/m.exec(info.value)?.[1];
    if (runId === undefined) return "unsupported";
    const keys = [this.generationKey("server"), this.generationKey(EPOCH_GENERATION)];
    const fenced = await this.commands.run("connection", undefined, (c) => evalScript(c, FENCE_SCRIPT, keys, [runId, this.tokens.next()]));
    return fenced.ok ? "done" : "failed";
  }

  private async clusterGet(key: string, names: readonly string[]): Promise<(string | null)[] | undefined> {
    const got = await Promise.all(names.map((name) => this.commands.run("get", key, (c) => c.get(this.generationKey(name)))));
    return got.every((a) => a.ok) ? got.map((a) => (a.ok ? a.value : null)) : undefined;
  }

  private async clusterObserve(key: string, names: readonly string[], ttlMs: number): Promise<string[] | undefined> {
    const token = this.tokens.next();
    const observed = await Promise.all(
      names.map((name) => this.commands.run("get", key, (c) => evalScript(c, OBSERVE_SCRIPT, [this.generationKey(name)], [token, ttlMs]))),
    );
    return observed.every((a) => a.ok) ? observed.map((a) => (a.ok ? String(a.value) : "")) : undefined;
  }
}
