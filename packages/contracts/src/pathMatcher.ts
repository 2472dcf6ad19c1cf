/** Tests a `/`-separated path (relative to the check's `cwd`) against a list of glob patterns. */
export type PathMatcher = (relativePath: string) => boolean;

function escapeRegExp(text: string): string {
  return text.replace(/[.+^${}()|[\]\\]/g, "\\$&");
}

/**
 * Compiles one glob to a regular expression: `**` spans folders, `*` and `?` stay inside one
 * segment, a pattern without `/` matches a file or folder of that name anywhere (gitignore style).
 */
function globToRegExp(glob: string): RegExp {
  let pattern = glob.replace(/\\/g, "/").replace(/^\.\//, "");
  if (!pattern.includes("/")) pattern = `**/${pattern}/**`;
  if (pattern.endsWith("/")) pattern = `${pattern}**`;
  let source = "";
  for (let i = 0; i < pattern.length; i += 1) {
    const char = pattern[i] as string;
    if (char === "*" && pattern[i + 1] === "*") {
      const before = i === 0 || pattern[i - 1] === "/";
      const after = pattern[i + 2];
      if (before && after === "/") {
        source += "(?:.*/)?"; // `**/` matches zero or more folders
        i += 2;
      } else if (before && after === undefined) {
        source = source.endsWith("/") ? `${source.slice(0, -1)}(?:/.*)?` : `${source}.*`; // trailing `/**`
        i += 1;
      } else {
        source += ".*";
        i += 1;
      }
    } else if (char === "*") {
      source += "[^/]*";
    } else if (char === "?") {
      source += "[^/]";
    } else {
      source += escapeRegExp(char);
    }
  }
  return new RegExp(`^${source}$`);
}

/**
 * A matcher for a list of globs (`**\/test/fixtures/**`, `packages/registry/**`, `dist`); a path
 * that leaves `cwd` (`../x`) is matched as written, so patterns starting with `**\/` still apply.
 */
export function createPathMatcher(patterns: readonly string[]): PathMatcher {
  const expressions = patterns.filter((p) => p.trim() !== "").map(globToRegExp);
  return (relativePath) => {
    const path = relativePath.replace(/\\/g, "/");
    return expressions.some((expression) => expression.test(path));
  };
}
