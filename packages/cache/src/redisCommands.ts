import { InternalError, UnavailableError, type CspmError } from "@cspm/errors";
import type { Cluster, Redis } from "ioredis";
import type { CacheOperation } from "./cacheService";
import { type CacheTelemetry, sanitizeCause } from "./cacheTelemetry";
import type { CircuitBreaker } from "./circuitBreaker";

/** An ioredis client: one node, or a Cluster. */
export type RedisCacheClient = Redis | Cluster;

/** The outcome of one command: its reply, or a failure (already reported) that says whether Redis answered. */
export type Attempt<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly rejected: boolean };

class NotConnectedError extends Error {
  constructor(status: string) {
    super(`Redis connection is not ready (status: ${status})`);
    this.name = "NotConnectedError";
  }
}

class CommandTimeoutError extends Error {
  constructor(ms: number) {
    super(`Redis command timed out after ${ms} ms`);
    this.name = "CommandTimeoutError";
  }
}

/** Connection states in which a command is worth waiting for: the first connection is still being made. */
const CONNECTING_STATES = new Set(["wait", "connecting", "connect"]);

/** Races `promise` against `ms`; `onTimeout` runs when the time is up first. */
export function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout?: () => void): Promise<T> {
  promise.catch(() => undefined); // a late rejection after the timeout is expected and harmless
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout?.();
      reject(new CommandTimeoutError(ms));
    }, ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Sends the cache's Redis commands: each within `timeoutMs`, only on a ready connection, through the circuit
 * breaker; failures are reported to telemetry (sanitized: no arguments, so no cached value) and returned as
 * `{ ok: false }`. Never throws.
 */
export class RedisCommands {
  /** Set by `RedisCache.close()`: afterwards every command fails at once. */
  closed = false;
  /** Settles when the client becomes ready; shared by all commands waiting for the first connection. */
  private readyPromise: Promise<void> | undefined;
  private resolveReady: (() => void) | undefined;

  constructor(
    readonly client: RedisCacheClient,
    private readonly timeoutMs: number,
    private readonly breaker: CircuitBreaker,
    private readonly telemetry: CacheTelemetry,
  ) {}

  /** Lets commands waiting for the first connection go; call on the client's `ready` event. */
  markReady(): void {
    this.resolveReady?.();
    this.resolveReady = undefined;
    this.readyPromise = undefined;
  }

  /**
   * Runs one command through the breaker (unless `bypassBreaker`) and the timeout; failures are reported and
   * become `{ ok: false }`.
   */
  async run<T>(
    operation: CacheOperation,
    key: string | undefined,
    command: (client: RedisCacheClient) => Promise<T>,
    bypassBreaker = false,
  ): Promise<Attempt<T>> {
    if (this.closed || !(bypassBreaker || this.breaker.tryAcquire())) return { ok: false, rejected: false };
    try {
      const value = await this.send(command);
      this.breaker.recordSuccess();
      return { ok: true, value };
    } catch (error) {
      return { ok: false, rejected: this.failed(operation, key, error) };
    }
  }

  /**
   * Sends one command within the timeout, bypassing the breaker: only on a ready connection (while the first
   * connection is being made it waits for it, within the same budget); a disconnected client fails at once, and
   * a command whose budget ran out while waiting is never sent late. Throws what the command threw.
   */
  send<T>(command: (client: RedisCacheClient) => Promise<T>): Promise<T> {
    let expired = false;
    const task = (async () => {
      await this.whenReady();
      if (expired) throw new CommandTimeoutError(this.timeoutMs);
      return command(this.client);
    })();
    return withTimeout(task, this.timeoutMs, () => {
      expired = true;
    });
  }

  private whenReady(): Promise<void> | undefined {
    const status = this.client.status;
    if (status === "ready") return undefined;
    if (!CONNECTING_STATES.has(status)) throw new NotConnectedError(status);
    if (!this.readyPromise) {
      this.readyPromise = new Promise<void>((resolve) => (this.resolveReady = resolve));
      if (status === "wait") this.client.connect().catch(() => undefined); // a lazyConnect client
    }
    return this.readyPromise;
  }

  /** Reports a failure; returns whether Redis answered (an error reply), which does not count against the breaker. */
  private failed(operation: CacheOperation, key: string | undefined, error: unknown): boolean {
    const cause = sanitizeCause(error);
    let reported: CspmError;
    const rejected = cause.name === "ReplyError";
    if (rejected) {
      // Redis answered, so it is up: an error reply says nothing about availability.
      this.breaker.recordSuccess();
      reported = new InternalError("Redis rejected a cache command.", { cause });
    } else {
      this.breaker.recordFailure();
      reported = new UnavailableError("Redis cache command failed or timed out; served without the cache.", {
        details: { hint: "Check that Redis is reachable and fast; the cache fails open meanwhile." },
        cause,
      });
    }
    this.telemetry.report(operation, reported, key);
    return rejected;
  }
}
