import { SEVERITIES } from "@cspm/domain";
import { testDatabasePrefix } from "@cspm/testkit";
/**
 * Memory of reading many findings: `stream()` through the repository keeps RSS flat, where loading the
 * same findings at once (the driver's `toArray()`, the baseline) grows with them. Each side runs in a freshly forked
 * child process (`streamingChild.ts`, `--expose-gc`), so its RSS baseline holds nothing but the driver;
 * the findings are seeded by this process (where the offline engine, if any, lives).
 */
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { CSPMDatabaseManager } from "@cspm/mongo";
import type { Document } from "mongodb";
import type { StreamingChildInput, StreamingChildResult } from "./streamingChild";
import { dropBenchDatabases } from "./dropBenchDatabases";

/** Options of `runStreamingBenchmark`. */
export interface StreamingBenchmarkOptions {
  readonly uri: string;
  /** Findings to read (default 200,000). */
  readonly findings?: number;
  /** Stream batch size (default 500, the repository's default). */
  readonly batchSize?: number;
  /** Also run the baselines: the driver's cursor and load-everything (default true). */
  readonly baseline?: boolean;
  /** Upper bound for one child, in ms (default 10 minutes). */
  readonly childTimeoutMs?: number;
  readonly log?: (line: string) => void;
}

/** What `runStreamingBenchmark` returns. */
export interface StreamingBenchmarkResult {
  readonly findings: number;
  readonly seedMs: number;
  readonly stream: StreamingChildResult;
  /** The driver's own cursor, no repository: the floor the repository's stream is compared with. */
  readonly rawStream: StreamingChildResult | undefined;
  readonly toArray: StreamingChildResult | undefined;
  /** toArray.rssGrowthBytes / stream.rssGrowthBytes. */
  readonly growthRatio: number | undefined;
}

const TEAM = "bench_stream";
const CHILD = fileURLToPath(new URL("./streamingChild.ts", import.meta.url));

function runChild(input: StreamingChildInput, timeoutMs: number): Promise<StreamingChildResult> {
  return new Promise((resolve, reject) => {
    const child = fork(CHILD, [JSON.stringify(input)], {
      execArgv: [...process.execArgv, "--expose-gc"],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      child.kill("SIGKILL");
      reject(new Error(`the ${input.mode} child did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on("message", (message: StreamingChildResult | { error: string }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if ("error" in message) reject(new Error(`the ${input.mode} child failed: ${message.error}`));
      else resolve(message);
    });
    child.on("exit", (code) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new Error(`the ${input.mode} child exited with code ${code} before reporting`));
    });
  });
}

/** Seeds `findings` findings of one team, then measures streaming and (optionally) the baseline in child processes. */
export async function runStreamingBenchmark(options: StreamingBenchmarkOptions): Promise<StreamingBenchmarkResult> {
  const findings = options.findings ?? 200_000;
  const batchSize = options.batchSize ?? 500;
  const timeoutMs = options.childTimeoutMs ?? 600_000;
  const log = options.log ?? (() => undefined);
  const prefix = testDatabasePrefix("bench");
  const manager = new CSPMDatabaseManager({ uri: options.uri, prefix, appName: "cspm-bench-stream-seed" });
  await manager.connect();
  try {
    const collection = manager.getCollection("CLOUD_SECURITY", "prowler_findings");
    const seedStarted = performance.now();
    const now = new Date();
    for (let start = 0; start < findings; start += 10_000) {
      const docs: Document[] = [];
      for (let i = start; i < Math.min(findings, start + 10_000); i++) {
        docs.push({
          team_id: TEAM,
          provider: "aws",
          account_id: String(100_000_000_000 + (i % 50)),
          scan_id: "bench-stream",
          check_id: `check_${i % 300}`,
          check_title: `Streaming benchmark check ${i % 300}`,
          status: i % 3 === 0 ? "PASS" : "FAIL",
          status_extended: `Resource ${i} of the streaming benchmark, with a realistic amount of explanatory text attached to it.`,
          severity: SEVERITIES[i % 5],
          service_name: "ec2",
          region: `us-east-${(i % 2) + 1}`,
          resource_uid: `arn:aws:ec2:us-east-1:${100_000_000_000 + (i % 50)}:instance/i-${i.toString(16).padStart(17, "0")}`,
          resource_type: "AwsEc2Instance",
          compliance: [{ framework: "CIS-2.0", controls: [`5.${i % 9}`] }],
          muted: false,
          first_seen_at: now,
          last_seen_at: now,
          created_at: now,
          updated_at: now,
        });
      }
      await collection.insertMany(docs, { ordered: false });
      if ((start / 10_000) % 5 === 4 || start + 10_000 >= findings)
        log(`  seeded ${Math.min(findings, start + 10_000).toLocaleString("en-US")}/${findings.toLocaleString("en-US")} findings`);
    }
    const seedMs = performance.now() - seedStarted;
    const input = { uri: options.uri, prefix, team: TEAM, batchSize };
    log(`  streaming ${findings.toLocaleString("en-US")} findings in a child process (batch ${batchSize})`);
    const stream = await runChild({ ...input, mode: "stream" }, timeoutMs);
    let toArray: StreamingChildResult | undefined;
    let rawStream: StreamingChildResult | undefined;
    if (options.baseline !== false) {
      log(`  floor: the driver's cursor alone, in a child process`);
      rawStream = await runChild({ ...input, mode: "rawStream" }, timeoutMs);
      log(`  baseline: loading the same findings at once (toArray) in a child process`);
      toArray = await runChild({ ...input, mode: "toArray" }, timeoutMs);
    }
    for (const result of [stream, rawStream, toArray]) {
      if (result !== undefined && result.documents !== findings)
        throw new Error(`the ${result.mode} reader saw ${result.documents} of ${findings} findings`);
    }
    return {
      findings,
      seedMs,
      stream,
      rawStream,
      toArray,
      growthRatio: toArray === undefined ? undefined : toArray.rssGrowthBytes / Math.max(1, stream.rssGrowthBytes),
    };
  } finally {
    await dropBenchDatabases(manager);
    await manager.close();
  }
}
