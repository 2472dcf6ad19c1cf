import type { Document } from "bson";
import { isPlainDocument, toNumber } from "./bsonOrder";
import { CommandError } from "./commandError";

/**
 * mongod's test-only fail points that drivers' spec tests use: `failCommand` (fail, block or drop
 * the connection of chosen commands) and `onPrimaryTransactionalWrite` (drop the connection after,
 * or fail before, a retryable write). Configured with `configureFailPoint`, which exists only when
 * the engine runs with test commands enabled (mongod's `enableTestCommands`).
 */

/** When a fail point fires: always, the next N matching commands, or after skipping N. */
type Mode = { readonly kind: "off" } | { readonly kind: "alwaysOn" } | { kind: "times"; left: number } | { kind: "skip"; left: number };

/** What the command path must do for a command a fail point caught. */
export interface FailPointAction {
  /** Drop the connection without a reply (before running the command, or after for `closeAfter`). */
  readonly closeConnection?: boolean;
  /** Run the command, then drop the connection (`onPrimaryTransactionalWrite`). */
  readonly closeAfter?: boolean;
  /** Wait this long before going on (`blockConnection`). */
  readonly blockMs?: number;
  /** Answer this error instead of running the command. */
  readonly error?: CommandError;
  /** Run the command, then add this `writeConcernError` to its reply. */
  readonly writeConcernError?: Document;
  /** Replaces the error labels the server would add (`errorLabels`, possibly empty). */
  readonly errorLabels?: readonly string[];
}

/** The facts about a command a fail point filters on. */
export interface FailPointCommand {
  readonly name: string;
  readonly body: Document;
  readonly db: string;
  readonly appName: string | undefined;
}

interface Configured {
  mode: Mode;
  readonly data: Document;
}

const FAIL_POINTS = new Set(["failCommand", "onPrimaryTransactionalWrite"]);

/** Commands `failCommand` never intercepts (the fail point's own command and the handshake). */
const EXEMPT = new Set(["configureFailPoint", "getParameter"]);

const RETRYABLE_WRITE_COMMANDS = new Set(["insert", "update", "delete", "findAndModify", "findandmodify"]);

function parseMode(value: unknown): Mode {
  if (value === "alwaysOn") return { kind: "alwaysOn" };
  if (value === "off") return { kind: "off" };
  if (isPlainDocument(value)) {
    if (value.times !== undefined) return { kind: "times", left: Math.max(0, Math.trunc(toNumber(value.times))) };
    if (value.skip !== undefined) return { kind: "skip", left: Math.max(0, Math.trunc(toNumber(value.skip))) };
    if (value.activationProbability !== undefined) {
      throw new CommandError(238, "fail point mode 'activationProbability' is not implemented by the @cspm/mongo-engine");
    }
  }
  throw new CommandError(9, `invalid fail point mode: ${JSON.stringify(value)}`, { codeName: "FailedToParse" });
}

/** Consumes one activation of a fail point whose filter matched; false when it does not fire. */
function fires(point: Configured): boolean {
  const mode = point.mode;
  switch (mode.kind) {
    case "off":
      return false;
    case "alwaysOn":
      return true;
    case "times":
      if (mode.left <= 0) return false;
      mode.left -= 1;
      if (mode.left === 0) point.mode = { kind: "off" };
      return true;
    case "skip":
      if (mode.left > 0) {
        mode.left -= 1;
        return false;
      }
      point.mode = { kind: "alwaysOn" };
      return true;
  }
}

function namespaceOf(command: FailPointCommand): string | undefined {
  const target = command.body[command.name];
  return typeof target === "string" ? `${command.db}.${target}` : undefined;
}

/** The fail points of one engine. */
export class FailPointRegistry {
  private readonly points = new Map<string, Configured>();

