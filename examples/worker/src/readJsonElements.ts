import { ValidationError } from "@cspm/errors";

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const BOM = 0xfeff;

function isWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

type State = "start" | "array-first" | "array-after" | "array-next" | "sequence" | "done";

function malformed(message: string, index: number, offset: number): ValidationError {
  return new ValidationError(`Malformed JSON at character ${offset}: ${message}.`, [{ path: String(index), message }], {
    details: { offset, element: index },
  });
}

/**
 * Streams the elements of a JSON document without holding the whole text: the items of a top-level
 * array (`[ {...}, {...} ]`), or each top-level value of a sequence (JSON Lines / concatenated JSON).
 * Only the element being read is buffered, so a 100k-finding file costs one finding of memory at a time.
 * Throws `VALIDATION_FAILED` (details `offset`, `element`) for malformed or truncated input.
 */
export async function* readJsonElements(chunks: AsyncIterable<string | Uint8Array>): AsyncGenerator<unknown, void, undefined> {
  const decoder = new TextDecoder("utf-8", { fatal: false });
  let state: State = "start";
  let arrayMode = false;
  let index = 0;
  let consumed = 0; // characters of previous chunks
  // The element being read.
  let inElement = false;
  let inString = false;
  let escaped = false;
  let depth = 0;
  let primitive = false;
  let pieces: string[] = [];
  let elementOffset = 0;

  const finish = (chunk: string, start: number, end: number): unknown => {
    pieces.push(chunk.slice(start, end));
    const text = pieces.length === 1 ? (pieces[0] as string) : pieces.join("");
    pieces = [];
    inElement = false;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw malformed(`element ${index} is not valid JSON (${(error as Error).message})`, index, elementOffset);
    }
    index += 1;
    state = arrayMode ? "array-after" : "sequence";
    return value;
  };

  const process = function* (chunk: string): Generator<unknown> {
    const length = chunk.length;
    let segmentStart = 0;
    let nextQuote = -2;
    let nextBackslash = -2;
    let i = 0;
    while (i < length) {
      if (inElement) {
        if (inString) {
          if (escaped) {
            escaped = false;
            i += 1;
            continue;
          }
          if (nextQuote !== -1 && nextQuote < i) nextQuote = chunk.indexOf('"', i);
          if (nextBackslash !== -1 && nextBackslash < i) nextBackslash = chunk.indexOf("\\", i);
          if (nextBackslash !== -1 && (nextQuote === -1 || nextBackslash < nextQuote)) {
            escaped = true;
            i = nextBackslash + 1;
            continue;
          }
          if (nextQuote === -1) {
            i = length;
            continue;
          }
          i = nextQuote + 1;
          inString = false;
          if (depth === 0) yield finish(chunk, segmentStart, i);
          continue;
        }
        const c = chunk.charCodeAt(i);
        if (primitive) {
          if (c === COMMA || c === CLOSE_BRACKET || isWhitespace(c)) {
            primitive = false;
            yield finish(chunk, segmentStart, i);
            continue; // the separator is handled as structure
          }
          i += 1;
          continue;
        }
        if (c === QUOTE) inString = true;
        else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth += 1;
        else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
          depth -= 1;
          if (depth === 0) {
            i += 1;
            yield finish(chunk, segmentStart, i);
            continue;
          }
        }
        i += 1;
        continue;
      }
      const c = chunk.charCodeAt(i);
      if (isWhitespace(c) || (c === BOM && state === "start")) {
        i += 1;
        continue;
      }
      const offset = consumed + i;
      switch (state) {
        case "start":
          if (c === OPEN_BRACKET) {
            arrayMode = true;
            state = "array-first";
            i += 1;
            continue;
          }
          state = "sequence";
          continue;
        case "array-first":
          if (c === CLOSE_BRACKET) {
            state = "done";
            i += 1;
            continue;
          }
          break;
        case "array-after":
          if (c === COMMA) state = "array-next";
          else if (c === CLOSE_BRACKET) state = "done";
          else throw malformed(`expected ',' or ']' after element ${index - 1}`, index, offset);
          i += 1;
          continue;
        case "array-next":
          if (c === CLOSE_BRACKET) throw malformed("trailing ',' before ']'", index, offset);
          break;
        case "sequence":
          break;
        case "done":
          throw malformed("unexpected data after the closing ']'", index, offset);
      }
      // A new element starts here.
      inElement = true;
      segmentStart = i;
      elementOffset = offset;
      depth = 0;
      escaped = false;
      if (c === QUOTE) {
        inString = true;
        i += 1;
      } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
        depth = 1;
        i += 1;
      } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET || c === COMMA) {
        throw malformed(`unexpected '${String.fromCharCode(c)}'`, index, offset);
      } else {
        primitive = true;
        i += 1;
      }
    }
    if (inElement) pieces.push(chunk.slice(segmentStart));
    consumed += length;
  };

  for await (const raw of chunks) {
    const chunk = typeof raw === "string" ? raw : decoder.decode(raw, { stream: true });
    if (chunk.length > 0) yield* process(chunk);
  }
  const tail = decoder.decode();
  if (tail.length > 0) yield* process(tail);
  if (inElement && primitive) {
    primitive = false;
    yield finish("", 0, 0);
  }
  if (inElement) throw malformed(`unexpected end of input inside element ${index} (truncated file?)`, index, consumed);
  if (state === "start") throw malformed("the input is empty", 0, consumed);
  if (arrayMode && state !== "done") throw malformed("unexpected end of input: the array is not closed (truncated file?)", index, consumed);
}
