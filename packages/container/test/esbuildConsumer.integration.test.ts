/**
 * The built dist must work for a consumer that compiles with esbuild (which emits no decorator metadata):
 * consumer files under `fixtures/` import @cspm/container and @cspm/domain, esbuild bundles them against the
 * BUILT dist (resolved through package.json exports, peers external), and each bundle runs in its own `node`
 * process against the test MongoDB. The process must print the expected result and exit 0 BY ITSELF —
 * `dispose()` leaving a handle open shows up as a process that never ends.
 *
 * Without a build `beforeAll` runs `pnpm --filter @cspm/container... build` first and says so; a dist older
 * than its sources is tested as it is, with a warning naming the packages (CI builds right before testing).
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { mkdtemp, rm, symlink } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { connectTestClient, dropDatabasesWithPrefix, testDatabasePrefix, testMongoUri } from "@cspm/testkit";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const TEST_DIR = dirname(fileURLToPath(import.meta.url));
const PACKAGE_DIR = resolve(TEST_DIR, "..");
const REPO_ROOT = resolve(PACKAGE_DIR, "../..");
const FIXTURES = join(TEST_DIR, "fixtures");
/** Runtime libraries a consumer installs itself: left external, resolved at run time from the container's node_modules. */
const PEERS = ["mongodb", "zod", "ioredis", "tsyringe", "reflect-metadata"];
/** A consumer still running this long after its work is done has open handles (a failure detector, not a measurement). */
const EXIT_TIMEOUT_MS = 60_000;
const REDIS_URL = process.env["REDIS_URL"] ?? "redis://127.0.0.1:6379";

/** The part of esbuild's API this test uses (esbuild's own types are not resolvable from this package). */
interface EsbuildApi {
  build(options: Record<string, unknown>): Promise<{ metafile: { inputs: Record<string, unknown> } }>;
}

/**
 * esbuild from this package if it is a dependency here, else the copy tsup (a root devDependency) uses.
 * TODO(lead): add `esbuild` to @cspm/container's devDependencies so the first branch is taken.
 */
function loadEsbuild(): EsbuildApi {
  try {
    return createRequire(import.meta.url)("esbuild") as EsbuildApi;
  } catch {
    const rootRequire = createRequire(join(REPO_ROOT, "package.json"));
    return createRequire(rootRequire.resolve("tsup/package.json"))("esbuild") as EsbuildApi;
  }
}

/** @cspm/container and every @cspm package it depends on: the dist the bundles are built from. */
function bundledWorkspacePackages(): string[] {
  const manifest = JSON.parse(readFileSync(join(PACKAGE_DIR, "package.json"), "utf8")) as { dependencies?: Record<string, string> };
  const names = Object.keys(manifest.dependencies ?? {}).filter((name) => name.startsWith("@cspm/"));
  return ["container", ...names.map((name) => name.slice("@cspm/".length))];
}

function newestSourceMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSourceMtime(path));
    else if (/\.ts$/.test(entry.name) && !/\.test\.ts$/.test(entry.name)) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** Packages whose dist is missing or older than their sources (empty when the build is complete and current). */
function distProblems(): string[] {
  const problems: string[] = [];
  for (const name of bundledWorkspacePackages()) {
    const dir = join(REPO_ROOT, "packages", name);
    const outputs = ["dist/index.js", "dist/index.cjs"].map((file) => join(dir, file));
    const missing = outputs.filter((file) => !existsSync(file));
    if (missing.length > 0) problems.push(`${name}: missing ${missing.map((file) => relative(dir, file)).join(", ")}`);
    else if (Math.min(...outputs.map((file) => statSync(file).mtimeMs)) < newestSourceMtime(join(dir, "src"))) {
      problems.push(`${name}: dist is older than src`);
    }
  }
  return problems;
}

interface ChildResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

