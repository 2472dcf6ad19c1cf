/**
 * Test-only: which indexes the reads of a call use. Records every `find` / `aggregate` the manager's client
 * sends while `fn` runs, then asks the server to `explain` each one, and returns the index names of the
 * winning plans (none for a collection scan).
 */
import type { CSPMDatabaseManager } from "@cspm/mongo";
import type { CommandStartedEvent, Document } from "mongodb";
import { expect } from "vitest";

/** One read of the call and the indexes its winning plan scans. */
export interface ReadPlan {
  readonly command: "find" | "aggregate";
  readonly database: string;
  readonly collection: string;
  /** Index names of every IXSCAN in the winning plan; empty for a COLLSCAN. */
  readonly indexes: readonly string[];
  readonly stages: readonly string[];
}

function collect(plan: unknown, indexes: string[], stages: string[]): void {
  if (plan === null || typeof plan !== "object") return;
  const node = plan as Document;
  if (typeof node["stage"] === "string") stages.push(node["stage"] as string);
  if (node["stage"] === "IXSCAN" && typeof node["indexName"] === "string") indexes.push(node["indexName"] as string);
  for (const value of Object.values(node)) if (typeof value === "object") collect(value, indexes, stages);
}

/** Runs `fn`, then explains each read it sent. */
export async function readPlansOf<T>(manager: CSPMDatabaseManager, fn: () => Promise<T>): Promise<{ result: T; plans: ReadPlan[] }> {
  const seen: CommandStartedEvent[] = [];
  const listener = (event: CommandStartedEvent) => {
    if (event.commandName === "find" || event.commandName === "aggregate") seen.push(event);
  };
  const client = manager.client;
  client.on("commandStarted", listener);
  let result: T;
  try {
    result = await fn();
  } finally {
    client.off("commandStarted", listener);
  }
  const plans: ReadPlan[] = [];
  for (const event of seen) {
    const command = event.command as Document;
    const name = event.commandName as "find" | "aggregate";
    const collection = String(command[name]);
    const body: Document =
      name === "find"
        ? { find: collection, filter: command["filter"] ?? {}, ...(command["sort"] === undefined ? {} : { sort: command["sort"] }) }
        : { aggregate: collection, pipeline: command["pipeline"], cursor: {} };
    const explained = await client.db(event.databaseName).command({ explain: body, verbosity: "queryPlanner" });
    const indexes: string[] = [];
    const stages: string[] = [];
    collect(name === "find" ? explained["queryPlanner"] : (explained["stages"] ?? explained["queryPlanner"]), indexes, stages);
    plans.push({ command: name, database: event.databaseName, collection, indexes, stages });
  }
  return { result, plans };
}

/**
 * Every read scanned an index of the registry catalog that leads with `team_id` (tenant collections) or
 * any catalog index (shared ones), and none scanned the collection. Which of several fitting indexes wins is
 * the planner's choice (the offline engine breaks ties by declaration order, mongod by trial).
 */
export function expectIndexed(plans: readonly ReadPlan[]): void {
  expect(plans.length).toBeGreaterThan(0);
  for (const plan of plans) {
    expect(plan.stages, `${plan.collection} ${plan.command}`).not.toContain("COLLSCAN");
    expect(plan.indexes.length, `${plan.collection} ${plan.command} uses an index`).toBeGreaterThan(0);
  }
}
