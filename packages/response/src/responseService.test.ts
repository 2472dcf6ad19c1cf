import { ConflictError, CspmError, ERROR_CODES, InternalError, NotFoundError, ValidationError, type ErrorCode } from "@cspm/errors";
import { describe, expect, it, vi } from "vitest";
import { z } from "zod";
import {
  ResponseService,
  errorResponse,
  httpStatus,
  paginatedResponse,
  successResponse,
  toCspmError,
  toHttpResponse,
  type ErrorEnvelope,
} from "./index";

const CODES = Object.keys(ERROR_CODES) as ErrorCode[];
const GENERIC = "An internal error occurred.";

function roundTrip<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

describe("successResponse", () => {
  it("wraps data and adds meta only when given", () => {
    expect(successResponse({ id: 1 })).toEqual({ success: true, data: { id: 1 } });
    expect(Object.keys(successResponse(null))).toEqual(["success", "data"]);
    expect(successResponse([1, 2], { request_id: "r1" })).toEqual({ success: true, data: [1, 2], meta: { request_id: "r1" } });
  });
});

describe("errorResponse for every code of the taxonomy", () => {
  it.each(CODES)("%s keeps code, message and details and maps to its status", (code) => {
    const onUnexpectedError = vi.fn();
    const service = new ResponseService({ onUnexpectedError });
    const error = new CspmError(code, `something ${code}`, { details: { hint: "check it", n: 1 }, cause: new Error("driver text") });
    const envelope = service.errorResponse(error);
    const expected = { success: false, error: { code, message: `something ${code}`, details: { hint: "check it", n: 1 } } };
    expect(envelope).toEqual(expected);
    expect(roundTrip(envelope)).toEqual(expected);
    expect(JSON.stringify(envelope)).not.toContain("driver text");
    expect(service.httpStatus(envelope)).toBe(ERROR_CODES[code].httpStatus);
    expect(service.httpStatus(code)).toBe(ERROR_CODES[code].httpStatus);
    expect(service.toHttpResponse(error)).toEqual({ statusCode: ERROR_CODES[code].httpStatus, body: expected });
    // Reported once by errorResponse and once by toHttpResponse, only for 500s.
    expect(onUnexpectedError).toHaveBeenCalledTimes(ERROR_CODES[code].httpStatus === 500 ? 2 : 0);
  });

  it.each(CODES)("%s without details has no details key", (code) => {
    const envelope = errorResponse(new CspmError(code, "m"));
    expect(Object.keys(envelope.error)).toEqual(["code", "message"]);
  });

  it("keeps a ValidationError's field issues", () => {
    const envelope = errorResponse(new ValidationError("bad", [{ path: "team_id", message: "Required" }]));
    expect(envelope.error).toEqual({
      code: "VALIDATION_FAILED",
      message: "bad",
      details: { issues: [{ path: "team_id", message: "Required" }] },
    });
  });

  it("turns a taxonomy error with a code this version does not know into INTERNAL", () => {
    const error = new ConflictError("x");
    Object.defineProperty(error, "code", { value: "TEAPOT" });
    const hook = vi.fn();
    const envelope = new ResponseService({ onUnexpectedError: hook }).errorResponse(error);
    expect(envelope.error).toEqual({ code: "INTERNAL", message: GENERIC });
    expect(hook).toHaveBeenCalledWith(error, envelope);
  });
});

