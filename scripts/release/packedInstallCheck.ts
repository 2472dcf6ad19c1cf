/**
 * The packed install check: what a consumer gets from npm, tested before anything is published.
 *
 * 1. `pnpm pack` every publishable package under `packages/` (pnpm rewrites `workspace:^` to real versions);
 *    the packed manifests must name no `workspace:` range.
 * 2. `publint --strict` and `@arethetypeswrong/cli` on every tarball (attw is skipped, with the reason
 *    printed, when it cannot be had).
 * 3. A fresh project OUTSIDE the workspace (a temp dir): `file:` dependencies on the tarballs plus the peers
 *    at the ranges the packages declare, installed with plain `npm install`.
 * 4. An ESM (`consumer.mjs`) and a CommonJS (`consumer.cjs`) consumer load every package, start the test
 *    MongoDB through the packed `@cspm/testkit`, wire the container, register an account, store findings,
 *    call `getDashboardSummary`, dispose and stop MongoDB. Each must print the expected result and EXIT BY
 *    ITSELF: a consumer still running after `--exit-timeout` seconds has open handles and fails the check.
 *
 * Assumes the packages are built (`pnpm build`). Exit code 0 when everything passed, 1 otherwise.
 * Usage: `npx tsx scripts/release/packedInstallCheck.ts [--keep] [--skip-attw] [--exit-timeout=60]`
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const CONSUMER_DIR = join(dirname(fileURLToPath(import.meta.url)), "consumer");
const ATTW = "@arethetypeswrong/cli@0.18.5";
/** Runtime libraries every consumer installs itself (peer dependencies of the packages). */
const PEERS = ["mongodb", "zod", "ioredis", "tsyringe", "reflect-metadata"] as const;
const DEPENDENCY_FIELDS = ["dependencies", "peerDependencies", "optionalDependencies"] as const;

interface Options {
  readonly keep: boolean;
  readonly skipAttw: boolean;
  readonly exitTimeoutMs: number;
}

interface WorkspacePackage {
  readonly name: string;
  readonly version: string;
  readonly dir: string;
  readonly manifest: Record<string, unknown>;
  readonly peerDependencies: Record<string, string>;
  readonly bin: readonly string[];
}

interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
  readonly ms: number;
}

interface RunOptions {
  readonly cwd: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Kill the process after this many ms and report `timedOut`. */
  readonly timeoutMs?: number;
}

class CheckFailure extends Error {}

function parseOptions(argv: readonly string[]): Options {
  let keep = false;
  let skipAttw = false;
  let exitTimeoutMs = 60_000;
  for (const arg of argv) {
    if (arg === "--keep") keep = true;
    else if (arg === "--skip-attw") skipAttw = true;
    else if (arg.startsWith("--exit-timeout=")) {
      const seconds = Number(arg.slice("--exit-timeout=".length));
      if (!Number.isFinite(seconds) || seconds <= 0) throw new CheckFailure(`bad ${arg}: seconds expected`);
      exitTimeoutMs = seconds * 1000;
    } else if (arg === "--help" || arg === "-h") {
      process.stdout.write("usage: npx tsx scripts/release/packedInstallCheck.ts [--keep] [--skip-attw] [--exit-timeout=60]\n");
      process.exit(0);
    } else throw new CheckFailure(`unknown argument ${arg}`);
  }
  return { keep, skipAttw, exitTimeoutMs };
}

const started = Date.now();
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
function step(title: string): void {
  process.stdout.write(`\n== ${title} ==  (+${seconds(Date.now() - started)})\n`);
}
function info(line: string): void {
  process.stdout.write(`  ${line}\n`);
}
function indent(text: string, prefix = "    | "): string {
  return text
    .trimEnd()
    .split("\n")
    .map((line) => `${prefix}${line}`)
    .join("\n");
}

