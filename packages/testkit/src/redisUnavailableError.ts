/** Thrown when no Redis can be found or started; the message says how to get one. */
export class RedisUnavailableError extends Error {
  constructor(details: string) {
    super(
      `No Redis for tests: ${details}. Set REDIS_URL, run redis on 127.0.0.1:6379, or install redis-server ` +
        "(apt-get install redis-server / brew install redis) so the testkit can start one on an ephemeral port.",
    );
    this.name = "RedisUnavailableError";
  }
}
