import { Binary, Decimal128, Long, MaxKey, MinKey, ObjectId, Timestamp } from "bson";
import { describe, expect, it } from "vitest";
import { bsonEquals, canonicalKey, compareBsonValues, formatBsonValue } from "./bsonOrder";

describe("BSON ordering", () => {
  it("orders types canonically", () => {
    const values = [
      new MaxKey(),
      /re/,
      new Timestamp({ t: 1, i: 1 }),
      new Date(0),
      true,
      new ObjectId("000000000000000000000001"),
      new Binary(Buffer.from([1])),
      [1],
      { a: 1 },
      "s",
      1,
      null,
      new MinKey(),
    ];
    const sorted = [...values].sort(compareBsonValues);
    expect(sorted).toEqual([...values].reverse());
  });

  it("compares numbers across representations", () => {
    expect(compareBsonValues(1, Decimal128.fromString("1.0"))).toBe(0);
    expect(compareBsonValues(Long.fromString("9007199254740993"), 9007199254740992)).toBe(1);
    expect(compareBsonValues(Number.NaN, -Infinity)).toBe(-1);
    expect(bsonEquals(2, 2.0)).toBe(true);
    expect(bsonEquals("2", 2)).toBe(false);
  });

  it("compares documents field by field, order-sensitively", () => {
    expect(compareBsonValues({ a: 1, b: 2 }, { a: 1, b: 2 })).toBe(0);
    expect(bsonEquals({ a: 1, b: 2 }, { b: 2, a: 1 })).toBe(false);
    expect(compareBsonValues({ a: 1 }, { a: 1, b: 0 })).toBe(-1);
  });

  it("derives equal canonical keys exactly for equal values", () => {
    expect(canonicalKey(1)).toBe(canonicalKey(Long.fromNumber(1)));
    expect(canonicalKey(-0)).toBe(canonicalKey(0));
    expect(canonicalKey("1")).not.toBe(canonicalKey(1));
    expect(canonicalKey({ a: "x,y" })).not.toBe(canonicalKey({ a: "x", y: undefined }));
    expect(canonicalKey(new ObjectId("65f000000000000000000000"))).toBe(canonicalKey(new ObjectId("65f000000000000000000000")));
  });

  it("formats values the way mongod prints duplicate keys", () => {
    expect(formatBsonValue({ email: "a@b.c", n: 1.5, d: new Date(5), id: new ObjectId("65f000000000000000000000") })).toBe(
      `{ email: "a@b.c", n: 1.5, d: new Date(5), id: ObjectId('65f000000000000000000000') }`,
    );
  });
});