/** The environment a child sees: no pnpm script context, no module path overrides, no loaders. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (
      /^npm_(package|lifecycle)_/.test(key) ||
      ["npm_execpath", "npm_node_execpath", "npm_command", "npm_config_user_agent"].includes(key)
    )
      continue;
    if (key === "NODE_PATH" || key === "NODE_OPTIONS" || key.startsWith("PNPM_")) continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

function run(command: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
  const begin = Date.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? cleanEnv(), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            child.kill("SIGKILL");
          }, options.timeoutMs);
    child.on("error", (error) => {
      if (timer) clearTimeout(timer);
      reject(new CheckFailure(`could not run ${command}: ${error.message}`));
    });
    child.on("close", (code, signal) => {
      if (timer) clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr, timedOut, ms: Date.now() - begin });
    });
  });
}

async function mustRun(label: string, command: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
  const result = await run(command, args, options);
  if (result.code !== 0 || result.timedOut) {
    const why = result.timedOut
      ? `did not finish within ${seconds(options.timeoutMs ?? 0)}`
      : `exited with ${result.code ?? result.signal}`;
    throw new CheckFailure(`${label} ${why}\n${indent(`${result.stdout}\n${result.stderr}`)}`);
  }
  return result;
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  });
  await Promise.all(workers);
  return results;
}

function readJson(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
}

function stringRecord(value: unknown): Record<string, string> {
  if (value === null || typeof value !== "object") return {};
  return Object.fromEntries(Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === "string"));
}

/** Every non-private package under `packages/`. */
function publishablePackages(): WorkspacePackage[] {
  const packagesDir = join(ROOT, "packages");
  const found: WorkspacePackage[] = [];
  for (const entry of readdirSync(packagesDir, { withFileTypes: true })) {
    const manifestPath = join(packagesDir, entry.name, "package.json");
    if (!entry.isDirectory() || !existsSync(manifestPath)) continue;
    const manifest = readJson(manifestPath);
    if (manifest["private"] === true) continue;
    const bin = manifest["bin"];
    found.push({
      name: String(manifest["name"]),
      version: String(manifest["version"]),
      dir: join(packagesDir, entry.name),
      manifest,
      peerDependencies: stringRecord(manifest["peerDependencies"]),
      bin: typeof bin === "string" ? [String(manifest["name"]).split("/").pop() as string] : Object.keys(stringRecord(bin)),
    });
  }
  return found.sort((a, b) => a.name.localeCompare(b.name));
}

/** The files a manifest's `main`/`module`/`types`/`exports`/`bin` point at, so a missing build is caught up front. */
function referencedFiles(manifest: Record<string, unknown>): string[] {
  const files = new Set<string>();
  const visit = (value: unknown): void => {
    if (typeof value === "string") {
      if (value.startsWith("./") && !value.includes("*")) files.add(value);
    } else if (value !== null && typeof value === "object") for (const child of Object.values(value)) visit(child);
  };
  for (const field of ["main", "module", "types", "exports", "bin"]) visit(manifest[field]);
  return [...files].filter((file) => file !== "./package.json");
}

function assertBuilt(packages: readonly WorkspacePackage[]): void {
  const missing: string[] = [];
  for (const pkg of packages) {
    for (const file of referencedFiles(pkg.manifest)) {
      if (!existsSync(join(pkg.dir, file))) missing.push(`${pkg.name}: ${file}`);
    }
  }
  if (missing.length > 0) {
    throw new CheckFailure(`the packages are not built (run \`pnpm build\` first); missing:\n${indent(missing.join("\n"))}`);
  }
}

/** The peer ranges to install: every package's declared range for the peer, joined (a semver intersection). */
function peerRanges(packages: readonly WorkspacePackage[]): Record<string, string> {
  const ranges: Record<string, string> = {};
  for (const peer of PEERS) {
    const declared = [...new Set(packages.map((pkg) => pkg.peerDependencies[peer]).filter((r): r is string => r !== undefined))];
    if (declared.length === 0) throw new CheckFailure(`no package declares the peer dependency ${peer}`);
    ranges[peer] = declared.join(" ");
  }
  return ranges;
}

function tarballName(pkg: WorkspacePackage): string {
  return `${pkg.name.replace(/^@/, "").replace("/", "-")}-${pkg.version}.tgz`;
}

/**
 * How to run pnpm: the pnpm running this script (`npm_execpath` under `pnpm run`), else `pnpm` on PATH, else
 * the version `packageManager` pins through npx (CI defines pnpm as a shell function, invisible to children).
 */
async function pnpmCommand(): Promise<readonly string[]> {
  const execPath = process.env["npm_execpath"];
  if (execPath && /pnpm/.test(execPath) && existsSync(execPath))
    return /\.[cm]?js$/.test(execPath) ? [process.execPath, execPath] : [execPath];
  const onPath = await run("pnpm", ["--version"], { cwd: ROOT, timeoutMs: 30_000 }).catch(() => undefined);
  if (onPath?.code === 0) return ["pnpm"];
  const pinned = String(readJson(join(ROOT, "package.json"))["packageManager"] ?? "pnpm").replace(/\+.*$/, "");
  return ["npx", "-y", pinned];
}

