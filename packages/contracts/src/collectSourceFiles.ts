import { readdir, stat } from "node:fs/promises";
import { join, relative, resolve, sep } from "node:path";
import { InternalError, ValidationError } from "@cspm/errors";
import { SOURCE_EXTENSIONS } from "./parseSource";
import type { PathMatcher } from "./pathMatcher";

/** A file to check: its absolute path and its `/`-separated path relative to `cwd`. */
export interface SourceFileEntry {
  readonly absolutePath: string;
  readonly file: string;
}

function toRelative(cwd: string, absolutePath: string): string {
  const path = relative(cwd, absolutePath).split(sep).join("/");
  return path === "" ? "." : path;
}

function isSourceFile(name: string): boolean {
  return SOURCE_EXTENSIONS.some((extension) => name.endsWith(extension));
}

/**
 * Expands files and folders (relative to `cwd`) into the source files under them, in sorted order,
 * skipping ignored paths and never following symbolic links to folders. Throws `VALIDATION_FAILED`
 * for a path that does not exist, `INTERNAL` when a folder cannot be read.
 */
export async function collectSourceFiles(paths: readonly string[], cwd: string, ignored: PathMatcher): Promise<SourceFileEntry[]> {
  const found = new Map<string, SourceFileEntry>();
  const visit = async (absolutePath: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(absolutePath, { withFileTypes: true });
    } catch (error) {
      throw new InternalError(`Cannot read folder ${toRelative(cwd, absolutePath)}.`, { cause: error });
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const child = join(absolutePath, entry.name);
      const file = toRelative(cwd, child);
      if (ignored(file)) continue;
      if (entry.isDirectory()) await visit(child);
      else if (entry.isFile() && isSourceFile(entry.name)) found.set(child, { absolutePath: child, file });
    }
  };
  const missing: string[] = [];
  for (const path of paths) {
    const absolutePath = resolve(cwd, path);
    let stats;
    try {
      stats = await stat(absolutePath);
    } catch {
      missing.push(path);
      continue;
    }
    const file = toRelative(cwd, absolutePath);
    if (file !== "." && ignored(file)) continue;
    if (stats.isDirectory()) await visit(absolutePath);
    else if (stats.isFile() && isSourceFile(absolutePath)) found.set(absolutePath, { absolutePath, file });
  }
  if (missing.length > 0) {
    throw new ValidationError(
      `No such file or folder: ${missing.join(", ")}.`,
      missing.map((path) => ({ path: "paths", message: `${path} does not exist` })),
    );
  }
  return [...found.values()].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}
