import { createInterface } from "node:readline";
import { Readable } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import { JSONParser } from "@streamparser/json";
import { inputError } from "../ingestErrors";

/** One value read from a JSON input: a record (counted) or a context value beside the records (a scan date). */
export type JsonItem =
  | { readonly kind: "record"; readonly index: number; readonly line?: number; readonly value: unknown }
  | { readonly kind: "bad"; readonly index: number; readonly line: number; readonly message: string }
  | { readonly kind: "context"; readonly key: string; readonly value: unknown };

/** How to find the records of a JSON input. */
export interface JsonReadOptions {
  /** JSONPath-like paths of the records (`$.*`, `$.server_scan_results.*`, `$` for each top-level value). */
  readonly recordPaths: readonly string[];
  /** Top-level keys read as context (`date_scans_completed`), emitted in document order. */
  readonly contextKeys?: readonly string[];
  /** Several top-level values one after the other (concatenated / pretty-printed objects). */
  readonly multipleValues?: boolean;
  /** Bytes one record may take; beyond that the input is refused (memory stays bounded). */
  readonly maxRecordBytes: number;
  /** For messages. */
  readonly label: string;
}

/**
 * Streams the records of a JSON document (an array, or records nested at `recordPaths`) with
 * `@streamparser/json`, holding only the record being parsed: emitted values are dropped from their parent.
 * Throws `VALIDATION_FAILED` (`MALFORMED_INPUT` with the record count and byte offset for broken or truncated
 * JSON, `RECORD_TOO_LARGE`).
 */
export async function* jsonRecords(chunks: AsyncIterable<Uint8Array>, options: JsonReadOptions): AsyncGenerator<JsonItem> {
  const contextKeys = new Set(options.contextKeys ?? []);
  const parser = new JSONParser({
    paths: [...options.recordPaths, ...[...contextKeys].map((key) => `$.${key}`)],
    keepStack: false,
    ...(options.multipleValues ? { separator: "" } : {}),
  });
  const queue: JsonItem[] = [];
  let index = 0;
  let failure: Error | undefined;
  parser.onValue = ({ value, key, stack }) => {
    if (stack.length === 1 && typeof key === "string" && contextKeys.has(key)) {
      queue.push({ kind: "context", key, value });
      return;
    }
    queue.push({ kind: "record", index: index++, value });
  };
  parser.onError = (error) => {
    failure ??= error;
  };
  let bytes = 0;
  let bytesAtLastRecord = 0;
  const fail = (error: Error): never => {
    throw inputError(
      "MALFORMED_INPUT",
      `${options.label} is not valid JSON after ${index} record(s), near byte ${bytes}: ${error.message.slice(0, 200)}`,
      { record: index, byte: bytes },
      error,
    );
  };
  // The tokenizer is about twice as fast on text as on bytes; the decoder keeps characters split across chunks whole.
  const decoder = new StringDecoder("utf8");
  for await (const chunk of chunks) {
    bytes += chunk.length;
    parser.write(decoder.write(chunk as Buffer));
    if (failure) fail(failure);
    if (queue.length > 0) bytesAtLastRecord = bytes;
    else if (bytes - bytesAtLastRecord > options.maxRecordBytes) {
      throw inputError(
        "RECORD_TOO_LARGE",
        `${options.label}: record ${index} is larger than ${options.maxRecordBytes} bytes; refusing to buffer it.`,
        { record: index, limit: options.maxRecordBytes },
      );
    }
    while (queue.length > 0) yield queue.shift() as JsonItem;
  }
  const rest = decoder.end();
  if (rest !== "" && !parser.isEnded) parser.write(rest);
  if (!parser.isEnded) {
    try {
      parser.end();
    } catch (error) {
      failure ??= error as Error;
    }
  }
  // A document cut short ends without an error from some parsers' end(): an unfinished array is one too.
  if (failure) fail(failure);
  while (queue.length > 0) yield queue.shift() as JsonItem;
}

/**
 * Streams JSON Lines: one record per non-blank line, parsed on its own, so a broken line is one bad record
 * (with its line number) and the next line is read as usual.
 */
export async function* jsonLines(
  chunks: AsyncIterable<Uint8Array>,
  options: Pick<JsonReadOptions, "maxRecordBytes">,
): AsyncGenerator<JsonItem> {
  const lines = createInterface({ input: Readable.from(chunks), crlfDelay: Number.POSITIVE_INFINITY });
  let line = 0;
  let index = 0;
  for await (const text of lines) {
    line += 1;
    if (text.trim() === "") continue;
    if (text.length > options.maxRecordBytes) {
      yield {
        kind: "bad",
        index: index++,
        line,
        message: `is ${text.length} characters long; a record may take at most ${options.maxRecordBytes}`,
      };
      continue;
    }
    const at = index++;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      yield { kind: "bad", index: at, line, message: `is not valid JSON (${(error as Error).message.slice(0, 160)})` };
      continue;
    }
    yield { kind: "record", index: at, line, value };
  }
}
