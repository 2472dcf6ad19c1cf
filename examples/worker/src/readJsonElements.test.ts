import { isCspmError } from "@cspm/errors";
import { describe, expect, it } from "vitest";
import { readJsonElements } from "./readJsonElements";

async function* chunked(text: string, size: number): AsyncGenerator<string> {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
}

async function collect(text: string, size = 1 << 16): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const element of readJsonElements(chunked(text, size))) out.push(element);
  return out;
}

async function failure(text: string, size = 1 << 16): Promise<{ code: string; message: string; details: unknown }> {
  try {
    await collect(text, size);
  } catch (error) {
    if (isCspmError(error)) return { code: error.code, message: error.message, details: error.details };
    throw error;
  }
  throw new Error("expected a failure");
}

const TRICKY = [
  { a: 'quote " and backslash \\ and } ] { [ , inside', b: [1, 2, { c: null }] },
  { unicode: "ünïcödé ✓ 😀", esc: '\\"', empty: "" },
  42,
  "a string element",
  true,
  null,
  [],
  {},
];

describe("readJsonElements", () => {
  it("yields the elements of a top-level array, whatever the chunk boundaries", async () => {
    const text = ` \n${JSON.stringify(TRICKY, null, 1)}\n `;
    for (const size of [1, 2, 3, 7, 64, text.length]) {
      expect(await collect(text, size), `chunk size ${size}`).toEqual(TRICKY);
    }
  });

  it("reads JSON Lines (one value per line) and concatenated values", async () => {
    const text = TRICKY.filter((v) => typeof v === "object" && v !== null)
      .map((v) => JSON.stringify(v))
      .join("\n");
    expect(await collect(text, 5)).toEqual(TRICKY.filter((v) => typeof v === "object" && v !== null));
  });

  it("reads an empty array as no elements, and skips a byte order mark", async () => {
    expect(await collect("[ ]")).toEqual([]);
    expect(await collect('\uFEFF[{"a":1}]')).toEqual([{ a: 1 }]);
  });

  it("decodes UTF-8 byte chunks split inside a multi-byte character", async () => {
    const bytes = new TextEncoder().encode(JSON.stringify([{ name: "😀 über" }]));
    async function* byteChunks(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < bytes.length; i += 3) yield bytes.slice(i, i + 3);
    }
    const out: unknown[] = [];
    for await (const element of readJsonElements(byteChunks())) out.push(element);
    expect(out).toEqual([{ name: "😀 über" }]);
  });

  it("fails with VALIDATION_FAILED, the element and the offset, on malformed input", async () => {
    const truncated = await failure('[{"a":1},{"b":');
    expect(truncated.code).toBe("VALIDATION_FAILED");
    expect(truncated.message).toMatch(/truncated/);
    expect(truncated.details).toMatchObject({ element: 1 });

    expect((await failure('[{"a":1}')).message).toMatch(/not closed/);
    expect((await failure('[{"a":1},]')).message).toMatch(/trailing ','/);
    expect((await failure('[{"a":1} {"b":2}]')).message).toMatch(/expected ',' or '\]'/);
    expect((await failure('[{"a":1}] x')).message).toMatch(/after the closing/);
    expect((await failure("")).message).toMatch(/empty/);
    const broken = await failure('[{"a":1},{"b":tru}]', 4);
    expect(broken.message).toMatch(/element 1 is not valid JSON/);
    expect(broken.details).toMatchObject({ element: 1, offset: 9 });
  });

  it("yields elements before it reaches a later error, so a caller can stop early", async () => {
    const seen: unknown[] = [];
    await expect(
      (async () => {
        for await (const element of readJsonElements(chunked('[{"a":1},{"a":2},{"a":', 4))) seen.push(element);
      })(),
    ).rejects.toMatchObject({ code: "VALIDATION_FAILED" });
    expect(seen).toEqual([{ a: 1 }, { a: 2 }]);
  });
});
