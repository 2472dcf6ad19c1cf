import { BSON, Double, Int32, Long } from "bson";
import { describe, expect, it } from "vitest";
import { addToSum, arithmetic, decodeDocument, divideValues, newSum, numericKind, roundValue, sumResult } from "./numbers";

describe("numbers", () => {
  it("keeps int32 as numbers, integral doubles as Double and every int64 as Long after decoding", () => {
    const bytes = BSON.serialize({
      i: new Int32(7),
      d: new Double(7),
      f: 7.5,
      l: Long.fromNumber(7),
      big: 5e9,
      list: [new Int32(1), new Double(2)],
      nested: { z: new Double(-0), s: "x", o: { d: new Double(3) } },
    });
    const doc = decodeDocument(bytes);
    expect(doc.i).toBe(7);
    expect(doc.d).toBeInstanceOf(Double);
    expect(doc.f).toBe(7.5);
    expect(doc.l).toBeInstanceOf(Long);
    expect(doc.big).toBe(5e9);
    expect(doc.list).toEqual([1, new Double(2)]);
    expect(doc.nested.z).toBeInstanceOf(Double);
    expect(doc.nested.o.d).toEqual(new Double(3));
    expect([numericKind(doc.i), numericKind(doc.d), numericKind(doc.f), numericKind(doc.l), numericKind(doc.big)]).toEqual([
      "int",
      "double",
      "double",
      "long",
      "double",
    ]);
    const again = BSON.deserialize(BSON.serialize(doc), { promoteValues: false });
    expect([again.i, again.d, again.f, again.l].map((v) => (v as { _bsontype: string })._bsontype)).toEqual([
      "Int32",
      "Double",
      "Double",
      "Long",
    ]);
  });

  it("widens int to long on overflow, long to double beyond int64, and anything with a double to a double", () => {
    expect(arithmetic("$add", 1, 2)).toBe(3);
    expect(arithmetic("$add", 2147483647, 1)).toEqual(Long.fromNumber(2147483648));
    expect(arithmetic("$add", Long.fromNumber(1), 1)).toEqual(Long.fromNumber(2));
    expect(arithmetic("$multiply", Long.fromString("9223372036854775807"), 2)).toBe(18446744073709552000);
    expect(arithmetic("$add", 1, new Double(1))).toEqual(new Double(2));
    expect(arithmetic("$multiply", 0, -1)).toBe(0);
    expect(divideValues(6, 3)).toEqual(new Double(2));
    expect(roundValue("$round", 2.5, 0)).toEqual(new Double(2));
    expect(roundValue("$round", 1250, -2)).toBe(1200);
  });

  it("sums with mongod's result types", () => {
    const ints = newSum();
    for (const v of [2000000000, 2000000000, "x"]) addToSum(ints, v);
    expect(sumResult(ints)).toEqual(Long.fromNumber(4000000000));
    const mixed = newSum();
    for (const v of [1, 1.5, 0.5]) addToSum(mixed, v);
    expect(sumResult(mixed)).toEqual(new Double(3));
    expect(sumResult(newSum())).toBe(0);
  });
});
