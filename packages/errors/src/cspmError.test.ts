import { describe, expect, it } from "vitest";
import {
  ConflictError,
  ContractViolationError,
  type CspmError,
  ERROR_CODES,
  ERROR_REASONS,
  ForbiddenError,
  InternalError,
  isCspmError,
  isErrorCode,
  isErrorReason,
  issuesFromZod,
  NotFoundError,
  PayloadTooLargeError,
  RateLimitedError,
  UnauthenticatedError,
  UnavailableError,
  ValidationError,
  httpStatusFor,
} from "./index";

describe("error taxonomy", () => {
  const cases: Array<[CspmError, string, number]> = [
    [new ValidationError("bad", [{ path: "a.b", message: "required" }]), "VALIDATION_FAILED", 400],
    [new UnauthenticatedError("who?", { reason: "CREDENTIAL_MISSING" }), "UNAUTHENTICATED", 401],
    [new ForbiddenError("no"), "FORBIDDEN", 403],
    [new NotFoundError("gone"), "NOT_FOUND", 404],
    [new ConflictError("dup"), "CONFLICT", 409],
    [new PayloadTooLargeError("big"), "PAYLOAD_TOO_LARGE", 413],
    [new RateLimitedError("slow down", { details: { retry_after_seconds: 3 } }), "RATE_LIMITED", 429],
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

describe("error reasons", () => {
  it("ties every reason to exactly one declared code, in one casing", () => {
    for (const [reason, { code }] of Object.entries(ERROR_REASONS)) {
      expect(reason).toMatch(/^[A-Z][A-Z0-9_]*$/);
      expect(isErrorCode(code)).toBe(true);
      expect(isErrorReason(reason)).toBe(true);
    }
    expect(isErrorReason("version_conflict")).toBe(false);
  });

  it("stores the reason in details and exposes it", () => {
    const error = new ConflictError("taken", { reason: "DUPLICATE_KEY", details: { fields: ["name"] } });
    expect(error.reason).toBe("DUPLICATE_KEY");
    expect(error.toJSON()).toEqual({ code: "CONFLICT", message: "taken", details: { fields: ["name"], reason: "DUPLICATE_KEY" } });
    expect(new NotFoundError("gone").reason).toBeUndefined();
  });

  it("builds the conflict factories with their reasons and details", () => {
    const moved = ConflictError.illegalTransition("completed", "running", "scan run");
    expect(moved.message).toBe('Cannot move scan run from "completed" to "running".');
    expect(moved.details).toEqual({ from: "completed", to: "running", reason: "ILLEGAL_TRANSITION" });
    const stale = ConflictError.versionConflict(3, 5, { model_id: "m1" });
    expect(stale.details).toEqual({ model_id: "m1", expectedVersion: 3, actualVersion: 5, reason: "VERSION_CONFLICT" });
  });

  it("refines UNAUTHENTICATED and FORBIDDEN with the identity reasons", () => {
    const invalid = new UnauthenticatedError("bad token", { reason: "CREDENTIAL_INVALID" });
    expect(invalid.toJSON()).toEqual({ code: "UNAUTHENTICATED", message: "bad token", details: { reason: "CREDENTIAL_INVALID" } });
    expect(new ForbiddenError("no", { reason: "PERMISSION_DENIED", details: { permission: "manage_accounts" } }).details).toEqual({
      permission: "manage_accounts",
      reason: "PERMISSION_DENIED",
    });
    expect(ERROR_REASONS.LAST_OWNER.code).toBe("CONFLICT");
    // @ts-expect-error PERMISSION_DENIED refines FORBIDDEN, not UNAUTHENTICATED
    expect(new UnauthenticatedError("x", { reason: "PERMISSION_DENIED" }).reason).toBe("PERMISSION_DENIED");
  });

  it("rejects a reason of another code at compile time", () => {
    // @ts-expect-error VERSION_CONFLICT refines CONFLICT, not NOT_FOUND
    const wrong = new NotFoundError("x", { reason: "VERSION_CONFLICT" });
    expect(wrong.reason).toBe("VERSION_CONFLICT");
  });
});

describe("issuesFromZod", () => {
  it("dots paths under a prefix and keeps messages", () => {
    const error = {
      issues: [
        { path: ["since"], message: "must be a date" },
        { path: [], message: "bad" },
        { path: ["a", 0, "b"], message: "m" },
      ],
    };
    expect(issuesFromZod(error, "options")).toEqual([
      { path: "options.since", message: "must be a date" },
      { path: "options", message: "bad" },
      { path: "options.a.0.b", message: "m" },
    ]);
    expect(issuesFromZod(error)[1]).toEqual({ path: "", message: "bad" });
  });
});

describe("issuesFromZod and unknown keys", () => {
  const error = {
    issues: [
      {
        code: "unrecognized_keys",
        keys: ["AKIAIOSFODNN7EXAMPLE", "foo"],
        path: ["credentials"],
        message: 'Unrecognized keys: "AKIAIOSFODNN7EXAMPLE", "foo"',
      },
    ],
  };

  it("names unknown fields by default", () => {
    expect(issuesFromZod(error)).toEqual([{ path: "credentials", message: "unknown fields: AKIAIOSFODNN7EXAMPLE, foo" }]);
  });

  it("reports them by position only for secret values", () => {
    const issues = issuesFromZod(error, "", { secret: true });
    expect(issues).toEqual([
      { path: "credentials", message: "unexpected field (1 of 2)" },
      { path: "credentials", message: "unexpected field (2 of 2)" },
    ]);
    expect(JSON.stringify(issues)).not.toContain("AKIA");
  });
});
