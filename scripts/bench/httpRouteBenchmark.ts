/**
 * `GET /accounts` of the example API (cache switched off) against the same route written by hand with
 * Fastify and the raw driver (`handWrittenServerChild.ts`), over the same MongoDB and the same documents.
 * Every party has a process of its own: the engine (or a real server), each HTTP server, and the load
 * generator (`autocannon`, `autocannonChild.ts`). Both answers are checked to be the same JSON before
 * anything is timed; then `rounds` rounds each load both servers for `seconds` (order alternating), and the
 * median of the per-round ratios is reported, with each server's CPU time per request.
 * `CSPM_BENCH_CPU_PROF=<dir>` starts both server processes with `node --cpu-prof`, writing their profiles
 * into `<dir>/api` and `<dir>/hand-written` (compare the two to see what the data layer's path costs).
 */
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { fileURLToPath } from "node:url";
import { createServiceContainer } from "@cspm/container";
import { generateKey } from "@cspm/crypto";
import { DatabaseRegistry } from "@cspm/registry";
import { parseTeamId } from "@cspm/repository";
import { dropDatabasesWithPrefix, testDatabasePrefix } from "@cspm/testkit";
import { MongoClient } from "mongodb";
import { median } from "./benchmarkMath";
import { type BenchChild, type ChildCpu, forkBenchChild } from "./benchChild";

const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));

/** Options of `runHttpRouteBenchmark`. */
export interface HttpRouteBenchmarkOptions {
  readonly uri: string;
  /** Rounds; each loads both servers once (default 3). */
  readonly rounds?: number;
  /** Seconds of load per server and round (default 5). */
  readonly seconds?: number;
  /** Concurrent connections of the load generator (default 16). */
  readonly connections?: number;
  /** Accounts of the team the route lists (default 20: one page, 50 is the default limit). */
  readonly accounts?: number;
  /** The MongoDB process's CPU so far, when it is a child of the bench: reported per request of each server. */
  readonly mongoCpu?: () => Promise<ChildCpu | undefined>;
  /** Write the servers' CPU profiles (`--cpu-prof`) into `api/` and `hand-written/` of this folder. */
  readonly cpuProfileDir?: string;
  readonly log?: (line: string) => void;
}

/** One server's figures, medians over the rounds. */
export interface HttpServerFigures {
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Server CPU (user + system) per request, ms. */
  readonly cpuPerRequestMs: number;
  /** MongoDB process CPU per request of this server, ms (NaN when the server is not the bench's child). */
  readonly mongoCpuPerRequestMs: number;
  readonly requests: number;
  readonly non2xx: number;
  readonly errors: number;
}

/** What `runHttpRouteBenchmark` returns. */
export interface HttpRouteBenchmarkResult {
  readonly rounds: number;
  readonly seconds: number;
  readonly connections: number;
  readonly accounts: number;
  readonly api: HttpServerFigures;
  readonly handWritten: HttpServerFigures;
  /** Median over rounds of API req/s / hand-written req/s. */
  readonly throughputRatio: number;
  /** Median over rounds of API p99 / hand-written p99. */
  readonly p99Ratio: number;
  /** Always true when returned: both servers answered with the same JSON. */
  readonly sameAnswer: true;
}

interface LoadResult {
  readonly requests: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly non2xx: number;
  readonly errors: number;
}

const TEAM = "http_bench_team";

async function get(port: number, path: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { "x-team-id": TEAM } });
  return { status: response.status, body: await response.json() };
}

const cpuMs = (before: ChildCpu | undefined, after: ChildCpu | undefined): number =>
  before && after ? (after.userMicros + after.systemMicros - before.userMicros - before.systemMicros) / 1000 : Number.NaN;

