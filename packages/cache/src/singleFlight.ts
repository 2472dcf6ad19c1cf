/** The outcome of `SingleFlight.run` for one caller. */
export interface FlightOutcome<R> {
  readonly result: R;
  /** False for the caller whose `fn` ran, true for callers that joined its flight. */
  readonly shared: boolean;
}

/**
 * Collapses concurrent calls for the same key into one: while a flight for `key` is in progress, further
 * `run(key, ...)` calls wait for it instead of starting their own. Errors reach every caller unchanged.
 */
export class SingleFlight<R> {
  private readonly flights = new Map<string, Promise<R>>();

  /** Number of keys with a flight in progress. */
  get size(): number {
    return this.flights.size;
  }

  /** Runs `fn` unless a flight for `key` is already in progress, in which case its result is shared. */
  async run(key: string, fn: () => Promise<R>): Promise<FlightOutcome<R>> {
    const existing = this.flights.get(key);
    if (existing) return { result: await existing, shared: true };
    const flight = (async () => fn())();
    this.flights.set(key, flight);
    try {
      return { result: await flight, shared: false };
    } finally {
      if (this.flights.get(key) === flight) this.flights.delete(key);
    }
  }
}
