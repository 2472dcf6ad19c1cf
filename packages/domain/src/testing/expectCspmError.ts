/** Test-only (not exported): awaits `work` and returns the `CspmError` it threw, failing when it resolved or threw something else. */
import { type CspmError, type ErrorCode, isCspmError } from "@cspm/errors";
import { expect } from "vitest";

export async function expectCspmError(work: Promise<unknown> | (() => unknown), code: ErrorCode): Promise<CspmError> {
  let caught: unknown;
  try {
    await (typeof work === "function" ? work() : work);
  } catch (error) {
    caught = error;
  }
  expect(isCspmError(caught), `expected a CspmError ${code}, got ${String(caught)}`).toBe(true);
  expect((caught as CspmError).code).toBe(code);
  return caught as CspmError;
}
