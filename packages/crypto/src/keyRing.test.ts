import { randomBytes } from "node:crypto";
import { inspect } from "node:util";
import { ValidationError, isCspmError } from "@cspm/errors";
import { describe, expect, it } from "vitest";
import { KEY_LENGTH_BYTES, KeyRing, generateKey, parseKeyRing } from "./index";

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw");
}

function allTextOf(value: unknown): string {
  return [
    String(value),
    JSON.stringify(value) ?? "",
    inspect(value, { depth: null, showHidden: true, getters: true }),
    value instanceof Error ? String(value.stack) : "",
  ].join("\n");
}

describe("KeyRing", () => {
  it("parses `id:key` pairs with the first one active", () => {
    const k1 = generateKey();
    const k2 = generateKey();
    const ring = parseKeyRing(` k2:${k2} , k1:${k1}`);
    expect(ring.activeKeyId).toBe("k2");
    expect(ring.keyIds).toEqual(["k2", "k1"]);
    expect(ring.has("k1")).toBe(true);
    expect(ring.has("k3")).toBe(false);
  });

  it("accepts entries with base64, base64url and raw bytes", () => {
    const raw = randomBytes(32);
    const ring = new KeyRing([
      { id: "a", key: raw.toString("base64") },
      { id: "b", key: raw.toString("base64url") },
      { id: "c", key: raw },
    ]);
    expect(ring.keyIds).toEqual(["a", "b", "c"]);
    expect(KeyRing.from([{ id: "x", key: raw }]).activeKeyId).toBe("x");
    expect(KeyRing.from(`y:${raw.toString("base64")}`).activeKeyId).toBe("y");
  });

  it("generateKey returns 32 random bytes as base64", () => {
    const key = generateKey();
    expect(Buffer.from(key, "base64")).toHaveLength(KEY_LENGTH_BYTES);
    expect(generateKey()).not.toBe(key);
  });

  it.each([16, 24, 31, 33, 64])("rejects a %i-byte key with VALIDATION_FAILED", (length) => {
    const key = randomBytes(length).toString("base64");
    const error = caught(() => parseKeyRing(`k1:${key}`));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toEqual([{ path: "0.key", message: `must decode to exactly 32 bytes (got ${length})` }]);
    expect(allTextOf(error)).not.toContain(key);
  });

  it("rejects raw key bytes of the wrong length", () => {
    const error = caught(() => new KeyRing([{ id: "k1", key: randomBytes(16) }])) as ValidationError;
    expect(error.code).toBe("VALIDATION_FAILED");
    expect(error.issues[0]?.path).toBe("0.key");
  });

  it("lists every problem at once: duplicate id, bad id charset, bad base64, malformed pair", () => {
    const good = generateKey();
    const error = caught(() =>
      parseKeyRing(`k1:${good},k1:${generateKey()},bad id!:${generateKey()},k4:not*base64,justtext`),
    ) as ValidationError;
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.issues).toEqual([
      { path: "1.id", message: 'duplicate key id "k1"' },
      { path: "2.id", message: "must be 1-32 characters of A-Z a-z 0-9 _ . -" },
      { path: "3.key", message: "is not valid base64" },
      { path: "4", message: 'must look like "id:base64key"' },
    ]);
    expect(allTextOf(error)).not.toContain(good);
  });

  it("never echoes a key pasted into the id slot", () => {
    const key = randomBytes(32).toString("base64url");
    const error = caught(() => new KeyRing([{ id: key, key: generateKey() }])) as ValidationError;
    expect(error.issues).toEqual([{ path: "0.id", message: "must be 1-32 characters of A-Z a-z 0-9 _ . -" }]);
    expect(allTextOf(error)).not.toContain(key);
  });

  it("rejects an empty ring", () => {
    expect(isCspmError(caught(() => parseKeyRing("  ")))).toBe(true);
    expect((caught(() => new KeyRing([])) as ValidationError).code).toBe("VALIDATION_FAILED");
  });

  it("never shows key bytes in toString, JSON, inspect or a spread", () => {
    const raw = randomBytes(32);
    const b64 = raw.toString("base64");
    const ring = parseKeyRing(`k2:${b64},k1:${generateKey()}`);
    const text = [allTextOf(ring), JSON.stringify({ ...ring }), Object.getOwnPropertyNames(ring).join(",")].join("\n");
    expect(text).toContain("k2");
    for (const encoding of ["base64", "base64url", "hex"] as const) {
      expect(text).not.toContain(raw.toString(encoding));
    }
    expect(JSON.parse(JSON.stringify(ring))).toEqual({ activeKeyId: "k2", keyIds: ["k2", "k1"] });
    expect(String(ring)).toBe("KeyRing(active=k2, keys=[k2, k1])");
  });

  it("is immutable", () => {
    const ring = parseKeyRing(`k1:${generateKey()}`);
    expect(() => {
      (ring as { activeKeyId: string }).activeKeyId = "other";
    }).toThrow(TypeError);
  });
});
