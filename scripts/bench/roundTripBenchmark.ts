/**
 * The round-trip-bound comparisons, measured through the testkit's loopback delay proxy
 * (`startTcpProxy(target, { delayMs })`) at 0, 0.25 and 1 ms per direction, with the server in its own
 * process: an import batched (`bulkUpsert`) against one `upsert` per finding, the dashboard as one command
 * against one query per figure (`runDashboardBenchmark`, cold), and the N+1 guard — `resolveAccounts` (one
 * query for many ids) against one `getAccount` per id, with the cache switched off (`NoCache`). Each ratio is
 * naive time / batched time (higher: batching saves more), medians of `runs`.
 */
import { NoCache } from "@cspm/cache";
import { CredentialCipher, generateKey } from "@cspm/crypto";
import { ProwlerFindingRepository } from "@cspm/domain";
import { CSPMDatabaseManager } from "@cspm/mongo";
import { parseTeamId, RepositoryFactory } from "@cspm/repository";
import { createServices } from "@cspm/services";
import { testDatabasePrefix } from "@cspm/testkit";
import { runDashboardBenchmark } from "../../packages/services/bench/dashboardBench";
import { median, timed } from "./benchmarkMath";
import { type BenchMongo, PROXY_DELAYS_MS, startDelayedMongo } from "./engineProcess";
import { benchFinding } from "./ingestionBenchmark";
import { dropBenchDatabases } from "./dropBenchDatabases";

/** Options of `runRoundTripBenchmark`. */
export interface RoundTripBenchmarkOptions {
  readonly mongo: BenchMongo;
  /** Findings of the import comparison per run (default 500). */
  readonly importFindings?: number;
  /** Findings of the dashboard comparison (default 10,000). */
  readonly dashboardFindings?: number;
  /** Accounts the N+1 comparison resolves (default 50). */
  readonly accounts?: number;
  /** Runs per comparison and delay (default 3). */
  readonly runs?: number;
  readonly delaysMs?: readonly number[];
  readonly log?: (line: string) => void;
}

/** One comparison at one delay. */
export interface RoundTripFigure {
  readonly delayMs: number;
  /** Median ms of the batched / one-command side. */
  readonly batchedMs: number;
  /** Median ms of the one-per-item side. */
  readonly naiveMs: number;
  /** naiveMs / batchedMs. */
  readonly ratio: number;
}

/** What `runRoundTripBenchmark` returns. */
export interface RoundTripBenchmarkResult {
  readonly importFindings: number;
  readonly dashboardFindings: number;
  readonly accounts: number;
  readonly runs: number;
  /** `bulkUpsert` vs one `upsert` per finding. */
  readonly import: readonly RoundTripFigure[];
  /** `getDashboardSummary` (1 command) vs one query per figure (11), cold. */
  readonly dashboard: readonly (RoundTripFigure & { readonly batchedCommands: number; readonly naiveCommands: number })[];
  /** `resolveAccounts` (1 query) vs one `getAccount` per id. */
  readonly resolve: readonly RoundTripFigure[];
}

const TEAM = "bench_roundtrip";

async function withManager<T>(uri: string, prefix: string, fn: (manager: CSPMDatabaseManager) => Promise<T>): Promise<T> {
  const manager = new CSPMDatabaseManager({ uri, prefix, appName: "cspm-bench-roundtrip" });
  await manager.connect();
  try {
    return await fn(manager);
  } finally {
    await manager.close();
  }
}