describe("errorResponse for zod errors", () => {
  const schema = z.object({
    account: z.object({ name: z.string().min(1), regions: z.array(z.enum(["eu-west-1", "us-east-1"])) }),
    email: z.email(),
    team_id: z.string(),
  });

  it("becomes VALIDATION_FAILED with dotted field paths", () => {
    const result = schema.safeParse({ account: { name: "", regions: ["eu-west-1", "mars-1"] }, email: "nope" });
    expect(result.success).toBe(false);
    const hook = vi.fn();
    const envelope = new ResponseService({ onUnexpectedError: hook }).errorResponse(result.error);
    expect(envelope.error.code).toBe("VALIDATION_FAILED");
    expect(envelope.error.message).toBe("Validation failed.");
    const issues = (envelope.error.details as { issues: { path: string; message: string }[] }).issues;
    expect(issues.map((issue) => issue.path).sort()).toEqual(["account.name", "account.regions.1", "email", "team_id"]);
    for (const issue of issues) expect(issue.message).toEqual(expect.any(String));
    expect(Object.keys(envelope.error.details ?? {})).toEqual(["issues"]);
    expect(httpStatus(envelope)).toBe(400);
    expect(hook).not.toHaveBeenCalled();
  });

  it("handles a thrown error from parse() and a root-level issue", () => {
    let thrown: unknown;
    try {
      z.string().parse(42);
    } catch (error) {
      thrown = error;
    }
    const envelope = errorResponse(thrown);
    expect(envelope.error.details).toEqual({ issues: [{ path: "", message: expect.stringMatching(/string/) }] });
    expect(toCspmError(thrown)).toBeInstanceOf(ValidationError);
  });

  it("is recognised by shape, not by class", () => {
    const fake = { name: "ZodError", issues: [{ path: ["a", 0, "b"], message: "bad" }] };
    expect(errorResponse(fake).error.details).toEqual({ issues: [{ path: "a.0.b", message: "bad" }] });
    expect(errorResponse({ name: "ZodError", issues: "nope" }).error.code).toBe("INTERNAL");
  });
});

describe("errorResponse for unknown thrown values", () => {
  it("hides an unknown Error behind a generic INTERNAL and reports the original once", () => {
    const onUnexpectedError = vi.fn();
    const service = new ResponseService({ onUnexpectedError });
    const original = new Error("connect ECONNREFUSED mongodb://admin:s3cr3t@db.internal:27017/cspm_platform");
    const envelope = service.errorResponse(original);
    expect(envelope).toEqual({ success: false, error: { code: "INTERNAL", message: GENERIC } });
    const json = JSON.stringify(envelope);
    for (const leak of ["s3cr3t", "mongodb", "ECONNREFUSED", "at ", "stack"]) expect(json).not.toContain(leak);
    expect(onUnexpectedError).toHaveBeenCalledTimes(1);
    expect(onUnexpectedError.mock.calls[0]?.[0]).toBe(original);
    expect(onUnexpectedError.mock.calls[0]?.[1]).toBe(envelope);
  });

  it.each<[string, unknown]>([
    ["a string", "mongodb://u:p@h"],
    ["null", null],
    ["undefined", undefined],
    ["a number", 42],
    ["a symbol", Symbol("x")],
    ["a plain object", { message: "password=hunter2", code: "NOT_FOUND", details: { x: 1 } }],
    ["an array", [new Error("inner")]],
  ])("maps %s to INTERNAL", (_name, value) => {
    const hook = vi.fn();
    const envelope = new ResponseService({ onUnexpectedError: hook }).errorResponse(value);
    expect(envelope).toEqual({ success: false, error: { code: "INTERNAL", message: GENERIC } });
    expect(hook).toHaveBeenCalledTimes(1);
    expect(hook.mock.calls[0]?.[0]).toBe(value);
  });

  it("maps a hostile value (revoked Proxy) to INTERNAL without throwing", () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    const hook = vi.fn();
    expect(new ResponseService({ onUnexpectedError: hook }).errorResponse(proxy)).toEqual({
      success: false,
      error: { code: "INTERNAL", message: GENERIC },
    });
    expect(hook).toHaveBeenCalledTimes(1);
  });

  it("reports taxonomy INTERNAL errors too, and survives a throwing hook", () => {
    const seen: unknown[] = [];
    const service = new ResponseService({
      onUnexpectedError: (error) => {
        seen.push(error);
        throw new Error("logger down");
      },
    });
    const internal = new InternalError("Ciphertext failed authentication.");
    expect(service.errorResponse(internal).error).toEqual({ code: "INTERNAL", message: "Ciphertext failed authentication." });
    const unknown = new Error("x");
    expect(service.toHttpResponse(unknown).statusCode).toBe(500);
    expect(seen).toEqual([internal, unknown]);
  });

  it("the free functions have no hook and return the same shapes", () => {
    expect(errorResponse(new Error("x"))).toEqual({ success: false, error: { code: "INTERNAL", message: GENERIC } });
    expect(toHttpResponse(new NotFoundError("No such account."))).toEqual({
      statusCode: 404,
      body: { success: false, error: { code: "NOT_FOUND", message: "No such account." } },
    });
  });

  it("bound methods work when passed around", async () => {
    const { errorResponse: detached } = new ResponseService();
    const envelope = await Promise.reject(new NotFoundError("gone")).catch(detached);
    expect(envelope.error.code).toBe("NOT_FOUND");
  });
});