async function packAll(packages: readonly WorkspacePackage[], destination: string): Promise<Map<string, string>> {
  const tarballs = new Map<string, string>();
  const [pnpm, ...pnpmArgs] = await pnpmCommand();
  info(`pnpm: ${[pnpm, ...pnpmArgs].join(" ")}`);
  await mapLimit(packages, 4, async (pkg) => {
    await mustRun(`pnpm pack (${pkg.name})`, pnpm as string, [...pnpmArgs, "pack", "--pack-destination", destination], {
      cwd: pkg.dir,
      env: cleanEnv(),
    });
    const tarball = join(destination, tarballName(pkg));
    if (!existsSync(tarball)) throw new CheckFailure(`pnpm pack (${pkg.name}) did not write ${tarball}`);
    tarballs.set(pkg.name, tarball);
  });
  return tarballs;
}

/** The packed manifest must name real versions: no `workspace:` (or `link:`/`file:`) range may reach npm. */
async function checkPackedManifest(pkg: WorkspacePackage, tarball: string, tarballDir: string): Promise<void> {
  const { stdout } = await mustRun(`tar (${pkg.name})`, "tar", ["-xzOf", tarball, "package/package.json"], { cwd: tarballDir });
  const manifest = JSON.parse(stdout) as Record<string, unknown>;
  const bad: string[] = [];
  for (const field of DEPENDENCY_FIELDS) {
    for (const [dependency, range] of Object.entries(stringRecord(manifest[field]))) {
      if (/^(workspace|link|file|portal):/.test(range)) bad.push(`${field}.${dependency} = "${range}"`);
    }
  }
  if (bad.length > 0) throw new CheckFailure(`${pkg.name}: the packed package.json has unpublishable ranges: ${bad.join(", ")}`);
}

async function attwAvailability(tarballDir: string): Promise<string | undefined> {
  const probe = await run("npx", ["-y", ATTW, "--version"], { cwd: tarballDir, env: cleanEnv(), timeoutMs: 180_000 });
  if (probe.code === 0 && !probe.timedOut) {
    info(`attw ${probe.stdout.trim().split("\n")[0] ?? ""} (${ATTW}, run with --no-definitely-typed: reads only the tarball, no network)`);
    return undefined;
  }
  const why = probe.timedOut ? "npx did not fetch it within 180 s" : (probe.stderr.trim().split("\n").pop() ?? `exit ${probe.code}`);
  return `could not get ${ATTW} through npx: ${why}`;
}

/** Lints every tarball; returns the failures (the install and consumers still run, so one run reports everything). */
async function lintTarballs(
  packages: readonly WorkspacePackage[],
  tarballs: Map<string, string>,
  tarballDir: string,
  options: Options,
): Promise<string[]> {
  const publint = join(ROOT, "node_modules", ".bin", "publint");
  if (!existsSync(publint)) throw new CheckFailure(`publint is not installed at ${relative(ROOT, publint)} (run pnpm install)`);
  const failures: string[] = [];
  await mapLimit(packages, 4, async (pkg) => {
    const tarball = tarballs.get(pkg.name) as string;
    await checkPackedManifest(pkg, tarball, tarballDir);
    const result = await run(publint, ["run", "--strict", tarball], { cwd: tarballDir, env: cleanEnv(), timeoutMs: 120_000 });
    if (result.code === 0 && !result.timedOut) info(`publint --strict ${pkg.name}: clean`);
    else failures.push(`publint --strict ${pkg.name}:\n${indent(`${result.stdout}\n${result.stderr}`)}`);
  });

  const skipReason = options.skipAttw ? "--skip-attw given" : await attwAvailability(tarballDir);
  if (skipReason !== undefined) {
    info(`SKIPPED @arethetypeswrong/cli: ${skipReason}`);
  } else {
    await mapLimit(packages, 4, async (pkg) => {
      const tarball = tarballs.get(pkg.name) as string;
      const args = ["-y", ATTW, "--no-definitely-typed", "--format", "ascii", "--no-color", "--no-emoji", tarball];
      const result = await run("npx", args, { cwd: tarballDir, env: cleanEnv(), timeoutMs: 120_000 });
      if (result.code === 0 && !result.timedOut) info(`attw ${pkg.name}: no problems`);
      else failures.push(`attw ${pkg.name}:\n${indent(`${result.stdout}\n${result.stderr}`)}`);
    });
  }
  for (const failure of failures) process.stdout.write(`  FAILED ${failure}\n`);
  return failures;
}

