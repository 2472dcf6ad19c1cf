import { ValidationError } from "@cspm/errors";
import { Binary, Decimal128, Long, ObjectId } from "bson";
import { describe, expect, it } from "vitest";
import { decodeCacheValue, encodeCacheValue, encodeOrThrow } from "./cacheCodec";

describe("cache codec (canonical EJSON)", () => {
  it("round-trips Date, ObjectId, Decimal128, Binary and plain numbers with their types", () => {
    const id = new ObjectId();
    const value = {
      created_at: new Date(1_700_000_000_123),
      _id: id,
      cost: Decimal128.fromString("10.10"),
      blob: new Binary(Buffer.from("hi")),
      count: 3,
      ratio: 0.25,
      epochMs: 1_700_000_000_123,
      negZero: -0,
      list: [1, "two", null, { nested: new Date(0) }],
    };
    const back = decodeCacheValue(encodeCacheValue(value)) as typeof value;
    expect(back.created_at).toBeInstanceOf(Date);
    expect(back.created_at.getTime()).toBe(1_700_000_000_123);
    expect(back._id).toBeInstanceOf(ObjectId);
    expect(back._id.equals(id)).toBe(true);
    expect(back.cost).toBeInstanceOf(Decimal128);
    expect(back.cost.toString()).toBe("10.10");
    expect(back.blob).toBeInstanceOf(Binary);
    expect(back.count).toBe(3);
    expect(back.ratio).toBe(0.25);
    expect(back.epochMs).toBe(1_700_000_000_123);
    expect(Object.is(back.negZero, -0)).toBe(true);
    expect((back.list[3] as { nested: Date }).nested).toBeInstanceOf(Date);
    expect(back.list.slice(0, 3)).toEqual([1, "two", null]);
  });

  it("keeps a Long that does not fit a double, promotes one that does", () => {
    const back = decodeCacheValue(encodeCacheValue({ big: Long.fromString("9007199254740993"), small: Long.fromInt(7) })) as {
      big: Long;
      small: number;
    };
    expect(back.big).toBeInstanceOf(Long);
    expect(back.big.toString()).toBe("9007199254740993");
    expect(back.small).toBe(7);
  });

  it("returns a fresh object graph each time", () => {
    const text = encodeCacheValue({ a: { b: 1 } });
    const first = decodeCacheValue(text) as { a: { b: number } };
    first.a.b = 2;
    expect(decodeCacheValue(text)).toEqual({ a: { b: 1 } });
  });

  it("does not let a __proto__ key pollute prototypes", () => {
    const back = decodeCacheValue('{"__proto__":{"$numberInt":"1"},"x":{"$numberInt":"2"}}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(back.x).toBe(2);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("rejects undefined and circular values with VALIDATION_FAILED", () => {
    expect(() => encodeOrThrow(undefined)).toThrow(ValidationError);
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(() => encodeOrThrow(circular)).toThrow(ValidationError);
  });
});
