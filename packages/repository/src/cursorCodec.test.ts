import { createHmac } from "node:crypto";
import { ValidationError } from "@cspm/errors";
import { ObjectId } from "mongodb";
import { describe, expect, it } from "vitest";
import { CursorCodec, MAX_CURSOR_LENGTH } from "./cursorCodec";

const SECRET = "a-test-secret-of-enough-bytes!!";

describe("CursorCodec", () => {
  const codec = new CursorCodec(SECRET);
  const id = new ObjectId();
  const at = new Date("2024-05-06T07:08:09.123Z");

  it("round-trips dates, ObjectIds, numbers, strings and null with their types", () => {
    for (const value of [at, new ObjectId(), 42, 1.5, "high", null]) {
      const cursor = codec.encode({ field: "f", direction: "desc", value, id }, "bind");
      expect(cursor).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
      const decoded = codec.decode(cursor, "bind");
      expect(decoded.field).toBe("f");
      expect(decoded.direction).toBe("desc");
      expect(decoded.value).toEqual(value);
      expect(decoded.id).toBeInstanceOf(ObjectId);
      expect((decoded.id as ObjectId).equals(id)).toBe(true);
    }
    const decodedDate = codec.decode(codec.encode({ field: "f", direction: "asc", value: at, id }, "b"), "b").value;
    expect(decodedDate).toBeInstanceOf(Date);
  });

  it("rejects a cursor whose payload was edited", () => {
    const cursor = codec.encode({ field: "f", direction: "asc", value: 10, id }, "bind");
    const [body, tag] = cursor.split(".") as [string, string];
    const json = Buffer.from(body, "base64url").toString("utf8").replace("10", "11");
    const forged = `${Buffer.from(json, "utf8").toString("base64url")}.${tag}`;
    expect(() => codec.decode(forged, "bind")).toThrow(ValidationError);
  });

  it("rejects a cursor made for another binding or with another secret", () => {
    const cursor = codec.encode({ field: "f", direction: "asc", value: 1, id }, "team-a");
    expect(() => codec.decode(cursor, "team-b")).toThrow(ValidationError);
    expect(() => new CursorCodec("another-secret-of-enough-bytes").decode(cursor, "team-a")).toThrow(ValidationError);
  });

  it.each([
    ["", "empty"],
    ["abc", "no tag"],
    ["a.b.c", "two dots"],
    [42, "not a string"],
    ["x".repeat(MAX_CURSOR_LENGTH + 1), "too long"],
  ] as Array<[unknown, string]>)("rejects malformed cursor %#", (cursor: unknown) => {
    try {
      codec.decode(cursor, "bind");
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).issues[0]?.path).toBe("cursor");
    }
  });

  it("rejects a correctly tagged payload of the wrong shape", () => {
    // Tag a hand-made body the way the codec does (HMAC-SHA256 over binding, newline, body; 16 bytes).
    const body = Buffer.from('{"f":1,"d":"sideways"}', "utf8").toString("base64url");
    const tag = createHmac("sha256", SECRET).update("bind").update("\n").update(body).digest().subarray(0, 16).toString("base64url");
    expect(() => codec.decode(`${body}.${tag}`, "bind")).toThrow(ValidationError);
  });

  it("refuses short secrets", () => {
    expect(() => new CursorCodec("short")).toThrow(ValidationError);
  });

  it("uses one random per-process secret by default", () => {
    const cursor = new CursorCodec().encode({ field: "_id", direction: "asc", value: null, id }, "b");
    expect(new CursorCodec().decode(cursor, "b").field).toBe("_id");
    expect(() => codec.decode(cursor, "b")).toThrow(ValidationError);
  });
});