async function createConsumerProject(
  projectDir: string,
  packages: readonly WorkspacePackage[],
  tarballs: Map<string, string>,
): Promise<void> {
  const dependencies: Record<string, string> = {};
  const overrides: Record<string, string> = {};
  for (const pkg of packages) {
    dependencies[pkg.name] = `file:${tarballs.get(pkg.name) as string}`;
    // Transitive `@cspm/*` ranges resolve to these tarballs too, never to the registry.
    overrides[pkg.name] = `$${pkg.name}`;
  }
  Object.assign(dependencies, peerRanges(packages));
  const manifest = { name: "cspm-packed-consumer", version: "0.0.0", private: true, type: "module", dependencies, overrides };
  await writeFile(join(projectDir, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  for (const file of ["scenario.cjs", "consumer.mjs", "consumer.cjs"]) await copyFile(join(CONSUMER_DIR, file), join(projectDir, file));
}

async function npmInstall(projectDir: string, packages: readonly WorkspacePackage[]): Promise<void> {
  const result = await mustRun("npm install", "npm", ["install", "--no-audit", "--no-fund"], { cwd: projectDir, timeoutMs: 600_000 });
  info(`${result.stdout.trim().split("\n").pop() ?? "installed"} (${seconds(result.ms)})`);
  const installed: string[] = [];
  for (const name of [...packages.map((pkg) => pkg.name), ...PEERS]) {
    const manifestPath = join(projectDir, "node_modules", name, "package.json");
    if (!existsSync(manifestPath)) throw new CheckFailure(`npm install did not install ${name}`);
    installed.push(`${name}@${String(readJson(manifestPath)["version"])}`);
  }
  info(`installed: ${installed.join(", ")}`);
  // Nested copies of a @cspm package would mean a transitive range went to the registry instead of a tarball.
  const nested = readdirSync(join(projectDir, "node_modules", "@cspm"))
    .map((dir) => join(projectDir, "node_modules", "@cspm", dir, "node_modules", "@cspm"))
    .filter((dir) => existsSync(dir));
  if (nested.length > 0) throw new CheckFailure(`npm nested @cspm packages instead of using the tarballs: ${nested.join(", ")}`);
  for (const pkg of packages) {
    for (const bin of pkg.bin) {
      if (!existsSync(join(projectDir, "node_modules", ".bin", bin)))
        throw new CheckFailure(`${pkg.name}: npm did not link its bin "${bin}"`);
      info(`bin ${bin} (${pkg.name}) linked`);
    }
  }
}

interface ConsumerResult {
  readonly format: string;
  readonly engine: string;
  readonly exports: Record<string, number>;
  readonly account: { provider: string; account_id: string; name: string; has_credentials: boolean };
  readonly resolved: { aggregation: boolean; findings: boolean };
  readonly decorator_metadata: boolean | null;
  readonly totals: Record<string, number>;
  readonly pass_rate: number;
  readonly by_account: readonly { account_id: string; name: string | null }[];
}

const EXPECTED_TOTALS = { findings: 2, passed: 1, failed: 1, manual: 0, accounts: 1, checks: 2 };

function checkConsumerResult(file: string, result: ConsumerResult, packages: readonly WorkspacePackage[]): void {
  const problems: string[] = [];
  const expect = (ok: boolean, what: string) => {
    if (!ok) problems.push(what);
  };
  expect(
    JSON.stringify(result.totals) === JSON.stringify(EXPECTED_TOTALS),
    `totals ${JSON.stringify(result.totals)} != ${JSON.stringify(EXPECTED_TOTALS)}`,
  );
  expect(result.pass_rate === 50, `pass_rate ${result.pass_rate} != 50`);
  expect(
    JSON.stringify(result.by_account) === JSON.stringify([{ account_id: "123456789012", name: "prod" }]),
    `by_account ${JSON.stringify(result.by_account)} should label 123456789012 as "prod"`,
  );
  expect(result.account.has_credentials && result.account.account_id === "123456789012", `account ${JSON.stringify(result.account)}`);
  expect(result.resolved.aggregation, "TOKENS.AggregationService did not resolve to an instance of @cspm/services' AggregationService");
  expect(result.resolved.findings, "ProwlerFindingRepository did not resolve to an instance of @cspm/domain's class");
  expect(
    result.decorator_metadata === false,
    `decorator metadata ${String(result.decorator_metadata)} (reflect-metadata must be loaded; no design:paramtypes expected)`,
  );
  for (const pkg of packages) expect((result.exports[pkg.name] ?? 0) > 0, `${pkg.name} did not load`);
  if (problems.length > 0) throw new CheckFailure(`${file}: unexpected result:\n${indent(problems.join("\n"))}`);
}

async function runConsumer(projectDir: string, file: string, packages: readonly WorkspacePackage[], options: Options): Promise<number> {
  const env = cleanEnv({ CSPM_PACKED_PACKAGES: packages.map((pkg) => pkg.name).join(",") });
  const result = await run(process.execPath, [file], { cwd: projectDir, env, timeoutMs: options.exitTimeoutMs });
  const output = indent(`${result.stdout}${result.stderr}`);
  if (result.timedOut) {
    throw new CheckFailure(
      `${file} did not exit by itself within ${seconds(options.exitTimeoutMs)}: something keeps the event loop alive after dispose() ` +
        `(open handles) or the scenario hung\n${output}`,
    );
  }
  if (result.code !== 0) throw new CheckFailure(`${file} exited with ${result.code ?? result.signal}\n${output}`);
  const line = result.stdout.split("\n").find((l) => l.startsWith("RESULT "));
  if (!line) throw new CheckFailure(`${file} printed no RESULT line\n${output}`);
  const parsed = JSON.parse(line.slice("RESULT ".length)) as ConsumerResult;
  checkConsumerResult(file, parsed, packages);
  const stderr = result.stderr.trim();
  if (stderr) info(indent(stderr, `${file} stderr | `).trimStart());
  info(
    `${file}: exited 0 by itself in ${seconds(result.ms)} — engine=${parsed.engine} totals=${JSON.stringify(parsed.totals)} ` +
      `pass_rate=${parsed.pass_rate} account=${parsed.by_account[0]?.name ?? "?"} resolved-by-token-and-class=ok decorator_metadata=${String(parsed.decorator_metadata)}`,
  );
  return result.ms;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const workDir = await mkdtemp(join(tmpdir(), "cspm-packed-check-"));
  const tarballDir = join(workDir, "tarballs");
  const projectDir = join(workDir, "consumer");
  const cleanup = async () => {
    if (options.keep) info(`kept ${workDir}`);
    else await rm(workDir, { recursive: true, force: true });
  };
  const onSignal = (signal: NodeJS.Signals) => {
    void cleanup().finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    step("publishable packages");
    const packages = publishablePackages();
    if (packages.length === 0) throw new CheckFailure("no publishable packages under packages/");
    info(`${packages.length}: ${packages.map((pkg) => `${pkg.name}@${pkg.version}`).join(", ")}`);
    assertBuilt(packages);
    info("every main/module/types/exports/bin target exists (built)");
    const peers = peerRanges(packages);
    info(
      `peers: ${Object.entries(peers)
        .map(([name, range]) => `${name}@${range}`)
        .join(", ")}`,
    );

    step("pnpm pack");
    await mkdir(tarballDir, { recursive: true });
    await mkdir(projectDir, { recursive: true });
    const tarballs = await packAll(packages, tarballDir);
    info(`${tarballs.size} tarballs in ${tarballDir}`);

    step("lint the tarballs (packed manifests, publint --strict, attw)");
    const lintFailures = await lintTarballs(packages, tarballs, tarballDir, options);

    step(`npm install into a fresh project outside the workspace (${projectDir})`);
    if (!relative(ROOT, projectDir).startsWith("..")) throw new CheckFailure(`${projectDir} is inside the workspace ${ROOT}`);
    await createConsumerProject(projectDir, packages, tarballs);
    await npmInstall(projectDir, packages);

    step("consumers (each must exit by itself)");
    for (const file of ["consumer.mjs", "consumer.cjs"]) await runConsumer(projectDir, file, packages, options);

    if (lintFailures.length > 0) {
      throw new CheckFailure(
        `the consumers passed, but ${lintFailures.length} tarball lint check(s) failed (details above): ${lintFailures.map((f) => f.split("\n")[0]).join("; ")}`,
      );
    }
    step(`packed install check passed in ${seconds(Date.now() - started)}`);
  } finally {
    await cleanup();
  }
}

main().catch((error: unknown) => {
  const message = error instanceof CheckFailure ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`\nPACKED INSTALL CHECK FAILED (after ${seconds(Date.now() - started)}): ${message}\n`);
  process.exitCode = 1;
});