describe("sanitised details", () => {
  it("never carries cause, stack, functions or cycles, and always serialises", () => {
    const cyclic: Record<string, unknown> = { name: "loop" };
    cyclic["self"] = cyclic;
    const error = new ConflictError("Duplicate account.", {
      details: {
        key: { team_id: "t1" },
        cause: new Error("E11000 duplicate key"),
        stack: "Error\n    at x",
        fn: () => 1,
        sym: Symbol("s"),
        big: 10n,
        nan: Number.NaN,
        when: new Date("2024-05-06T07:08:09.000Z"),
        inner: new Error("mongodb://u:pw@h"),
        taxonomy: new NotFoundError("nested", { details: { id: "x" } }),
        cyclic,
        list: [1, undefined, () => 2],
        map: new Map([["a", 1]]),
        trace: "boom\n    at Object.<anonymous> (/srv/app.js:1:1)",
        uri: "redis://:hunter2@cache:6379",
      },
      cause: new Error("root"),
    });
    const envelope = errorResponse(error);
    expect(roundTrip(envelope)).toEqual(envelope);
    expect(envelope.error.details).toEqual({
      key: { team_id: "t1" },
      big: "10",
      nan: null,
      when: "2024-05-06T07:08:09.000Z",
      inner: "[Error]",
      taxonomy: { code: "NOT_FOUND", message: "nested", details: { id: "x" } },
      cyclic: { name: "loop", self: "[Circular]" },
      list: [1, null, null],
      map: { a: 1 },
      trace: "boom",
      uri: "redis://:[REDACTED]@cache:6379",
    });
  });

  it("caps depth so a deep structure still serialises", () => {
    let deep: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < 50; i += 1) deep = { next: deep };
    const envelope = errorResponse(new ConflictError("deep", { details: { deep } }));
    const text = JSON.stringify(envelope);
    expect(text).toContain("[Truncated]");
    expect(text).not.toContain("leaf");
  });

  it("scrubs connection-string passwords from taxonomy messages", () => {
    const envelope = errorResponse(
      new CspmError("UNAVAILABLE", "Cannot reach mongodb://app:pa55@db:27017.", { details: { hint: "start MongoDB" } }),
    );
    expect(envelope.error.message).toBe("Cannot reach mongodb://app:[REDACTED]@db:27017.");
  });
});

describe("paginatedResponse", () => {
  it("builds a page with a cursor, counts and meta", () => {
    expect(paginatedResponse([{ id: 1 }, { id: 2 }], { nextCursor: "abc", limit: 2, total: 5 }, { request_id: "r" })).toEqual({
      success: true,
      data: { items: [{ id: 1 }, { id: 2 }], next_cursor: "abc", has_more: true, count: 2, limit: 2, total: 5 },
      meta: { request_id: "r" },
    });
  });

  it("ends with a null cursor and omits an unknown total", () => {
    const envelope = paginatedResponse(["x"], { nextCursor: undefined, limit: 10 });
    expect(envelope).toEqual({ success: true, data: { items: ["x"], next_cursor: null, has_more: false, count: 1, limit: 10 } });
    expect("total" in envelope.data).toBe(false);
    expect("meta" in envelope).toBe(false);
  });

  it.each([-1, 1.5, Number.NaN])("rejects limit %s with VALIDATION_FAILED", (limit) => {
    expect(() => paginatedResponse([], { nextCursor: null, limit })).toThrow(ValidationError);
  });

  it("rejects a negative total", () => {
    expect(() => paginatedResponse([], { nextCursor: null, limit: 1, total: -3 })).toThrow(ValidationError);
  });
});

describe("httpStatus", () => {
  it.each(CODES)("%s -> the taxonomy's status", (code) => {
    expect(httpStatus(code)).toBe(ERROR_CODES[code].httpStatus);
    const envelope: ErrorEnvelope = { success: false, error: { code, message: "m" } };
    expect(httpStatus(envelope)).toBe(ERROR_CODES[code].httpStatus);
  });

  it("is 200 for success and 500 for an unknown code", () => {
    expect(httpStatus(successResponse(1))).toBe(200);
    expect(httpStatus("TEAPOT")).toBe(500);
    expect(httpStatus({ success: false, error: { code: "TEAPOT" as ErrorCode, message: "m" } })).toBe(500);
  });
});
