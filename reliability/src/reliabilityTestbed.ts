/**
 * One test file's private world on the test MongoDB: a uniquely prefixed set of the 14 databases, a
 * CSPMDatabaseManager with a CommandMonitor (plus a raw listener that keeps every command body), a
 * cache, a credential cipher and every domain service wired the way a host app wires them.
 */
import type { CacheService } from "@cspm/cache";
import type { CredentialCipher } from "@cspm/crypto";
import { CommandMonitor, type CSPMDatabaseManager } from "@cspm/mongo";
import { type DatabaseKey, DatabaseRegistry } from "@cspm/registry";
import type { RepositoryFactory } from "@cspm/repository";
import {
  type AggregationService,
  type AssessmentIntegrationService,
  type CentralAccountService,
  createServices,
  type EvidenceIntegrationService,
  type GlobalAssessmentService,
} from "@cspm/services";
import { openTestDatabases } from "@cspm/test-fixtures";
import { BSON, type CommandStartedEvent, type Document } from "mongodb";

/** Everything a reliability test needs. */
export interface ReliabilityTestbed {
  readonly prefix: string;
  readonly manager: CSPMDatabaseManager;
  readonly monitor: CommandMonitor;
  readonly cache: CacheService;
  readonly cipher: CredentialCipher;
  readonly repositories: RepositoryFactory;
  readonly accounts: CentralAccountService;
  readonly aggregation: AggregationService;
  readonly evidence: EvidenceIntegrationService;
  readonly integration: AssessmentIntegrationService;
  readonly assessments: GlobalAssessmentService;
  /** Runs `fn` and returns what it resolved or threw, with the command bodies it sent (deep copies). */
  capture<T>(fn: () => Promise<T>): Promise<CapturedCall<T>>;
  /** Documents per `database.collection` over every database of this testbed. */
  countAll(): Promise<Record<string, number>>;
  /** Every document of every database of this testbed, as `{ database, collection, doc }`. */
  dumpAll(): Promise<StoredDocument[]>;
  /** Inserts stored-shape documents into a registered collection. */
  seed(database: DatabaseKey, collection: string, docs: readonly Document[]): Promise<void>;
  /** Drops this testbed's databases, closes the cache and the manager. */
  close(): Promise<void>;
}

/** One command a captured call sent: its name, database and canonical Extended JSON text. */
export interface CapturedCommand {
  readonly name: string;
  readonly database: string;
  readonly text: string;
}

/** What `capture` observed. */
export interface CapturedCall<T> {
  readonly ok: boolean;
  readonly value?: T;
  readonly error?: unknown;
  readonly commands: readonly CapturedCommand[];
}

/** One stored document and where it lives. */
export interface StoredDocument {
  readonly database: string;
  readonly collection: string;
  readonly doc: Document;
}

/** Options of `openReliabilityTestbed`. */
export interface ReliabilityTestbedOptions {
  /** Folded into the database prefix. */
  readonly label: string;
  /** Defaults to a fresh `MemoryCache`. */
  readonly cache?: CacheService;
  /** Defaults to the test MongoDB (`CSPM_TEST_MONGODB_URI`). */
  readonly uri?: string;
  /** Fixed clock for every service. */
  readonly now?: () => Date;
  /** The manager's deadline for every MongoDB operation (default none). */
  readonly operationTimeoutMS?: number;
}

const WRITE_COMMANDS = new Set([
  "insert",
  "update",
  "delete",
  "findAndModify",
  "bulkWrite",
  "createIndexes",
  "drop",
  "dropDatabase",
  "create",
]);

/** True for a command that writes (insert, update, delete, findAndModify …). */
export function isWriteCommand(command: CapturedCommand): boolean {
  return WRITE_COMMANDS.has(command.name);
}

/** Opens a testbed with the prefix `r_<label>_<8 hex>_`. */
export async function openReliabilityTestbed(options: ReliabilityTestbedOptions): Promise<ReliabilityTestbed> {
  const label = options.label
    .toLowerCase()
    .replace(/[^a-z0-9]/g, "")
    .slice(0, 10);
  const base = await openTestDatabases({
    label: `r${label}`,
    ...(options.uri === undefined ? {} : { uri: options.uri }),
    ...(options.cache === undefined ? {} : { cache: options.cache }),
    ...(options.now === undefined ? {} : { clock: options.now }),
    ...(options.operationTimeoutMS === undefined ? {} : { operationTimeoutMS: options.operationTimeoutMS }),
  });
  const { prefix, manager, monitor, cache, cipher, repositories } = base;
  const bodies: CapturedCommand[][] = [];
  const listener = (event: CommandStartedEvent): void => {
    if (CommandMonitor.DEFAULT_IGNORED.includes(event.commandName) || bodies.length === 0) return;
    const command = {
      name: event.commandName,
      database: event.databaseName,
      text: BSON.EJSON.stringify(event.command, { relaxed: false }),
    };
    for (const sink of bodies) sink.push(command);
  };
  manager.client.on("commandStarted", listener);
  const { accounts, aggregation, evidence, integration, assessments } = createServices(base);

  const databases = (): string[] => DatabaseRegistry.keys().map((key) => manager.databaseName(key));
  const collectionsOf = async (name: string): Promise<string[]> =>
    (await manager.client.db(name).listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name).sort();

  return {
    prefix,
    manager,
    monitor,
    cache,
    cipher,
    repositories,
    accounts,
    aggregation,
    evidence,
    integration,
    assessments,
    async capture<T>(fn: () => Promise<T>): Promise<CapturedCall<T>> {
      const sink: CapturedCommand[] = [];
      bodies.push(sink);
      try {
        const value = await fn();
        return { ok: true, value, commands: sink };
      } catch (error) {
        return { ok: false, error, commands: sink };
      } finally {
        bodies.splice(bodies.indexOf(sink), 1);
      }
    },
    async countAll() {
      const counts: Record<string, number> = {};
      for (const name of databases()) {
        for (const collection of await collectionsOf(name)) {
          counts[`${name}.${collection}`] = await manager.client.db(name).collection(collection).countDocuments({});
        }
      }
      return counts;
    },
    async dumpAll() {
      const out: StoredDocument[] = [];
      for (const name of databases()) {
        for (const collection of await collectionsOf(name)) {
          for (const doc of await manager.client.db(name).collection(collection).find({}).toArray())
            out.push({ database: name, collection, doc });
        }
      }
      return out;
    },
    seed: base.seed,
    async close() {
      manager.client.off("commandStarted", listener);
      await base.close();
    },
  };
}
