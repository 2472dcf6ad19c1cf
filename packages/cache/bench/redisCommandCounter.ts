/**
 * Counts the Redis commands an operation sends, from ioredis's own `ioredis:command` tracing channel
 * (node:diagnostics_channel; no MONITOR, no server statistics), for tests and `pnpm bench`. A round trip is
 * counted each time a command starts while none is outstanding, so commands sent in parallel count as one.
 */
import { tracingChannel } from "node:diagnostics_channel";

/** What `countRedisCommands` saw. */
export interface RedisCommandCount<T> {
  readonly result: T;
  /** Command names in the order they were written to the socket. */
  readonly commands: readonly string[];
  /** Sequential round trips: starts of a command while none of the counted ones was outstanding. */
  readonly roundTrips: number;
}

interface CommandContext {
  readonly command: string;
  readonly serverPort?: number | undefined;
}

const channel = tracingChannel<unknown, CommandContext>("ioredis:command");

/** Runs `fn` and records the commands ioredis sends to `port` meanwhile (any client in this process). */
export async function countRedisCommands<T>(port: number | string, fn: () => Promise<T>): Promise<RedisCommandCount<T>> {
  const commands: string[] = [];
  let outstanding = 0;
  let roundTrips = 0;
  const ours = (context: CommandContext): boolean => String(context.serverPort) === String(port);
  const handlers = {
    start(context: CommandContext) {
      if (!ours(context)) return;
      if (outstanding === 0) roundTrips += 1;
      outstanding += 1;
      commands.push(context.command.toLowerCase());
    },
    asyncEnd(context: CommandContext) {
      if (ours(context)) outstanding -= 1;
    },
    end() {},
    asyncStart() {},
    error() {},
  };
  channel.subscribe(handlers);
  try {
    const result = await fn();
    return { result, commands, roundTrips };
  } finally {
    channel.unsubscribe(handlers);
  }
}