function runNode(file: string, env: Record<string, string>): Promise<ChildResult> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  delete childEnv["NODE_OPTIONS"];
  delete childEnv["NODE_PATH"];
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [file], { cwd: dirname(file), env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, EXIT_TIMEOUT_MS);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr, timedOut });
    });
  });
}

function parseResult(child: ChildResult): Record<string, unknown> {
  const line = child.stdout.split("\n").find((l) => l.startsWith("RESULT "));
  if (!line) throw new Error(`the consumer printed no RESULT line\nstdout:\n${child.stdout}\nstderr:\n${child.stderr}`);
  return JSON.parse(line.slice("RESULT ".length)) as Record<string, unknown>;
}

/** Lines of a bundle that apply decorators or record their metadata (tsc, esbuild and SWC helpers). */
function decoratorEmission(code: string): string[] {
  const pattern = /\b(__decorate|__decorateClass|__decorateParam|__metadata|_ts_decorate|_ts_metadata|__param)\(|Reflect\.metadata\(/;
  return code
    .split("\n")
    .filter((line) => pattern.test(line))
    .map((line) => line.trim().slice(0, 200));
}

const EXPECTED = {
  account: { account_id: "123456789012", name: "prod", has_credentials: true },
  resolution: { findings_is_repository: true, findings_singleton: true, aggregation_singleton: true, scope_shares_singletons: true },
  // reflect-metadata is loaded (tsyringe needs it) yet no class carries design:paramtypes: resolution works without it.
  reflect_metadata_loaded: true,
  paramtypes: { aggregation: null, accounts: null, findings: null },
  totals: { findings: 2, passed: 1, failed: 1, manual: 0, accounts: 1, checks: 2 },
  pass_rate: 50,
  by_account: [{ account_id: "123456789012", name: "prod" }],
};

describe("an esbuild-compiled consumer of the built dist", () => {
  const esbuild = loadEsbuild();
  const prefixes: string[] = [];
  let outDir: string;

  beforeAll(async () => {
    const problems = distProblems();
    const missing = problems.filter((problem) => problem.includes("missing"));
    if (missing.length > 0) {
      console.warn(`[esbuildConsumer] no build to test, running pnpm --filter @cspm/container... build first (${missing.join("; ")})`);
      // The pnpm running `pnpm test` when there is one (CI defines pnpm as a shell function), else pnpm on PATH.
      const execPath = process.env["npm_execpath"];
      const [command, ...prefixArgs] =
        execPath && /pnpm/.test(execPath) && /\.[cm]?js$/.test(execPath) ? [process.execPath, execPath] : ["pnpm"];
      const build = spawnSync(command as string, [...prefixArgs, "--filter", "@cspm/container...", "build"], {
        cwd: REPO_ROOT,
        encoding: "utf8",
        timeout: 840_000,
      });
      if (build.status !== 0) {
        const output = `${build.stdout ?? ""}${build.stderr ?? ""}`.trimEnd().split("\n").slice(-60).join("\n");
        throw new Error(`pnpm --filter @cspm/container... build failed (${build.error?.message ?? `exit ${build.status}`}):\n${output}`);
      }
      expect(distProblems().filter((problem) => problem.includes("missing"))).toEqual([]);
    } else if (problems.length > 0) {
      console.warn(
        `[esbuildConsumer] testing a dist older than its sources; run \`pnpm build\` to test your changes (${problems.join("; ")})`,
      );
    }
    outDir = await mkdtemp(join(tmpdir(), "cspm-esbuild-consumer-"));
    // The bundles live outside the repo; their external peers resolve from the container's node_modules.
    await symlink(join(PACKAGE_DIR, "node_modules"), join(outDir, "node_modules"), "dir");
  }, 900_000);

  afterAll(async () => {
    if (outDir) await rm(outDir, { recursive: true, force: true });
    const client = await connectTestClient();
    try {
      for (const prefix of prefixes) await dropDatabasesWithPrefix(client, prefix);
    } finally {
      await client.close();
    }
  });

  async function bundle(format: "esm" | "cjs"): Promise<{ file: string; inputs: string[]; code: string }> {
    const entry = join(FIXTURES, format === "esm" ? "esmConsumer.ts" : "cjsConsumer.cts");
    const file = join(outDir, format === "esm" ? "consumer.mjs" : "consumer.cjs");
    const result = await esbuild.build({
      entryPoints: [entry],
      outfile: file,
      bundle: true,
      platform: "node",
      format,
      target: "node20",
      external: PEERS,
      metafile: true,
      logLevel: "silent",
      absWorkingDir: REPO_ROOT,
      // Given explicitly so no tsconfig `paths` (which point at src/) can take part: package.json exports only.
      tsconfigRaw: { compilerOptions: { target: "ES2022", verbatimModuleSyntax: true } },
    });
    return { file, inputs: Object.keys(result.metafile.inputs), code: readFileSync(file, "utf8") };
  }

  function expectBuiltDist(inputs: readonly string[], extension: "js" | "cjs"): void {
    expect(inputs).toContain(`packages/container/dist/index.${extension}`);
    expect(inputs).toContain(`packages/domain/dist/index.${extension}`);
    expect(inputs).toContain(`packages/services/dist/index.${extension}`);
    // Nothing from source, and one format of each package only (no dual-package copies).
    expect(inputs.filter((input) => /^packages\/[^/]+\/src\//.test(input))).toEqual([]);
    const other = extension === "js" ? "cjs" : "js";
    expect(inputs.filter((input) => input.endsWith(`/dist/index.${other}`))).toEqual([]);
  }

  async function runConsumer(file: string, env: Record<string, string> = {}): Promise<Record<string, unknown>> {
    const prefix = testDatabasePrefix("esbuild");
    prefixes.push(prefix);
    const child = await runNode(file, { CSPM_TEST_MONGODB_URI: testMongoUri(), CONSUMER_DB_PREFIX: prefix, ...env });
    const output = `\nstdout:\n${child.stdout}\nstderr:\n${child.stderr}`;
    if (child.timedOut) {
      throw new Error(`the consumer did not exit by itself within ${EXIT_TIMEOUT_MS / 1000} s (open handles after dispose()?)${output}`);
    }
    expect(child.code, `exit code${output}`).toBe(0);
    return parseResult(child);
  }

  it("ESM: bundles dist/index.js with no decorator metadata, resolves, answers and exits by itself", async () => {
    const { file, inputs, code } = await bundle("esm");
    expectBuiltDist(inputs, "js");
    expect(decoratorEmission(code)).toEqual([]);
    expect(await runConsumer(file)).toEqual({ format: "esm", cache: "memory", ...EXPECTED });
  }, 120_000);

  it("CJS: bundles dist/index.cjs through require, resolves, answers and exits by itself", async () => {
    const { file, inputs, code } = await bundle("cjs");
    expectBuiltDist(inputs, "cjs");
    expect(decoratorEmission(code)).toEqual([]);
    expect(await runConsumer(file)).toEqual({ format: "cjs", cache: "memory", ...EXPECTED });
  }, 120_000);

  it("ESM with Redis: dispose() closes the Redis connection too, so the process still exits by itself", async () => {
    const { file } = await bundle("esm");
    const keyPrefixes = prefixes.length;
    const result = await runConsumer(file, { CONSUMER_REDIS_URL: REDIS_URL });
    expect(result).toEqual({ format: "esm", cache: "redis", ...EXPECTED });
    const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await redis.connect();
      const keyPrefix = `${prefixes[keyPrefixes] as string}cache:`;
      const keys: string[] = [];
      let cursor = "0";
      do {
        const [next, batch] = await redis.scan(cursor, "MATCH", `${keyPrefix}*`, "COUNT", 1000);
        cursor = next;
        keys.push(...batch);
      } while (cursor !== "0");
      if (keys.length > 0) await redis.del(...keys);
    } finally {
      redis.disconnect();
    }
  }, 120_000);
});
