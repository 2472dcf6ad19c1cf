import type { Document } from "bson";
import { isPlainDocument, toNumber } from "./bsonOrder";
import { CommandError } from "./commandError";

/**
 * Read and write concern rules of a one-member replica set, as mongod applies them: which commands
 * accept `readConcern: {level: "snapshot"}` outside a transaction, `$out`/`$merge` refusing
 * `linearizable`, and write concerns the set cannot satisfy (`w: 2` and up, unknown tag sets)
 * reported as a `writeConcernError` after the write.
 */

const READ_CONCERN_LEVELS = new Set(["local", "majority", "linearizable", "available", "snapshot"]);

/** Commands that read at a snapshot outside transactions (mongod 5.0+). */
const SNAPSHOT_COMMANDS = new Set(["find", "aggregate", "distinct"]);

/** Commands that take a write concern (and so can report a `writeConcernError`). */
export const WRITE_CONCERN_COMMANDS: ReadonlySet<string> = new Set([
  "insert",
  "update",
  "delete",
  "findAndModify",
  "findandmodify",
  "create",
  "drop",
  "dropDatabase",
  "createIndexes",
  "dropIndexes",
  "deleteIndexes",
  "collMod",
  "renameCollection",
  "commitTransaction",
  "abortTransaction",
  "aggregate",
]);

function writesOutput(body: Document): boolean {
  const pipeline = body.pipeline;
  if (!Array.isArray(pipeline) || pipeline.length === 0) return false;
  const last = pipeline[pipeline.length - 1];
  return isPlainDocument(last) && (Object.hasOwn(last, "$out") || Object.hasOwn(last, "$merge"));
}

function describeReadConcern(readConcern: Document): string {
  return `{ readConcern: { ${Object.entries(readConcern)
    .map(([k, v]) => `${k}: ${typeof v === "string" ? `"${v}"` : String(v)}`)
    .join(", ")} } }`;
}

/** The read concern level of a command outside a transaction, after mongod's checks (`undefined` = default). */
export function checkReadConcern(command: string, body: Document): string | undefined {
  const readConcern = body.readConcern;
  if (readConcern === undefined) return undefined;
  if (!isPlainDocument(readConcern)) throw new CommandError(14, "BSON field 'readConcern' is the wrong type, expected type 'object'");
  const level = readConcern.level;
  if (level !== undefined && (typeof level !== "string" || !READ_CONCERN_LEVELS.has(level))) {
    throw new CommandError(9, `Enumeration value '${String(level)}' for field 'readConcern.level' is not a valid value.`, {
      codeName: "FailedToParse",
    });
  }
  if (level === "snapshot" && (!SNAPSHOT_COMMANDS.has(command) || (command === "aggregate" && writesOutput(body)))) {
    throw new CommandError(72, `Command ${command} does not support ${describeReadConcern(readConcern)}`);
  }
  if (readConcern.atClusterTime !== undefined && level !== "snapshot") {
    throw new CommandError(72, "readConcern.atClusterTime may only be used with level 'snapshot'");
  }
  if (level === "linearizable" && command === "aggregate" && writesOutput(body)) {
    const last = (body.pipeline as Document[])[(body.pipeline as Document[]).length - 1] as Document;
    throw new CommandError(72, `${Object.keys(last)[0]} cannot be used with a 'linearizable' read concern level`);
  }
  return typeof level === "string" ? level : undefined;
}

/** The `writeConcernError` a one-member set reports for a command's write concern, if any. */
export function writeConcernErrorFor(command: string, body: Document): Document | undefined {
  if (!WRITE_CONCERN_COMMANDS.has(command)) return undefined;
  const concern = body.writeConcern;
  if (!isPlainDocument(concern)) return undefined;
  const w = concern.w;
  if (typeof w === "string") {
    if (w === "majority") return undefined;
    return {
      code: 79,
      codeName: "UnknownReplWriteConcern",
      errmsg: `No write concern mode named '${w}' found in replica set configuration`,
    };
  }
  if (w !== undefined && toNumber(w) > 1) {
    return { code: 100, codeName: "UnsatisfiableWriteConcern", errmsg: "Not enough data-bearing nodes" };
  }
  return undefined;
}
