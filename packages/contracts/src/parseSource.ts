import ts from "typescript";
import { isRuleId, type RuleId, type Violation } from "./violation";

/** A parsed file plus what rules need to report on it. */
export interface ParsedSource {
  /** Path relative to the check's `cwd`, `/`-separated; what violations report. */
  readonly file: string;
  readonly absolutePath: string;
  readonly sourceFile: ts.SourceFile;
  /** Whether the file's path marks it as a test (only parsed when tests are included). */
  readonly isTest: boolean;
  /** A violation of `rule` at `node`, or `undefined` when a disable comment suppresses it. */
  violation(rule: RuleId, node: ts.Node, message: string): Violation | undefined;
}

const SCRIPT_KINDS: Readonly<Record<string, ts.ScriptKind>> = {
  ".ts": ts.ScriptKind.TS,
  ".mts": ts.ScriptKind.TS,
  ".cts": ts.ScriptKind.TS,
  ".tsx": ts.ScriptKind.TSX,
  ".js": ts.ScriptKind.JS,
  ".mjs": ts.ScriptKind.JS,
  ".cjs": ts.ScriptKind.JS,
  ".jsx": ts.ScriptKind.JSX,
};

/** The file extensions the check reads. */
export const SOURCE_EXTENSIONS: readonly string[] = Object.keys(SCRIPT_KINDS);

/** `cspm-contracts-disable-next-line <rule>[, <rule>…] [-- reason]` inside a `//` or `/* *\/` comment. */
const DISABLE_DIRECTIVE = /(?:\/\/|\/\*)\s*cspm-contracts-disable-next-line\s+([a-z, -]+?)(?:\s+--.*)?(?:\*\/.*)?$/;

/** 1-based line numbers mapped to the rules a disable comment on the line before switches off. */
function disabledRules(text: string): Map<number, Set<RuleId>> {
  const disabled = new Map<number, Set<RuleId>>();
  const lines = text.split(/\r?\n/);
  lines.forEach((line, index) => {
    const match = DISABLE_DIRECTIVE.exec(line);
    if (!match?.[1]) return;
    const rules = match[1].split(/[\s,]+/).filter(isRuleId);
    if (rules.length > 0) disabled.set(index + 2, new Set(rules));
  });
  return disabled;
}

/** Parses a file without type checking (TypeScript's parser handles every supported extension). */
export function parseSource(file: string, absolutePath: string, text: string, isTest: boolean): ParsedSource {
  const extension = /\.[^./]+$/.exec(absolutePath)?.[0] ?? ".ts";
  const kind = SCRIPT_KINDS[extension] ?? ts.ScriptKind.TS;
  const sourceFile = ts.createSourceFile(absolutePath, text, ts.ScriptTarget.Latest, true, kind);
  const disabled = text.includes("cspm-contracts-disable-next-line") ? disabledRules(text) : new Map<number, Set<RuleId>>();
  return {
    file,
    absolutePath,
    sourceFile,
    isTest,
    violation(rule, node, message) {
      const position = sourceFile.getLineAndCharacterOfPosition(node.getStart(sourceFile));
      const line = position.line + 1;
      if (disabled.get(line)?.has(rule)) return undefined;
      return { rule, file, line, column: position.character + 1, message };
    },
  };
}
