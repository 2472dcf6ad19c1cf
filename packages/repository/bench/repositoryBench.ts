import { testDatabasePrefix } from "@cspm/testkit";
/**
 * Repository vs raw driver, same server, same run: findMany (1,000 docs), insertMany (10,000 docs),
 * bulkUpsert (10,000 docs, first import and identical re-import) against the same pipeline written by hand,
 * and the upsert cost: bulkUpsert against a raw `$set` upsert (first import, identical re-import, re-import
 * with every document seen later) in wall time, client CPU (`process.cpuUsage()`) and, when the bench owns
 * the server process, server CPU. Each case runs `runs` times, each run
 * timing both sides twice in ABBA order; the median of the per-run ratios is reported. Start node with
 * `--expose-gc` to collect garbage between timings.
 *
 * The raw side is given every advantage: its documents, system fields and bulk operations are built
 * before the clock starts, so the ratio is the whole client-side cost of the repository (validation,
 * scoping, stamping, operation building, result mapping).
 */
import { pathToFileURL } from "node:url";
import { DatabaseRegistry } from "@cspm/registry";
import { type AnyBulkWriteOperation, BSON, type Collection, type Document, MongoClient, ObjectId } from "mongodb";
import { z } from "zod";
import { BaseRepository } from "../src/baseRepository";
import { createCollectionProvider } from "../src/collectionProvider";
import { RepositoryCore } from "../src/repositoryCore";
import { defineRepository } from "../src/repositoryDefinition";

/** One measured case. */
export interface BenchmarkCase {
  readonly name: string;
  readonly documents: number;
  /** Median wall time of the repository, in milliseconds. */
  readonly repositoryMs: number;
  /** Median wall time of the raw driver doing the same work, in milliseconds. */
  readonly rawMs: number;
  /** Median over runs of repository time / raw time in the same run (1.10 = 10% overhead). */
  readonly ratio: number;
}

/** One situation of the upsert-cost comparison: `bulkUpsert` against a raw `$set` upsert of the same documents. */
export interface UpsertCostCase {
  /** `insert` (first import), `unchanged` (identical re-import), `updated` (re-import, every document seen later). */
  readonly name: "insert" | "unchanged" | "updated";
  readonly documents: number;
  /** Medians over runs, milliseconds. */
  readonly repositoryWallMs: number;
  readonly rawSetWallMs: number;
  /** Client CPU (`process.cpuUsage()`, user + system) of the call, medians, milliseconds. */
  readonly repositoryCpuMs: number;
  readonly rawSetCpuMs: number;
  /** Server CPU per side when the bench owns the server process (the offline engine), medians, milliseconds. */
  readonly repositoryServerCpuMs: number | undefined;
  readonly rawSetServerCpuMs: number | undefined;
  /** Medians over runs of the per-run ratios repository / raw `$set`. */
  readonly wallRatio: number;
  readonly cpuRatio: number;
  /** Bytes of one operation's update as BSON: the repository's pipeline and the `$set` document. */
  readonly repositoryUpdateBytes: number;
  readonly rawSetUpdateBytes: number;
}

/** What `runRepositoryBenchmark` returns. */
export interface RepositoryBenchmarkResult {
  readonly runs: number;
  readonly cases: readonly BenchmarkCase[];
  /** `bulkUpsert` vs a raw `$set` upsert (which cannot tell unchanged from updated): wall, client and server CPU. */
  readonly upsertCost: readonly UpsertCostCase[];
  /**
   * The repository's own CPU time for `bulkDocuments` documents without any I/O (median ms): validating and
   * stamping for insertMany, validating and building the upsert operations for bulkUpsert. Independent of
   * the server, so it shows what the overhead would be against a faster one.
   */
  readonly clientCostMs: { readonly insertMany: number; readonly bulkUpsert: number };
}

/** Options of `runRepositoryBenchmark`. */
export interface RepositoryBenchmarkOptions {
  /** Runs per case (default 5), each timing both sides twice; medians are reported. */
  readonly runs?: number;
  /** Documents for insertMany / bulkUpsert (default 10,000). */
  readonly bulkDocuments?: number;
  /** Documents returned by findMany (default 1,000). */
  readonly readDocuments?: number;
  /** The server's CPU time so far (user + system, ms), when the bench owns the server process. */
  readonly serverCpuMs?: () => Promise<number | undefined>;
}

