import { startTestMongo } from "@cspm/testkit";
import { runRepositoryBenchmark } from "./repositoryBench";
const mongo = await startTestMongo();
try {
  const result = await runRepositoryBenchmark(mongo.uri, { runs: Number(process.env.RUNS ?? 5), bulkDocuments: Number(process.env.BULK ?? 10000) });
  console.table(result.cases.map((c) => ({ name: c.name, repoMs: c.repositoryMs.toFixed(1), rawMs: c.rawMs.toFixed(1), ratio: c.ratio.toFixed(3) })));
  console.log("naive", result.naiveUpsertMs.toFixed(1), "client", JSON.stringify(result.clientCostMs));
} finally { await mongo.stop(); }
