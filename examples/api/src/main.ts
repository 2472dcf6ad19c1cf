// Entry point of the example API: `tsx src/main.ts` (or `pnpm --filter @cspm-example/api start`).
// With no MONGODB_URI it runs on an embedded MongoDB with seeded demo data; see README.md.
import { startRuntime } from "@cspm-example/worker";
import { isCspmError } from "@cspm/errors";
import { Redis } from "ioredis";
import { startApiTelemetry } from "./apiTelemetry";
import { buildApp, DEFAULT_BODY_LIMIT, DEFAULT_IMPORT_BODY_LIMIT, DEFAULT_RATE_LIMIT } from "./buildApp";
import { applyDemoSeed } from "./demoSeed";
import { type DemoSeedResult, writeDemoCredentials } from "./seedDemoData";

const env = process.env;

function intFromEnv(name: string, fallback: number, min: number, max: number): number {
  const text = env[name]?.trim();
  if (!text) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    process.stderr.write(`error: ${name} must be an integer from ${min} to ${max} (got "${text}")\n`);
    process.exit(2);
  }
  return value;
}

const port = intFromEnv("PORT", 3000, 0, 65_535);
const host = env.HOST?.trim() || "127.0.0.1";
const bodyLimit = intFromEnv("API_BODY_LIMIT", DEFAULT_BODY_LIMIT, 1024, 1_073_741_824);
const importBodyLimit = intFromEnv("API_IMPORT_BODY_LIMIT", DEFAULT_IMPORT_BODY_LIMIT, 1024, Number.MAX_SAFE_INTEGER);
const seedFindings = intFromEnv("CSPM_DEMO_FINDINGS_PER_ACCOUNT", 2500, 0, 200_000);
const rateLimitMax = intFromEnv("API_RATE_LIMIT_MAX", DEFAULT_RATE_LIMIT.max, 0, 10_000_000);
const rateLimitWindowMs = intFromEnv("API_RATE_LIMIT_WINDOW_MS", DEFAULT_RATE_LIMIT.timeWindowMs, 1000, 86_400_000);
const developmentTeamHeader = env.CSPM_DEV_TEAM_HEADER === "1";
const credentialsFile = env.CSPM_DEMO_CREDENTIALS_FILE?.trim() || undefined;

