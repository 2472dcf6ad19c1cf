import { describe, expect, it } from "vitest";
import {
  ConflictError,
  ContractViolationError,
  type CspmError,
  ERROR_CODES,
  ForbiddenError,
  InternalError,
  isCspmError,
  isErrorCode,
  NotFoundError,
  PayloadTooLargeError,
  UnavailableError,
  ValidationError,
  httpStatusFor,
} from "./index";

describe("error taxonomy", () => {
  const cases: Array<[CspmError, string, number]> = [
    [new ValidationError("bad", [{ path: "a.b", message: "required" }]), "VALIDATION_FAILED", 400],
    [new ForbiddenError("no"), "FORBIDDEN", 403],
    [new NotFoundError("gone"), "NOT_FOUND", 404],
    [new ConflictError("dup"), "CONFLICT", 409],
    [new PayloadTooLargeError("big"), "PAYLOAD_TOO_LARGE", 413],
    [new ContractViolationError("lookup"), "CONTRACT_VIOLATION", 500],
    [new InternalError(), "INTERNAL", 500],
    [new UnavailableError("down"), "UNAVAILABLE", 503],
  ];

  it.each(cases)("%o carries its code and status", (error, code, status) => {
    expect(error.code).toBe(code);
    expect(error.httpStatus).toBe(status);
    expect(httpStatusFor(error.code)).toBe(status);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe(error.constructor.name);
    expect(isCspmError(error)).toBe(true);
  });

  it("covers every declared code", () => {
    expect(new Set(cases.map(([, code]) => code))).toEqual(new Set(Object.keys(ERROR_CODES)));
  });

  it("keeps field issues in details and never serialises cause or stack", () => {
    const cause = new Error("mongodb://user:secret@host");
    const error = new ValidationError("bad input", [{ path: "team_id", message: "Required" }], { cause });
    const json = JSON.parse(JSON.stringify(error));
    expect(json).toEqual({
      code: "VALIDATION_FAILED",
      message: "bad input",
      details: { issues: [{ path: "team_id", message: "Required" }] },
    });
    expect(JSON.stringify(error)).not.toContain("secret");
    expect(error.cause).toBe(cause);
  });

  it("recognises errors by brand, not by prototype", () => {
    expect(isCspmError(new Error("x"))).toBe(false);
    expect(isCspmError({ code: "NOT_FOUND" })).toBe(false);
    expect(isCspmError(null)).toBe(false);
    expect(isErrorCode("CONFLICT")).toBe(true);
    expect(isErrorCode("toString")).toBe(false);
  });
});
