import type { Severity } from "@cspm/domain";
import type { HeaderScanInput } from "../formats/formatDefinition";

type Issue = NonNullable<HeaderScanInput["issues"]>[number];

const WEIGHT: Record<Severity, number> = { critical: 25, high: 15, medium: 10, low: 5, informational: 0 };
const HEADER = /^[a-z0-9!#$%&'*+.^_`|~-]{1,128}$/;
/** The headers whose absence matters most (OWASP Secure Headers' core set). */
const CORE = new Set(["content-security-policy", "strict-transport-security", "x-frame-options", "x-content-type-options"]);

/** A header name in stored form (lower case), or `undefined` when it is not a valid header name. */
export function headerName(name: string | undefined): string | undefined {
  const lower = name?.trim().toLowerCase();
  return lower !== undefined && HEADER.test(lower) ? lower : undefined;
}

/** The severity of a missing security header: medium for the core four, low for the rest. */
export function missingHeaderSeverity(name: string): Severity {
  return CORE.has(name) ? "medium" : "low";
}

/** A 0–100 score derived from the issues (100 minus 25/15/10/5 per critical/high/medium/low issue). */
export function headerScore(issues: readonly Issue[]): number {
  return Math.max(0, 100 - issues.reduce((sum, issue) => sum + WEIGHT[issue.severity], 0));
}

/** A letter grade from a 0–100 score: 90 A, 80 B, 70 C, 60 D, 50 E, else F. */
export function headerGrade(score: number): NonNullable<HeaderScanInput["grade"]> {
  return score >= 90 ? "A" : score >= 80 ? "B" : score >= 70 ? "C" : score >= 60 ? "D" : score >= 50 ? "E" : "F";
}

/** Header names without repeats, valid ones only, at most 200. */
export function headerList(names: readonly (string | undefined)[]): string[] {
  return [...new Set(names.map(headerName).filter((n): n is string => n !== undefined))].slice(0, 200);
}

/** A lower-case issue code from a tool's wording (`Header not included in response` -> `header-not-included-in-response`). */
export function issueCode(text: string): string {
  const code = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  return /^[a-z]/.test(code) ? code.slice(0, 128) : `issue-${code}`.slice(0, 128);
}