function fail(error: unknown): never {
  if (isCspmError(error)) {
    const issues = (error.details?.["issues"] as { path: string; message: string }[] | undefined) ?? [];
    process.stderr.write(`error ${error.code}: ${error.message}\n${issues.map((i) => `  - ${i.path}: ${i.message}\n`).join("")}`);
    const hint = error.details?.["hint"];
    if (typeof hint === "string") process.stderr.write(`  hint: ${hint}\n`);
  } else {
    process.stderr.write(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
  process.exit(1);
}

// Before the data layer starts, so its first spans and metrics are recorded; OTEL_SDK_DISABLED=true turns it off.
const telemetry = env.OTEL_SDK_DISABLED?.trim().toLowerCase() === "true" ? undefined : startApiTelemetry({ env });

const runtime = await startRuntime({ env, allowEmbedded: true }).catch(fail);
const { services } = runtime;

// CSPM_DEMO_SEED: the embedded database is seeded unless 0; an empty MONGODB_URI database only with 1.
let seed: DemoSeedResult | undefined;
const seeding = await applyDemoSeed(services, {
  setting: env.CSPM_DEMO_SEED,
  embedded: runtime.embedded !== undefined,
  seed: { findingsPerAccount: seedFindings },
}).catch(async (error: unknown) => {
  await runtime.close();
  return fail(error);
});
if (seeding.seeded) {
  seed = seeding.result;
  process.stderr.write(
    `seeded ${seed.teams.length} teams, ${seed.teams.reduce((n, t) => n + t.accounts.length, 0)} accounts, ${seed.findings.toLocaleString("en-US")} findings, ` +
      `${seed.scan_runs} scan runs, ${seed.vulnerabilities} vulnerabilities, ${seed.ai_models} AI models, ` +
      `${seed.frameworks.length} frameworks in ${(seed.duration_ms / 1000).toFixed(1)} s\n`,
  );
}

if (seed && credentialsFile) {
  writeDemoCredentials(credentialsFile, seed);
  process.stderr.write(`wrote the demo API keys to ${credentialsFile} (mode 0600)\n`);
}

// Rate-limit counters in Redis when there is one, so every instance counts the same credential together.
const rateLimitRedis =
  rateLimitMax > 0 && env.REDIS_URL?.trim()
    ? new Redis(env.REDIS_URL.trim(), { connectTimeout: 1000, maxRetriesPerRequest: 1, lazyConnect: false })
    : undefined;
rateLimitRedis?.on("error", () => undefined);

const app = buildApp({
  services,
  bodyLimit,
  importBodyLimit,
  developmentTeamHeader,
  rateLimit:
    rateLimitMax === 0
      ? false
      : { max: rateLimitMax, timeWindowMs: rateLimitWindowMs, ...(rateLimitRedis === undefined ? {} : { redis: rateLimitRedis }) },
  logger: { level: env.LOG_LEVEL?.trim() || "info" },
  ...(telemetry === undefined ? {} : { telemetry }),
});

let stoppingAt: number | undefined;
async function shutdown(signal: string): Promise<void> {
  if (stoppingAt !== undefined) {
    // Ctrl-C under a package manager delivers the signal twice at once (the terminal's SIGINT to the whole
    // process group, and the package manager forwarding it): only a second signal a moment later means "now".
    if (Date.now() - stoppingAt < 1000) return;
    process.stderr.write(`${signal} again: exiting now\n`);
    process.exit(1);
  }
  stoppingAt = Date.now();
  process.stderr.write(`${signal}: closing the server, then the data layer…\n`);
  const force = setTimeout(() => {
    process.stderr.write("shutdown took longer than 10 s: exiting\n");
    process.exit(1);
  }, 10_000);
  force.unref();
  try {
    await app.close(); // stop accepting, finish in-flight requests
    rateLimitRedis?.disconnect();
    await runtime.close(); // services.dispose(), then stop the embedded MongoDB
    await telemetry?.shutdown(); // flush spans and metrics still buffered for OTLP
    process.exitCode = 0;
  } catch (error) {
    process.stderr.write(`shutdown error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));

try {
  await app.listen({ port, host });
} catch (error) {
  await runtime.close();
  fail(error);
}

const address = app.server.address();
const url =
  typeof address === "object" && address !== null
    ? `http://${host.includes(":") ? `[${host}]` : host}:${address.port}`
    : `http://${host}:${port}`;
const team = seed?.teams[0];
const account = team?.accounts[0];
const ownerToken = team?.tokens?.owner ?? "<an API key: POST /api-keys, or the seed's>";
const viewerToken = team?.tokens?.viewer;
const auth = `-H 'authorization: Bearer ${ownerToken}'`;
const lines = [
  "",
  `CSPM example API listening on ${url}  (Ctrl-C to stop)`,
  ...(viewerToken
    ? [`Dashboard, signed in as ${team?.name ?? "the first demo team"}'s viewer: ${url}/#key=${encodeURIComponent(viewerToken)}`]
    : [`Dashboard: ${url}/`]),
  ...(seed
    ? [
        "",
        "Demo teams and their API keys (demo secrets, shown once; CSPM_DEMO_CREDENTIALS_FILE=<path> writes them to a file):",
        ...seed.teams.flatMap((t) => [
          `  ${t.team_id}  ${t.name} (${t.accounts.map((a) => `${a.provider}:${a.account_id}`).join(", ")})`,
          ...(t.tokens ? [`      owner:  ${t.tokens.owner}`, `      viewer: ${t.tokens.viewer}`] : []),
        ]),
      ]
    : []),
  "",
  "Try (every route but /health and the dashboard at / needs Authorization: Bearer <token>):",
  `  curl -s ${url}/health`,
  `  curl -s ${auth} ${url}/me`,
  `  curl -s ${auth} ${url}/dashboard/summary`,
  `  curl -s ${auth} '${url}/accounts?provider=aws&limit=10'`,
  ...(account
    ? [
        `  curl -s ${auth} '${url}/dashboard/summary?accountIds=${account.account_id}&since=${new Date(Date.now() - 7 * 86_400_000).toISOString().slice(0, 10)}'`,
      ]
    : []),
  `  curl -s ${auth} '${url}/scan-activity?limit=5'`,
  `  curl -s -X POST ${auth} -H 'content-type: application/json' ${url}/assessments \\`,
  `       -d '{"name":"Ad-hoc CIS review","frameworkIds":["aws_cis-2.0","aws_soc2"],"frequency":"monthly","startDate":"${new Date().toISOString().slice(0, 8)}01"}'`,
  ...(team?.assessment_id ? [`  curl -s ${auth} ${url}/assessments/${team.assessment_id}`] : []),
  `  curl -s ${auth} '${url}/audit-log?limit=5'`,
  ...(telemetry ? [`  curl -s ${auth} ${url}/metrics | head -20`] : []),
  ...(viewerToken
    ? [
        `  curl -s -X POST -H 'authorization: Bearer ${viewerToken}' -H 'content-type: application/json' ${url}/accounts -d '{}'   # viewer: 403 FORBIDDEN`,
      ]
    : []),
  `  curl -s -X POST ${auth} -H 'content-type: application/json' --data-binary @sample.json '${url}/findings/import${account ? `?account_id=${account.account_id}` : ""}'`,
  `       (make sample.json: npx -y pnpm@10.34.9 --filter @cspm-example/worker generate --format ocsf --count 2000${account ? ` --provider ${account.provider} --account-id ${account.account_id}` : ""} --out "$PWD/sample.json")`,
  "",
];
process.stdout.write(`${lines.join("\n")}\n`);
