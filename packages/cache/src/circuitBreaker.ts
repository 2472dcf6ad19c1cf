import { dataLayerInstruments } from "@cspm/telemetry";
import type { CircuitState } from "./cacheService";

/** Tuning of a `CircuitBreaker`. */
export interface CircuitBreakerOptions {
  /** Consecutive failures that open the breaker (default 5). */
  readonly failureThreshold?: number | undefined;
  /** How long the breaker stays open before letting one probe through, in ms (default 2000). */
  readonly cooldownMs?: number | undefined;
  /** Clock in ms, for tests (default `Date.now`). */
  readonly now?: (() => number) | undefined;
}

/**
 * A consecutive-failure circuit breaker: `closed` lets everything through; after `failureThreshold`
 * failures in a row it is `open` and lets nothing through for `cooldownMs`; then `half-open` lets exactly
 * one probe through, whose success closes it and whose failure reopens it. Never throws.
 */
export class CircuitBreaker {
  readonly failureThreshold: number;
  readonly cooldownMs: number;
  private readonly now: () => number;
  private current: CircuitState = "closed";
  private failures = 0;
  private openedAt = 0;
  private probeInFlight = false;
  /** Whether this breaker counts in `cspm.cache.breaker.open` (from opening until it closes again). */
  private reportedOpen = false;

  constructor(options: CircuitBreakerOptions = {}) {
    this.failureThreshold = options.failureThreshold ?? 5;
    this.cooldownMs = options.cooldownMs ?? 2000;
    this.now = options.now ?? Date.now;
  }

  /** The state as of now (an open breaker whose cooldown has passed reports `half-open`). */
  get state(): CircuitState {
    if (this.current === "open" && this.now() - this.openedAt >= this.cooldownMs) return "half-open";
    return this.current;
  }

  /** Whether a call may go to the backend now; in `half-open` only the first caller gets `true` until it reports back. */
  tryAcquire(): boolean {
    const state = this.state;
    if (state === "closed") return true;
    if (state === "open") return false;
    this.current = "half-open";
    if (this.probeInFlight) return false;
    this.probeInFlight = true;
    return true;
  }

  /** Reports a successful call: closes a half-open breaker, resets the failure count. Ignored while open. */
  recordSuccess(): void {
    if (this.current === "open") return;
    this.close();
  }

  /** Reports a failed call: a failed probe reopens the breaker; the `failureThreshold`-th failure in a row opens it. */
  recordFailure(): void {
    if (this.current === "open") return;
    this.failures += 1;
    if (this.current === "half-open" || this.failures >= this.failureThreshold) this.open();
  }

  /** Closes the breaker at once, e.g. when the connection reports it is ready again. */
  reset(): void {
    this.close();
  }

  private close(): void {
    this.current = "closed";
    this.failures = 0;
    this.probeInFlight = false;
    if (this.reportedOpen) {
      this.reportedOpen = false;
      dataLayerInstruments().cacheBreakerOpen.add(-1);
    }
  }

  private open(): void {
    this.current = "open";
    this.openedAt = this.now();
    this.probeInFlight = false;
    if (!this.reportedOpen) {
      this.reportedOpen = true;
      dataLayerInstruments().cacheBreakerOpen.add(1);
    }
  }
}