  /** `configureFailPoint`: sets (or with mode `off`, clears) a fail point. */
  configure(body: Document): Document {
    const name = body.configureFailPoint;
    if (typeof name !== "string") throw new CommandError(9, "configureFailPoint must name a fail point", { codeName: "FailedToParse" });
    if (!FAIL_POINTS.has(name)) {
      throw new CommandError(
        238,
        `fail point '${name}' is not implemented by the @cspm/mongo-engine (failCommand and onPrimaryTransactionalWrite are)`,
      );
    }
    const mode = parseMode(body.mode);
    const data = isPlainDocument(body.data) ? body.data : {};
    if (name === "failCommand" && mode.kind !== "off") {
      if (!Array.isArray(data.failCommands) || data.failCommands.length === 0) {
        throw new CommandError(2, "'failCommands' must be a non-empty array of strings", { codeName: "BadValue" });
      }
      if (data.blockConnection === true && typeof data.blockTimeMS !== "number") {
        throw new CommandError(2, "'blockTimeMS' must be set when 'blockConnection' is true", { codeName: "BadValue" });
      }
    }
    const previous = this.points.get(name);
    const count = previous && previous.mode.kind !== "off" ? 1 : 0;
    if (mode.kind === "off") this.points.delete(name);
    else this.points.set(name, { mode, data });
    return { count, ok: 1 };
  }

  /** Whether any fail point is set (the fast path skips evaluation when none is). */
  get active(): boolean {
    return this.points.size > 0;
  }

  /** `failCommand` for a command about to run: what to do instead of (or besides) running it. */
  beforeCommand(command: FailPointCommand): FailPointAction | undefined {
    const point = this.points.get("failCommand");
    if (!point || EXEMPT.has(command.name)) return undefined;
    const data = point.data;
    if (!(data.failCommands as unknown[]).includes(command.name)) return undefined;
    if (typeof data.appName === "string" && data.appName !== command.appName) return undefined;
    if (typeof data.namespace === "string" && data.namespace !== namespaceOf(command)) return undefined;
    if (!fires(point)) return undefined;
    if (point.mode.kind === "off") this.points.delete("failCommand");
    const labels = Array.isArray(data.errorLabels) ? { errorLabels: (data.errorLabels as unknown[]).map(String) } : {};
    const block = data.blockConnection === true ? { blockMs: Math.max(0, toNumber(data.blockTimeMS)) } : {};
    if (data.closeConnection === true) return { closeConnection: true, ...block };
    if (data.errorCode !== undefined) {
      const code = Math.trunc(toNumber(data.errorCode));
      const extra = isPlainDocument(data.errorExtraInfo) ? { extra: data.errorExtraInfo } : {};
      return { ...block, ...labels, error: new CommandError(code, "Failing command via 'failCommand' failpoint", extra) };
    }
    if (isPlainDocument(data.writeConcernError)) return { ...block, ...labels, writeConcernError: data.writeConcernError };
    return { ...block, ...labels };
  }

  /**
   * `onPrimaryTransactionalWrite` for a retryable write (lsid + txnNumber, no transaction) that is
   * about to execute (a retry of a write already executed does not reach it, as in mongod).
   */
  beforeRetryableWrite(command: FailPointCommand): FailPointAction | undefined {
    const point = this.points.get("onPrimaryTransactionalWrite");
    if (!point || !RETRYABLE_WRITE_COMMANDS.has(command.name)) return undefined;
    const body = command.body;
    if (body.txnNumber === undefined || body.lsid === undefined || body.autocommit !== undefined) return undefined;
    if (!fires(point)) return undefined;
    if (point.mode.kind === "off") this.points.delete("onPrimaryTransactionalWrite");
    const data = point.data;
    const close = data.closeConnection === false ? {} : { closeAfter: true };
    if (data.failBeforeCommitExceptionCode !== undefined) {
      // The write is abandoned before it commits; by default the client then sees a network error.
      const code = Math.trunc(toNumber(data.failBeforeCommitExceptionCode));
      return { ...close, error: new CommandError(code, "Failing write via 'onPrimaryTransactionalWrite' failpoint") };
    }
    return close;
  }

  clear(): void {
    this.points.clear();
  }
}
