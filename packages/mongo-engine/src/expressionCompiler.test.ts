import { Decimal128, Long, ObjectId, type Document } from "bson";
import { resolve } from "mingo/util";
import { describe, expect, it } from "vitest";
import { compileExpression, compileResolve } from "./expressionCompiler";
import { createMingoOptions, evaluateOn } from "./mingoContext";
import { translateEvaluationError } from "./queryMatcher";

// The compiled evaluation must give exactly what the engine's general (mingo-based) evaluation gives.
const docs: Document[] = [
  {
    _id: 1,
    a: 1,
    b: 2.5,
    s: "PASS",
    t: "x",
    d: new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6)),
    arr: [1, 2, 3],
    n: null,
    o: { p: 1, q: [1, { r: 2 }] },
  },
  {
    _id: 2,
    a: -3,
    b: "7",
    s: "FAIL",
    t: "",
    d: new Date(Date.UTC(1999, 11, 31)),
    arr: [],
    o: [{ p: 1 }, { p: [2, 3] }, { q: 1 }, [{ p: 9 }]],
  },
  { _id: 3, a: Long.fromString("9007199254740993"), s: null, arr: [[1, 2], [3]], o: { p: { p: { p: 1 } } } },
  { _id: new ObjectId("0123456789abcdef01234567"), a: 0, b: true, s: "MANUAL", t: "ab", d: "not a date", arr: "solo", o: [] },
  { _id: 5, a: 2, b: 3, s: "PASS", t: "y", arr: [{ k: 1 }, { k: 2 }, { j: 3 }], dec: Decimal128.fromString("1.5") },
];

const expressions: unknown[] = [
  "$a",
  "$b",
  "$s",
  "$missing",
  "$o.p",
  "$o.q",
  "$o.q.r",
  "$o.p.p",
  "$o.p.p.p",
  "$arr.k",
  "$arr.0",
  "$o.1.p",
  "$o.p.0",
  "$$ROOT",
  "$$CURRENT.s",
  "$$ROOT.o.p",
  "$$CURRENT",
  "$$REMOVE",
  "$$KEEP",
  "$$v",
  "$$v.x",
  "$$v.list.k",
  "$$undefinedVar",
  1,
  "text",
  true,
  null,
  [1, "$a", ["$s"]],
  { x: "$a", y: { z: "$s" } },
  { $literal: "$a" },
  { $literal: { $eq: 1 } },
  { $eq: ["$s", "PASS"] },
  { $ne: ["$s", "PASS"] },
  { $eq: ["$a", 1] },
  { $eq: ["$missing", null] },
  { $eq: ["$s", "$t"] },
  { $gt: ["$a", 0] },
  { $gte: ["$b", "$a"] },
  { $lt: ["$d", "$$NOW"] },
  { $lte: ["$a", null] },
  { $cmp: ["$a", "$b"] },
  { $eq: "$arr" },
  { $eq: ["$a"] },
  { $cond: [{ $eq: ["$s", "PASS"] }, 1, 0] },
  { $cond: { if: "$t", then: "yes", else: "no" } },
  { $cond: { if: "$a", then: "$b" } },
  { $cond: ["$s", 1] },
  { $ifNull: ["$missing", "$n", "dflt"] },
  { $ifNull: ["$s", "none"] },
  { $ifNull: "$s" },
  { $and: ["$a", "$t"] },
  { $and: [] },
  { $or: ["$missing", "$n", 0, ""] },
  { $or: "$a" },
  { $not: ["$a"] },
  { $not: "$t" },
  { $not: [] },
  { $in: ["$s", ["PASS", "FAIL"]] },
  { $in: ["$a", "$arr"] },
  { $in: [{ k: 1 }, "$arr"] },
  { $size: "$arr" },
  { $size: ["$arr"] },
  { $concat: ["$s", "-", "$t"] },
  { $concat: ["$s", "$a"] },
  { $concat: [] },
  { $toString: "$a" },
  { $toString: "$b" },
  { $toString: "$d" },
  { $toString: "$_id" },
  { $toString: "$missing" },
  { $dateToString: { format: "%Y-%m-%d", date: "$d" } },
  { $dateToString: { format: "%H:%M:%S.%L", date: "$d" } },
  { $dateToString: { format: "%Y/%j", date: "$d" } },
  { $dateToString: { date: "$d" } },
  { $dateToString: { format: "%d %%", date: "$d" } },
  { $dateToString: { format: "%Y-%m", date: "$d", timezone: "+02:00" } },
  { $dateToString: { format: "%Y", date: "$missing", onNull: "none" } },
  { $sum: ["$a", "$b", 1] },
  { $sum: "$arr" },
  { $sum: "$a" },
  { $avg: ["$a", "$b"] },
  { $avg: "$arr" },
  { $min: ["$a", "$b", null] },
  { $max: "$arr" },
  { $max: ["$s", "$t"] },
  { $sum: ["$dec"] },
  { $add: ["$a", 1] },
  { $add: ["$d", 1000] },
  { $multiply: ["$a", "$b"] },
  { $subtract: ["$a", 1] },
  { $divide: ["$a", 2] },
  { $mod: ["$a", 2] },
  { $abs: "$a" },
  { $toLower: "$s" },
  { $toUpper: "$t" },
  { $split: ["$s", "A"] },
  { $arrayElemAt: ["$arr", 0] },
  { $concatArrays: [[0], "$arr"] },
  { $reverseArray: "$arr" },
  { $type: "$a" },
  { $isNumber: "$b" },
  { $toInt: "$b" },
  { $convert: { input: "$a", to: "string" } },
  { $map: { input: "$arr", as: "x", in: { $add: ["$$x", 1] } } },
  { $filter: { input: "$arr", cond: { $gt: ["$$this", 1] } } },
  { $let: { vars: { z: "$a" }, in: { $multiply: ["$$z", 2] } } },
  { $switch: { branches: [{ case: "$t", then: 1 }], default: 2 } },
  { $year: "$d" },
  { $first: "$arr" },
  { $objectToArray: "$o" },
  { $mergeObjects: ["$o", { z: 1 }] },
  { $unknownOperator: 1 },
  { $eq: [1, 1], extra: 2 },
  { notAnOperator: "$s", "$also.not": 1 },
  {
    $cond: [{ $and: [{ $eq: ["$s", "PASS"] }, { $gt: [{ $size: { $ifNull: ["$arr", []] } }, 0] }] }, { $concat: ["$s", "!"] }, "$$REMOVE"],
  },
];

