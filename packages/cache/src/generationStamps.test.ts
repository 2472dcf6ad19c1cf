import { describe, expect, it } from "vitest";
import { decodeEntry, encodeEntry, GenerationTokens, generationsOf, stampsOf } from "./generationStamps";

describe("generation stamps", () => {
  it("names the epoch first, then one generation per tag, and pairs them with observed tokens", () => {
    expect(generationsOf(["a", "b:c"])).toEqual(["epoch", "g:a", "g:b:c"]);
    expect(stampsOf(["epoch", "g:a"], ["t1", "t2"])).toEqual(["epoch", "t1", "g:a", "t2"]);
  });

  it("round-trips an entry whose tags and body contain newlines and JSON", () => {
    const stamps = ["epoch", "x.1", 'g:te"am\nA', "x.2"];
    const body = '{"text":"line one\\nline two"}\n{"not":"header"}';
    expect(decodeEntry(encodeEntry(stamps, body))).toEqual({ stamps, body });
  });

  it("rejects what encodeEntry did not produce", () => {
    expect(decodeEntry('{"name":"a"}')).toBeUndefined(); // a value from before stamps existed: no header line
    expect(decodeEntry("{not json\n{}")).toBeUndefined();
    expect(decodeEntry('["epoch"]\n{}')).toBeUndefined(); // odd length
    expect(decodeEntry('["epoch",1]\n{}')).toBeUndefined();
    expect(decodeEntry('{"a":1}\n{}')).toBeUndefined();
  });

  it("never hands out the same token twice, across instances too", () => {
    const a = new GenerationTokens();
    const b = new GenerationTokens();
    const tokens = new Set<string>();
    for (let i = 0; i < 1000; i += 1) {
      tokens.add(a.next());
      tokens.add(b.next());
    }
    expect(tokens.size).toBe(2000);
  });
});