const FindingSchema = z.strictObject({
  team_id: z.string(),
  check_id: z.string().min(1),
  check_title: z.string(),
  status: z.enum(["PASS", "FAIL", "MANUAL"]),
  status_extended: z.string(),
  severity: z.enum(["critical", "high", "medium", "low", "informational"]),
  service_name: z.string(),
  region: z.string(),
  resource_uid: z.string(),
  resource_type: z.string(),
  account_id: z.string(),
  scan_id: z.string(),
  compliance: z.record(z.string(), z.array(z.string())),
  muted: z.boolean(),
  first_seen_at: z.date(),
  last_seen_at: z.date(),
});
const findings = defineRepository({
  database: "CLOUD_SECURITY",
  collection: "prowler_findings",
  schema: FindingSchema,
  keyFields: ["account_id", "check_id", "resource_uid", "region"],
});

const SEVERITIES = ["critical", "high", "medium", "low", "informational"] as const;
const TEAM = "bench-team";

function finding(i: number, seen: Date): Document {
  return {
    check_id: `s3_bucket_check_${i % 50}`,
    check_title: "Ensure S3 buckets block public access",
    status: i % 3 === 0 ? "PASS" : "FAIL",
    status_extended: `Bucket bucket-${i} has public access blocked: ${i % 3 === 0}`,
    severity: SEVERITIES[i % 5],
    service_name: "s3",
    region: `eu-west-${(i % 3) + 1}`,
    resource_uid: `arn:aws:s3:::bucket-${i}`,
    resource_type: "AwsS3Bucket",
    account_id: "123456789012",
    scan_id: "scan-1",
    compliance: { CIS_2_0: ["2.1.1", "2.1.2"], SOC2: ["CC6.1"] },
    muted: false,
    first_seen_at: seen,
    last_seen_at: seen,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Runs a full GC when node was started with --expose-gc, so one side's garbage is not collected on the other's clock. */
function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/** The pipeline upsert the repository sends, written by hand (what a careful raw-driver author would send). */
function rawUpsertOperation(doc: Document, now: Date): AnyBulkWriteOperation<Document> {
  const write: Document = { _id: { $ifNull: ["$_id", new ObjectId()] }, created_at: { $ifNull: ["$created_at", now] } };
  for (const [field, value] of Object.entries(doc)) {
    write[field] = typeof value === "object" && value !== null && !(value instanceof Date) ? { $literal: value } : value;
  }
  write.stored = "$$ROOT";
  const unchanged = { $eq: ["$stored", { $unsetField: { field: "stored", input: "$$ROOT" } }] };
  return {
    updateOne: {
      filter: rawFilter(doc),
      update: [{ $set: write }, { $set: { updated_at: { $cond: [unchanged, "$updated_at", now] } } }, { $unset: "stored" }],
      upsert: true,
    },
  };
}

function rawFilter(doc: Document): Document {
  return { team_id: TEAM, account_id: doc.account_id, check_id: doc.check_id, resource_uid: doc.resource_uid, region: doc.region };
}

/** The cheapest upsert by natural key: `$set` everything (it cannot tell unchanged from updated). */
function rawSetOperation(doc: Document, now: Date): AnyBulkWriteOperation<Document> {
  return {
    updateOne: {
      filter: rawFilter(doc),
      update: { $set: { ...doc, updated_at: now }, $setOnInsert: { created_at: now } },
      upsert: true,
    },
  };
}

/** Wall time and this process's CPU time of `fn`, in milliseconds. */
async function timeWithCpu(fn: () => Promise<unknown>): Promise<{ wallMs: number; cpuMs: number }> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  await fn();
  const wallMs = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { wallMs, cpuMs: (used.user + used.system) / 1000 };
}

async function rawBulk(collection: Collection<Document>, operations: AnyBulkWriteOperation<Document>[], batchSize: number): Promise<void> {
  for (let start = 0; start < operations.length; start += batchSize) {
    await collection.bulkWrite(operations.slice(start, start + batchSize), { ordered: false });
  }
}

/**
 * Measures the repository against the raw driver on the server at `uri` (its own `bench_<random>_`
 * databases, dropped afterwards) and returns median times and ratios per case.
 */
export async function runRepositoryBenchmark(uri: string, options: RepositoryBenchmarkOptions = {}): Promise<RepositoryBenchmarkResult> {
  const runs = options.runs ?? 5;
  const bulkCount = options.bulkDocuments ?? 10_000;
  const readCount = options.readDocuments ?? 1_000;
  const client = new MongoClient(uri);
  await client.connect();
  const prefix = testDatabasePrefix("bench");
  const databaseName = DatabaseRegistry.databaseName("CLOUD_SECURITY", prefix);
  try {
    const provider = createCollectionProvider(client, { prefix });
    const scope = new BaseRepository({ provider }, findings).forTeam(TEAM);
    const collection = client.db(databaseName).collection<Document>("prowler_findings");
    const resetCollection = async () => {
      await collection.deleteMany({});
    };
    for (const index of DatabaseRegistry.getCollection("CLOUD_SECURITY", "prowler_findings").indexes) {
      await collection.createIndex(index.key as Document, { name: index.name, ...(index.unique ? { unique: true } : {}) });
    }
    const cases: BenchmarkCase[] = [];
    const measure = async (
      name: string,
      documents: number,
      setup: () => Promise<void>,
      repo: () => Promise<unknown>,
      raw: () => Promise<unknown>,
    ) => {
      const repoTimes: number[] = [];
      const rawTimes: number[] = [];
      await setup();
      await repo(); // warm-up (JIT, connection pool)
      const ratios: number[] = [];
      for (let run = 0; run < runs; run++) {
        // ABBA order within a run, alternating which side goes first, so neither profits from going second.
        const order = run % 2 === 0 ? [repo, raw, raw, repo] : [raw, repo, repo, raw];
        let repoSum = 0;
        let rawSum = 0;
        for (const fn of order) {
          await setup();
          collectGarbage();
          const ms = await time(fn);
          if (fn === repo) {
            repoTimes.push(ms);
            repoSum += ms;
          } else {
            rawTimes.push(ms);
            rawSum += ms;
          }
        }
        ratios.push(repoSum / rawSum);
      }
      // The median of per-run ratios cancels slow drift (GC state, server caches) that medians of times keep.
      const ratio = median(ratios);
      cases.push({ name, documents, repositoryMs: median(repoTimes), rawMs: median(rawTimes), ratio });
    };

    // findMany: 1,000 documents of one team, another team's 1,000 beside them.
    const seen = new Date();
    await resetCollection();
    await collection.insertMany(
      Array.from({ length: readCount * 2 }, (_, i) => ({
        ...finding(i, seen),
        team_id: i < readCount ? TEAM : "other-team",
        _id: new ObjectId(),
        created_at: seen,
        updated_at: seen,
      })),
    );
    await measure(
      `findMany (${readCount} docs)`,
      readCount,
      async () => {},
      () => scope.findMany(),
      () => collection.find({ team_id: TEAM }).toArray(),
    );

    // insertMany: 10,000 new documents into an empty collection.
    let inputs: Document[] = [];
    let rawDocs: Document[] = [];
    await measure(
      `insertMany (${bulkCount} docs)`,
      bulkCount,
      async () => {
        await resetCollection();
        const now = new Date();
        inputs = Array.from({ length: bulkCount }, (_, i) => finding(i, now));
        rawDocs = Array.from({ length: bulkCount }, (_, i) => ({
          ...finding(i, now),
          team_id: TEAM,
          _id: new ObjectId(),
          created_at: now,
          updated_at: now,
        }));
      },
      () => scope.insertMany(inputs as never[]),
      () => collection.insertMany(rawDocs),
    );

    // bulkUpsert, first import: 10,000 documents that do not exist yet.
    let rawOps: AnyBulkWriteOperation<Document>[] = [];
    const prepareUpsert = async (emptyFirst: boolean) => {
      if (emptyFirst) await resetCollection();
      const now = new Date();
      inputs = Array.from({ length: bulkCount }, (_, i) => finding(i, seen));
      rawOps = inputs.map((doc) => rawUpsertOperation(doc, now));
    };
    await measure(
      `bulkUpsert insert (${bulkCount} docs)`,
      bulkCount,
      () => prepareUpsert(true),
      () => scope.bulkUpsert(inputs),
      () => rawBulk(collection, rawOps, 1000),
    );

    // bulkUpsert, re-import of identical data: every document matched and unchanged.
    await prepareUpsert(true);
    await scope.bulkUpsert(inputs);
    await measure(
      `bulkUpsert unchanged (${bulkCount} docs)`,
      bulkCount,
      () => prepareUpsert(false),
      () => scope.bulkUpsert(inputs),
      () => rawBulk(collection, rawOps, 1000),
    );

    // Upsert cost: bulkUpsert against the cheapest raw upsert, a `$set` that cannot tell unchanged from updated.
    // The raw side builds its operations inside its clock (it has to: that is part of its CPU); both in batches of 1,000.
    const serverCpu = options.serverCpuMs ?? (async () => undefined);
    const upsertCost: UpsertCostCase[] = [];
    const T0 = new Date("2025-01-01T00:00:00Z");
    const T1 = new Date("2025-01-02T00:00:00Z");
    const situations = [
      { name: "insert", seed: undefined, seen: T0 },
      { name: "unchanged", seed: T0, seen: T0 },
      { name: "updated", seed: T0, seen: T1 },
    ] as const;
    for (const situation of situations) {
      const prepare = async () => {
        await resetCollection();
        if (situation.seed !== undefined)
          await scope.bulkUpsert(Array.from({ length: bulkCount }, (_, i) => finding(i, situation.seed as Date)));
        inputs = Array.from({ length: bulkCount }, (_, i) => finding(i, situation.seen));
      };
      const sides = {
        repository: () => scope.bulkUpsert(inputs),
        rawSet: () => {
          const now = new Date();
          return rawBulk(
            collection,
            inputs.map((doc) => rawSetOperation(doc, now)),
            1000,
          );
        },
      } as const;
      const samples = {
        repository: [] as { wallMs: number; cpuMs: number; serverMs: number | undefined }[],
        rawSet: [] as { wallMs: number; cpuMs: number; serverMs: number | undefined }[],
      };
      const wallRatios: number[] = [];
      const cpuRatios: number[] = [];
      await prepare();
      await sides.repository(); // warm-up
      for (let run = 0; run < runs; run++) {
        const order = run % 2 === 0 ? (["repository", "rawSet"] as const) : (["rawSet", "repository"] as const);
        const current: Partial<Record<"repository" | "rawSet", { wallMs: number; cpuMs: number }>> = {};
        for (const side of order) {
          await prepare();
          collectGarbage();
          const serverBefore = await serverCpu();
          const measured = await timeWithCpu(sides[side]);
          const serverAfter = await serverCpu();
          samples[side].push({
            ...measured,
            serverMs: serverBefore === undefined || serverAfter === undefined ? undefined : serverAfter - serverBefore,
          });
          current[side] = measured;
        }
        const r = current.repository as { wallMs: number; cpuMs: number };
        const raw = current.rawSet as { wallMs: number; cpuMs: number };
        wallRatios.push(r.wallMs / raw.wallMs);
        cpuRatios.push(r.cpuMs / raw.cpuMs);
      }
      const server = (list: { serverMs: number | undefined }[]) =>
        list.every((x) => x.serverMs !== undefined) ? median(list.map((x) => x.serverMs as number)) : undefined;
      const now = new Date();
      const sample = finding(0, situation.seen);
      const repositoryUpdate = new RepositoryCore({ provider }, findings).prepareUpsert({
        input: sample,
        keyFields: findings.keyFields ?? [],
        teamId: TEAM,
        now,
        rules: undefined,
      }).update;
      const rawUpdate = (rawSetOperation(sample, now) as { updateOne: { update: Document } }).updateOne.update;
      upsertCost.push({
        name: situation.name,
        documents: bulkCount,
        repositoryWallMs: median(samples.repository.map((x) => x.wallMs)),
        rawSetWallMs: median(samples.rawSet.map((x) => x.wallMs)),
        repositoryCpuMs: median(samples.repository.map((x) => x.cpuMs)),
        rawSetCpuMs: median(samples.rawSet.map((x) => x.cpuMs)),
        repositoryServerCpuMs: server(samples.repository),
        rawSetServerCpuMs: server(samples.rawSet),
        wallRatio: median(wallRatios),
        cpuRatio: median(cpuRatios),
        repositoryUpdateBytes: BSON.calculateObjectSize({ u: repositoryUpdate }),
        rawSetUpdateBytes: BSON.calculateObjectSize({ u: rawUpdate }),
      });
    }
    // Client-side cost alone: what the repository adds before the driver is called.
    const core = new RepositoryCore({ provider }, findings);
    const insertCost: number[] = [];
    const prepareCost: number[] = [];
    const keyFields = findings.keyFields ?? [];
    for (let run = 0; run < runs; run++) {
      const now = new Date();
      const docs = Array.from({ length: bulkCount }, (_, i) => finding(i, now));
      collectGarbage();
      insertCost.push(await time(async () => docs.map((doc) => core.stampNew(core.parseDocument(doc, TEAM), TEAM, now))));
      collectGarbage();
      prepareCost.push(
        await time(async () => docs.map((doc) => core.prepareUpsert({ input: doc, keyFields, teamId: TEAM, now, rules: undefined }))),
      );
    }
    return {
      runs,
      cases,
      upsertCost,
      clientCostMs: { insertMany: median(insertCost), bulkUpsert: median(prepareCost) },
    };
  } finally {
    await client
      .db(databaseName)
      .dropDatabase()
      .catch(() => undefined);
    await client.close();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const uri = process.env.MONGODB_URI ?? process.env.CSPM_TEST_MONGODB_URI;
  if (!uri) {
    console.error("Set MONGODB_URI (or CSPM_TEST_MONGODB_URI) to a MongoDB to benchmark against.");
    process.exit(1);
  }
  runRepositoryBenchmark(uri).then(
    (result) => {
      console.table(result.cases.map((c) => ({ ...c, ratio: Number(c.ratio.toFixed(3)) })));
      console.table(result.upsertCost);
      console.log(
        `repository CPU without I/O: insertMany ${result.clientCostMs.insertMany.toFixed(1)} ms, bulkUpsert ${result.clientCostMs.bulkUpsert.toFixed(1)} ms`,
      );
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