function outcome(run: () => unknown): unknown {
  try {
    return { value: run() };
  } catch (error) {
    const e = translateEvaluationError(error);
    return { error: e.code, message: e.message };
  }
}

function hasUndefinedField(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasUndefinedField);
  if (value && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.values(value).some((v) => v === undefined || hasUndefinedField(v));
  }
  return false;
}

describe("compiled expressions", () => {
  const options = createMingoOptions({ variables: { v: { x: 1, list: [{ k: 1 }, { k: 2 }] } } });

  it("evaluate exactly as the general evaluation does", () => {
    let compared = 0;
    for (const expr of expressions) {
      const compiled = compileExpression(expr);
      for (const doc of docs) {
        const expected = outcome(() => evaluateOn(doc, expr, options));
        const actual = outcome(() => compiled(doc, options));
        // Two intended differences: a bare null is the value null (the general path hands back the
        // document), and object expressions leave out fields whose value is missing (mongod does;
        // the general path keeps them as `undefined`, which the wire encoding drops anyway).
        if (expr === null) {
          expect(actual).toEqual({ value: null });
          continue;
        }
        if (hasUndefinedField((expected as { value?: unknown }).value)) {
          expect(JSON.stringify(actual)).toEqual(JSON.stringify(expected));
          continue;
        }
        expect(actual, `${JSON.stringify(expr)} on ${String(doc._id)}`).toEqual(expected);
        compared += 1;
      }
    }
    expect(compared).toBeGreaterThan(500);
  });

  it("resolves field paths through arrays as mingo's resolve does", () => {
    const values: unknown[] = [
      { a: [{ b: [{ c: 1 }, { c: [2, 3] }] }, { b: { c: 4 } }, [{ b: { c: 5 } }], 7] },
      { a: [[[{ b: 1 }]], { b: [[{ c: 2 }]] }] },
      { a: { b: [{ c: [{ d: 1 }, { d: 2 }] }, { c: { d: 3 } }] } },
      [{ a: 1 }, { a: [2] }],
      5,
      "str",
      new Date(0),
      null,
    ];
    const paths = ["a", "a.b", "a.b.c", "a.0", "a.0.b", "a.b.c.d", "a.1.b.0.c", "a.b.0", "0", "0.a", "a.2.0.b.c"];
    for (const value of values) {
      for (const path of paths) {
        expect(compileResolve(path)(value), `${path} on ${JSON.stringify(value)}`).toEqual(resolve(value as Document, path));
      }
    }
  });
});
