import type { Document } from "bson";
import { isPlainDocument } from "./bsonOrder";
import { CommandError } from "./commandError";

/**
 * Stable API checks (`apiVersion: "1"`, `apiStrict`, `apiDeprecationErrors`), as mongod 7.0 makes
 * them: with `apiStrict: true` a command, or an aggregation stage, outside API Version 1 fails with
 * 323 APIStrictError.
 */

/** Commands in API Version 1 (mongod 7.0). */
const API_V1_COMMANDS = new Set([
  "abortTransaction",
  "aggregate",
  "authenticate",
  "collMod",
  "commitTransaction",
  "count",
  "create",
  "createIndexes",
  "delete",
  "drop",
  "dropDatabase",
  "dropIndexes",
  "endSessions",
  "find",
  "findAndModify",
  "getMore",
  "hello",
  "insert",
  "killCursors",
  "listCollections",
  "listDatabases",
  "listIndexes",
  "ping",
  "refreshSessions",
  "saslContinue",
  "saslStart",
  "update",
]);

/** Aggregation stages outside API Version 1. */
const NON_V1_STAGES = new Set([
  "$collStats",
  "$currentOp",
  "$indexStats",
  "$listLocalSessions",
  "$listSessions",
  "$planCacheStats",
  "$search",
  "$searchMeta",
  "$listSearchIndexes",
]);

const DOCS =
  "Information on supported commands and migrations in API Version 1 can be found at https://dochub.mongodb.org/core/manual-versioning";

/** Throws mongod's Stable API errors for a command. */
export function checkApiParameters(command: string, body: Document): void {
  const version = body.apiVersion;
  if (version === undefined) {
    if (body.apiStrict !== undefined || body.apiDeprecationErrors !== undefined) {
      throw new CommandError(4886600, "Provided apiStrict and/or apiDeprecationErrors without passing apiVersion", {
        codeName: "Location4886600",
      });
    }
    return;
  }
  if (version !== "1") throw new CommandError(322, `API version must be "1"`);
  if (body.apiStrict !== true) return;
  if (!API_V1_COMMANDS.has(command)) {
    throw new CommandError(323, `Provided apiStrict:true, but the command ${command} is not in API Version 1. ${DOCS}`);
  }
  if (command === "aggregate" && Array.isArray(body.pipeline)) {
    for (const stage of body.pipeline) {
      const name = isPlainDocument(stage) ? Object.keys(stage)[0] : undefined;
      if (name && NON_V1_STAGES.has(name)) {
        throw new CommandError(323, `${name} is not allowed with 'apiStrict: true' in API Version 1`);
      }
    }
  }
}
