/**
 * The docs check: every shell block of every README is either run here, exactly as written, or carries a
 * stated reason why not. Run from the repository root after install and build:
 *
 *   npx tsx scripts/docs/checkDocs.ts            # lint every block, run the runnable ones
 *   npx tsx scripts/docs/checkDocs.ts --lint     # only the lint (markers present, no bare pnpm/tsx)
 *   npx tsx scripts/docs/checkDocs.ts --only packages/ingest   # some READMEs only
 *
 * A shell block (```sh, ```bash, ```shell) must follow one marker line:
 *   <!-- docs-check: run -->                      run it with bash (set -euo pipefail); must exit 0 in time
 *   <!-- docs-check: serve <url> -->              start it, wait until <url> answers, then Ctrl-C (SIGINT) it:
 *                                                 it must exit 0 and print no package-manager error
 *   <!-- docs-check: skip <reason> -->            not run here, for the stated reason (a host app's install of
 *                                                 published packages, a real MongoDB, the test suite CI runs anyway)
 * In every block, a command may not start with bare `pnpm` or `tsx` (a fresh machine has only Node and npm).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SHELL_FENCE = /^```(sh|bash|shell)\s*$/;
const MARKER = /^<!--\s*docs-check:\s*(run|serve|skip)\b\s*(.*?)\s*-->\s*$/;
const RUN_TIMEOUT_MS = 180_000;
const SERVE_TIMEOUT_MS = 240_000;
const BARE = /^(?:[A-Z_][A-Z0-9_]*=\S*\s+)*(pnpm|tsx)\s/;

interface Block {
  readonly file: string;
  readonly line: number;
  readonly kind: "run" | "serve" | "skip" | undefined;
  readonly argument: string;
  readonly body: string;
}

function readmes(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir)) {
    if (entry === "node_modules" || entry === "dist" || entry.startsWith(".") || entry === "fixtures") continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) readmes(path, out);
    else if (entry === "README.md") out.push(path);
  }
  return out;
}

function blocksOf(path: string): Block[] {
  const lines = readFileSync(path, "utf8").split("\n");
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!SHELL_FENCE.test(lines[i] as string)) continue;
    let j = i - 1;
    while (j >= 0 && (lines[j] as string).trim() === "") j--;
    const marker = j >= 0 ? MARKER.exec(lines[j] as string) : null;
    const body: string[] = [];
    let k = i + 1;
    while (k < lines.length && !(lines[k] as string).startsWith("```")) body.push(lines[k++] as string);
    blocks.push({
      file: relative(ROOT, path),
      line: i + 1,
      kind: marker ? (marker[1] as Block["kind"]) : undefined,
      argument: marker?.[2] ?? "",
      body: body.join("\n"),
    });
    i = k;
  }
  return blocks;
}

function lint(block: Block): string[] {
  const problems: string[] = [];
  const where = `${block.file}:${block.line}`;
  if (block.kind === undefined) problems.push(`${where}: shell block without a <!-- docs-check: run|serve|skip --> marker`);
  if (block.kind === "skip" && block.argument === "") problems.push(`${where}: docs-check skip needs a reason`);
  if (block.kind === "serve" && !/^https?:\/\//.test(block.argument)) problems.push(`${where}: docs-check serve needs the URL to wait for`);
  for (const line of block.body.split("\n")) {
    const command = line.replace(/^\s*\$\s*/, "").trim();
    if (command.startsWith("#")) continue;
    for (const part of command.split(/&&|\|\||;/)) {
      if (BARE.test(part.trim()))
        problems.push(`${where}: "${part.trim()}" needs a tool a fresh machine lacks; use npx -y pnpm@<version> / npx tsx`);
    }
  }
  return problems;
}

function start(body: string): { child: ChildProcess; output: () => string } {
  const child = spawn("bash", ["-euo", "pipefail", "-c", body], {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, CI: "true" },
  });
  let text = "";
  child.stdout?.on("data", (chunk) => {
    text += String(chunk);
  });
  child.stderr?.on("data", (chunk) => {
    text += String(chunk);
  });
  return { child, output: () => text };
}

function exited(child: ChildProcess, timeoutMs: number): Promise<number | "timeout"> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve("timeout"), timeoutMs);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      resolve(code ?? (signal ? 128 : 1));
    });
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    return response.status < 500;
  } catch {
    return false;
  }
}

async function run(block: Block): Promise<string | undefined> {
  const where = `${block.file}:${block.line}`;
  const { child, output } = start(block.body);
  if (block.kind === "run") {
    const code = await exited(child, RUN_TIMEOUT_MS);
    if (code === "timeout") killGroup(child, "SIGKILL");
    return code === 0 ? undefined : `${where}: exited ${code}\n${output().slice(-3000)}`;
  }
  const deadline = Date.now() + SERVE_TIMEOUT_MS;
  let up = false;
  while (Date.now() < deadline && child.exitCode === null) {
    if (await answers(block.argument)) {
      up = true;
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  if (!up) {
    killGroup(child, "SIGKILL");
    return `${where}: ${block.argument} never answered\n${output().slice(-3000)}`;
  }
  killGroup(child, "SIGINT"); // what Ctrl-C sends to the foreground process group
  const code = await exited(child, 30_000);
  if (code === "timeout") killGroup(child, "SIGKILL");
  if (code !== 0) return `${where}: Ctrl-C exit ${code} (expected 0)\n${output().slice(-3000)}`;
  if (/ERR_PNPM|ELIFECYCLE|npm ERR!/.test(output()))
    return `${where}: the package manager reported an error on Ctrl-C\n${output().slice(-3000)}`;
  return undefined;
}

const lintOnly = process.argv.includes("--lint");
/** `--only <path prefix>` (repeatable) limits the check to some READMEs, e.g. while writing one. */
const only = process.argv.flatMap((arg, i) => (arg === "--only" && process.argv[i + 1] ? [process.argv[i + 1] as string] : []));
const blocks = readmes(ROOT)
  .flatMap(blocksOf)
  .filter((block) => only.length === 0 || only.some((prefix) => block.file.startsWith(prefix)));
const problems = blocks.flatMap(lint);
if (problems.length > 0) {
  for (const problem of problems) console.error(problem);
  console.error(`docs-check: ${problems.length} problem(s) in ${blocks.length} shell blocks`);
  process.exit(1);
}
const runnable = blocks.filter((b) => b.kind === "run" || b.kind === "serve");
console.log(
  `docs-check: ${blocks.length} shell blocks, ${runnable.length} runnable, ${blocks.length - runnable.length} skipped with a reason`,
);
if (lintOnly) process.exit(0);
let failed = 0;
for (const block of runnable) {
  const started = Date.now();
  const problem = await run(block);
  const took = `${((Date.now() - started) / 1000).toFixed(1)} s`;
  if (problem) {
    failed += 1;
    console.error(`FAIL ${problem}`);
  } else console.log(`ok   ${block.file}:${block.line} (${block.kind}, ${took})`);
}
if (failed > 0) {
  console.error(`docs-check: ${failed} of ${runnable.length} runnable blocks failed`);
  process.exit(1);
}
console.log(`docs-check: all ${runnable.length} runnable blocks pass`);
