#!/usr/bin/env bash
# Release dry run: the whole changesets flow in a throwaway clone, so the pending changesets of this checkout
# are never consumed and nothing is published.
#
#   1. git clone this repository into a temp dir (committed state; --worktree also copies uncommitted changes)
#   2. pnpm install --frozen-lockfile
#   3. pnpm changeset status --verbose           (what would be released)
#   4. pnpm changeset version                    (bumps versions, writes CHANGELOGs, deletes the changesets — in the clone)
#   5. pnpm install --frozen-lockfile            (the bumped manifests still match the lockfile)
#   6. pnpm build
#   7. pnpm publish -r --dry-run --no-git-checks (what `changeset publish` would publish; it has no dry run itself)
#
# Usage: bash scripts/release/releaseDryRun.sh [--worktree] [--keep]
# Needs git and the npm registry (install, and publish's "is this version already published" lookups).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WORKTREE=0
KEEP=0
for arg in "$@"; do
  case "$arg" in
    --worktree) WORKTREE=1 ;;
    --keep) KEEP=1 ;;
    -h | --help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "unknown argument: $arg (try --help)" >&2; exit 2 ;;
  esac
done

if command -v pnpm >/dev/null 2>&1; then
  pnpm_cmd=(pnpm)
else
  # The version packageManager pins (as .ci/run does).
  pnpm_version="$(node -p 'require(process.argv[1]).packageManager.split("@")[1]' "$ROOT/package.json")"
  pnpm_cmd=(npx -y "pnpm@${pnpm_version}")
fi
run_pnpm() { "${pnpm_cmd[@]}" "$@"; }

STARTED=$SECONDS
step() { printf '\n== %s ==  (+%ss)\n' "$*" "$((SECONDS - STARTED))"; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/cspm-release-dry-run.XXXXXX")"
cleanup() {
  if [[ "$KEEP" == 1 ]]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
CLONE="$WORK/repo"

step "clone $ROOT -> $CLONE"
git clone --quiet --no-hardlinks "$ROOT" "$CLONE"
echo "HEAD $(git -C "$CLONE" log -1 --format='%h %s')"
if [[ "$WORKTREE" == 1 ]]; then
  # Tracked changes as a patch, untracked (not ignored) files copied as they are.
  git -C "$ROOT" diff --binary HEAD | git -C "$CLONE" apply --allow-empty --whitespace=nowarn
  git -C "$ROOT" ls-files -z --others --exclude-standard | (cd "$ROOT" && tar --null -T - -cf -) | tar -xf - -C "$CLONE"
  echo "copied the uncommitted changes of the working tree"
fi
cd "$CLONE"

step "pnpm install --frozen-lockfile"
run_pnpm install --frozen-lockfile --reporter=append-only 2>&1 | tail -n 5

step "pnpm changeset status --verbose"
run_pnpm changeset status --verbose

# Every package's name, version and private flag as JSON, to compare before/after `changeset version`.
manifest_versions() {
  node -e '
    const { readdirSync, readFileSync, existsSync } = require("node:fs");
    const out = {};
    for (const base of ["packages", "examples", "."]) {
      if (!existsSync(base)) continue;
      for (const dir of base === "." ? ["reliability"] : readdirSync(base)) {
        const file = `${base}/${dir}/package.json`;
        if (!existsSync(file)) continue;
        const p = JSON.parse(readFileSync(file, "utf8"));
        out[p.name] = { version: p.version, private: p.private === true };
      }
    }
    console.log(JSON.stringify(out));'
}
manifest_versions >"$WORK/versions-before.json"

step "pnpm changeset version (in the clone only)"
run_pnpm changeset version
manifest_versions >"$WORK/versions-after.json"
echo
echo "versions (before -> after):"
node -e '
  const [before, after] = process.argv.slice(1).map((f) => JSON.parse(require("node:fs").readFileSync(f, "utf8")));
  for (const name of Object.keys(after).sort()) {
    const a = before[name]?.version ?? "(new)";
    const b = after[name].version;
    console.log(`  ${name.padEnd(30)} ${a} -> ${b}${a === b ? "  (unchanged)" : ""}${after[name].private ? "  [private]" : ""}`);
  }' "$WORK/versions-before.json" "$WORK/versions-after.json"
echo
echo "pending changesets left: $(find .changeset -name '*.md' ! -name 'README.md' | wc -l)"
echo "CHANGELOG.md written: $(git ls-files --others --exclude-standard -- '*/CHANGELOG.md' | tr '\n' ' ')"
if grep -rn '"workspace:' packages/*/package.json | grep -v '"workspace:[\^~*]"' ; then
  echo "changeset version left a pinned workspace: range (see above)" >&2
  exit 1
fi

step "pnpm install --frozen-lockfile (after the version bump)"
run_pnpm install --frozen-lockfile --reporter=append-only 2>&1 | tail -n 3

step "pnpm build"
run_pnpm build >"$WORK/build.log" 2>&1 || { tail -n 60 "$WORK/build.log"; echo "build failed" >&2; exit 1; }
echo "  $(grep -c 'build: Done' "$WORK/build.log") packages built"

step "pnpm publish -r --dry-run --no-git-checks (what changeset publish would publish)"
run_pnpm publish -r --filter "./packages/**" --dry-run --no-git-checks --access public >"$WORK/publish.log" 2>&1 ||
  { tail -n 60 "$WORK/publish.log"; echo "pnpm publish --dry-run failed" >&2; exit 1; }
grep -E '📦|package size|total files|^\+ ' "$WORK/publish.log" | sed -e 's/^npm notice //' -e 's/^/  /' || true
echo "would publish $(grep -cE '^\+ ' "$WORK/publish.log" || true) package(s); nothing was published (dry run)"

step "release dry run finished in $((SECONDS - STARTED))s"
