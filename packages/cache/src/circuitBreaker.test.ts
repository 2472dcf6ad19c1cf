import { describe, expect, it } from "vitest";
import { CircuitBreaker } from "./index";

function breakerWithClock(failureThreshold = 3, cooldownMs = 1000) {
  let now = 0;
  const breaker = new CircuitBreaker({ failureThreshold, cooldownMs, now: () => now });
  return { breaker, advance: (ms: number) => (now += ms) };
}

describe("CircuitBreaker", () => {
  it("opens after the threshold of consecutive failures; a success resets the count", () => {
    const { breaker } = breakerWithClock(3);
    breaker.recordFailure();
    breaker.recordFailure();
    breaker.recordSuccess();
    breaker.recordFailure();
    breaker.recordFailure();
    expect(breaker.state).toBe("closed");
    expect(breaker.tryAcquire()).toBe(true);
    breaker.recordFailure();
    expect(breaker.state).toBe("open");
    expect(breaker.tryAcquire()).toBe(false);
  });

  it("lets exactly one probe through after the cooldown; its success closes the breaker", () => {
    const { breaker, advance } = breakerWithClock(1, 1000);
    breaker.recordFailure();
    advance(999);
    expect(breaker.tryAcquire()).toBe(false);
    advance(1);
    expect(breaker.state).toBe("half-open");
    expect(breaker.tryAcquire()).toBe(true);
    expect(breaker.tryAcquire()).toBe(false);
    breaker.recordSuccess();
    expect(breaker.state).toBe("closed");
    expect(breaker.tryAcquire()).toBe(true);
  });

  it("a failed probe reopens it for another cooldown", () => {
    const { breaker, advance } = breakerWithClock(1, 1000);
    breaker.recordFailure();
    advance(1000);
    expect(breaker.tryAcquire()).toBe(true);
    breaker.recordFailure();
    expect(breaker.state).toBe("open");
    advance(500);
    expect(breaker.tryAcquire()).toBe(false);
    advance(500);
    expect(breaker.tryAcquire()).toBe(true);
  });

  it("ignores late results while open, and reset() closes it at once", () => {
    const { breaker } = breakerWithClock(1, 1000);
    breaker.recordFailure();
    breaker.recordSuccess();
    expect(breaker.state).toBe("open");
    breaker.reset();
    expect(breaker.state).toBe("closed");
  });
});