/** Runs the three comparisons at every delay; each in its own `bench_<random>_` databases, dropped afterwards. */
export async function runRoundTripBenchmark(options: RoundTripBenchmarkOptions): Promise<RoundTripBenchmarkResult> {
  const importFindings = Math.max(1, options.importFindings ?? 500);
  const dashboardFindings = Math.max(1, options.dashboardFindings ?? 10_000);
  const accountCount = Math.max(1, options.accounts ?? 50);
  const runs = Math.max(1, options.runs ?? 3);
  const delays = options.delaysMs ?? PROXY_DELAYS_MS;
  const log = options.log ?? (() => undefined);
  const proxied = await startDelayedMongo(options.mongo, 0);
  const prefix = testDatabasePrefix("bench");
  const result = {
    import: [] as RoundTripFigure[],
    dashboard: [] as RoundTripBenchmarkResult["dashboard"][number][],
    resolve: [] as RoundTripFigure[],
  };
  try {
    await withManager(proxied.uri, prefix, async (manager) => {
      await manager.ensureIndexes({ databases: ["CLOUD_SECURITY"] });
      const collection = manager.getCollection("CLOUD_SECURITY", "prowler_findings");
      const repositories = new RepositoryFactory({ provider: manager });
      const scope = repositories.get(ProwlerFindingRepository).forTeam(TEAM);
      const services = createServices({
        manager,
        cache: new NoCache(),
        cipher: new CredentialCipher([{ id: "bench", key: generateKey() }]),
        repositories,
      });
      const team = parseTeamId(TEAM);
      const ids: string[] = [];
      for (let i = 0; i < accountCount; i++) {
        const view = await services.accounts.registerAccount(team, {
          provider: "aws",
          accountId: String(200_000_000_000 + i),
          name: `R${i}`,
        });
        ids.push(view.id);
      }
      for (const delayMs of delays) {
        proxied.proxy.setDelay(delayMs);
        const single: number[] = [];
        const batched: number[] = [];
        const perId: number[] = [];
        const oneQuery: number[] = [];
        for (let run = 0; run < runs; run++) {
          const docs = Array.from({ length: importFindings }, (_, i) => benchFinding(i, new Date(), `rt-${delayMs}-${run}`));
          const order = run % 2 === 0 ? (["single", "batched"] as const) : (["batched", "single"] as const);
          for (const side of order) {
            await collection.deleteMany({});
            if (side === "single") {
              single.push(
                (
                  await timed(async () => {
                    for (const doc of docs) await scope.upsert(doc as never);
                  })
                ).ms,
              );
            } else batched.push((await timed(() => scope.bulkUpsert(docs))).ms);
          }
          const resolveFirst = run % 2 === 0;
          const resolve = async () => oneQuery.push((await timed(() => services.accounts.resolveAccounts(team, ids))).ms);
          const each = async () =>
            perId.push(
              (
                await timed(async () => {
                  for (const id of ids) await services.accounts.getAccount(team, id);
                })
              ).ms,
            );
          if (resolveFirst) {
            await resolve();
            await each();
          } else {
            await each();
            await resolve();
          }
        }
        await collection.deleteMany({});
        const imported: RoundTripFigure = {
          delayMs,
          batchedMs: median(batched),
          naiveMs: median(single),
          ratio: median(single) / median(batched),
        };
        const resolved: RoundTripFigure = {
          delayMs,
          batchedMs: median(oneQuery),
          naiveMs: median(perId),
          ratio: median(perId) / median(oneQuery),
        };
        result.import.push(imported);
        result.resolve.push(resolved);
        log(
          `  ${delayMs} ms per direction: import of ${importFindings} batched ${imported.batchedMs.toFixed(0)} ms vs one by one ${imported.naiveMs.toFixed(0)} ms (${imported.ratio.toFixed(1)}x); ` +
            `${accountCount} accounts resolved in one query ${resolved.batchedMs.toFixed(1)} ms vs one by one ${resolved.naiveMs.toFixed(0)} ms (${resolved.ratio.toFixed(1)}x)`,
        );
      }
      await dropBenchDatabases(manager);
    });
    for (const delayMs of delays) {
      proxied.proxy.setDelay(delayMs);
      const d = await runDashboardBenchmark({ uri: proxied.uri, findings: dashboardFindings, runs });
      result.dashboard.push({
        delayMs,
        batchedMs: d.single.coldMs,
        naiveMs: d.naive.coldMs,
        ratio: d.coldTimeRatio,
        batchedCommands: d.single.coldCommands,
        naiveCommands: d.naive.coldCommands,
      });
      log(
        `  ${delayMs} ms per direction: dashboard over ${dashboardFindings} findings cold, ${d.single.coldCommands} command ${d.single.coldMs.toFixed(0)} ms vs ${d.naive.coldCommands} commands ${d.naive.coldMs.toFixed(0)} ms (${d.coldTimeRatio.toFixed(2)}x)`,
      );
    }
  } finally {
    await proxied.stop();
  }
  return { importFindings, dashboardFindings, accounts: accountCount, runs, ...result };
}
