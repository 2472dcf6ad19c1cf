import { SEVERITIES } from "@cspm/domain";
import { parseTeamId } from "@cspm/repository";
import { testDatabasePrefix } from "@cspm/testkit";
/**
 * The load run: the example API (`buildApp`) listening on 127.0.0.1 over the benchmark's MongoDB, and a
 * bounded number of concurrent clients (loopback only) mixing reads and writes for a fixed time. It stops
 * by itself, then checks that every error was an expected 4xx and that no acknowledged write was lost
 * (accounts, renames, assessments and imports counted against what MongoDB holds), and reports p50/p99
 * per route.
 */
import { randomUUID } from "node:crypto";
import { Agent, request as httpRequest } from "node:http";
import { createServiceContainer, TOKENS } from "@cspm/container";
import { generateKey } from "@cspm/crypto";
import { systemActor } from "@cspm/identity";
import { type Document, ObjectId } from "mongodb";
import { buildApp } from "../../examples/api/src/index";
import { generateSampleFindings } from "../../examples/worker/src/index";
import { percentile } from "./benchmarkMath";
import { dropBenchDatabases } from "./dropBenchDatabases";

/** Options of `runLoad`. */
export interface LoadRunOptions {
  readonly uri: string;
  /** How long clients keep sending, in seconds (default 30). */
  readonly seconds?: number;
  /** Concurrent clients, i.e. at most this many requests in flight (default 16). */
  readonly clients?: number;
  /** Teams the clients act for (default 4). */
  readonly teams?: number;
  /** Findings seeded per team for the dashboard (default 500). */
  readonly findingsPerTeam?: number;
  /** Per-request timeout, in ms (default 30 s). */
  readonly requestTimeoutMs?: number;
  readonly log?: (line: string) => void;
}

/** Latency and outcome figures of one route. */
export interface RouteFigures {
  readonly route: string;
  readonly requests: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Answers with the 4xx the request was built to provoke (404 unknown id, 409 duplicate, 400 bad input). */
  readonly expected4xx: number;
  /** Anything else that was not a success: 5xx, unexpected 4xx, timeouts, connection errors. */
  readonly errors: number;
}

/** What `runLoad` returns. */
export interface LoadRunResult {
  readonly seconds: number;
  readonly clients: number;
  readonly teams: number;
  readonly requests: number;
  readonly requestsPerSecond: number;
  readonly routes: readonly RouteFigures[];
  readonly errors: number;
  readonly expected4xx: number;
  /** The first few unexpected answers, for the report. */
  readonly errorSamples: readonly string[];
  readonly writes: {
    readonly accountsCreated: number;
    readonly accountsRenamed: number;
    readonly assessmentsCreated: number;
    readonly importsCompleted: number;
    /** Acknowledged writes MongoDB does not hold (target 0). */
    readonly lost: number;
    /** Details of lost writes, if any. */
    readonly lostSamples: readonly string[];
    /** Stored documents no client saw acknowledged (e.g. a write whose answer timed out); not a loss. */
    readonly unacknowledgedStored: number;
  };
}

interface Sample {
  readonly route: string;
  readonly ms: number;
  readonly outcome: "ok" | "expected" | "error";
}

interface Answer {
  readonly status: number;
  readonly body: { success?: boolean; data?: Record<string, unknown>; error?: { code?: string } } | undefined;
  readonly text: string;
}

const FRAMEWORK = "cis_aws_2.0";

