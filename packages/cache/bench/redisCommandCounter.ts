/**
 * Counts the Redis commands an operation sends, from ioredis's own `ioredis:command` tracing channel
 * (node:diagnostics_channel; no MONITOR, no server statistics), for tests and `pnpm bench`. Round trips are the
 * longest chain of commands each sent after the previous one's reply: a command's depth is one more than the
 * deepest command that had completed when it was sent, so commands sent in parallel share a depth. Timing cannot
 * tell which reply a command waited for, so when unrelated replies interleave this is an upper bound.
 */
import { tracingChannel } from "node:diagnostics_channel";

/** What `countRedisCommands` saw. */
export interface RedisCommandCount<T> {
  readonly result: T;
  /** Command names in the order they were written to the socket. */
  readonly commands: readonly string[];
  /** Sequential round trips: the depth of the longest chain of commands that waited for each other. */
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
  const depths = new WeakMap<CommandContext, number>();
  let completedDepth = 0;
  let roundTrips = 0;
  const ours = (context: CommandContext): boolean => String(context.serverPort) === String(port);
  const handlers = {
    start(context: CommandContext) {
      if (!ours(context)) return;
      const depth = completedDepth + 1;
      depths.set(context, depth);
      roundTrips = Math.max(roundTrips, depth);
      commands.push(context.command.toLowerCase());
    },
    asyncEnd(context: CommandContext) {
      const depth = depths.get(context);
      if (depth !== undefined) completedDepth = Math.max(completedDepth, depth);
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
