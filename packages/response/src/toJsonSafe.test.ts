import { describe, expect, it } from "vitest";
import { scrubText, toJsonSafe } from "./index";

describe("toJsonSafe", () => {
  it("maps top-level values like JSON.stringify would, without throwing", () => {
    expect(toJsonSafe(undefined)).toBeUndefined();
    expect(toJsonSafe(() => 1)).toBeUndefined();
    expect(toJsonSafe(Number.POSITIVE_INFINITY)).toBeNull();
    expect(toJsonSafe(5n)).toBe("5");
    expect(toJsonSafe(new Uint8Array([1, 2]))).toBe("[Binary]");
    expect(toJsonSafe(new Set([1, 1, 2]))).toEqual([1, 2]);
  });

  it("survives a throwing toJSON or getter", () => {
    const badToJson = {
      toJSON() {
        throw new Error("nope");
      },
    };
    const badGetter = Object.defineProperty({ ok: 1 }, "boom", {
      enumerable: true,
      get() {
        throw new Error("nope");
      },
    });
    expect(toJsonSafe({ a: badToJson, b: badGetter })).toEqual({ a: "[Unserializable]", b: "[Unserializable]" });
  });

  it("caps long arrays and honours maxDepth", () => {
    expect(toJsonSafe([1, 2, 3, 4], { maxArrayLength: 2 })).toEqual([1, 2, "[2 more]"]);
    expect(toJsonSafe({ a: { b: { c: 1 } } }, { maxDepth: 2 })).toEqual({ a: { b: "[Truncated]" } });
  });

  it("keeps a value shared by siblings (only true cycles are cut)", () => {
    const shared = { x: 1 };
    expect(toJsonSafe({ a: shared, b: shared })).toEqual({ a: { x: 1 }, b: { x: 1 } });
  });
});

describe("scrubText", () => {
  it("cuts stack frames and hides connection-string passwords", () => {
    expect(scrubText("Error: x\n    at f (a.js:1:1)\n    at g")).toBe("Error: x");
    expect(scrubText("mongodb+srv://svc:p@ss@c.example.net/db")).toBe("mongodb+srv://svc:[REDACTED]@c.example.net/db");
    expect(scrubText("plain text")).toBe("plain text");
  });
});