/** Deterministic per-client randomness. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Runs the load against a fresh API on its own `bench_<random>_` databases (dropped afterwards). */
export async function runLoad(options: LoadRunOptions): Promise<LoadRunResult> {
  const seconds = options.seconds ?? 30;
  const clients = options.clients ?? 16;
  const teamCount = options.teams ?? 4;
  const findingsPerTeam = options.findingsPerTeam ?? 500;
  const timeoutMs = options.requestTimeoutMs ?? 30_000;
  const log = options.log ?? (() => undefined);
  const prefix = testDatabasePrefix("bench");
  const services = createServiceContainer({
    mongodb: { uri: options.uri, prefix, appName: "cspm-bench-load" },
    encryptionKeys: `k1:${generateKey()}`,
    cursorSecret: randomUUID(),
  });
  await services.initialize({ ensureIndexes: true });
  const manager = services.resolve(TOKENS.DatabaseManager);
  // Rate limits off: the load run measures the data path, with one API key per team.
  const app = buildApp({ services, rateLimit: false });
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  try {
    // Seed: a framework catalogue, two accounts and some findings and scan runs per team.
    const now = new Date();
    await manager
      .getCollection("COMPLIANCE", "frameworks")
      .insertOne({ framework_id: FRAMEWORK, name: "CIS AWS 2.0", version: "2.0", created_at: now, updated_at: now });
    await manager
      .getCollection("COMPLIANCE", "controls")
      .insertOne({ framework_id: FRAMEWORK, control_id: "1.5", title: "Root MFA", created_at: now, updated_at: now });
    await manager
      .getCollection("COMPLIANCE", "control_mappings")
      .insertOne({ framework_id: FRAMEWORK, control_id: "1.5", check_id: "iam_root_mfa_enabled", created_at: now, updated_at: now });
    const teams = Array.from({ length: teamCount }, (_, k) => `load_team_${k}`);
    const accounts = services.resolve(TOKENS.CentralAccountService);
    const seeded = new Map<string, { id: string; accountId: string }[]>();
    const tokens = new Map<string, string>();
    for (const [k, team] of teams.entries()) {
      const key = await services.services.identity.apiKeys.createKey(
        parseTeamId(team),
        { name: "load", role: "owner" },
        systemActor(parseTeamId(team), "bench"),
      );
      tokens.set(team, key.token);
      const list: { id: string; accountId: string }[] = [];
      for (let n = 0; n < 2; n++) {
        const accountId = `1${String(k).padStart(2, "0")}00000000${n}`;
        const view = await accounts.registerAccount(parseTeamId(team), { provider: "aws", accountId, name: `Seeded ${n}` });
        list.push({ id: view.id, accountId });
      }
      seeded.set(team, list);
      const findings: Document[] = Array.from({ length: findingsPerTeam }, (_, i) => ({
        team_id: team,
        provider: "aws",
        account_id: list[i % 2]?.accountId,
        scan_id: "seed",
        check_id: i % 4 === 0 ? "iam_root_mfa_enabled" : `check_${i % 60}`,
        check_title: `Check ${i % 60}`,
        status: i % 3 === 0 ? "PASS" : "FAIL",
        status_extended: "seeded for the load run",
        severity: SEVERITIES[i % 5],
        service_name: "iam",
        region: "us-east-1",
        resource_uid: `arn:aws:iam::seed:${team}:${i}`,
        resource_type: "AwsIamRole",
        compliance: [{ framework: "CIS-2.0", controls: ["1.5"] }],
        muted: false,
        first_seen_at: now,
        last_seen_at: now,
        created_at: now,
        updated_at: now,
      }));
      await manager.getCollection("CLOUD_SECURITY", "prowler_findings").insertMany(findings);
      await manager.getCollection("ORCHESTRATION", "scan_runs").insertMany(
        Array.from({ length: 10 }, (_, i) => ({
          team_id: team,
          account_id: list[i % 2]?.accountId,
          provider: "aws",
          scanner: "prowler",
          status: "completed",
          started_at: now,
          finished_at: now,
          stats: { findings: 10, passed: 6, failed: 4 },
          created_at: new Date(now.getTime() - i * 3_600_000),
          updated_at: now,
        })),
      );
    }

    await app.listen({ host: "127.0.0.1", port: 0 });
    const address = app.server.address();
    if (!address || typeof address === "string") throw new Error("the API did not bind a port");
    const port = address.port;
    log(`  API on 127.0.0.1:${port}; ${clients} clients x ${seconds} s over ${teamCount} teams`);

    const send = (method: string, path: string, team: string, json?: unknown): Promise<Answer> =>
      new Promise((resolve, reject) => {
        const payload = json === undefined ? undefined : JSON.stringify(json);
        const headers: Record<string, string | number> = { authorization: `Bearer ${tokens.get(team) ?? ""}` };
        if (payload !== undefined) {
          headers["content-type"] = "application/json";
          headers["content-length"] = Buffer.byteLength(payload);
        }
        const req = httpRequest({ host: "127.0.0.1", port, method, path, headers, agent }, (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            let body: Answer["body"];
            try {
              body = JSON.parse(text) as Answer["body"];
            } catch {
              body = undefined;
            }
            resolve({ status: res.statusCode ?? 0, body, text });
          });
          res.on("error", reject);
        });
        req.setTimeout(timeoutMs, () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
        req.on("error", reject);
        if (payload !== undefined) req.write(payload);
        req.end();
      });

    // What the clients were told was written.
    const createdAccounts = new Map<string, { team: string; name: string }>();
    const renamed = new Map<string, string>();
    const createdAssessments = new Map<string, string>();
    const completedImports = new Map<string, string>();
    const samples: Sample[] = [];
    const errorSamples: string[] = [];
    const deadline = performance.now() + seconds * 1000;

    const client = async (index: number): Promise<void> => {
      const random = prng(1000 + index);
      const team = teams[index % teams.length] as string;
      const own: string[] = [];
      const known = (seeded.get(team) ?? []).map((a) => a.id);
      let serial = 0;
      const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
      while (performance.now() < deadline) {
        const roll = random() * 100;
        let route: string;
        let expect: readonly number[];
        let expected4xx: readonly number[] = [];
        let run: () => Promise<Answer>;
        let after: ((answer: Answer) => void) | undefined;
        if (roll < 18) {
          route = "GET /accounts";
          expect = [200];
          run = () => send("GET", "/accounts?limit=50", team);
        } else if (roll < 28) {
          route = "GET /accounts/:id";
          expect = [200];
          const id = pick([...known, ...own]);
          run = () => send("GET", `/accounts/${id}`, team);
        } else if (roll < 42) {
          route = "GET /dashboard/summary";
          expect = [200];
          run = () => send("GET", "/dashboard/summary", team);
        } else if (roll < 51) {
          route = "GET /scan-activity";
          expect = [200];
          run = () => send("GET", "/scan-activity?limit=20", team);
        } else if (roll < 59) {
          route = "GET /assessments";
          expect = [200];
          run = () => send("GET", "/assessments?limit=20", team);
        } else if (roll < 62) {
          route = "GET /health";
          expect = [200];
          run = () => send("GET", "/health", team);
        } else if (roll < 73) {
          route = "POST /accounts";
          expect = [201];
          serial += 1;
          const accountId = `2${String(index).padStart(2, "0")}${String(serial).padStart(9, "0")}`;
          const name = `Load ${index}-${serial}`;
          run = () => send("POST", "/accounts", team, { provider: "aws", accountId, name, regions: ["us-east-1"] });
          after = (answer) => {
            const id = answer.body?.data?.["id"];
            if (typeof id === "string") {
              createdAccounts.set(id, { team, name });
              own.push(id);
            }
          };
        } else if (roll < 80 && own.length > 0) {
          route = "PATCH /accounts/:id";
          expect = [200];
          const id = pick(own);
          const name = `Renamed ${index}-${++serial}`;
          run = () => send("PATCH", `/accounts/${id}`, team, { name });
          after = () => renamed.set(id, name);
        } else if (roll < 86) {
          route = "POST /assessments";
          expect = [201];
          run = () =>
            send("POST", "/assessments", team, {
              name: `Load review ${index}-${++serial}`,
              frameworkIds: [FRAMEWORK],
              frequency: "monthly",
              startDate: "2024-06-01",
            });
          after = (answer) => {
            const id = answer.body?.data?.["id"];
            if (typeof id === "string") createdAssessments.set(id, team);
          };
        } else if (roll < 88) {
          route = "POST /findings/import";
          expect = [201];
          const account = pick(seeded.get(team) ?? []);
          const body = [
            ...generateSampleFindings({ format: "prowler", count: 20, accountId: account.accountId, seed: `${index}-${serial}` }),
          ];
          run = () => send("POST", `/findings/import?account_id=${account.accountId}`, team, body);
          after = (answer) => {
            const id = answer.body?.data?.["scan_run_id"];
            if (typeof id === "string") completedImports.set(id, team);
          };
        } else if (roll < 92) {
          route = "GET /accounts/:id (unknown)";
          expect = [];
          expected4xx = [404];
          run = () => send("GET", `/accounts/${new ObjectId().toHexString()}`, team);
        } else if (roll < 96) {
          route = "POST /accounts (duplicate)";
          expect = [];
          expected4xx = [409];
          const existing = pick(seeded.get(team) ?? []);
          run = () => send("POST", "/accounts", team, { provider: "aws", accountId: existing.accountId, name: "Duplicate" });
        } else {
          route = "GET /accounts (bad limit)";
          expect = [];
          expected4xx = [400];
          run = () => send("GET", "/accounts?limit=0", team);
        }
        const started = performance.now();
        let outcome: Sample["outcome"];
        try {
          const answer = await run();
          if (expect.includes(answer.status)) {
            outcome = "ok";
            after?.(answer);
          } else if (expected4xx.includes(answer.status)) {
            outcome = "expected";
          } else {
            outcome = "error";
            if (errorSamples.length < 10) errorSamples.push(`${route} -> ${answer.status} ${answer.text.slice(0, 200)}`);
          }
        } catch (error) {
          outcome = "error";
          if (errorSamples.length < 10) errorSamples.push(`${route} -> ${error instanceof Error ? error.message : String(error)}`);
        }
        samples.push({ route, ms: performance.now() - started, outcome });
      }
    };

    const started = performance.now();
    let reported = 0;
    const progress = setInterval(() => {
      const elapsed = (performance.now() - started) / 1000;
      log(
        `  load: ${elapsed.toFixed(0)} s, ${samples.length - reported} requests in the last interval, ${samples.filter((s) => s.outcome === "error").length} errors so far`,
      );
      reported = samples.length;
    }, 5000);
    await Promise.all(Array.from({ length: clients }, (_, i) => client(i)));
    clearInterval(progress);
    const elapsedSeconds = (performance.now() - started) / 1000;

    // No lost writes: every acknowledged write is in MongoDB, as acknowledged.
    const lostSamples: string[] = [];
    const accountDocs = await manager.getCollection("CLOUD_SECURITY", "enhanced_cloud_accounts").find({}).toArray();
    const accountById = new Map(accountDocs.map((d) => [(d._id as ObjectId).toHexString(), d]));
    for (const [id, { team }] of createdAccounts) {
      const doc = accountById.get(id);
      if (!doc || doc.team_id !== team) lostSamples.push(`account ${id} acknowledged but not stored`);
    }
    for (const [id, name] of renamed) {
      const doc = accountById.get(id);
      if (doc?.name !== name) lostSamples.push(`account ${id}: last acknowledged name "${name}", stored "${String(doc?.name)}"`);
    }
    const assessmentIds = new Set(
      (
        await manager
          .getCollection("ASSESSMENTS", "global_assessments")
          .find({}, { projection: { _id: 1 } })
          .toArray()
      ).map((d) => (d._id as ObjectId).toHexString()),
    );
    for (const id of createdAssessments.keys())
      if (!assessmentIds.has(id)) lostSamples.push(`assessment ${id} acknowledged but not stored`);
    const runs = await manager
      .getCollection("ORCHESTRATION", "scan_runs")
      .find({ _id: { $in: [...completedImports.keys()].map((id) => new ObjectId(id)) } })
      .toArray();
    const completed = new Set(runs.filter((r) => r.status === "completed").map((r) => (r._id as ObjectId).toHexString()));
    for (const id of completedImports.keys())
      if (!completed.has(id)) lostSamples.push(`import run ${id} acknowledged but not completed in MongoDB`);
    const seededCount = teams.length * 2;
    const unacknowledgedStored = accountDocs.length - seededCount - createdAccounts.size + (assessmentIds.size - createdAssessments.size);

    const routes = [...new Set(samples.map((s) => s.route))].sort().map((route): RouteFigures => {
      const mine = samples.filter((s) => s.route === route);
      const times = mine.map((s) => s.ms);
      return {
        route,
        requests: mine.length,
        p50Ms: percentile(times, 50),
        p99Ms: percentile(times, 99),
        maxMs: Math.max(...times),
        expected4xx: mine.filter((s) => s.outcome === "expected").length,
        errors: mine.filter((s) => s.outcome === "error").length,
      };
    });
    return {
      seconds: elapsedSeconds,
      clients,
      teams: teamCount,
      requests: samples.length,
      requestsPerSecond: samples.length / elapsedSeconds,
      routes,
      errors: samples.filter((s) => s.outcome === "error").length,
      expected4xx: samples.filter((s) => s.outcome === "expected").length,
      errorSamples,
      writes: {
        accountsCreated: createdAccounts.size,
        accountsRenamed: renamed.size,
        assessmentsCreated: createdAssessments.size,
        importsCompleted: completedImports.size,
        lost: lostSamples.length,
        lostSamples: lostSamples.slice(0, 10),
        unacknowledgedStored,
      },
    };
  } finally {
    agent.destroy();
    await app.close();
    await dropBenchDatabases(manager);
    await services.dispose();
  }
}