/** Seeds one team's accounts, starts both servers and the load generator, checks, loads, compares. */
export async function runHttpRouteBenchmark(options: HttpRouteBenchmarkOptions): Promise<HttpRouteBenchmarkResult> {
  const rounds = Math.max(1, options.rounds ?? 3);
  const seconds = Math.max(1, options.seconds ?? 5);
  const connections = Math.max(1, options.connections ?? 16);
  const accountCount = Math.max(1, options.accounts ?? 20);
  const log = options.log ?? (() => undefined);
  const prefix = testDatabasePrefix("bench");
  const encryptionKey = generateKey();
  const cursorSecret = randomUUID();
  const children: BenchChild<{ port: number }>[] = [];
  const admin = await MongoClient.connect(options.uri);
  try {
    const seeder = createServiceContainer({
      mongodb: { uri: options.uri, prefix, appName: "cspm-bench-http-seed" },
      encryptionKeys: `k1:${encryptionKey}`,
      cursorSecret,
    });
    try {
      await seeder.initialize({ ensureIndexes: true });
      for (let i = 0; i < accountCount; i++) {
        await seeder.services.accounts.registerAccount(parseTeamId(TEAM), {
          provider: "aws",
          accountId: String(100_000_000_000 + i),
          name: `Account ${i}`,
          regions: ["us-east-1", "eu-west-1"],
          tags: [{ key: "env", value: i % 2 === 0 ? "prod" : "dev" }],
          status: "active",
          ...(i % 4 === 0 ? { credentials: { access_key_id: "AKIAIOSFODNN7EXAMPLE", secret_access_key: "x".repeat(40) } } : {}),
        });
      }
    } finally {
      await seeder.dispose();
    }
    const profileArgs = (server: string): string[] =>
      options.cpuProfileDir ? ["--cpu-prof", `--cpu-prof-dir=${join(options.cpuProfileDir, server)}`] : [];
    const api = await forkBenchChild<{ port: number }>(
      here("./apiServerChild.ts"),
      [JSON.stringify({ uri: options.uri, prefix, encryptionKey, cursorSecret })],
      profileArgs("api"),
    );
    children.push(api);
    const hand = await forkBenchChild<{ port: number }>(
      here("./handWrittenServerChild.ts"),
      [JSON.stringify({ uri: options.uri, database: DatabaseRegistry.databaseName("CLOUD_SECURITY", prefix) })],
      profileArgs("hand-written"),
    );
    children.push(hand);
    const loader = await forkBenchChild<{ port: number }>(here("./autocannonChild.ts"));
    children.push(loader);

    const fromApi = await get(api.ready.port, "/accounts");
    const fromHand = await get(hand.ready.port, "/accounts");
    if (fromApi.status !== 200 || fromHand.status !== 200 || !isDeepStrictEqual(fromApi.body, fromHand.body)) {
      throw new Error(
        `The API and the hand-written route disagree (status ${fromApi.status} vs ${fromHand.status}); refusing to report timings.`,
      );
    }
    const items = (fromApi.body as { data: { items: unknown[] } }).data.items.length;
    log(
      `  both servers answer GET /accounts with the same ${items} accounts; ${rounds} rounds x ${seconds} s x ${connections} connections`,
    );

    const load = (server: BenchChild<{ port: number }>, duration: number): Promise<LoadResult> =>
      loader.request<LoadResult>(
        {
          type: "run",
          url: `http://127.0.0.1:${server.ready.port}/accounts`,
          headers: { "x-team-id": TEAM },
          connections,
          seconds: duration,
        },
        "result",
      );
    // Warm-up: JIT, connection pools, the engine's caches.
    await load(api, 2);
    await load(hand, 2);

    type Measured = LoadResult & { cpuMs: number; mongoCpuMs: number };
    const mongoCpu = options.mongoCpu ?? (async () => undefined);
    const figures = { api: [] as Measured[], hand: [] as Measured[] };
    const throughput: number[] = [];
    const p99: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? (["api", "hand"] as const) : (["hand", "api"] as const);
      const current: Partial<Record<"api" | "hand", LoadResult>> = {};
      for (const side of order) {
        const server = side === "api" ? api : hand;
        const [before, mongoBefore] = [await server.cpu(), await mongoCpu()];
        const result = await load(server, seconds);
        const [after, mongoAfter] = [await server.cpu(), await mongoCpu()];
        figures[side].push({ ...result, cpuMs: cpuMs(before, after), mongoCpuMs: cpuMs(mongoBefore, mongoAfter) });
        current[side] = result;
      }
      const a = current.api as LoadResult;
      const h = current.hand as LoadResult;
      throughput.push(a.requestsPerSecond / h.requestsPerSecond);
      p99.push(a.p99Ms / Math.max(h.p99Ms, 0.001));
      const cpu = (side: "api" | "hand"): string => {
        const r = figures[side][figures[side].length - 1] as Measured;
        const per = (ms: number) => (ms / Math.max(1, r.requests)).toFixed(2);
        return `CPU/req ${per(r.cpuMs)} ms (MongoDB ${per(r.mongoCpuMs)} ms)`;
      };
      log(
        `  round ${round + 1}: API ${a.requestsPerSecond.toFixed(0)} req/s p99 ${a.p99Ms} ms ${cpu("api")}; hand-written ${h.requestsPerSecond.toFixed(0)} req/s p99 ${h.p99Ms} ms ${cpu("hand")}`,
      );
    }
    const summarize = (list: Measured[]): HttpServerFigures => ({
      requestsPerSecond: median(list.map((r) => r.requestsPerSecond)),
      p50Ms: median(list.map((r) => r.p50Ms)),
      p99Ms: median(list.map((r) => r.p99Ms)),
      cpuPerRequestMs: median(list.map((r) => r.cpuMs / Math.max(1, r.requests))),
      mongoCpuPerRequestMs: median(list.map((r) => r.mongoCpuMs / Math.max(1, r.requests))),
      requests: list.reduce((n, r) => n + r.requests, 0),
      non2xx: list.reduce((n, r) => n + r.non2xx, 0),
      errors: list.reduce((n, r) => n + r.errors, 0),
    });
    return {
      rounds,
      seconds,
      connections,
      accounts: accountCount,
      api: summarize(figures.api),
      handWritten: summarize(figures.hand),
      throughputRatio: median(throughput),
      p99Ratio: median(p99),
      sameAnswer: true,
    };
  } finally {
    for (const child of children.reverse()) await child.stop();
    await dropDatabasesWithPrefix(admin, prefix).catch(() => undefined);
    await admin.close();
  }
}
